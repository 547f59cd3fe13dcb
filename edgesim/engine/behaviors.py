"""Behaviour profiles: what a container image does in the simulation.

A profile is matched by a glob on the instance's ``image_url``; the first match wins and an
image nothing matches behaves like ``HEALTHY``. Times are simulated seconds; ``pull``/``start``
times count from when the instance was placed, every other time from when the container
started. Wherever a number of seconds is expected, a distribution may stand instead:
``{"fixed": 3}``, ``{"uniform": [1, 5]}``, ``{"normal": [mean, stddev]}`` or
``{"lognormal": [mu, sigma]}`` (draws are never negative).

Every value must be one the simulation can run: seconds at most ``MAX_SECONDS`` (the clock's
range), a lognormal's ``mu`` at most ln(MAX_SECONDS) and ``sigma`` at most 10, memory at most
``MAX_MB``; a draw from a distribution's tail is clamped to [0, MAX_SECONDS], so it never
overflows. docs/behaviors.md lists these limits.

    {"match": "registry/app:*",
     "pull": {"seconds": 3, "result": "ok" | "not_found" | "flaky", "flaky_failures": 2},
     "start": {"seconds": 2},
     "exit": {"after": 30, "code": 1},            # null: runs until stopped
     "stop": {"seconds": 5},                      # null: the terminate_seconds setting
     "liveness": {"fail_from": 100, "fail_until": null, "probability": 1.0},
     "readiness": {"fail_from": 50, "fail_until": 80},
     "memory": {"mb": 300, "grow_mb_per_min": 0},
     "cpu": {"cores": 0.2, "grow_cores_per_min": 0}}
"""

from __future__ import annotations

import fnmatch
import math
import random
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Discriminator, Field, Strict, Tag, model_validator

from edgesim.engine.clock import MAX_SECONDS


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


# Numbers are numbers: "3" or true is refused, not coerced (a number may still be an integer).
Number = Annotated[float, Strict()]
Integer = Annotated[int, Strict()]
# Simulated seconds the clock can run (a duration, a delay, a time since start).
Seconds = Annotated[Number, Field(ge=0, le=MAX_SECONDS)]
LOG_MAX_SECONDS = math.log(MAX_SECONDS)
MAX_SIGMA = 10.0
MAX_MB = 1_024_000.0  # the largest memory amount IEF takes (MB)
MegaBytes = Annotated[Number, Field(ge=0, le=MAX_MB)]


class Fixed(_Model):
    fixed: Seconds


class Uniform(_Model):
    uniform: tuple[Seconds, Seconds]

    @model_validator(mode="after")
    def _ordered(self) -> Uniform:
        if self.uniform[0] > self.uniform[1]:
            raise ValueError("uniform needs [low, high] with low <= high")
        return self


class Normal(_Model):
    normal: tuple[Annotated[Number, Field(ge=-MAX_SECONDS, le=MAX_SECONDS)], Seconds]


class LogNormal(_Model):
    """exp of a normal draw: ``mu`` and ``sigma`` are those of the normal, in log-seconds."""

    lognormal: tuple[Annotated[Number, Field(ge=-LOG_MAX_SECONDS, le=LOG_MAX_SECONDS)], Annotated[Number, Field(ge=0, le=MAX_SIGMA)]]


def _shape(value: object) -> str | None:
    """Which form of a distribution ``value`` is, so that a refusal names only that form."""
    if isinstance(value, dict):
        return next(iter(value), None) if len(value) == 1 and next(iter(value)) in _FORMS else None
    if isinstance(value, BaseModel):
        return next(iter(type(value).model_fields))
    return "seconds"


_FORMS = ("fixed", "uniform", "normal", "lognormal")
Distribution = Annotated[
    Annotated[Seconds, Tag("seconds")] | Annotated[Fixed, Tag("fixed")] | Annotated[Uniform, Tag("uniform")]
    | Annotated[Normal, Tag("normal")] | Annotated[LogNormal, Tag("lognormal")],
    Discriminator(_shape, custom_error_type="distribution",
                  custom_error_message='a number of seconds, or one of {"fixed": s}, {"uniform": [low, high]}, '
                                       '{"normal": [mean, stddev]}, {"lognormal": [mu, sigma]}'),
]


