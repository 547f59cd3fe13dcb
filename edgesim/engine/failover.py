"""Node loss, toleration and migration (ief-api.md section 7).

Heartbeats are derived, not polled: a connected node reports every heartbeat period; when it
goes silent (a partition, a stop, a fault) one timer is set for its last heartbeat + grace.
When it fires the node is lost: a RUNNING node turns FAIL, and its instances turn UNKNOWN
(reason ``NodeLost``, not ready). From the silence on their timers are not armed: the
containers run on at the edge, and the cloud catches up when the node returns
(``engine.autonomy``).

Instances of group deployments with ``migration`` are recreated on another node of the group
``toleration_seconds`` after their node's eviction, which the node controller's rate limiter
paces (``engine.evictions``; placement as usual; without room they wait for it). The stale
copy stays UNKNOWN (reason ``Migrated``) until its node returns and it is cleaned up.
"""

from __future__ import annotations

import functools

from edgesim.domain.models import Instance, Node
from edgesim.domain.states import InstanceState, NodeState
from edgesim.engine.autonomy import EdgeAutonomy
from edgesim.engine.change import Change
from edgesim.engine.core import Core
from edgesim.engine.evictions import Evictions, evicted
from edgesim.engine.instances import Instances
from edgesim.engine.lifecycle import recover_trigger
from edgesim.engine.node_state import set_node_state
from edgesim.engine.world import WAIT

CERT_EXPIRED = "certificate expired"  # why a node with an expired certificate stays FAIL
REFUSALS = (CERT_EXPIRED,)  # the reasons a connect gate gives (cleared when the node is let in)


