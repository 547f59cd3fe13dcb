"""The chaos fault catalog: what a fault is, as the control API takes it.

    {"kind": "node_partition", "target": {"node_ids": [...]}, "start": 120, "duration": 60,
     "probability": 1.0, "every": null, ...kind-specific keys}

``start`` is a simulated time (default: now), ``duration`` how long the fault lasts (default:
until deleted), ``probability`` the chance that each target (or each request, probe or pull)
is hit, ``every`` repeats instant faults (``instance_crash``, ``oom_kill``) while active.

Every time is simulated seconds within the clock's range; a period (``every``, a flap's
``down`` and ``up``) is at least ``MIN_PERIOD``: a shorter one would cost the simulation far
more wall time than it simulates. The targets must exist when the fault is added
(``Chaos.add`` checks them). docs/chaos.md lists these limits.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator, model_validator

from edgesim.engine.behaviors import Distribution, Integer, Number, Seconds
from edgesim.engine.clock import MAX_SECONDS

MIN_PERIOD = 1.0  # simulated seconds: the floor of every period
Period = Annotated[Number, Field(ge=MIN_PERIOD, le=MAX_SECONDS)]

NODE_KINDS = ("node_crash", "node_partition", "node_flap")
INSTANCE_KINDS = ("instance_crash", "probe_failure", "oom_kill", "image_pull_failure", "slow_start")
API_KINDS = ("api_latency", "api_error")
# device faults: offline whatever its node does, reporting garbage or frozen values, and
# desired changes made while active never applied (engine.twins)
DEVICE_KINDS = ("device_offline", "device_garbage", "device_frozen", "twin_update_lost")
INSTANT_KINDS = ("instance_crash", "oom_kill")
# the node's own certificate (and a targeted group's certificates) expire at the fault's start
# (early); the node's is renewed at its end
CERT_KINDS = ("cert_expiry",)
# node upgrades on the hit nodes end in a rollback, or hang (UPGRADING) until the fault ends
UPGRADE_KINDS = ("upgrade_failure", "upgrade_hang")
KINDS = NODE_KINDS + INSTANCE_KINDS + API_KINDS + DEVICE_KINDS + CERT_KINDS + UPGRADE_KINDS

# The one table of each kind's own keys (beyond kind, target, start, duration, probability):
# a body giving another kind's key is refused naming it, a fault's body (GET, the POST answer,
# `edgesim chaos list`, the Chaos Toolkit) shows only these, and docs/chaos.md lists them
# (tests/test_fault_parameters.py holds the docs to it).
COMMON_KEYS = ("kind", "target", "start", "duration", "probability")
PARAMETERS: dict[str, tuple[str, ...]] = {
    "node_crash": (), "node_partition": (), "node_flap": ("down", "up"),
    "instance_crash": ("exit_code", "every"), "oom_kill": ("every",), "probe_failure": ("probe",),
    "image_pull_failure": (), "slow_start": ("seconds",),
    "api_latency": ("seconds",), "api_error": ("status", "error_code", "error_msg"),
    "device_offline": (), "device_garbage": (), "device_frozen": (), "twin_update_lost": (),
    "cert_expiry": (), "upgrade_failure": (), "upgrade_hang": (),
}
KIND_KEYS = ("every", "exit_code", "probe", "seconds", "status", "error_code", "error_msg", "down", "up")
# a stored fault is read with this context: documents written before the table kept every
# key's default (``exit_code`` on a node_partition), and must still load as they were
STORED = {"stored": True}


def shown_keys(spec: dict) -> dict:
    """A fault's spec as its body shows it: the common keys and its kind's own."""
    own = COMMON_KEYS + PARAMETERS.get(spec.get("kind", ""), ())
    return {key: value for key, value in spec.items() if key in own}


Kind = Literal[
    "node_crash", "node_partition", "node_flap", "instance_crash", "probe_failure", "oom_kill",
    "image_pull_failure", "slow_start", "api_latency", "api_error",
    "device_offline", "device_garbage", "device_frozen", "twin_update_lost", "cert_expiry",
    "upgrade_failure", "upgrade_hang",
]


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Target(_Model):
    """What a fault hits. Node faults: nodes (by id, or a group: all, ``count`` or ``fraction``
    of its nodes, drawn from the seed). Instance faults: instances of a deployment, of images
    matching a glob, or on given nodes / a group. API faults: requests by method and path glob."""

    node_ids: list[str] | None = None
    group_id: str | None = None
    count: Annotated[Integer, Field(ge=1)] | None = None
    fraction: Annotated[Number, Field(gt=0, le=1)] | None = None
    deployment_id: str | None = None
    image: Annotated[str, Field(min_length=1)] | None = None
    method: Annotated[str, Field(pattern=r"^(\*|GET|POST|PUT|DELETE|PATCH)$")] | None = None
    path: Annotated[str, Field(min_length=1)] | None = None
    device_ids: Annotated[list[str], Field(min_length=1)] | None = None

    @model_validator(mode="after")
    def _one_way(self) -> Target:
        ways = [self.node_ids is not None, self.group_id is not None, self.deployment_id is not None,
                self.image is not None, self.method is not None or self.path is not None, self.device_ids is not None]
        if sum(ways) != 1:
            raise ValueError("give exactly one of node_ids, group_id, deployment_id, image, method/path, or device_ids")
        if (self.count is not None or self.fraction is not None) and self.group_id is None:
            raise ValueError("count and fraction pick nodes of a group_id")
        if self.count is not None and self.fraction is not None:
            raise ValueError("give count or fraction, not both")
        return self


class FaultSpec(_Model):
    kind: Kind
    target: Target
    start: Seconds | None = None
    duration: Annotated[Number, Field(gt=0, le=MAX_SECONDS)] | None = None
    probability: Annotated[Number, Field(ge=0, le=1)] = 1.0
    every: Period | None = None
    # kind-specific
    exit_code: Annotated[Integer, Field(ge=0, le=255)] = 1  # instance_crash
    probe: Literal["liveness", "readiness"] = "liveness"  # probe_failure
    seconds: Distribution | None = None  # api_latency (wall seconds), slow_start (extra simulated seconds)
    status: Annotated[Integer, Field(ge=400, le=599)] = 500  # api_error
    error_code: str = "IEF.120001"
    error_msg: str = "Injected fault: the service is having a bad day."
    down: Period = 30.0  # node_flap: seconds down, then up, in turn
    up: Period = 30.0

    @field_validator(*KIND_KEYS)
    @classmethod
    def _used_by_kind(cls, value: object, info: ValidationInfo) -> object:
        """A key the kind does not use would be silently ignored: refuse it, naming it (the
        validator runs only on keys the body gives; ``kind`` is checked before them)."""
        kind = info.data.get("kind")
        if value is None or kind is None or (info.context or {}).get("stored") or info.field_name in PARAMETERS[kind]:
            return value
        own = ", ".join(PARAMETERS[kind]) or "none"
        raise ValueError(f"a {kind} fault does not use {info.field_name} (its own keys: {own})")

    @model_validator(mode="after")
    def _fits_kind(self) -> FaultSpec:
        t = self.target
        if self.kind in NODE_KINDS + CERT_KINDS + UPGRADE_KINDS and t.node_ids is None and t.group_id is None:
            raise ValueError(f"a {self.kind} fault targets node_ids or a group_id")
        if self.kind in INSTANCE_KINDS and (t.method is not None or t.path is not None):
            raise ValueError(f"a {self.kind} fault targets instances (deployment_id, image, node_ids or group_id)")
        if (self.kind in DEVICE_KINDS) != (t.device_ids is not None):
            raise ValueError("device faults (and only they) target device_ids")
        if self.kind in API_KINDS and t.method is None and t.path is None:
            raise ValueError(f"an {self.kind} fault targets requests by method and/or path")
        if self.kind in ("api_latency", "slow_start") and self.seconds is None:
            raise ValueError(f"an {self.kind} fault needs seconds (a number or a distribution)")
        return self

    @property
    def drawn_seconds(self) -> Distribution:
        """``seconds`` of an api_latency or slow_start fault (the check above makes them give it)."""
        if self.seconds is None:
            raise ValueError(f"a {self.kind} fault has no seconds")
        return self.seconds

    def stored(self) -> dict:
        """The spec as the store keeps it: the common keys and the kind's own (defaults too)."""
        return self.model_dump(mode="json", exclude_none=True, include=set(COMMON_KEYS + PARAMETERS[self.kind]))
