"""Node group commands: create, update, delete, bind and unbind nodes."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from edgesim.domain.errors import DuplicateName, InUse, NotFound
from edgesim.domain.models import Group
from edgesim.engine.change import Change
from edgesim.engine.core import Core
from edgesim.engine.instances import Instances
from edgesim.engine.quotas import Quotas
from edgesim.engine.references import referenced_node


@dataclass
class BindingResult:
    """Node ids whose binding changed, and those that could not be changed."""

    added: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    failed_add: list[str] = field(default_factory=list)
    failed_remove: list[str] = field(default_factory=list)


class Groups:
    def __init__(self, core: Core, instances: Instances, quotas: Quotas) -> None:
        self.core = core
        self.world = core.world
        self.instances = instances
        self.quotas = quotas
        # called (group, change) as a group is deleted, within its command: what belongs to the
        # group (its certificates) goes with it
        self.deleting: list[Callable[[Group, Change], None]] = []

    def get(self, project_id: str, group_id: str) -> Group:
        group = self.world.groups.get(group_id)
        if group is None or group.project_id != project_id:
            raise NotFound(f"node group {group_id} not found")
        return group

    async def create(
        self, project_id: str, *, name: str, description: str = "", node_ids: list[str] | None = None,
        tags: list[dict[str, str]] | None = None,
    ) -> Group:
        for node_id in node_ids or []:
            referenced_node(self.world, project_id, node_id, "node_ids")
        if self.world.group_named(project_id, name) is not None:
            raise DuplicateName(f"node group name {name!r} already exists", field="name")
        self.quotas.check(project_id, "edge_group")
        async with self.core.command() as change:
            group = self.add(project_id, name=name, description=description, node_ids=node_ids or [], tags=tags or [], change=change)
        return group

    def add(
        self, project_id: str, *, name: str, node_ids: list[str], change: Change, description: str = "",
        tags: list[dict[str, str]] | None = None,
    ) -> Group:
        """Create the group record within a larger change (also used by fleet generation)."""
        group_id, birth = self.core.vertex_id()
        group = Group(
            id=group_id, birth=birth, project_id=project_id, name=name, description=description,
            node_ids=list(dict.fromkeys(node_ids)), tags=tags or [], created_at=self.core.clock.now(),
        )
        change.touch(group)
        self.world.add_group(group)
        change.event(self.core.events.record("group.created", group_id=group.id, name=name, nodes=len(group.node_ids)))
        return group

    async def update(
        self, project_id: str, group_id: str, *, description: str | None = None, tags: list[dict[str, str]] | None = None
    ) -> Group:
        group = self.get(project_id, group_id)
        async with self.core.command() as change:
            change.touch(group)
            if description is not None:
                group.description = description
            if tags is not None:
                group.tags = tags
            group.updated_at = self.core.clock.now()
            change.event(self.core.events.record("group.updated", group_id=group.id))
        return group

    async def delete(self, project_id: str, group_id: str) -> None:
        group = self.get(project_id, group_id)
        if self.world.deployments_of_group(group.id):
            raise InUse(f"node group {group.name} still has deployments; delete them first")
        async with self.core.command() as change:
            for listener in self.deleting:
                listener(group, change)
            change.touch(group)
            # recorded while the group is in its partition (the event's key), then it goes
            change.event(self.core.events.record("group.deleted", group_id=group.id))
            self.world.remove_group(group)

    async def bind(self, project_id: str, group_id: str, *, add: list[str], remove: list[str]) -> tuple[Group, BindingResult]:
        """Add and remove nodes; each node succeeds or fails on its own (unknown node, already
        (not) a member, or removing a node that runs one of the group's instances)."""
        group = self.get(project_id, group_id)
        result = BindingResult()
        async with self.core.command() as change:
            change.touch(group)
            for node_id in dict.fromkeys(add):
                node = self.world.nodes.get(node_id)
                if node is None or node.project_id != project_id or node_id in group.node_ids:
                    result.failed_add.append(node_id)
                else:
                    self.world.bind(group, node_id)
                    result.added.append(node_id)
            for node_id in dict.fromkeys(remove):
                runs_ours = any(i.group_id == group.id for i in self.world.instances_on(node_id))
                if node_id not in group.node_ids or runs_ours:
                    result.failed_remove.append(node_id)
                else:
                    self.world.unbind(group, node_id)
                    result.removed.append(node_id)
            if result.added or result.removed:
                group.updated_at = self.core.clock.now()
                change.event(self.core.events.record(
                    "group.nodes", group_id=group.id, added=result.added, removed=result.removed,
                ))
                for node_id in result.added:  # a new member may have room for the group's waiters
                    self.instances.retry_waiting(node_id, change)
        return group, result
