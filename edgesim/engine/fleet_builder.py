"""Fleet generation: many RUNNING nodes and groups of them in one command (``POST /edgesim/fleet``
and the configured fleet of an empty store)."""

from __future__ import annotations

from edgesim.domain.errors import DuplicateName
from edgesim.domain.models import Group, Node
from edgesim.domain.states import NodeState
from edgesim.engine.core import Core
from edgesim.engine.fleet import generate_hardware
from edgesim.engine.groups import Groups
from edgesim.engine.quotas import Quotas
from edgesim.settings import FleetProfile


class FleetBuilder:
    def __init__(self, core: Core, groups: Groups, quotas: Quotas) -> None:
        self.core = core
        self.world = core.world
        self.groups = groups
        self.quotas = quotas

    async def create(
        self,
        project_id: str,
        *,
        count: int,
        groups: dict[str, int],
        profile: FleetProfile,
        name_prefix: str,
    ) -> tuple[list[Node], list[Group]]:
        """``count`` RUNNING nodes named ``{prefix}-{n:03d}`` (numbering after existing ones) and
        groups taking consecutive slices of them; all in one commit."""
        core = self.core
        taken = [name for name in groups if self.world.group_named(project_id, name) is not None]
        if taken:
            raise DuplicateName(f"node group {taken[0]!r} already exists", field=f"groups.{taken[0]}")
        self.quotas.check(project_id, "edge_node", adding=count)
        self.quotas.check(project_id, "edge_group", adding=len(groups))
        async with core.command() as change:
            now = core.clock.now()
            index = self._next_index(project_id, name_prefix)
            nodes = []
            for _ in range(count):
                while self.world.node_named(project_id, f"{name_prefix}-{index:03d}") is not None:
                    index += 1
                node_id, birth = core.vertex_id()
                node = Node(
                    id=node_id, project_id=project_id, name=f"{name_prefix}-{index:03d}", state=NodeState.RUNNING,
                    created_at=now, birth=birth, hardware=generate_hardware(core.seed, node_id, profile),
                )
                index += 1
                change.touch(node)
                self.world.add_node(node)
                nodes.append(node)
            change.event(core.events.record("fleet.created", nodes=count, groups=len(groups)))
            made_groups = []
            start = 0
            for name, size in groups.items():
                members = [n.id for n in nodes[start : start + size]]
                start += size
                made_groups.append(self.groups.add(project_id, name=name, node_ids=members, change=change))
        return nodes, made_groups

    def _next_index(self, project_id: str, prefix: str) -> int:
        return 1 + sum(1 for n in self.world.nodes.values() if n.project_id == project_id and n.name.startswith(prefix + "-"))
