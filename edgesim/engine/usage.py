"""What running containers use over time (cpu cores, memory MB), from the behaviour profile
they started with, and the kubelet's answer to a node running out of memory: node-pressure
eviction (docs/behaviors.md, "Resource usage").

Nothing polls: use is linear in time between an instance's changes, so it is computed when
read; a node's memory reaches its eviction threshold at a moment computed when a container
starts or ends there, and that one timer is set (none on a node whose use does not grow).

Kubernetes' rules (docs, "Node-pressure Eviction"): the kubelet's default hard threshold is
``memory.available<100Mi`` (allocatable = capacity: edgesim reserves nothing for the system);
it evicts one pod at a time, the pods whose use exceeds their request first, the largest use
above the request first, and looks again every monitoring period (10 s). A hard eviction has
no grace period. The evicted pod fails (``Evicted``); its deployment replaces it.
"""

from __future__ import annotations

from dataclasses import dataclass

from edgesim.domain.models import Instance, Node
from edgesim.domain.resources import requests_of
from edgesim.domain.states import DeploymentState, NodeState
from edgesim.engine.change import Change
from edgesim.engine.core import Core
from edgesim.engine.instances import Instances
from edgesim.engine.lifecycle import RUN, TERMINATE
from edgesim.engine.world import USES_MEMORY

assert USES_MEMORY == (RUN, TERMINATE)  # the world's memory index counts the phases this module reads

EVICTION_THRESHOLD_MB = 100.0  # evictionHard memory.available<100Mi
MONITORING_SECONDS = 10.0  # the eviction manager's housekeeping interval
# --eviction-pressure-transition-period (5m): the MemoryPressure condition stays this long after
# the pressure was last observed, and with it the node controller's NoSchedule taint
PRESSURE_TRANSITION_SECONDS = 300.0
MEMORY_PRESSURE_TAINT = "node.kubernetes.io/memory-pressure:NoSchedule"
# Crossing times are rounded to the microsecond, as the clock shows them; a use within this
# many MB of the threshold has reached it (so a rounded time finds it reached).
REACHED_MB = 1e-6


@dataclass(frozen=True, slots=True)
class Use:
    cpu: float = 0.0  # cores
    memory: float = 0.0  # MB


def instance_use(inst: Instance, now: float) -> Use:
    """The container's use now: nothing unless one runs (or is still stopping); cpu throttled
    at its limit, memory at its limit (reaching it is the OOM kill planned at start)."""
    usage = inst.usage
    if usage is None or inst.started_at is None or inst.phase not in (RUN, TERMINATE):
        return Use()
    minutes = max(0.0, now - inst.started_at) / 60.0
    cpu = usage["cpu"] + usage["cpu_per_min"] * minutes
    memory = usage["memory"] + usage["memory_per_min"] * minutes
    limits = inst.spec.resources.limits
    if limits is not None:
        cpu = min(cpu, limits.cpu) if limits.cpu is not None else cpu
        memory = min(memory, limits.memory) if limits.memory is not None else memory
    return Use(cpu, memory)


class NodeUse:
    """Per node and per deployment sums, read at any moment."""

    def __init__(self, core: Core) -> None:
        self.core = core

    def of_node(self, node: Node) -> Use:
        """The node's containers together; cpu shares the node's cores (never more than it has)."""
        now, world = self.core.clock.now(), self.core.world
        uses = [instance_use(i, now) for i in world.instances_on(node.id)]
        return Use(min(sum(u.cpu for u in uses), world.capacity(node).cpu), sum(u.memory for u in uses))

    def memory_threshold(self, node: Node) -> float:
        return self.core.world.capacity(node).memory - EVICTION_THRESHOLD_MB

    def under_pressure(self, node: Node) -> bool:
        return self.of_node(node).memory >= self.memory_threshold(node) - REACHED_MB


