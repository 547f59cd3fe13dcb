"""The in-memory world: every node, group, deployment and instance, with the indexes reads need.

Only the engine's commands change it; they keep the indexes in step through the methods here,
so no caller has to remember which index goes with which dict.
"""

from __future__ import annotations

from collections import defaultdict

from edgesim.domain.models import Deployment, Document, Group, Instance, Node
from edgesim.domain.resources import Amounts, capacity_of, requests_of

WAIT = "wait"  # instance phase: waiting for room on a node; it holds no resources
DONE = "done"  # instance phase: finished for good (Succeeded, or Failed and not restarted)
HOLDS_NOTHING = (WAIT, DONE)


class World:
    def __init__(self) -> None:
        self.nodes: dict[str, Node] = {}
        self.groups: dict[str, Group] = {}
        self.deployments: dict[str, Deployment] = {}
        self.instances: dict[str, Instance] = {}
        self._tables: dict[str, dict] = {
            "node": self.nodes, "group": self.groups, "deployment": self.deployments, "instance": self.instances,
        }
        self._node_names: dict[tuple[str, str], str] = {}
        self._group_names: dict[tuple[str, str], str] = {}
        self._deployment_names: dict[tuple[str, str], str] = {}
        self._groups_of_node: dict[str, set[str]] = defaultdict(set)
        self._on_node: dict[str, set[str]] = defaultdict(set)  # node id -> instances placed or bound there
        # Instances waiting for room, first come first served: ("node", id) for instances bound
        # to one node, ("group", id) for group instances that may take any node of the group.
        self._waiting: dict[tuple[str, str], dict[str, None]] = defaultdict(dict)

    # --- any record -----------------------------------------------------------------------------

    def get(self, kind: str, record_id: str) -> Document | None:
        return self._tables[kind].get(record_id)

    def put(self, record: Document) -> None:
        """Add (or re-add) a record with all its index entries."""
        {Node: self.add_node, Group: self.add_group, Deployment: self.add_deployment, Instance: self.add_instance}[
            type(record)
        ](record)

    def discard(self, record: Document) -> None:
        {Node: self.remove_node, Group: self.remove_group, Deployment: self.remove_deployment, Instance: self.remove_instance}[
            type(record)
        ](record)

    # --- nodes --------------------------------------------------------------------------------

    def add_node(self, node: Node) -> None:
        self.nodes[node.id] = node
        self._node_names[(node.project_id, node.name)] = node.id

    def remove_node(self, node: Node) -> None:
        self.nodes.pop(node.id, None)
        self._node_names.pop((node.project_id, node.name), None)
        self._on_node.pop(node.id, None)
        self._groups_of_node.pop(node.id, None)

    def node_named(self, project_id: str, name: str) -> Node | None:
        node_id = self._node_names.get((project_id, name))
        return self.nodes.get(node_id) if node_id else None

    def group_ids_of(self, node_id: str) -> list[str]:
        return sorted(self._groups_of_node.get(node_id, ()))

    def instances_on(self, node_id: str) -> list[Instance]:
        return [self.instances[i] for i in self._on_node.get(node_id, ()) if i in self.instances]

    def deployment_count_on(self, node_id: str) -> int:
        return len({i.deployment_id for i in self.instances_on(node_id)})

    def allocated_on(self, node_id: str) -> Amounts:
        total = Amounts()
        for inst in self.instances_on(node_id):
            if inst.phase not in HOLDS_NOTHING:
                total += requests_of(inst.app)
        return total

    def free_on(self, node: Node) -> Amounts:
        return capacity_of(node.hardware) - self.allocated_on(node.id)

    # --- groups -------------------------------------------------------------------------------

    def add_group(self, group: Group) -> None:
        self.groups[group.id] = group
        self._group_names[(group.project_id, group.name)] = group.id
        for node_id in group.node_ids:
            self._groups_of_node[node_id].add(group.id)

    def remove_group(self, group: Group) -> None:
        self.groups.pop(group.id, None)
        self._group_names.pop((group.project_id, group.name), None)
        for node_id in group.node_ids:
            self._groups_of_node[node_id].discard(group.id)

    def rename_group(self, group: Group, name: str) -> None:
        self._group_names.pop((group.project_id, group.name), None)
        group.name = name
        self._group_names[(group.project_id, name)] = group.id

    def bind(self, group: Group, node_id: str) -> None:
        group.node_ids.append(node_id)
        self._groups_of_node[node_id].add(group.id)

    def unbind(self, group: Group, node_id: str) -> None:
        group.node_ids.remove(node_id)
        self._groups_of_node[node_id].discard(group.id)

    def group_named(self, project_id: str, name: str) -> Group | None:
        group_id = self._group_names.get((project_id, name))
        return self.groups.get(group_id) if group_id else None

    # --- deployments and instances ------------------------------------------------------------

    def add_deployment(self, dep: Deployment) -> None:
        self.deployments[dep.id] = dep
        self._deployment_names[(dep.project_id, dep.name)] = dep.id

    def remove_deployment(self, dep: Deployment) -> None:
        self.deployments.pop(dep.id, None)
        self._deployment_names.pop((dep.project_id, dep.name), None)

    def deployment_named(self, project_id: str, name: str) -> Deployment | None:
        dep_id = self._deployment_names.get((project_id, name))
        return self.deployments.get(dep_id) if dep_id else None

    def deployments_of_group(self, group_id: str) -> list[Deployment]:
        return [d for d in self.deployments.values() if d.group_id == group_id]

    def add_instance(self, inst: Instance) -> None:
        self.instances[inst.id] = inst
        if inst.node_id is not None:
            self._on_node[inst.node_id].add(inst.id)
        if inst.phase == WAIT:
            self.enqueue(inst)

    def remove_instance(self, inst: Instance) -> None:
        self.instances.pop(inst.id, None)
        if inst.node_id is not None:
            self._on_node[inst.node_id].discard(inst.id)
        self.dequeue(inst)

    # --- waiting for room -------------------------------------------------------------------------

    @staticmethod
    def _queue_key(inst: Instance) -> tuple[str, str]:
        return ("node", inst.node_id) if inst.node_id is not None else ("group", inst.group_id or "")

    def enqueue(self, inst: Instance) -> None:
        self._waiting[self._queue_key(inst)][inst.id] = None

    def dequeue(self, inst: Instance) -> None:
        for key in (("node", inst.node_id or ""), ("group", inst.group_id or "")):
            self._waiting.get(key, {}).pop(inst.id, None)

    def waiting_for_node(self, node_id: str) -> list[Instance]:
        return [self.instances[i] for i in self._waiting.get(("node", node_id), {})]

    def waiting_for_group(self, group_id: str) -> list[Instance]:
        return [self.instances[i] for i in self._waiting.get(("group", group_id), {})]

    def move_instance(self, inst: Instance, node_id: str | None) -> None:
        """Bind an instance to another node (or to none)."""
        if inst.node_id is not None:
            self._on_node[inst.node_id].discard(inst.id)
        inst.node_id = node_id
        if node_id is not None:
            self._on_node[node_id].add(inst.id)

    def instances_of(self, dep: Deployment) -> list[Instance]:
        return [self.instances[i] for i in dep.instance_ids if i in self.instances]
