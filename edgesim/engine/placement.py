"""Where an instance may run: a RUNNING node with its requests (cpu, memory, gpu, npu) free.

A group instance goes to the fitting RUNNING node of its group with the most room left after
placing it, measured as the mean free share of cpu and memory (the Kubernetes
"least allocated" score); equal scores go to the smaller node id.
"""

from __future__ import annotations

from edgesim.domain.models import Instance, Node
from edgesim.domain.resources import Amounts, requests_of
from edgesim.domain.states import NodeState
from edgesim.engine.world import World


class Placement:
    def __init__(self, world: World) -> None:
        self.world = world

    def best_node(self, group_id: str | None, need: Amounts) -> Node | None:
        group = self.world.groups.get(group_id or "")
        if group is None:
            return None
        best: tuple[float, str] | None = None
        for node_id in group.node_ids:
            node = self.world.nodes.get(node_id)
            if node is None or node.state != NodeState.RUNNING:
                continue
            free = self.world.free_on(node)
            if need.lacking(free) is not None:
                continue
            key = (-self._room_after(self.world.capacity(node), free - need), node.id)
            if best is None or key < best:
                best = key
        return self.world.nodes[best[1]] if best else None

    @staticmethod
    def _room_after(capacity: Amounts, left: Amounts) -> float:
        shares = [left.cpu / capacity.cpu if capacity.cpu else 0.0, left.memory / capacity.memory if capacity.memory else 0.0]
        return sum(shares) / len(shares)

    def why_waiting(self, inst: Instance) -> tuple[str, str]:
        """(reason, message) for an instance that no node can take now."""
        need = requests_of(inst.app)
        if inst.node_id is not None:
            node = self.world.nodes.get(inst.node_id)
            if node is None:
                return "NodeLost", f"node {inst.node_id} no longer exists"
            if node.state != NodeState.RUNNING:
                return node.state, f"waiting for node {node.name} ({node.state})"
            lacking = need.lacking(self.world.free_on(node)) or "cpu"
            return f"Insufficient {lacking}", f"node {node.name} has not enough free {lacking}"
        group = self.world.groups.get(inst.group_id or "")
        if group is None:
            return "Unschedulable", "the deployment's node group no longer exists"
        nodes = [self.world.nodes[n] for n in group.node_ids if n in self.world.nodes]
        running = [n for n in nodes if n.state == NodeState.RUNNING]
        if not running:
            return "Unschedulable", f"0/{len(nodes)} nodes of group {group.name} are RUNNING"
        shortages = sorted({need.lacking(self.world.free_on(n)) or "cpu" for n in running})
        return f"Insufficient {shortages[0]}", (
            f"0/{len(nodes)} nodes of group {group.name} can take it: insufficient {', '.join(shortages)}"
        )

    def fits_somewhere(self, group_id: str, need: Amounts) -> bool:
        return self.best_node(group_id, need) is not None
