"""Chaos faults on the simulation clock (the catalog is in ``self.faults``).

A fault is scheduled at its start, active until its end (start + duration) or until deleted,
and every step of it is a clock timer, so faults replay exactly on a virtual clock. Each kind
reaches into the simulation where it acts:

- node faults make nodes go silent (``self.failover``); a crash also stops the containers,
  which restart when the node comes back;
- instance crashes and OOM kills end running containers now (and ``every`` seconds);
- probe failures add failure windows that the probe scanner takes into account;
- image pull failures and slow starts are consulted when an instance pulls or starts;
- API faults are consulted by the HTTP middleware for IEF routes (never ``/edgesim/``);
- a certificate expiry makes the nodes' own certificates expire at its start (``self.certs``):
  connected nodes run on, and cannot reconnect until the fault ends and the certificate is
  renewed, when a node it kept out connects again; with a group target, the group's own
  certificates expire too (and stay expired: a user-made certificate is not renewed);
- upgrade faults are consulted by the node upgrades (``engine.upgrades``): on a hit node an
  upgrade ends in a rollback, or hangs UPGRADING until the fault ends (``upgrade_listeners``).

Every random choice (which nodes of a group, whether a target is hit) is drawn from the seed.
"""

from __future__ import annotations

import fnmatch
from collections.abc import Callable

from edgesim.domain.errors import ReferenceNotFound
from edgesim.domain.models import Cert, Device, Fault, Instance, Node
from edgesim.domain.states import InstanceState, NodeState
from edgesim.engine import undo
from edgesim.engine.behaviors import draw
from edgesim.engine.certs import GROUP, Certs
from edgesim.engine.change import Change
from edgesim.engine.core import Core
from edgesim.engine.failover import CERT_EXPIRED, Failover
from edgesim.engine.fault_book import ACTIVE, DELETED, ENDED, SCHEDULED, FaultBook
from edgesim.engine.faults import (
    API_KINDS,
    CERT_KINDS,
    DEVICE_KINDS,
    INSTANT_KINDS,
    NODE_KINDS,
    UPGRADE_KINDS,
    FaultSpec,
    Target,
)
from edgesim.engine.instances import Instances
from edgesim.engine.world import HOLDS_NOTHING
from edgesim.store.sqlite import Put


