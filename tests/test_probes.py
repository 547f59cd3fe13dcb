"""Probe outcomes computed ahead (engine.probes), checked against probing one by one."""

from __future__ import annotations

import random

import pytest

from edgesim.engine.behaviors import ProbeBehavior
from edgesim.engine.probes import HORIZON, ProbeScanner, ProbeTimes, Window


def scanner(delay=10, timeout=1, extra: list[Window] = (), **behavior):
    windows = [w for w in [Window.of(ProbeBehavior(**behavior))] if w] + list(extra)
    return ProbeScanner(ProbeTimes(delay, timeout), windows, lambda k: random.Random(f"t:{k}"))


def brute_force_kill(s: ProbeScanner, probes: int) -> float | None:
    streak = 0
    for k in range(probes):
        streak = streak + 1 if s.fails(k) else 0
        if streak == 3:
            return s.times.age(k) + s.times.timeout
    return None


def test_overlapping_windows_kill_like_probing_one_by_one():
    s = scanner(fail_from=100, fail_until=115, extra=[Window(110, 135, 1.0)])
    assert s.liveness_kill().age == brute_force_kill(s, 100) == 121


@pytest.mark.parametrize(
    "behavior",
    [{}, {"fail_from": 0}, {"fail_from": 95}, {"fail_from": 100, "fail_until": 125}, {"fail_from": 100, "fail_until": 120},
     {"fail_from": 0, "probability": 0.5}, {"fail_from": 30, "fail_until": 3000, "probability": 0.3}],
)
def test_liveness_kill_matches_probing_one_by_one(behavior):
    s = scanner(**behavior)
    found = s.liveness_kill()
    assert (found.age if found else None) == brute_force_kill(s, 2000)


@pytest.mark.parametrize(
    "s",
    [
        scanner(fail_from=0, probability=0.4),
        scanner(fail_from=100, fail_until=400, extra=[Window(300, 900, 1.0), Window(1500, None, 0.2)]),
        scanner(extra=[Window(50, 80), Window(75, 200, 1.0), Window(1000, 1100, 0.7)]),
    ],
)
def test_readiness_sequence_matches_probing_one_by_one(s):
    ready, streak, expected = None, 0, []
    for k in range(500):
        fails = s.fails(k)
        streak = streak + 1 if fails else 0
        if ready is None:
            ready = not fails
            expected.append(ready)
        elif ready and streak == 3:
            ready = False
            expected.append(False)
        elif not ready and not fails:
            ready = True
            expected.append(True)
    got, value, index = [], None, 0
    while index < 500:
        outcome = s.next_readiness(value, index)
        if outcome is None or outcome.index >= 500:
            break
        value = outcome.value
        got.append(value)
        index = outcome.index + 1
    assert got == expected


def test_a_probe_that_never_fails_schedules_nothing():
    s = scanner()
    assert s.liveness_kill() is None
    assert s.next_readiness(True, 1) is None


def test_rare_failures_look_again_after_the_horizon():
    s = scanner(fail_from=0, probability=0.001)
    outcome = s.liveness_kill()
    assert outcome is not None
    if outcome.look_again:
        assert outcome.age >= HORIZON