def draw(value: Distribution, rng: random.Random) -> float:
    """One sample of ``value`` (a number is itself), within [0, MAX_SECONDS]."""
    if isinstance(value, (int, float)):
        return float(value)
    if isinstance(value, Fixed):
        return value.fixed
    if isinstance(value, Uniform):
        return rng.uniform(*value.uniform)
    if isinstance(value, Normal):
        return min(max(0.0, rng.gauss(*value.normal)), MAX_SECONDS)
    # what rng.lognormvariate does, with the exponent clamped: a far tail would overflow exp()
    return min(math.exp(min(rng.normalvariate(*value.lognormal), LOG_MAX_SECONDS)), MAX_SECONDS)


class Pull(_Model):
    seconds: Distribution = Uniform(uniform=(2.0, 6.0))
    result: Literal["ok", "not_found", "flaky"] = "ok"
    flaky_failures: Annotated[Integer, Field(ge=1, le=100)] = 2  # failed pulls before a flaky one works


class Start(_Model):
    seconds: Distribution = Uniform(uniform=(1.0, 3.0))


class Stop(_Model):
    """How long the container takes to stop once told to (SIGTERM): on delete, rolling update
    and liveness kill. Past the termination grace period it is killed at the grace."""

    seconds: Distribution


class Exit(_Model):
    after: Distribution
    code: Annotated[Integer, Field(ge=0, le=255)] = 1


class ProbeBehavior(_Model):
    """Probes fail while the container's age is in [fail_from, fail_until), each with
    ``probability``; outside that window they succeed."""

    fail_from: Seconds | None = None
    fail_until: Seconds | None = None
    probability: Annotated[Number, Field(ge=0, le=1)] = 1.0

    @model_validator(mode="after")
    def _window(self) -> ProbeBehavior:
        if self.fail_from is not None and self.fail_until is not None and self.fail_until < self.fail_from:
            raise ValueError("fail_until must not be before fail_from")
        return self

    @property
    def ever_fails(self) -> bool:
        return self.fail_from is not None and self.probability > 0


class Memory(_Model):
    mb: MegaBytes = 64.0
    grow_mb_per_min: MegaBytes = 0.0

    def oom_after(self, limit_mb: float | None) -> float | None:
        """Seconds after start at which usage reaches the limit, or None if it never does."""
        if limit_mb is None:
            return None
        if self.mb >= limit_mb:
            return 0.0
        if self.grow_mb_per_min <= 0:
            return None
        return (limit_mb - self.mb) / self.grow_mb_per_min * 60.0


MAX_CORES = 1000.0  # the most cpu IEF takes (cores)
Cores = Annotated[Number, Field(ge=0, le=MAX_CORES)]


class Cpu(_Model):
    """CPU use: ``cores`` at start, growing ``grow_cores_per_min``; a cpu limit throttles it
    (CFS quota: never a kill), and a node's cores bound what its containers get together."""

    cores: Cores = 0.05
    grow_cores_per_min: Cores = 0.0


class Profile(_Model):
    match: Annotated[str, Field(min_length=1)] = "*"
    pull: Pull = Pull()
    start: Start = Start()
    exit: Exit | None = None
    stop: Stop | None = None  # None: the [instance] terminate_seconds setting
    liveness: ProbeBehavior = ProbeBehavior()
    readiness: ProbeBehavior = ProbeBehavior()
    memory: Memory = Memory()
    cpu: Cpu = Cpu()

    def usage_at_start(self) -> dict[str, float]:
        """What a container starting now will use (``Instance.usage``, read by ``engine.usage``)."""
        return {"cpu": self.cpu.cores, "cpu_per_min": self.cpu.grow_cores_per_min,
                "memory": self.memory.mb, "memory_per_min": self.memory.grow_mb_per_min}

    def matches(self, image_url: str) -> bool:
        return fnmatch.fnmatchcase(image_url, self.match)


HEALTHY = Profile()


class BehaviorBook:
    """The ordered profiles in force; ``for_image`` picks the first that matches."""

    def __init__(self, profiles: list[Profile] | None = None) -> None:
        self.profiles: list[Profile] = list(profiles or [])
        self._by_image: dict[str, Profile] = {}  # globs are slow and a fleet runs few images

    def for_image(self, image_url: str) -> Profile:
        profile = self._by_image.get(image_url)
        if profile is None:
            profile = next((p for p in self.profiles if p.matches(image_url)), HEALTHY)
            if len(self._by_image) < 10_000:
                self._by_image[image_url] = profile
        return profile

    def dump(self) -> list[dict]:
        return [p.model_dump(mode="json", exclude_defaults=False) for p in self.profiles]