class MemoryPressure:
    """Evicts pods from a node whose containers' memory reaches its eviction threshold."""

    def __init__(self, core: Core, instances: Instances) -> None:
        self.core = core
        self.world = core.world
        self.instances = instances
        self.use = NodeUse(core)
        instances.lifecycle.watchers.append(self._moved)

    def _moved(self, inst: Instance, old_phase: str | None, change: Change) -> None:
        """A container started or ended there: the node's crossing moves."""
        node_id = inst.node_id
        if node_id is not None and RUN in (old_phase, inst.phase):
            change.after_commit.append(lambda: self.arm(node_id))

    def arm(self, node: Node | str, not_before: float | None = None) -> None:
        node_id = node if isinstance(node, str) else node.id
        key = f"pressure:{node_id}"
        found = self.world.nodes.get(node_id)
        due = self._crossing(found) if found is not None else None
        if due is None:
            self.core.timers.cancel(key)
            return
        # the node's last eviction is stored: the next look a monitoring period on, restart or not
        last = found.pressure_evicted_at if found is not None else None
        due = max(due, not_before or due, last + MONITORING_SECONDS if last is not None else due)
        self.core.timers.set(key, due, self._check, node_id)

    def rearm(self, node: Node) -> None:
        """After a restart: the next look, and the end of a MemoryPressure condition in force."""
        self.arm(node)
        self._arm_clear(node)

    # --- the MemoryPressure condition and its taint ------------------------------------------------

    def _observed(self, node: Node, change: Change) -> None:
        """The kubelet saw the node under pressure now: the condition holds (the node controller
        taints it NoSchedule) until a transition period passes without seeing it again."""
        change.touch(node)
        if node.pressure_since is None:
            node.pressure_since = self.core.clock.now()
            change.event(self.core.events.record(
                "node.memory_pressure", node_id=node.id, pressure=True, taint=MEMORY_PRESSURE_TAINT))
        node.pressure_seen_at = self.core.clock.now()
        change.after_commit.append(lambda: self._arm_clear(node))

    def _arm_clear(self, node: Node) -> None:
        if node.pressure_seen_at is not None and node.id in self.world.nodes:
            self.core.timers.set(f"pressure-clear:{node.id}", node.pressure_seen_at + PRESSURE_TRANSITION_SECONDS,
                                 self._clear, node.id)

    def _clear(self, node_id: str) -> None:
        node = self.world.nodes.get(node_id)
        if node is None or node.pressure_seen_at is None or self.core.clock.now() < node.pressure_seen_at + PRESSURE_TRANSITION_SECONDS:
            return
        with self.core.step() as change:
            change.touch(node)
            node.pressure_since = node.pressure_seen_at = None
            change.event(self.core.events.record("node.memory_pressure", node_id=node.id, pressure=False))
            self.instances.retry_waiting(node.id, change)  # the taint is gone: it takes new pods again

    def _crossing(self, node: Node) -> float | None:
        """When the node's memory use reaches its threshold (now if it has), None if never."""
        if node.state != NodeState.RUNNING:
            return None
        now = self.core.clock.now()
        # MB now, and MB a minute of the containers still below their limit: the constant
        # containers' sum comes from the world's memory index, only the moving ones are read
        used, moving = self.world.memory_on(node.id)
        growth = 0.0
        for inst in moving:
            usage = inst.usage
            assert usage is not None  # the index holds running containers only
            limit = self._limit(inst)
            if inst.started_at is not None:
                memory = min(usage["memory"] + usage["memory_per_min"] * (max(0.0, now - inst.started_at) / 60.0), limit)
                used += memory
            else:
                memory = 0.0
            if usage["memory_per_min"] > 0 and memory < limit:
                growth += usage["memory_per_min"]
        threshold = self.use.memory_threshold(node)
        if used >= threshold - REACHED_MB:
            return now
        if growth <= 0:
            return None
        due = now + (threshold - used) / growth * 60.0
        shown = round(due, 6)
        return shown if shown >= due - 1e-9 else shown + 1e-6

    @staticmethod
    def _limit(inst: Instance) -> float:
        limits = inst.spec.resources.limits
        return limits.memory if limits is not None and limits.memory is not None else float("inf")

    def _check(self, node_id: str) -> None:
        node = self.world.nodes.get(node_id)
        if node is None:
            return
        now = self.core.clock.now()
        with self.core.step() as change:
            if not self.use.under_pressure(node):  # it went down meanwhile (never a loop at one moment)
                change.after_commit.append(lambda: self.arm(node_id, not_before=now + 1e-6))
                return
            self._observed(node, change)
            victim = self._first_to_evict(node, now)
            if victim is not None:
                change.touch(node)
                node.pressure_evicted_at = now
                self._evict(victim, node, change)
            change.after_commit.append(lambda: self.arm(node_id, not_before=now + MONITORING_SECONDS))

    def _first_to_evict(self, node: Node, now: float) -> Instance | None:
        """The kubelet's memory ranking: use above the request first, then the most above it."""
        running = [i for i in self.world.instances_on(node.id) if i.step == "RUNNING:run" and i.usage is not None]

        def rank(inst: Instance) -> tuple[bool, float, str]:
            above = instance_use(inst, now).memory - requests_of(inst.spec).memory
            return (above <= 0, -above, inst.id)

        return min(running, key=rank, default=None)

    def _evict(self, inst: Instance, node: Node, change: Change) -> None:
        now = self.core.clock.now()
        used = instance_use(inst, now).memory
        available = self.world.capacity(node).memory - self.use.of_node(node).memory
        request = requests_of(inst.spec).memory
        message = (f"The node was low on resource: memory. Threshold quantity: {EVICTION_THRESHOLD_MB:g}Mi, "
                   f"available: {max(available, 0):.0f}Mi. Container {inst.spec.name} was using "
                   f"{used:.0f}Mi, request is {request:g}Mi.")
        change.touch(inst)
        self.instances.disarm(inst)
        inst.readiness, inst.exit, inst.usage, inst.is_ready = None, None, None, False
        change.event(self.core.events.record(
            "instance.evicted", instance_id=inst.id, deployment_id=inst.deployment_id, node_id=node.id,
            memory_mb=round(used, 3), request_mb=request,
        ))
        self.instances.lifecycle.move(inst, "evicted", change, due=None, reason="Evicted", message=message)
        self._replace(inst, change)

    def _replace(self, inst: Instance, change: Change) -> None:
        """The deployment's controller replaces the failed pod: the evicted record goes (its
        eviction stays in the event log) and a new instance is created in its place."""
        dep = self.world.deployments.get(inst.deployment_id)
        node_id = inst.node_id
        self.instances.remove(inst, change)
        if dep is not None and dep.state != DeploymentState.PENDING_DELETE:
            self.instances.create(dep, node_id if dep.node_ids else None, change)
        if node_id is not None:
            self.instances.retry_waiting(node_id, change)
