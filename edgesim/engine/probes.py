"""Probe outcomes, computed ahead instead of polled.

Kubernetes semantics: the first probe runs ``initial_delay_seconds`` after the container
started, then every ``PERIOD`` seconds. A failing probe is one that times out, so its result is
known ``timeout_seconds`` after it started; a success is known at once. Liveness kills the
container at the ``FAILURE_THRESHOLD``-th failure in a row. Readiness turns ready at the first
success and not ready after ``FAILURE_THRESHOLD`` failures in a row.

Given a container's behaviour, these functions find the *next moment something changes* so the
engine schedules exactly one timer for it: a container whose probes never fail costs nothing.
Ages are seconds since the container started.
"""

from __future__ import annotations

import math
import random
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from edgesim.engine.behaviors import ProbeBehavior

PERIOD = 10.0
FAILURE_THRESHOLD = 3
SUCCESS_THRESHOLD = 1
HORIZON = 86_400.0  # look at most this far ahead per computation; then look again


@dataclass(frozen=True, slots=True)
class ProbeTimes:
    initial_delay: float
    timeout: float

    @classmethod
    def of(cls, spec: dict[str, Any] | None) -> ProbeTimes | None:
        if not spec:
            return None
        return cls(float(spec.get("initial_delay_seconds") or 10), float(spec.get("timeout_seconds") or 1))

    def age(self, index: int) -> float:
        return self.initial_delay + index * PERIOD

    def first_index_at(self, age: float) -> int:
        """The first probe that starts at or after ``age``."""
        return max(0, math.ceil((age - self.initial_delay) / PERIOD - 1e-9))


@dataclass(frozen=True, slots=True)
class Outcome:
    """A change found ahead: at ``age`` (probe ``index``'s result), the new value, or a look-again."""

    age: float
    index: int
    value: bool | None  # readiness: ready or not; liveness: None (the container is killed)
    look_again: bool = False


class ProbeScanner:
    """Walks the probes of one container; ``fails(k)`` is the outcome of probe k."""

    def __init__(self, times: ProbeTimes, behavior: ProbeBehavior, rng: Callable[[int], random.Random]) -> None:
        self.times = times
        self.behavior = behavior
        self.rng = rng

    def fails(self, index: int) -> bool:
        b = self.behavior
        if not b.ever_fails:
            return False
        age = self.times.age(index)
        if age < b.fail_from or (b.fail_until is not None and age >= b.fail_until):
            return False
        return b.probability >= 1.0 or self.rng(index).random() < b.probability

    def _skip_sure_outcomes(self, index: int, wanting_failure: bool) -> int | None:
        """Jump over probes whose outcome is certain and not the one wanted; None: never."""
        b = self.behavior
        if not b.ever_fails:
            return None if wanting_failure else index
        start = self.times.first_index_at(b.fail_from)
        end = None if b.fail_until is None else self.times.first_index_at(b.fail_until)
        if wanting_failure:
            if end is not None and index >= end:
                return None
            return max(index, start)
        if index < start or (end is not None and index >= end) or b.probability < 1.0:
            return index
        return end  # inside a window where every probe fails: the first success is at its end

    def liveness_kill(self, from_index: int = 0) -> Outcome | None:
        """The third failure in a row from ``from_index`` on (a look-again past the horizon)."""
        return self._streak(from_index, value=None)

    def next_readiness(self, ready: bool | None, from_index: int = 0) -> Outcome | None:
        """The next change of readiness from probe ``from_index`` on, given the current value."""
        if ready is None:  # no result yet: the first probe decides
            index = from_index
            if self.fails(index):
                return Outcome(self.times.age(index) + self.times.timeout, index, False)
            return Outcome(self.times.age(index), index, True)
        if ready:
            return self._streak(from_index, value=False)
        index = from_index
        limit = self.times.first_index_at(self.times.age(from_index) + HORIZON)
        while True:
            jumped = self._skip_sure_outcomes(index, wanting_failure=False)
            if jumped is None:
                return None
            index = jumped
            if index > limit:
                return Outcome(self.times.age(index), index, None, look_again=True)
            if not self.fails(index):
                return Outcome(self.times.age(index), index, True)
            index += 1

    def _streak(self, from_index: int, value: bool | None) -> Outcome | None:
        limit = self.times.first_index_at(self.times.age(from_index) + HORIZON)
        index, streak = from_index, 0
        while True:
            if streak == 0:
                jumped = self._skip_sure_outcomes(index, wanting_failure=True)
                if jumped is None:
                    return None
                index = jumped
            if index > limit:
                return Outcome(self.times.age(index), index, None, look_again=True)
            if self.fails(index):
                streak += 1
                if streak == FAILURE_THRESHOLD:
                    return Outcome(self.times.age(index) + self.times.timeout, index, value)
            else:
                streak = 0
            index += 1
