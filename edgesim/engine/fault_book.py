"""The chaos faults in force, and what the simulation asks of them while it runs: whether an
image pull fails, how much slower a container starts, where probes fail. Chaos (``engine.chaos``)
adds, steps and removes the faults; containers only read them here.
"""

from __future__ import annotations

import fnmatch

from edgesim.domain.models import Fault, Instance, Node
from edgesim.engine.behaviors import draw
from edgesim.engine.core import Core
from edgesim.engine.faults import STORED, FaultSpec
from edgesim.engine.probes import Window

ACTIVE, SCHEDULED, ENDED, DELETED = "active", "scheduled", "ended", "deleted"


class FaultBook:
    def __init__(self, core: Core) -> None:
        self.core = core
        self.world = core.world
        self.faults: dict[str, Fault] = {}
        self._specs: dict[str, FaultSpec] = {}

    def spec(self, fault: Fault) -> FaultSpec:
        if fault.id not in self._specs:
            self._specs[fault.id] = FaultSpec.model_validate(fault.spec, context=STORED)
        return self._specs[fault.id]

    def load(self, fault: Fault) -> None:
        self.faults[fault.id] = fault

    def add(self, fault: Fault, spec: FaultSpec) -> None:
        self.faults[fault.id] = fault
        self._specs[fault.id] = spec

    def forget(self, fault_id: str) -> None:
        self.faults.pop(fault_id, None)
        self._specs.pop(fault_id, None)

    def device_hit(self, device_id: str, kind: str) -> bool:
        """Whether an active device fault of ``kind`` hit the device."""
        return any(
            f.state == ACTIVE and f.ended_at is None and device_id in f.devices and self.spec(f).kind == kind for f in self.faults.values()
        )

    def node_hit(self, node_id: str, kind: str) -> Fault | None:
        """The first active fault of ``kind`` (a node fault) that hit the node, if any."""
        for fault in self.faults.values():
            if fault.state == ACTIVE and fault.ended_at is None and node_id in fault.nodes and self.spec(fault).kind == kind:
                return fault
        return None

    def target_nodes(self, spec: FaultSpec) -> list[Node]:
        t = spec.target
        if t.node_ids is not None:
            return [self.world.nodes[n] for n in t.node_ids if n in self.world.nodes]
        group = self.world.groups.get(t.group_id or "")
        members = sorted(n for n in group.node_ids if n in self.world.nodes) if group else []
        size = t.count if t.count is not None else None if t.fraction is None else max(1, round(len(members) * t.fraction))
        if size is not None:
            # the draw's key is the spec as it was before device faults (same seed, same picks)
            key = spec.model_dump_json(exclude={"target": {"device_ids"}})
            members = sorted(self.core.draws.rng("fault-pick", key).sample(members, min(size, len(members))))
        return [self.world.nodes[n] for n in members]

    def hits(self, spec: FaultSpec, inst: Instance) -> bool:
        t = spec.target
        if t.deployment_id is not None:
            return inst.deployment_id == t.deployment_id
        if t.image is not None:
            return fnmatch.fnmatchcase(inst.spec.image_url, t.image)
        if t.node_ids is not None:
            return inst.node_id in t.node_ids
        if t.group_id is not None:
            return inst.node_id is not None and inst.node_id in {n.id for n in self.target_nodes(spec)}
        return False

    @staticmethod
    def _stop(fault: Fault) -> float | None:
        """When the fault stopped being in force (its end, or an earlier delete); None: not yet."""
        if fault.state in (DELETED, ENDED):
            ended = fault.ended_at if fault.ended_at is not None else fault.start
            return ended if fault.end is None else min(fault.end, ended)
        return fault.end

    def _matching(self, kind: str, inst: Instance, at: float) -> list[tuple[Fault, FaultSpec]]:
        """Faults of ``kind`` that are (or, replaying a silent node's past, were) in force at
        ``at`` and hit the instance."""
        found = []
        for fault in self.faults.values():
            spec = self.spec(fault)
            stop = self._stop(fault)
            if spec.kind != kind or at < fault.start or (stop is not None and at >= stop):
                continue
            if not self.hits(spec, inst):
                continue
            found.append((fault, spec))
        return found

    def probe_windows(self, inst: Instance, probe: str) -> list[Window]:
        """Failure windows (ages of the current container) from probe faults on this instance."""
        started = inst.started_at or 0.0
        windows = []
        for fault in self.faults.values():
            spec = self.spec(fault)
            stop = self._stop(fault)
            over = fault.state in (DELETED, ENDED) and (stop is None or stop <= self.core.now())
            if spec.kind != "probe_failure" or spec.probe != probe or over:
                continue  # an ended fault still counts while a silent node's past is replayed
            if not self.hits(spec, inst):
                continue
            until = None if stop is None else stop - started
            if until is not None and until <= 0:
                continue
            windows.append(Window(max(0.0, fault.start - started), until, spec.probability))
        return windows

    def pull_fails(self, inst: Instance) -> str | None:
        """The id of an image-pull fault that makes this pull fail now (at the edge's time
        while a silent node's past is replayed), if any."""
        now = self.core.now()
        for fault, spec in self._matching("image_pull_failure", inst, now):
            if self.core.draws.rng("fault", fault.id, "pull", inst.id, inst.pull_failures).random() < spec.probability:
                return fault.id
        return None

    def extra_start_seconds(self, inst: Instance) -> float:
        now = self.core.now()
        return sum(
            draw(spec.drawn_seconds, self.core.draws.rng("fault", fault.id, "start", inst.id, inst.attempt))
            for fault, spec in self._matching("slow_start", inst, now)
            if self.core.draws.rng("fault", fault.id, "hit", inst.id, inst.attempt).random() < spec.probability
        )