class Chaos:
    def __init__(self, core: Core, book: FaultBook, failover: Failover, instances: Instances, certs: Certs) -> None:
        self.core = core
        self.certs = certs
        self.world = core.world
        self.book = book
        self.failover = failover
        self.instances = instances
        self._api_requests = 0  # numbers each IEF request for seeded API fault draws
        # told when a device fault starts or ends on a device (its online state or its reports change)
        self.device_listeners: list[Callable[[Device, Change], None]] = []
        self.devices_state: Callable[[Device], str] = lambda device: "offline"  # engine.devices.state, wired by the engine
        # told (node, change) when an upgrade fault stops being in force on a node it hit (a
        # hung upgrade carries on)
        self.upgrade_listeners: list[Callable[[Node, Change], None]] = []

    @property
    def faults(self) -> dict[str, Fault]:
        return self.book.faults

    def visible(self) -> list[Fault]:
        return [f for f in self.faults.values() if f.state != DELETED]

    # --- commands -------------------------------------------------------------------------------

    async def add(self, spec: FaultSpec) -> Fault:
        self._check_targets(spec.target)
        now = self.core.clock.now()
        start = now if spec.start is None else max(spec.start, now)
        async with self.core.command() as change:
            fault = Fault(
                id=self.core.ids.next(), spec=spec.stored(), start=start,
                end=None if spec.duration is None else start + spec.duration, created_at=now, next_due=start,
            )
            self.book.add(fault, spec)
            undo.on_undo(lambda: self.book.forget(fault.id))
            change.event(self.core.events.record("fault.added", fault_id=fault.id, fault_kind=spec.kind, start=start, end=fault.end))
            if spec.kind == "probe_failure":  # running containers must see the new failure window
                await self._replan_probes(fault, change)
            if start <= now:  # starts now: in force before this call answers
                fault.state, fault.started_at = ACTIVE, now
                await self._activate(fault, change)
                fault.next_due = self._next_step(fault, now)
            change.after_commit.append(lambda: self.arm(fault))
            change.extra.append(self._put(fault))
        return fault

    async def delete(self, fault_id: str) -> Fault | None:
        fault = self.faults.get(fault_id)
        if fault is None or fault.state == DELETED:
            return None
        async with self.core.command() as change:
            self._touch(fault)
            if fault.state == ACTIVE:
                await self._deactivate(fault, change)
            fault.state, fault.next_due = DELETED, None
            fault.ended_at = fault.ended_at or self.core.clock.now()
            self.core.timers.cancel(f"fault:{fault.id}")
            if self.book.spec(fault).kind == "probe_failure":
                await self._replan_probes(fault, change)
            change.event(self.core.events.record("fault.deleted", fault_id=fault.id))
            change.extra.append(self._put(fault))
        return fault

    def _check_targets(self, target: Target) -> None:
        """A fault's nodes, group and deployment must exist: one aimed at nothing is a mistake."""
        for i, node_id in enumerate(target.node_ids or []):
            if node_id not in self.world.nodes:
                raise ReferenceNotFound(f"edge node {node_id} not found", field=f"target.node_ids[{i}]")
        if target.group_id is not None and target.group_id not in self.world.groups:
            raise ReferenceNotFound(f"node group {target.group_id} not found", field="target.group_id")
        if target.deployment_id is not None and target.deployment_id not in self.world.deployments:
            raise ReferenceNotFound(f"deployment {target.deployment_id} not found", field="target.deployment_id")
        for i, device_id in enumerate(target.device_ids or []):
            if device_id not in self.world.devices:
                raise ReferenceNotFound(f"device {device_id} not found", field=f"target.device_ids[{i}]")

    def _touch(self, fault: Fault) -> None:
        """Call before changing a fault: a failed command puts it back as it is now."""
        before = fault.to_dict()
        undo.on_undo(lambda: self.faults.__setitem__(fault.id, Fault.from_dict(before)))

    def _put(self, fault: Fault) -> Put:
        return Put("fault", fault.id, fault.to_dict())

    # --- the fault's own timeline -------------------------------------------------------------------

    def arm(self, fault: Fault) -> None:
        if fault.state in (SCHEDULED, ACTIVE) and fault.next_due is not None:
            self.core.timers.set(f"fault:{fault.id}", fault.next_due, self._step, fault.id)

    async def _step(self, fault_id: str) -> None:
        fault = self.faults.get(fault_id)
        if fault is None or fault.state not in (SCHEDULED, ACTIVE):
            return
        spec, now = self.book.spec(fault), self.core.clock.now()
        with self.core.step() as change:
            self._touch(fault)
            if fault.state == SCHEDULED:
                fault.state, fault.started_at = ACTIVE, now
                await self._activate(fault, change)
            elif fault.end is not None and now >= fault.end:
                await self._deactivate(fault, change)
                fault.state, fault.ended_at = ENDED, now
            elif spec.kind == "node_flap":
                await self._flap(fault, change)
            elif spec.kind in INSTANT_KINDS:
                await self._fire_instant(fault, change)
            fault.next_due = self._next_step(fault, now)
            self.arm(fault)
            change.extra.append(self._put(fault))

    def _next_step(self, fault: Fault, now: float) -> float | None:
        if fault.state != ACTIVE:
            return None
        spec = self.book.spec(fault)
        candidates = [fault.end] if fault.end is not None else []
        if spec.kind == "node_flap":
            candidates.append(now + (spec.down if fault.flap_down else spec.up))
        elif spec.kind in INSTANT_KINDS and spec.every is not None:
            candidates.append(now + spec.every)
        return min(candidates, default=None)

    async def _activate(self, fault: Fault, change) -> None:
        spec = self.book.spec(fault)
        if spec.kind in NODE_KINDS + CERT_KINDS + UPGRADE_KINDS:
            rng = self.core.draws.rng("fault", fault.id, "nodes")
            fault.nodes = [n.id for n in self.book.target_nodes(spec) if rng.random() < spec.probability]
        if spec.kind in DEVICE_KINDS:
            await self._hit_devices(fault, spec, change)
            return
        group_certs = self._hit_group_certs(fault, spec)
        certs = {"certs": [c.id for c in group_certs]} if spec.kind in CERT_KINDS and spec.target.group_id else {}
        change.event(self.core.events.record("fault.started", fault_id=fault.id, fault_kind=spec.kind, nodes=fault.nodes, **certs))
        if spec.kind in NODE_KINDS:
            if spec.kind == "node_flap":
                await self._flap(fault, change)
            else:
                for node in self._nodes(fault):
                    self._silence(node, fault, change, crash=spec.kind == "node_crash")
        elif spec.kind in INSTANT_KINDS:
            await self._fire_instant(fault, change)
        elif spec.kind in CERT_KINDS:
            for node in self._nodes(fault):
                self.certs.expire_system_early(node, self.core.clock.now(), change)
            for cert in group_certs:
                self.certs.expire_now(cert, change)

    async def _deactivate(self, fault: Fault, change) -> None:
        spec = self.book.spec(fault)
        if spec.kind in NODE_KINDS:
            for node in self._nodes(fault):
                if node.silent_since is not None:
                    await self.failover.back(node, change)
            fault.flap_down = False
        elif spec.kind in CERT_KINDS:
            for node in self._nodes(fault):
                self.certs.renew_system(node, change)
                if node.error_reason == CERT_EXPIRED:  # its agent kept trying: it connects now
                    await self.failover.back(node, change)
        change.event(self.core.events.record("fault.ended", fault_id=fault.id, fault_kind=spec.kind))
        if spec.kind in UPGRADE_KINDS:
            fault.ended_at = self.core.clock.now()  # no longer in force (FaultBook.node_hit)
            for node in self._nodes(fault):
                for upgrade_listener in self.upgrade_listeners:
                    upgrade_listener(node, change)
        if spec.kind in DEVICE_KINDS:
            fault.ended_at = self.core.clock.now()  # no longer in force (FaultBook.device_hit)
            for device in self._devices(fault):
                if spec.kind == "device_offline" and self.devices_state(device) == "online":
                    change.event(self.core.events.record("device.online", device_id=device.id, node_id=device.node_id))
                for listener in self.device_listeners:
                    listener(device, change)

    async def _hit_devices(self, fault: Fault, spec: FaultSpec, change: Change) -> None:
        """Draw which target devices the fault hits, then put it in force on them."""
        rng = self.core.draws.rng("fault", fault.id, "devices")
        hit = [d for d in spec.target.device_ids or [] if d in self.world.devices and rng.random() < spec.probability]
        was_online = {d: self.devices_state(self.world.devices[d]) == "online" for d in hit}
        fault.devices = hit
        change.event(self.core.events.record("fault.started", fault_id=fault.id, fault_kind=spec.kind, devices=hit))
        for device in self._devices(fault):
            if spec.kind == "device_offline" and was_online[device.id]:
                change.event(self.core.events.record("device.offline", device_id=device.id, node_id=device.node_id))
            for listener in self.device_listeners:
                listener(device, change)

    def _hit_group_certs(self, fault: Fault, spec: FaultSpec) -> list[Cert]:
        """A cert_expiry fault on a group: which of the group's certificates it hits (each with
        ``probability``, drawn once at its start)."""
        if spec.kind not in CERT_KINDS or spec.target.group_id is None:
            return []
        rng = self.core.draws.rng("fault", fault.id, "group-certs")
        return [c for c in self.certs.of(GROUP, spec.target.group_id) if rng.random() < spec.probability]

    def _devices(self, fault: Fault) -> list[Device]:
        return [self.world.devices[d] for d in fault.devices if d in self.world.devices]

    async def _flap(self, fault: Fault, change) -> None:
        fault.flap_down = not fault.flap_down
        for node in self._nodes(fault):
            if fault.flap_down:
                self._silence(node, fault, change, crash=False)
            elif node.silent_since is not None:
                await self.failover.back(node, change)

    def _silence(self, node: Node, fault: Fault, change, crash: bool) -> None:
        if node.state not in (NodeState.RUNNING, NodeState.FAIL, NodeState.UPGRADING):  # upgrading: it fails
            return
        if crash:
            change.touch(node)
            if not node.crashed:
                node.crashed, node.crashed_at = True, self.core.clock.now()
            for inst in self.world.instances_on(node.id):
                self.instances.disarm(inst)  # the containers are gone; nothing runs on
        self.failover.go_silent(node, change, reason=f"fault {fault.id} ({self.book.spec(fault).kind})")

    async def _fire_instant(self, fault: Fault, change) -> None:
        spec = self.book.spec(fault)
        fault.firings += 1
        rng = self.core.draws.rng("fault", fault.id, "firing", fault.firings)
        code, reason = (137, "OOMKilled") if spec.kind == "oom_kill" else (spec.exit_code, "Error" if spec.exit_code else "Completed")
        for inst in self._target_instances(spec):
            edge = self._at_silent_edge(inst)
            if edge is not None:
                if edge and rng.random() < spec.probability:  # it acts there; the cloud learns on reconnect
                    self._hit_at_edge(inst, fault, change, code=code, reason=reason)
                continue
            if inst.state == InstanceState.RUNNING and rng.random() < spec.probability:
                change.event(self.core.events.record(
                    "fault.hit", fault_id=fault.id, fault_kind=spec.kind, instance_id=inst.id, deployment_id=inst.deployment_id,
                ))
                self.instances.containers.kill(inst, change, code=code, reason=reason,
                                                            message=f"killed by fault {fault.id} ({spec.kind})")

    def _at_silent_edge(self, inst: Instance) -> bool | None:
        """None: the cloud sees the instance's node (a fault acts live). Else its node is silent:
        True if a container may run there (the fault acts at the edge, engine.autonomy), False
        if nothing can (the node crashed, or the instance holds no container)."""
        node = self.world.nodes.get(inst.node_id or "")
        if node is None or node.silent_since is None:
            return None
        return not node.crashed and inst.phase not in HOLDS_NOTHING and inst.replaced_by is None

    def _hit_at_edge(self, inst: Instance, fault: Fault, change: Change, **what: object) -> None:
        change.touch(inst)
        inst.edge_faults.append({"at": self.core.clock.now(), "fault_id": fault.id,
                                 "kind": self.book.spec(fault).kind, **what})

    # --- targets --------------------------------------------------------------------------------

    def _nodes(self, fault: Fault) -> list[Node]:
        return [self.world.nodes[n] for n in fault.nodes if n in self.world.nodes]

    def _target_instances(self, spec: FaultSpec) -> list[Instance]:
        return sorted((i for i in self.world.instances.values() if self.book.hits(spec, i)), key=lambda i: (i.created_at, i.id))

    def api_effects(self, method: str, path: str) -> tuple[float, tuple[int, str, str] | None]:
        """For one IEF request: wall seconds of injected latency, and an injected error or None."""
        self._api_requests += 1
        latency, error = 0.0, None
        for fault in self.faults.values():
            spec = self.book.spec(fault)
            if spec.kind not in API_KINDS or fault.state != ACTIVE:
                continue
            t = spec.target
            if t.method not in (None, "*", method) or (t.path is not None and not fnmatch.fnmatchcase(path, t.path)):
                continue
            rng = self.core.draws.rng("fault", fault.id, "request", self._api_requests)
            if rng.random() >= spec.probability:
                continue
            if spec.kind == "api_latency":
                latency += draw(spec.drawn_seconds, rng)
            elif error is None:
                error = (spec.status, spec.error_code, spec.error_msg)
        return latency, error

    async def _replan_probes(self, fault: Fault, change) -> None:
        spec = self.book.spec(fault)
        for inst in self._target_instances(spec):
            edge = self._at_silent_edge(inst)
            if edge is not None:
                if edge:  # the edge replans its probes from now; the cloud learns on reconnect
                    self._hit_at_edge(inst, fault, change, replan=True)
                continue
            if inst.state == InstanceState.RUNNING:
                change.touch(inst)
                self.instances.containers.replan(inst)
                change.after_commit.append(lambda inst=inst: self.instances.arm(inst))
