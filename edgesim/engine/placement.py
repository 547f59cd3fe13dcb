"""Where an instance may run: a RUNNING node with its requests (cpu, memory, gpu, npu) free.

A group instance goes to a fitting RUNNING node of its group, chosen as the Kubernetes
scheduler's default plugins would (docs/behaviors.md, "Scheduling"):

1. spread: PodTopologySpread's score of its system default on the hostname (fewer instances of
   the same deployment score higher), times its weight 2, plus the affinity preferences below;
   the fewest instances break ties (the resource score ranks below);
2. then the most room left after placing it, as the mean free share of cpu and memory
   (NodeResourcesFit "least allocated"), counting an instance that requests no cpu or memory
   as 100m / 200 MB (the scheduler's non-zero defaults), so zero-request instances spread too;
3. then the smaller node id.

A node under memory pressure (``engine.usage``: the ``node.kubernetes.io/memory-pressure``
NoSchedule taint) takes no new group instance (TaintToleration, before the other filters).
A v3 ``affinity`` (``domain.affinity``) adds the scheduler's NodeAffinity and InterPodAffinity
plugins: its required rules filter the nodes (in the scheduler's filter order: node affinity,
then resources, then pod affinity, pod anti-affinity and the existing pods' anti-affinity), its
preferred ones (and the placed pods' terms that select it) score them (normalised to 0..100
and weighted 2 each, as the default scheduler profile does), added to the spread score. An
instance no node passes waits with the scheduler's "0/N nodes are available: ..." message.
"""

from __future__ import annotations

import math
from collections.abc import Callable

from edgesim.domain.affinity import Affinity
from edgesim.domain.models import Instance, Node
from edgesim.domain.resources import Amounts, requests_of
from edgesim.domain.states import InstanceState, NodeState
from edgesim.engine.pod_affinity import SCORE_MAX, AffinityView
from edgesim.engine.world import World

SPREAD_WEIGHT = 2  # PodTopologySpread's weight in the default scheduler profile
SPREAD_MAX_SKEW = 3  # the system default constraint on kubernetes.io/hostname


