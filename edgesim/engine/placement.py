"""Where an instance may run: a RUNNING node with its requests (cpu, memory, gpu, npu) free.

A group instance goes to a fitting RUNNING node of its group, chosen as the Kubernetes
scheduler's default plugins would (docs/behaviors.md, "Scheduling"):

1. spread: the node with the fewest instances of the same deployment (PodTopologySpread's
   system default on the hostname, weighted above the resource score);
2. then the most room left after placing it, as the mean free share of cpu and memory
   (NodeResourcesFit "least allocated"), counting an instance that requests no cpu or memory
   as 100m / 200 MB (the scheduler's non-zero defaults), so zero-request instances spread too;
3. then the smaller node id.
"""

from __future__ import annotations

from collections.abc import Callable

from edgesim.domain.models import Instance, Node
from edgesim.domain.resources import Amounts, requests_of
from edgesim.domain.states import InstanceState, NodeState
from edgesim.engine.world import SCORED_CPU, SCORED_MEMORY, World


class Placement:
    def __init__(self, world: World) -> None:
        self.world = world

    def best_node(self, group_id: str | None, need: Amounts, deployment_id: str | None = None,
                  usable: Callable[[Node], bool] | None = None) -> Node | None:
        """``usable``: which nodes may take it (default: RUNNING ones; the edge's own
        rescheduling also uses nodes the cloud cannot see, engine.autonomy)."""
        group = self.world.groups.get(group_id or "")
        if group is None:
            return None
        replicas_on = self._replicas_by_node(deployment_id)
        best: tuple[int, float, str] | None = None
        for node_id in group.node_ids:
            node = self.world.nodes.get(node_id)
            if node is None or not (usable(node) if usable is not None else node.state == NodeState.RUNNING):
                continue
            if need.lacking(self.world.free_on(node)) is not None:
                continue
            key = (replicas_on.get(node.id, 0), -self._room_after(node, need), node.id)
            if best is None or key < best:
                best = key
        return self.world.nodes[best[2]] if best else None

    def _replicas_by_node(self, deployment_id: str | None) -> dict[str, int]:
        """How many instances of the deployment each node holds (those being replaced and
        terminating ones no longer count, as the scheduler's spread skips terminating pods)."""
        dep = self.world.deployments.get(deployment_id or "")
        counts: dict[str, int] = {}
        for inst in self.world.instances_of(dep) if dep is not None else ():
            if inst.node_id is not None and inst.state != InstanceState.TERMINATING and inst.replaced_by is None:
                counts[inst.node_id] = counts.get(inst.node_id, 0) + 1
        return counts

    def _room_after(self, node: Node, need: Amounts) -> float:
        capacity = self.world.capacity(node)
        cpu, memory = self.world.scored_on(node.id)
        cpu += need.cpu or SCORED_CPU
        memory += need.memory or SCORED_MEMORY
        shares = [1 - cpu / capacity.cpu if capacity.cpu else 0.0, 1 - memory / capacity.memory if capacity.memory else 0.0]
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
