"""The rate at which lost nodes are evicted, as the Kubernetes node lifecycle controller does it.

A lost node (FAIL) is not evicted at once: the controller taints nodes ``NoExecute`` through a
rate limiter, and the instances' ``toleration_seconds`` count from that taint. Per zone:

- normal: ``eviction_rate`` nodes a second (``--node-eviction-rate``, 0.1: one every 10 s);
- partial disruption, more than 2 nodes and at least ``unhealthy_zone_threshold`` (0.55) of
  them not ready: ``secondary_eviction_rate`` (0.01) in a zone larger than
  ``large_zone_size`` (50, ``--large-cluster-size-threshold``), none in a smaller one;
- full disruption, no node ready: no eviction at all (the controller takes it for its own
  connectivity problem), until a node is ready again.

A zone here is a project's fleet (decision: IEF nodes carry no zone label, and Kubernetes puts
nodes without one in one zone). Source: kube-controller-manager's node lifecycle controller
(``ComputeZoneState``, ``handleDisruption``, ``ReducedQPSFunc``) and the Kubernetes docs, "Node
controller" and "Rate limits on eviction".

The limiter is a token bucket of one: a node is tainted at the earliest of now and the last
taint in its zone plus one period. One timer per zone, due at the next slot; nothing polls.
"""

from __future__ import annotations

from collections.abc import Callable

from edgesim.domain.models import Node
from edgesim.domain.states import NodeState
from edgesim.engine.change import Change
from edgesim.engine.core import Core

Evict = Callable[[Node, float, Change], None]


def evicted(node: Node) -> bool:
    """The node's current loss has been tainted (its instances' toleration runs)."""
    return node.lost_at is not None and node.evicted_at is not None and node.evicted_at >= node.lost_at


class Evictions:
    def __init__(self, core: Core, evict: Evict) -> None:
        self.core = core
        self.world = core.world
        self._evict = evict  # starts the toleration of a tainted node's instances
        # zones whose lost nodes wait for the zone to recover (memory: ``arm`` finds them again
        # after a restart); a node turning ready there makes the zone look again at once
        self._held: set[str] = set()
        core.node_state_listeners.append(self._node_changed)

    def _node_changed(self, node: Node, old: str, change: Change) -> None:
        """A node of a held zone became ready (registered and connected, back, upgraded) or
        stopped being: the controller recomputes the zone's state and, leaving FullDisruption,
        resets its limiter (handleDisruption), so held evictions go on from now."""
        if node.project_id in self._held and NodeState.RUNNING in (node.state, old):
            self.reconsider(node.project_id)

    @property
    def _settings(self):
        return self.core.settings.simulation.node

    def _zone(self, project_id: str) -> list[Node]:
        return [n for n in self.world.nodes.values() if n.project_id == project_id]

    def rate(self, zone: list[Node]) -> float:
        """Nodes a second the zone's lost nodes are evicted at now (0: held)."""
        s = self._settings
        not_ready = sum(1 for n in zone if n.lost_at is not None)
        ready = sum(1 for n in zone if n.lost_at is None and n.state == NodeState.RUNNING)
        if ready == 0 and not_ready > 0:
            return 0.0  # full disruption: evict nothing
        if not_ready > 2 and not_ready / (ready + not_ready) >= s.unhealthy_zone_threshold:
            return s.secondary_eviction_rate if len(zone) > s.large_zone_size else 0.0
        return s.eviction_rate

    def reconsider(self, project_id: str) -> None:
        """The zone changed (a node lost or back): look again now, once for all changes at
        this moment (the timer replaces itself)."""
        self.core.timers.set(f"evictions:{project_id}", self.core.clock.now(), self._due, project_id)

    def arm(self, project_id: str, *, again: bool = True) -> None:
        """The next slot of a zone with nodes waiting (after a restart: ``again`` False leaves
        a timer already set for the zone, so a fleet re-arms in one pass per zone)."""
        if not again and f"evictions:{project_id}" in self.core.timers:
            return
        slot = self._next_slot(self._zone(project_id))
        if slot is not None:
            self.core.timers.set(f"evictions:{project_id}", max(slot, self.core.clock.now()), self._due, project_id)

    def _next_slot(self, zone: list[Node]) -> float | None:
        waiting = [n for n in zone if n.lost_at is not None and not evicted(n)]
        rate = self.rate(zone) if waiting else 0.0
        if rate <= 0:
            if waiting:
                self._held.add(waiting[0].project_id)
            return None
        self._held.discard(waiting[0].project_id)
        last = max((n.evicted_at for n in zone if n.evicted_at is not None), default=None)
        return self.core.clock.now() if last is None else last + 1.0 / rate

    def _due(self, project_id: str) -> None:
        zone = self._zone(project_id)
        slot = self._next_slot(zone)
        if slot is None:
            return  # nothing waits, or the zone holds evictions until it recovers
        now = self.core.clock.now()
        if slot > now:
            self.core.timers.set(f"evictions:{project_id}", slot, self._due, project_id)
            return
        node = min((n for n in zone if n.lost_at is not None and not evicted(n)), key=lambda n: (n.lost_at, n.id))
        with self.core.step() as change:
            change.touch(node)
            node.evicted_at = now
            change.event(self.core.events.record(
                "node.evicting", node_id=node.id, rate=self.rate(zone), taint="node.kubernetes.io/unreachable:NoExecute",
            ))
            self._evict(node, now, change)
        self.arm(project_id)  # the next waiting node, one period on