class Failover:
    def __init__(self, core: Core, instances: Instances) -> None:
        self.core = core
        self.world = core.world
        self.instances = instances
        self.autonomy = EdgeAutonomy(core, instances)
        self.evictions = Evictions(core, self._tainted)

    @property
    def _timings(self):
        return self.core.settings.simulation.node

    def last_heartbeat(self, node: Node) -> float | None:
        """When the node last reported (derived from the clock), or None if it never did."""
        if node.state in (NodeState.UNCONNECTED,) and node.silent_since is None:
            return None
        period = self._timings.heartbeat_seconds
        until = node.silent_since if node.silent_since is not None else self.core.clock.now()
        return max(node.created_at, until - (until - node.created_at) % period)

    def lost_due(self, node: Node) -> float:
        """When a silent node is marked FAIL: its last heartbeat plus the grace period (the
        node controller's node-monitor-grace-period counts from the last status update, not
        from the start of the silence)."""
        assert node.silent_since is not None
        last = self.last_heartbeat(node)
        return (node.silent_since if last is None else last) + self._timings.grace_seconds

    # --- going silent and coming back ---------------------------------------------------------------

    def go_silent(self, node: Node, change: Change, reason: str) -> None:
        """The node's agent stops reporting now; it is lost after the grace period."""
        if node.silent_since is not None:
            return
        change.touch(node)
        node.silent_since = self.core.clock.now()
        for inst in self.world.instances_on(node.id):
            self.instances.disarm(inst)  # what it does now, the cloud learns on return (engine.autonomy)
        change.event(self.core.events.record("node.silent", node_id=node.id, reason=reason))
        change.after_commit.append(lambda: self.arm(node))

    def arm(self, node: Node) -> None:
        if node.silent_since is not None and node.lost_at is None and node.id in self.world.nodes:
            due = self.lost_due(node)
            self.core.timers.set(f"node-lost:{node.id}", due, self._grace_over, node.id)
        if node.lost_at is not None and not evicted(node):
            self.evictions.arm(node.project_id, again=False)
        for inst in self.world.instances_on(node.id):
            self.arm_migration(inst)

    async def back(self, node: Node, change: Change) -> None:
        """The node reports again: it is RUNNING, its instances carry on, stale copies go."""
        refusal = next((r for r in (gate(node) for gate in self.core.connect_gates) if r), None)
        if refusal is not None:
            self._refuse(node, refusal, change)
            return
        if node.error_reason in REFUSALS:
            change.touch(node)
            node.error_reason = ""
        change.touch(node)
        self.core.timers.cancel(f"node-lost:{node.id}")
        was_lost, was_silent = node.lost_at is not None, node.silent_since is not None
        crashed_at = (node.crashed_at if node.crashed_at is not None else node.silent_since) if node.crashed else None
        node.silent_since = None
        node.lost_at = None
        node.error_reason = ""
        node.crashed, node.crashed_at = False, None
        if node.state != NodeState.RUNNING:
            set_node_state(self.core, node, NodeState.RUNNING, change)
        on_node = sorted(self.world.instances_on(node.id), key=lambda i: (i.created_at, i.id))
        if was_lost:
            for inst in on_node:
                await self._recover(inst, change)
        if was_silent:  # what the node did meanwhile reaches the cloud now (engine.autonomy)
            self.autonomy.catch_up(on_node, self.core.clock.now() if crashed_at is None else crashed_at, change)
            self.autonomy.forget_edge_faults(on_node, change)
            if crashed_at is not None:
                self.autonomy.reboot(on_node, crashed_at, change)
            self.autonomy.deliver_placements(on_node, change)
            self.autonomy.deliver_restarts(on_node, change, rebooted=crashed_at is not None)
            self.autonomy.deliver_deletes(on_node, change)
            self.autonomy.clean_up_forced(node, change)
            for inst in on_node:
                change.after_commit.append(functools.partial(self.instances.arm, inst))
        self.instances.retry_waiting(node.id, change)
        if was_lost:  # one more ready node: evictions the zone held may go on
            self.evictions.reconsider(node.project_id)
        for listener in self.core.reconnect_listeners:
            listener(node, change)

    def _refuse(self, node: Node, reason: str, change: Change) -> None:
        """The node's agent cannot connect: it stays (or turns) FAIL and says why."""
        change.touch(node)
        if node.state != NodeState.FAIL:
            set_node_state(self.core, node, NodeState.FAIL, change)
        node.error_reason = reason
        change.event(self.core.events.record("node.refused", node_id=node.id, reason=reason))

    # --- lost ----------------------------------------------------------------------------------------

    async def _grace_over(self, node_id: str) -> None:
        node = self.world.nodes.get(node_id)
        if node is None or node.silent_since is None or node.lost_at is not None:
            return
        with self.core.step() as change:
            change.touch(node)
            node.lost_at = self.core.clock.now()
            if node.state == NodeState.RUNNING:
                # what the console shows beside a FAIL node (EdgeNodeResp.error_reason)
                last = self.last_heartbeat(node)
                node.error_reason = (f"the edge node has not reported since {node.silent_since if last is None else last:g} s "
                                     f"(no heartbeat for {self._timings.grace_seconds:g} s)")
                set_node_state(self.core, node, NodeState.FAIL, change)
            for inst in sorted(self.world.instances_on(node.id), key=lambda i: (i.created_at, i.id)):
                await self._lose(inst, node, change)
            self.evictions.reconsider(node.project_id)  # toleration counts from the taint

    async def _lose(self, inst: Instance, node: Node, change: Change) -> None:
        if inst.state in (InstanceState.TERMINATING, InstanceState.UNKNOWN) or inst.phase == WAIT:
            return  # terminating ones finish anyway; waiting ones run nothing there
        change.touch(inst)
        self.instances.disarm(inst)
        inst.lost = {"state": inst.state, "reason": inst.reason, "message": inst.message,
                     "phase": inst.phase, "due": inst.due, "is_ready": inst.is_ready}
        inst.is_ready = False  # the cloud cannot tell: not ready (Ready=Unknown) while UNKNOWN
        self.instances.lifecycle.move(inst, "node_lost", change, due=inst.due, reason="NodeLost",
                                             message=f"node {node.name} stopped reporting")
        self.autonomy.self_heal(inst, node, change)  # the edge may recreate it at once

    def _tainted(self, node: Node, at: float, change: Change) -> None:
        """The node controller evicts from the lost node from ``at``: group instances with
        ``migration`` move ``toleration_seconds`` later (taint-based eviction)."""
        for inst in sorted(self.world.instances_on(node.id), key=lambda i: (i.created_at, i.id)):
            if inst.state != InstanceState.UNKNOWN or inst.replaced_by is not None or inst.migrate_due is not None:
                continue
            dep = self.world.deployments.get(inst.deployment_id)
            spec = dep.spec if dep is not None and dep.group_id is not None else None
            if spec is not None and spec.migration:
                change.touch(inst)
                inst.migrate_due = at + float(spec.toleration_seconds)
                change.after_commit.append(functools.partial(self.arm_migration, inst))

    async def _recover(self, inst: Instance, change: Change) -> None:
        change.touch(inst)
        self.core.timers.cancel(f"migrate:{inst.id}")
        inst.migrate_due = None
        if inst.replaced_by is not None:
            replacement = self.world.instances.get(inst.replaced_by)
            if replacement is not None and replacement.phase == WAIT:
                # the copy made elsewhere never got a node: keep this one, drop that one
                change.event(self.core.events.record(
                    "instance.migration_undone", instance_id=inst.id, deployment_id=inst.deployment_id,
                    new_instance_id=replacement.id, node_id=inst.node_id,
                ))
                self.instances.remove(replacement, change)
                inst.replaced_by = None
            else:
                self.instances.remove(inst, change)
                change.event(self.core.events.record(
                    "instance.cleaned_up", instance_id=inst.id, deployment_id=inst.deployment_id, node_id=inst.node_id,
                ))
                return
        lost, inst.lost = inst.lost, None
        if lost is not None and inst.state == InstanceState.UNKNOWN:
            inst.is_ready = lost.get("is_ready", inst.is_ready)
            self.instances.lifecycle.move(inst, recover_trigger(lost["state"], lost["phase"]), change,
                                                 due=lost["due"], reason=lost["reason"], message=lost["message"])
        change.after_commit.append(lambda: self.instances.arm(inst))

    # --- migration -----------------------------------------------------------------------------------

    def arm_migration(self, inst: Instance) -> None:
        if inst.migrate_due is not None and inst.id in self.world.instances:
            self.core.timers.set(f"migrate:{inst.id}", inst.migrate_due, self._migrate, inst.id)

    def _migrate(self, instance_id: str) -> None:
        inst = self.world.instances.get(instance_id)
        dep = self.world.deployments.get(inst.deployment_id) if inst else None
        if inst is None or inst.migrate_due is None or inst.state != InstanceState.UNKNOWN or dep is None:
            return
        with self.core.step() as change:
            change.touch(inst)
            inst.migrate_due = None
            from_node = inst.node_id
            replacement = self.instances.create(dep, None, change)
            inst.replaced_by = replacement.id
            # a stale copy holds nothing; ``lost`` keeps what it was, should its node come back
            # before the copy made elsewhere finds a node
            self.instances.lifecycle.move(inst, "migrated", change, due=None, reason="Migrated",
                                                 message=f"recreated as {replacement.id}; removed when its node returns")
            change.event(self.core.events.record(
                "instance.migrated", deployment_id=dep.id, instance_id=inst.id, new_instance_id=replacement.id,
                from_node=from_node, to_node=replacement.node_id, reason="NodeLost",
            ))
