"""Edge autonomy: what a node does while the cloud cannot see it, learned when it reports again.

KubeEdge's edge core keeps running its pods when the link to the cloud is down: a crash-looping
container keeps restarting, one that exits ends there. So while a node is silent (partitioned,
flapping, stopped) its instances' timers are not armed: the cloud hears nothing. When the node
reports again the cloud catches up: every step due meanwhile (pulls, starts, exits, restarts,
readiness changes, terminations the node had been told of) runs in edge-time order, each at
the moment it happened at the edge. Their events carry ``edge_time`` (when it happened) and
``time`` (now, when the cloud learned it), so the log stays ordered by time and a seed gives
the same log.

A crashed node (powered off) is different: nothing ran. Its containers died at the crash
(``instance.exited`` dated then, code 255 ``Unknown`` as the runtime reports a lost task) and
the rebooted node starts them again as a kubelet does on boot: at once, with no back-off left
from before (the kubelet keeps its back-off in memory); an interrupted pull or start begins
again.

What reaches the edge but not the cloud waits on the instance: a chaos fault that hit it there
(``edge_faults``, replayed at its time with the node's steps) and a restart the API accepted
(``restart_requested``, done at the reconnect). An instance the cloud placed on the node while
it was silent has no pull timer until the node hears of it (``deliver_placements``).

Offline self-healing (the v3 annotation ``autonomy_edge_selector``, naming the deployment's
node group): when a node of that group crashes, the group's other nodes see it fail after the
same grace period as the cloud and recreate its instances on one of them that is still up,
connected to the cloud or not, at once, without waiting for the cloud's toleration. A node
that is only cut off from the cloud still runs its containers, so nothing moves off it.

Deletions wait for the node: a graceful delete of an instance on a silent node stays
TERMINATING until the node hears of it, then it terminates there and confirms. A forced
delete removes the record at once; the node removes the container when it reports again.
"""

from __future__ import annotations

import functools

from edgesim.domain.models import Deployment, Instance, Node
from edgesim.domain.resources import requests_of
from edgesim.domain.states import InstanceState, NodeState
from edgesim.engine.behaviors import draw
from edgesim.engine.change import Change
from edgesim.engine.containers import BACKOFF_START
from edgesim.engine.core import Core
from edgesim.engine.instances import Instances
from edgesim.engine.lifecycle import BACKOFF, PULL, PULL_BACKOFF, RUN, START, TERMINATE, allows
from edgesim.engine.world import HOLDS_NOTHING

REBOOT = "reboot"  # draw key of a step begun again after a reboot
RUNNING_RUN = f"{InstanceState.RUNNING}:{RUN}"  # a container runs
# containerd's CRI for a container that was running when its task vanished (a reboot):
# unknownExitCode / unknownExitReason (pkg/cri/server/container_status.go)
LOST_EXIT_CODE, LOST_EXIT_REASON = 255, "Unknown"
SELF_HEALING = "autonomy_edge_selector"  # the v3 annotation naming the group to reschedule in


def self_healing_group(dep: Deployment) -> str | None:
    """The node group the deployment's instances are rescheduled in at the edge, if any."""
    group_id = (dep.annotations or {}).get(SELF_HEALING)
    return group_id if group_id and group_id == dep.group_id else None


def alive(node: Node) -> bool:
    """The node runs containers: connected, or only cut off from the cloud (not crashed)."""
    return not node.crashed and (node.state == NodeState.RUNNING or
                                 (node.state == NodeState.FAIL and node.silent_since is not None))


