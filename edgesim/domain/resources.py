"""Compute resources an instance asks for and a node offers, in the API's units.

cpu in cores, memory in MB, gpu in MB of GPU memory, npu as a count.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from edgesim.domain.app_spec import Amounts as AppAmounts
from edgesim.domain.app_spec import Resources

KINDS = ("cpu", "memory", "gpu", "npu")


@dataclass(frozen=True, slots=True)
class Amounts:
    cpu: float = 0.0
    memory: float = 0.0
    gpu: float = 0.0
    npu: float = 0.0

    # spelled out: these run for every placement decision
    def __add__(self, other: Amounts) -> Amounts:
        return Amounts(self.cpu + other.cpu, self.memory + other.memory, self.gpu + other.gpu, self.npu + other.npu)

    def __sub__(self, other: Amounts) -> Amounts:
        return Amounts(self.cpu - other.cpu, self.memory - other.memory, self.gpu - other.gpu, self.npu - other.npu)

    def lacking(self, free: Amounts) -> str | None:
        """The first resource of which ``free`` has less than this asks for, or None if it fits."""
        if self.cpu > free.cpu + 1e-9:
            return "cpu"
        if self.memory > free.memory + 1e-9:
            return "memory"
        if self.gpu > free.gpu + 1e-9:
            return "gpu"
        if self.npu > free.npu + 1e-9:
            return "npu"
        return None


# app spec (by identity) -> its limits. Instances share their deployment's app dict and app
# dicts are replaced, never changed in place, so the limits are parsed once per spec, not on
# every move of every container (they were a tenth of starting 10,000 instances). Bounded:
# cleared when full (after a restart each instance holds its own copy of the spec).
_LIMITS: dict[int, tuple[dict[str, Any], AppAmounts | None]] = {}
_LIMITS_KEPT = 4096


def limits_of(app: dict[str, Any]) -> AppAmounts | None:
    cached = _LIMITS.get(id(app))
    if cached is not None and cached[0] is app:
        return cached[1]
    if len(_LIMITS) >= _LIMITS_KEPT:
        _LIMITS.clear()
    limits = Resources.from_dict(app.get("resources")).limits
    _LIMITS[id(app)] = (app, limits)
    return limits


def requests_of(app: dict[str, Any]) -> Amounts:
    """What an instance reserves: its requests; a limit stands in for a missing request."""
    resources = Resources.from_dict(app.get("resources"))
    requests = resources.requests.given() if resources.requests else {}
    limits = resources.limits.given() if resources.limits else {}
    return Amounts(**{kind: float(requests.get(kind, limits.get(kind, 0.0))) for kind in KINDS})


def capacity_of(hardware: dict[str, Any]) -> Amounts:
    """A node's capacity; GPU memory is the sum of its GPUs' capacity (MB), NPUs are counted."""
    return Amounts(
        cpu=float(hardware.get("cpu", 0)),
        memory=float(hardware.get("memory", 0)),
        gpu=sum(float(g.get("capacity") or 0) for g in hardware.get("gpu_info", [])),
        npu=float(len(hardware.get("npu_info", []))),
    )
