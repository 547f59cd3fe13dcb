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

from edgesim.domain.app_spec import Probe
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
    def of(cls, probe: Probe | None) -> ProbeTimes | None:
        """The times of an app spec's probe (None: no probe)."""
        if probe is None:
            return None
        return cls(float(probe.initial_delay_seconds or 10), float(probe.timeout_seconds or 1))

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


@dataclass(frozen=True, slots=True)
class Window:
    """Probes starting at ages in [fail_from, fail_until) fail, each with ``probability``."""

    fail_from: float
    fail_until: float | None
    probability: float = 1.0

    @classmethod
    def of(cls, behavior: ProbeBehavior) -> Window | None:
        if not behavior.ever_fails or behavior.fail_from is None:  # (ever_fails implies a fail_from)
            return None
        return cls(behavior.fail_from, behavior.fail_until, behavior.probability)

    def covers(self, age: float) -> bool:
        return age >= self.fail_from and (self.fail_until is None or age < self.fail_until)


class ProbeScanner:
    """Walks the probes of one container; ``fails(k)`` is the outcome of probe k.

    Failures come from windows: the behaviour profile's, plus any probe faults."""

    def __init__(self, times: ProbeTimes, windows: list[Window], rng: Callable[[int], random.Random]) -> None:
        self.times = times
        self.windows = [w for w in windows if w.probability > 0]
        self.rng = rng

    def fails(self, index: int) -> bool:
        age = self.times.age(index)
        chance = max((w.probability for w in self.windows if w.covers(age)), default=0.0)
        return chance >= 1.0 or (chance > 0 and self.rng(index).random() < chance)

    def _skip_sure_outcomes(self, index: int, wanting_failure: bool) -> int | None:
        """Jump over probes whose outcome is certain and not the one wanted; None: never."""
        if wanting_failure:
            candidates = []
            for w in self.windows:
                first = max(index, self.times.first_index_at(w.fail_from))
                if w.fail_until is None or self.times.age(first) < w.fail_until:
                    candidates.append(first)
            return min(candidates, default=None)
        while True:  # inside windows where every probe fails: jump to where they end
            age = self.times.age(index)
            certain = [w for w in self.windows if w.probability >= 1.0 and w.covers(age)]
            if not certain:
                return index
            ends = [w.fail_until for w in certain if w.fail_until is not None]
            if len(ends) < len(certain):  # a window that never ends
                return None
            index = max(index + 1, self.times.first_index_at(max(ends)))

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
