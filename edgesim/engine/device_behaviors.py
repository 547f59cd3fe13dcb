"""Device behaviour profiles: what a simulated end device does (``PUT /edgesim/device-behaviors``).

A profile is matched by globs on the device's name (``match``) and, when given, on the name of
the template it was made from (``template``); the first match wins and a device nothing matches
follows ``DEFAULT`` (applies desired values after 0.5..3 s, never reports on its own).

    {"match": "thermo-*", "template": "thermometer",
     "report_every": 10,                  # seconds between reports; null: never reports
     "apply_delay": 5,                    # a desired change is reported this long after; "never": stuck
     "properties": {
        "temperature": {"kind": "random_walk", "value": 20, "step": 0.5, "min": -40, "max": 80},
        "hum": {"kind": "sine", "value": 50, "amplitude": 10, "period": 3600},
        "door": {"kind": "step", "value": 0, "at": 600, "after": 1},
        "rssi": {"kind": "distribution", "draw": {"normal": [60, 5]}},
        "fw": {"kind": "constant", "value": "1.2.0"}}}

Values are computed when a report is made, for the simulated time of the report (``at`` and the
sine's phase are simulated clock seconds); random draws are keyed by the run's seed, the device
id, the property and the report time, so they do not depend on what else happened.
"""

from __future__ import annotations

import fnmatch
import math
import random
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from edgesim.engine.behaviors import Distribution, Number, Seconds, Uniform, draw
from edgesim.engine.clock import MAX_SECONDS
from edgesim.engine.faults import Period

NEVER = "never"


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class PropertyBehavior(_Model):
    """How one reported property evolves; ``value`` is the constant, the walk's start, the
    sine's middle or the value before the step."""

    kind: Literal["constant", "random_walk", "sine", "step", "distribution"]
    value: Number | str = 0.0
    step: Annotated[Number, Field(ge=0)] = 1.0  # random_walk: stddev of each report's change
    min: Number | None = None  # random_walk: the walk stays within [min, max]
    max: Number | None = None
    amplitude: Number = 1.0  # sine
    period: Period = 60.0
    at: Seconds = 0.0  # step: from this simulated time on, the value is ``after``
    after: Number | str = 1.0
    draw: Distribution | None = None  # distribution

    @model_validator(mode="after")
    def _fits_kind(self) -> PropertyBehavior:
        if self.kind == "distribution" and self.draw is None:
            raise ValueError("a distribution property needs draw (a number or a distribution)")
        if self.kind in ("random_walk", "sine") and isinstance(self.value, str):
            raise ValueError(f"a {self.kind} property's value is a number")
        if self.min is not None and self.max is not None and self.min > self.max:
            raise ValueError("min must not be above max")
        return self

    def at_time(self, t: float, last: str | None, rng: random.Random) -> float | str:
        """The value at simulated time ``t``; ``last`` is the value reported before (a walk's base)."""
        if self.kind == "constant":
            return self.value
        if self.kind == "sine":
            return float(self.value) + self.amplitude * math.sin(2 * math.pi * t / self.period)
        if self.kind == "step":
            return self.after if t >= self.at else self.value
        if self.kind == "distribution":
            assert self.draw is not None
            return draw(self.draw, rng)
        base = _number(last, float(self.value))
        moved = base + rng.gauss(0.0, self.step)
        low = -MAX_SECONDS if self.min is None else self.min
        high = MAX_SECONDS if self.max is None else self.max
        return min(max(moved, low), high)


def _number(text: str | None, default: float) -> float:
    try:
        value = float(text) if text is not None else default
    except ValueError:
        return default
    return value if math.isfinite(value) else default


def as_typed(value: float | str, value_type: str) -> str:
    """A computed value in the text form of the twin property's type."""
    if isinstance(value, str):
        return value
    if value_type == "int":
        return str(round(value))
    if value_type == "boolean":
        return "true" if value else "false"
    return repr(round(value, 6))


class DeviceProfile(_Model):
    match: Annotated[str, Field(min_length=1)] = "*"
    template: Annotated[str, Field(min_length=1)] | None = None
    report_every: Period | None = None
    apply_delay: Distribution | Literal["never"] = Uniform(uniform=(0.5, 3.0))
    properties: dict[Annotated[str, Field(pattern=r"^[\w-]{1,64}$")], PropertyBehavior] = {}

    def matches(self, name: str, template: str) -> bool:
        if not fnmatch.fnmatchcase(name, self.match):
            return False
        return self.template is None or fnmatch.fnmatchcase(template, self.template)

    @property
    def stuck(self) -> bool:
        return self.apply_delay == NEVER


DEFAULT = DeviceProfile()


class DeviceBehaviorBook:
    """The ordered device profiles in force; ``for_device`` picks the first that matches."""

    def __init__(self, profiles: list[DeviceProfile] | None = None) -> None:
        self.profiles: list[DeviceProfile] = list(profiles or [])

    def for_device(self, name: str, template: str) -> DeviceProfile:
        return next((p for p in self.profiles if p.matches(name, template)), DEFAULT)

    def dump(self) -> list[dict]:
        return [p.model_dump(mode="json") for p in self.profiles]
