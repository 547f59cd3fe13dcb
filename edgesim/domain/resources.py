"""Compute resources an instance asks for and a node offers, in the API's units.

cpu in cores, memory in MB, gpu in MB of GPU memory, npu as a count.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from edgesim.domain.app_spec import AppSpec

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


def requests_of(spec: AppSpec) -> Amounts:
    """What an instance reserves: its requests; a limit stands in for a missing request."""
    resources = spec.resources
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
