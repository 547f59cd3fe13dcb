"""Instance lifecycle: placement on a node, termination, removal, and the timer dispatch.

An instance moves through the steps of the table in ``engine.lifecycle``, each one timer on
the clock (see ``domain.models.Instance``):

    wait (for room on a node) -> pull [-> pull_error [-> pull_backoff] -> pull] -> start -> run
    run -> backoff -> run ...   (restarts, see ``engine.containers``)
    any -> terminate -> removed

When a step's timer is due, ``DUE`` names what handles it; the handler fires one of the step's
triggers and the shared ``transitions`` machine decides the next step. Every change of state is
an event in the log.
"""

from __future__ import annotations

from collections.abc import Callable

from edgesim.domain.models import Deployment, Instance, Node
from edgesim.domain.resources import requests_of
from edgesim.domain.states import InstanceState, NodeState
from edgesim.engine import undo
from edgesim.engine.change import Change
from edgesim.engine.containers import Containers
from edgesim.engine.core import Core
from edgesim.engine.fault_book import FaultBook
from edgesim.engine.lifecycle import BACKOFF, CONFIG, PULL, PULL_BACKOFF, PULL_ERROR, RUN, START, TERMINATE, Lifecycle
from edgesim.engine.placement import Placement
from edgesim.engine.world import HOLDS_NOTHING, WAIT

DueHandler = Callable[["Instances", Instance, Change], None]
RemovedHandler = Callable[[Instance, Change], None]