class Placement:
    def __init__(self, world: World) -> None:
        self.world = world

    def best_node(self, group_id: str | None, need: Amounts, deployment_id: str | None = None,
                  usable: Callable[[Node], bool] | None = None, ignore_taints: bool = False) -> Node | None:
        """``usable``: which nodes may take it (default: RUNNING ones; the edge's own
        rescheduling also uses nodes the cloud cannot see, engine.autonomy). A node under
        memory pressure (its NoSchedule taint) takes no new pod unless ``ignore_taints``."""
        group = self.world.groups.get(group_id or "")
        if group is None:
            return None
        view = self._affinity_view(deployment_id)
        # each candidate's fit and room in one pass over the reservation index (placement asks
        # this of every group member: 100 nodes per migrated instance in the simulated day)
        rooms: dict[str, float] = {}
        fitting: list[Node] = []
        for n in self._usable(group.node_ids, usable):
            if not ignore_taints and memory_pressure_taint(n):
                continue
            room = self.world.room_after(n, need)
            if room is not None and (view is None or (view.node_matches(n) and view.unmet(n) is None)):
                rooms[n.id] = room
                fitting.append(n)
        preference = view.preference(fitting) if view is not None else {}
        replicas_on = self._replicas_by_node(deployment_id)
        spread = spread_scores(fitting, replicas_on)
        best: tuple[int, int, float, str] | None = None
        for node in fitting:
            # the scores add up, as the scheduler sums its plugins' weighted scores; the fewest
            # replicas and the most room break ties (the resource score ranks below the spread)
            score = preference.get(node.id, 0) + SPREAD_WEIGHT * spread[node.id]
            key = (-score, replicas_on.get(node.id, 0), -rooms[node.id], node.id)
            if best is None or key < best:
                best = key
        return self.world.nodes[best[3]] if best else None

    def _usable(self, node_ids: list[str], usable: Callable[[Node], bool] | None) -> list[Node]:
        nodes = (self.world.nodes.get(n) for n in node_ids)
        if usable is None:
            return [n for n in nodes if n is not None and n.state == NodeState.RUNNING]
        return [n for n in nodes if n is not None and usable(n)]

    def _affinity_view(self, deployment_id: str | None) -> AffinityView | None:
        """What the deployment's affinity and the existing pods' anti-affinity say (None when
        neither constrains it: the common case costs nothing)."""
        dep = self.world.deployments.get(deployment_id or "")
        if dep is None:
            return None
        return AffinityView.of(self.world, dep, Affinity.of(dep.affinity))

    def _replicas_by_node(self, deployment_id: str | None) -> dict[str, int]:
        """How many instances of the deployment each node holds (those being replaced and
        terminating ones no longer count, as the scheduler's spread skips terminating pods)."""
        dep = self.world.deployments.get(deployment_id or "")
        counts: dict[str, int] = {}
        for inst in self.world.instances_of(dep) if dep is not None else ():
            if inst.node_id is not None and inst.state != InstanceState.TERMINATING and inst.replaced_by is None:
                counts[inst.node_id] = counts.get(inst.node_id, 0) + 1
        return counts

    def why_waiting(self, inst: Instance) -> tuple[str, str]:
        """(reason, message) for an instance that no node can take now."""
        need = requests_of(inst.spec)
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
        view = self._affinity_view(inst.deployment_id)
        if view is not None:
            return self._why_not_affine(nodes, need, view)
        running = [n for n in nodes if n.state == NodeState.RUNNING]
        if not running:
            return "Unschedulable", f"0/{len(nodes)} nodes of group {group.name} are RUNNING"
        tainted = [n for n in running if memory_pressure_taint(n)]  # the taint filter runs before resources
        shortages = sorted({need.lacking(self.world.free_on(n)) or "cpu" for n in running if n not in tainted})
        if not tainted:
            return f"Insufficient {shortages[0]}", (
                f"0/{len(nodes)} nodes of group {group.name} can take it: insufficient {', '.join(shortages)}"
            )
        short = len(running) - len(tainted)
        parts = [f"{len(tainted)} {_NODE_REASON['MemoryPressure']}"] + ([f"insufficient {', '.join(shortages)}"] if short else [])
        reason = "MemoryPressure" if len(tainted) >= short else f"Insufficient {shortages[0]}"
        return reason, f"0/{len(nodes)} nodes of group {group.name} can take it: {', '.join(parts)}"

    def _why_not_affine(self, nodes: list[Node], need: Amounts, view: AffinityView) -> tuple[str, str]:
        """The scheduler's answer: each node's first failed filter, counted ("0/5 nodes are
        available: 3 node(s) didn't match Pod's node affinity/selector, 2 Insufficient cpu.");
        the reason is the rule that turned most nodes away."""
        counts: dict[tuple[int, str, str], int] = {}  # (filter order, reason, what the message says)
        for node in nodes:
            rule = self._first_failed_filter(node, need, view)
            if rule is not None:
                counts[rule] = counts.get(rule, 0) + 1
        if not counts:
            return "Unschedulable", f"0/{len(nodes)} nodes are available"
        _, reason, _ = min(counts, key=lambda r: (-counts[r], r[0]))
        histogram = sorted(f"{n} {text}" for (_, _, text), n in counts.items())
        return reason, f"0/{len(nodes)} nodes are available: {', '.join(histogram)}."

    def _first_failed_filter(self, node: Node, need: Amounts, view: AffinityView) -> tuple[int, str, str] | None:
        if node.state != NodeState.RUNNING:
            return 0, "Unschedulable", f"node(s) were {node.state}"
        if memory_pressure_taint(node):  # TaintToleration filters before NodeAffinity
            return 1, "MemoryPressure", _NODE_REASON["MemoryPressure"]
        if not view.node_matches(node):
            return 2, "NodeAffinity", _NODE_REASON["NodeAffinity"]
        lacking = need.lacking(self.world.free_on(node))
        if lacking is not None:
            return 3, f"Insufficient {lacking}", f"Insufficient {lacking}"
        unmet = view.unmet(node)
        return (4, unmet, _NODE_REASON[unmet]) if unmet is not None else None

    def fits_somewhere(self, group_id: str, need: Amounts) -> bool:
        """A node has room (a taint only makes the instance wait, as in Kubernetes)."""
        return self.best_node(group_id, need, ignore_taints=True) is not None


def memory_pressure_taint(node: Node) -> bool:
    """The node carries ``node.kubernetes.io/memory-pressure:NoSchedule`` (engine.usage): the
    node controller taints a node while its kubelet reports the MemoryPressure condition."""
    return node.pressure_since is not None


def spread_scores(nodes: list[Node], replicas_on: dict[str, int]) -> dict[str, int]:
    """PodTopologySpread's score of the system default constraint on the hostname (maxSkew 3):
    raw = round(replicas on the node x ln(nodes + 2) + maxSkew - 1), then normalised to
    100 x (max + min - raw) / max, integer arithmetic (plugins/podtopologyspread/scoring.go)."""
    if not nodes:
        return {}
    weight = math.log(len(nodes) + 2)
    raw = {n.id: math.floor(replicas_on.get(n.id, 0) * weight + SPREAD_MAX_SKEW - 1 + 0.5) for n in nodes}
    low, high = min(raw.values()), max(raw.values())
    return {node_id: SCORE_MAX * (high + low - score) // high for node_id, score in raw.items()}


# What the scheduler's message says of a node a rule turned away (pkg/scheduler/framework/plugins:
# nodeaffinity.ErrReasonPod, interpodaffinity.ErrReasonAffinityRulesNotMatch, ...).
_NODE_REASON = {
    "NodeAffinity": "node(s) didn't match Pod's node affinity/selector",
    "PodAffinity": "node(s) didn't match pod affinity rules",
    "PodAntiAffinity": "node(s) didn't match pod anti-affinity rules",
    "ExistingPodsAntiAffinity": "node(s) didn't satisfy existing pods anti-affinity rules",
    "MemoryPressure": "node(s) had untolerated taint {node.kubernetes.io/memory-pressure: }",
}