class EdgeAutonomy:
    def __init__(self, core: Core, instances: Instances) -> None:
        self.core = core
        self.world = core.world
        self.instances = instances

    # --- a partitioned node: it ran on -----------------------------------------------------------

    def catch_up(self, insts: list[Instance], until: float, change: Change) -> None:
        """Run every step and readiness change due by ``until`` at the edge, oldest first
        (across the node's instances: the log reads as the edge lived it)."""
        while True:
            due = [(t, order, inst.created_at, inst.id, inst) for inst in insts
                   for t, order in self._edge_moments(inst) if t <= until]
            if not due:
                return
            when, order, _, _, inst = min(due, key=lambda d: d[:4])
            change.touch(inst)
            if inst.phase == TERMINATE:  # the node confirms now: the record goes (and frees room) now
                Instances.DUE[TERMINATE](self.instances, inst, change)
                continue
            with self.core.at_edge(when):
                if order == 0:
                    Instances.DUE[inst.phase or ""](self.instances, inst, change)
                elif order == 1:
                    self.instances.containers.readiness_changed(inst, change)
                else:
                    self._fault_at_edge(inst, change)

    def _edge_moments(self, inst: Instance) -> list[tuple[float, int]]:
        if inst.id not in self.world.instances or inst.state == InstanceState.UNKNOWN:
            return []
        moments = []
        if inst.due is not None and inst.phase in Instances.DUE:
            moments.append((inst.due, 0))
        if inst.readiness is not None and inst.state == InstanceState.RUNNING:
            moments.append((inst.readiness["due"], 1))
        if inst.edge_faults:  # kept in the order they hit: the first is the next
            moments.append((inst.edge_faults[0]["at"], 2))
        return moments

    def _fault_at_edge(self, inst: Instance, change: Change) -> None:
        """A chaos fault hit the instance at the edge while the cloud could not see: it kills
        the container if one ran then (a probe fault replans its probes from then)."""
        hit = inst.edge_faults.pop(0)
        containers = self.instances.containers
        if hit.get("replan"):
            if inst.phase == RUN:
                containers.replan(inst)
            return
        if inst.step != RUNNING_RUN:
            return  # no container ran at that moment: nothing to kill
        change.event(self.core.events.record(
            "fault.hit", fault_id=hit["fault_id"], fault_kind=hit["kind"], instance_id=inst.id, deployment_id=inst.deployment_id,
        ))
        containers.kill(inst, change, code=hit["code"], reason=hit["reason"],
                        message=f"killed by fault {hit['fault_id']} ({hit['kind']})")

    def forget_edge_faults(self, insts: list[Instance], change: Change) -> None:
        """Hits after the moment caught up to (a later crash: nothing ran) did nothing."""
        for inst in insts:
            if inst.edge_faults:
                change.touch(inst)
                inst.edge_faults = []

    # --- offline self-healing --------------------------------------------------------------------

    def self_heal(self, inst: Instance, node: Node, change: Change) -> bool:
        """``inst`` was lost with its crashed ``node``: recreate it on a live node of its
        deployment's self-healing group now. False if it has none, or no node there has room."""
        dep = self.world.deployments.get(inst.deployment_id)
        group_id = self_healing_group(dep) if dep is not None and node.crashed else None
        if dep is None or group_id is None or inst.replaced_by is not None:
            return False
        target = self.instances.placement.best_node(
            group_id, requests_of(inst.spec), dep.id, usable=lambda n: n.id != node.id and alive(n))
        if target is None:
            return False
        replacement = self.instances.create(dep, None, change, on=target)
        inst.replaced_by = replacement.id
        self.instances.lifecycle.move(inst, "migrated", change, due=None, reason="Migrated",
                                      message=f"recreated as {replacement.id} by the edge; removed when its node returns")
        change.event(self.core.events.record(
            "instance.migrated", deployment_id=dep.id, instance_id=inst.id, new_instance_id=replacement.id,
            from_node=node.id, to_node=target.id, reason="EdgeSelfHealing",
        ))
        return True

    # --- a crashed node: it reboots --------------------------------------------------------------

    def reboot(self, insts: list[Instance], crashed_at: float, change: Change) -> None:
        """The node is back from a crash at ``crashed_at``: its containers died then and start
        again now; interrupted pulls and starts begin again."""
        now = self.core.clock.now()
        for inst in insts:
            if inst.id not in self.world.instances or inst.phase in HOLDS_NOTHING:
                continue
            change.touch(inst)
            self.instances.disarm(inst)
            if inst.phase == RUN:
                self._died_at(inst, crashed_at, change)
            if inst.phase in (BACKOFF, START) and inst.state != InstanceState.PENDING_CREATE:
                # the kubelet's back-off lives in memory: after a boot the restart is at once
                inst.next_backoff = BACKOFF_START
                self._again(inst, now, "restarting at once: the node rebooted")
            elif inst.phase == START:
                seconds = draw(self.instances.containers.profile(inst).start.seconds,
                               self.core.draws.rng(inst.id, START, REBOOT, inst.attempt))
                self._again(inst, now + seconds, "starting container again: the node rebooted")
            elif inst.phase == PULL and inst.due is not None:  # one it never heard of: deliver_placements
                seconds = draw(self.instances.containers.profile(inst).pull.seconds,
                               self.core.draws.rng(inst.id, PULL, REBOOT, inst.pull_failures))
                self._again(inst, now + seconds, "pulling again: the node rebooted")
            elif inst.phase in (PULL_BACKOFF, TERMINATE):  # nothing left to wait for
                self._again(inst, now, inst.message)
            change.after_commit.append(functools.partial(self.instances.arm, inst))

    def _died_at(self, inst: Instance, crashed_at: float, change: Change) -> None:
        started = inst.started_at if inst.started_at is not None else crashed_at
        # what the kubelet reports after the reboot: the runtime lost the task, so containerd's
        # CRI answers its unknown exit (code 255, reason Unknown), not a kill's 137
        inst.exit = {"age": max(0.0, crashed_at - started), "code": LOST_EXIT_CODE, "reason": LOST_EXIT_REASON,
                     "message": "the node crashed; the container died with it (its exit status was lost)"}
        with self.core.at_edge(crashed_at):
            self.instances.containers.ended(inst, change)

    def _again(self, inst: Instance, due: float, message: str | None) -> None:
        self.world.set_phase(inst, inst.phase, due, inst.reason, message)

    # --- what the cloud decided while the node could not hear ------------------------------------

    def deliver_placements(self, insts: list[Instance], change: Change) -> None:
        """Instances placed on the node while it was silent (before it was FAIL): it hears of
        them now and pulls from now, not from when they were placed."""
        now = self.core.clock.now()
        for inst in insts:
            if inst.id in self.world.instances and inst.phase == PULL and inst.due is None:
                change.touch(inst)
                self._again(inst, now + self.instances.containers.pull_seconds(inst), f"pulling image {inst.spec.image_url}")

    def deliver_restarts(self, insts: list[Instance], change: Change, *, rebooted: bool) -> None:
        """Restarts the API accepted while the node was silent: its kubelet restarts the
        container now, after what it did meanwhile. A rebooted node has just started its
        containers anyway, and a container that is not there (ended, deleted) has none."""
        for inst in insts:
            if inst.id not in self.world.instances or inst.restart_requested is None:
                continue
            change.touch(inst)
            inst.restart_requested = None
            if not rebooted and inst.state != InstanceState.PENDING_CREATE and allows(inst, "restart"):
                self.instances.containers.restart(inst, change)

    def deliver_deletes(self, insts: list[Instance], change: Change) -> None:
        """Graceful deletes made while the node was silent reach it now: it terminates them."""
        for inst in insts:
            if inst.id in self.world.instances and inst.phase == TERMINATE and inst.due is None:
                change.touch(inst)
                self._again(inst, self.core.clock.now() + self.instances.terminate_seconds(inst), None)
                change.after_commit.append(functools.partial(self.instances.arm, inst))

    def clean_up_forced(self, node: Node, change: Change) -> None:
        """Containers of instances force-deleted while the node was silent go now."""
        if not node.cleanup_on_return:
            return
        change.touch(node)
        for gone in node.cleanup_on_return:
            change.event(self.core.events.record(
                "instance.cleaned_up", instance_id=gone["instance_id"], deployment_id=gone["deployment_id"],
                node_id=node.id, reason="ForceDeleted",
            ))
        node.cleanup_on_return = []