class Instances:
    # phase -> what handles its timer when due (every step with ``on_due`` in the table has one)
    DUE: dict[str, DueHandler] = {
        PULL: lambda self, inst, change: self.containers.pulled(inst, change),
        PULL_ERROR: lambda self, inst, change: self.containers.pull_error_shown(inst, change),
        PULL_BACKOFF: lambda self, inst, change: self.containers.retry_pull(inst, change),
        CONFIG: lambda self, inst, change: self.containers.recheck_config(inst, change),  # never due: event-driven
        START: lambda self, inst, change: self.containers.start_container(inst, change),
        BACKOFF: lambda self, inst, change: self.containers.start_container(inst, change),
        RUN: lambda self, inst, change: self.containers.ended(inst, change),
        TERMINATE: lambda self, inst, change: self._terminated(inst, change),
    }

    def __init__(self, core: Core, placement: Placement, faults: FaultBook) -> None:
        self.core = core
        self.world = core.world
        self.placement = placement
        self.lifecycle = Lifecycle(core.world, core.events)
        self.containers: Containers = Containers(core, self.lifecycle, faults, arm=self.arm)
        self._removed: list[RemovedHandler] = []
        # group instances waiting because no pod their required pod affinity names is placed:
        # a placement may be the one they wait for (memory only: ``arm`` rebuilds it on start)
        self._affine_waiting: dict[str, None] = {}

    def when_removed(self, handler: RemovedHandler) -> None:
        """Call ``handler`` with every instance that finished terminating (its deployment may go)."""
        self._removed.append(handler)

    # --- creation and placement -----------------------------------------------------------------

    def create(self, dep: Deployment, node_id: str | None, change: Change, on: Node | None = None) -> Instance:
        """A new PENDING_CREATE instance of ``dep``, bound to ``node_id`` or (None) to its group;
        ``on``: the group node it is placed on (chosen by the edge, engine.autonomy)."""
        core = self.core
        inst = Instance(
            id=core.partition_id(self.world.home_of(dep)),
            deployment_id=dep.id,
            project_id=dep.project_id,
            node_id=node_id,
            app=dep.app,  # the deployment's document, shared (share_spec below shares its model too)
            group_id=dep.group_id,
            created_at=core.clock.now(),
            phase=WAIT,  # holds nothing until placed
            revision=dep.revision,
        )
        inst.share_spec(dep)
        change.touch(inst)
        change.touch(dep)
        self.world.add_instance(inst)
        dep.instance_ids.append(inst.id)
        change.event(core.events.record(
            "instance.created", instance_id=inst.id, deployment_id=dep.id, node_id=node_id, state=inst.state,
        ))
        self.place(inst, change, on)
        return inst

    def place(self, inst: Instance, change: Change, on: Node | None = None) -> bool:
        """Start the instance (waiting for room) on its node, or the best node of its group (or
        ``on``), if it fits; else it waits on, showing why."""
        node = on or self._fitting_node(inst)
        if node is None:
            reason, message = self.placement.why_waiting(inst)
            if (inst.reason, inst.message) != (reason, message):
                change.touch(inst)
                inst.reason, inst.message = reason, message
                self.world.enqueue(inst)
            self._note_affine_waiting(inst)
            return False
        self._forget_affine_waiting(inst.id)
        change.touch(inst)
        self.world.dequeue(inst)
        if inst.node_id != node.id:
            self.world.move_instance(inst, node.id)
            change.event(self.core.events.record(
                "instance.scheduled", instance_id=inst.id, deployment_id=inst.deployment_id, node_id=node.id,
            ))
        self.containers.begin_pull(inst, "placed", change)
        if on is None and self.out_of_sight(inst):
            # a silent node has not heard of it: it pulls when it reports again (engine.autonomy);
            # ``on`` is a placement the edge made itself, which it knows of at once
            self.world.set_phase(inst, inst.phase, None, inst.reason, f"waiting for node {node.name} to hear of it")
        change.after_commit.append(lambda: self.arm(inst))
        self._retry_affine_waiters(node.id, change)
        return True

    def _note_affine_waiting(self, inst: Instance) -> None:
        if inst.reason == "PodAffinity" and inst.id not in self._affine_waiting:
            self._affine_waiting[inst.id] = None
            undo.on_undo(lambda: self._affine_waiting.pop(inst.id, None))

    def _forget_affine_waiting(self, instance_id: str) -> None:
        if self._affine_waiting.pop(instance_id, 0) is None:
            undo.on_undo(lambda: self._affine_waiting.setdefault(instance_id, None))

    def _retry_affine_waiters(self, node_id: str, change: Change) -> None:
        """The instance just placed may be the pod a waiting instance's required pod affinity
        names: those that wait for one, of the node's groups, try again."""
        if not self._affine_waiting:
            return
        groups = set(self.world.group_ids_of(node_id))
        for instance_id in list(self._affine_waiting):
            waiter = self.world.instances.get(instance_id)
            if waiter is None or waiter.phase != WAIT:
                self._forget_affine_waiting(instance_id)
            elif waiter.group_id in groups:
                self.place(waiter, change)

    def _fitting_node(self, inst: Instance) -> Node | None:
        need = requests_of(inst.spec)
        if inst.node_id is not None:
            node = self.world.nodes.get(inst.node_id)
            if node is not None and node.state == NodeState.RUNNING and need.lacking(self.world.free_on(node)) is None:
                return node
            return None
        return self.placement.best_node(inst.group_id, need, inst.deployment_id)

    def retry_waiting(self, node_id: str, change: Change) -> None:
        """Room may have appeared on ``node_id``: place who waits for it, first come first served."""
        for inst in self.world.waiting_for_node(node_id):
            self.place(inst, change)
        for group_id in self.world.group_ids_of(node_id):
            for inst in self.world.waiting_for_group(group_id):
                self.place(inst, change)

    # --- termination ----------------------------------------------------------------------------

    async def terminate(self, inst: Instance, change: Change) -> None:
        self.stop(inst, change)

    def stop(self, inst: Instance, change: Change) -> None:
        """Graceful stop: TERMINATING now, removed after the drawn termination time.

        An instance with no container (still waiting for room, or finished) goes at once."""
        if inst.phase in HOLDS_NOTHING:
            self.remove(inst, change)
            return
        change.touch(inst)
        self.disarm(inst)
        self.world.dequeue(inst)
        seconds, at_grace = self.containers.stop_time(inst, TERMINATE, running=inst.phase == RUN)
        inst.is_ready = False
        if self.out_of_sight(inst):  # its node cannot be told: it terminates when it hears (engine.autonomy)
            self.lifecycle.move(inst, "terminate", change, due=None,
                                message=f"waiting for node {inst.node_id} to confirm the deletion")
            return
        grace = self.core.settings.simulation.instance.termination_grace_seconds
        message = f"the container does not stop within its {grace:g}s grace period: killed then" if at_grace else None
        self.lifecycle.move(inst, "terminate", change, due=self.core.clock.now() + seconds, message=message)
        change.after_commit.append(lambda: self.arm(inst))

    def terminate_seconds(self, inst: Instance) -> float:
        """How long a termination takes once the node knows of it (its stop time, capped at the grace)."""
        return self.containers.stop_time(inst, TERMINATE, running=inst.phase == RUN)[0]

    def out_of_sight(self, inst: Instance) -> bool:
        """Its node is silent: what the instance does there, the cloud learns on reconnect."""
        node = self.world.nodes.get(inst.node_id or "")
        return node is not None and node.silent_since is not None

    def remove(self, inst: Instance, change: Change) -> None:
        """Gone at once (forced delete, or the end of termination); frees its node for waiters."""
        change.touch(inst)
        self.disarm(inst)
        self.world.remove_instance(inst)
        dep = self.world.deployments.get(inst.deployment_id)
        if dep is not None and inst.id in dep.instance_ids:
            change.touch(dep)
            dep.instance_ids.remove(inst.id)
        change.event(self.core.events.record("instance.removed", instance_id=inst.id, deployment_id=inst.deployment_id))
        if inst.node_id is not None and inst.phase not in HOLDS_NOTHING:
            self.retry_waiting(inst.node_id, change)

    # --- timers ---------------------------------------------------------------------------------

    def arm(self, inst: Instance) -> None:
        if inst.phase == WAIT:
            self._note_affine_waiting(inst)
        if inst.state == InstanceState.UNKNOWN or self.out_of_sight(inst):
            return  # its node is silent: the cloud learns what it did when it returns
        if inst.due is not None and inst.id in self.world.instances:
            self.core.timers.set(f"instance:{inst.id}", inst.due, self._on_timer, inst.id, inst.phase)
        self.containers.arm_readiness(inst)

    def disarm(self, inst: Instance) -> None:
        for key in ("instance", "ready", "migrate"):
            self.core.timers.cancel(f"{key}:{inst.id}")

    def _on_timer(self, instance_id: str, phase: str) -> None:
        inst = self.world.instances.get(instance_id)
        if inst is None or inst.phase != phase:
            return  # the instance moved on after this timer was set
        with self.core.step() as change:
            change.touch(inst)
            held = inst.phase not in HOLDS_NOTHING
            self.DUE[phase](self, inst, change)
            if inst.id in self.world.instances:
                self.arm(inst)
                if held and inst.phase in HOLDS_NOTHING and inst.node_id is not None:
                    self.retry_waiting(inst.node_id, change)  # finished for good: its room is free

    def _terminated(self, inst: Instance, change: Change) -> None:
        self.lifecycle.move(inst, "removed", change, due=None)
        self.remove(inst, change)
        for handler in self._removed:
            handler(inst, change)
