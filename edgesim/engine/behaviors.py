"""Behaviour profiles: what a container image does in the simulation.

A profile is matched by a glob on the instance's ``image_url``; the first match wins and an
image nothing matches behaves like ``HEALTHY``. Times are simulated seconds; ``pull``/``start``
times count from when the instance was placed, every other time from when the container
started. Wherever a number of seconds is expected, a distribution may stand instead:
``{"fixed": 3}``, ``{"uniform": [1, 5]}``, ``{"normal": [mean, stddev]}`` or
``{"lognormal": [mu, sigma]}`` (draws are never negative).

    {"match": "registry/app:*",
     "pull": {"seconds": 3, "result": "ok" | "not_found" | "flaky", "flaky_failures": 2},
     "start": {"seconds": 2},
     "exit": {"after": 30, "code": 1},            # null: runs until stopped
     "liveness": {"fail_from": 100, "fail_until": null, "probability": 1.0},
     "readiness": {"fail_from": 50, "fail_until": 80},
     "memory": {"mb": 300, "grow_mb_per_min": 0}}
"""

from __future__ import annotations

import fnmatch
import random
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, Strict, model_validator


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


# Numbers are numbers: "3" or true is refused, not coerced (a number may still be an integer).
Number = Annotated[float, Strict()]
Integer = Annotated[int, Strict()]


class Fixed(_Model):
    fixed: Annotated[Number, Field(ge=0)]


class Uniform(_Model):
    uniform: tuple[Annotated[Number, Field(ge=0)], Annotated[Number, Field(ge=0)]]

    @model_validator(mode="after")
    def _ordered(self) -> Uniform:
        if self.uniform[0] > self.uniform[1]:
            raise ValueError("uniform needs [low, high] with low <= high")
        return self


class Normal(_Model):
    normal: tuple[Number, Annotated[Number, Field(ge=0)]]


class LogNormal(_Model):
    lognormal: tuple[Number, Annotated[Number, Field(ge=0)]]


Distribution = Annotated[Number, Field(ge=0)] | Fixed | Uniform | Normal | LogNormal


def draw(value: Distribution, rng: random.Random) -> float:
    """One non-negative sample of ``value`` (a number is itself)."""
    if isinstance(value, (int, float)):
        return float(value)
    if isinstance(value, Fixed):
        return value.fixed
    if isinstance(value, Uniform):
        return rng.uniform(*value.uniform)
    if isinstance(value, Normal):
        return max(0.0, rng.gauss(*value.normal))
    return max(0.0, rng.lognormvariate(*value.lognormal))


class Pull(_Model):
    seconds: Distribution = Uniform(uniform=(2.0, 6.0))
    result: Literal["ok", "not_found", "flaky"] = "ok"
    flaky_failures: Annotated[Integer, Field(ge=1, le=100)] = 2  # failed pulls before a flaky one works


class Start(_Model):
    seconds: Distribution = Uniform(uniform=(1.0, 3.0))


class Exit(_Model):
    after: Distribution
    code: Annotated[Integer, Field(ge=0, le=255)] = 1


class ProbeBehavior(_Model):
    """Probes fail while the container's age is in [fail_from, fail_until), each with
    ``probability``; outside that window they succeed."""

    fail_from: Annotated[Number, Field(ge=0)] | None = None
    fail_until: Annotated[Number, Field(ge=0)] | None = None
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
    mb: Annotated[Number, Field(ge=0)] = 64.0
    grow_mb_per_min: Annotated[Number, Field(ge=0)] = 0.0

    def oom_after(self, limit_mb: float | None) -> float | None:
        """Seconds after start at which usage reaches the limit, or None if it never does."""
        if limit_mb is None:
            return None
        if self.mb >= limit_mb:
            return 0.0
        if self.grow_mb_per_min <= 0:
            return None
        return (limit_mb - self.mb) / self.grow_mb_per_min * 60.0


class Profile(_Model):
    match: Annotated[str, Field(min_length=1)] = "*"
    pull: Pull = Pull()
    start: Start = Start()
    exit: Exit | None = None
    liveness: ProbeBehavior = ProbeBehavior()
    readiness: ProbeBehavior = ProbeBehavior()
    memory: Memory = Memory()

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
