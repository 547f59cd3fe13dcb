"""Probe outcomes computed ahead (engine.probes), checked against probing one by one."""

from __future__ import annotations

import random

import pytest

from edgesim.engine.behaviors import ProbeBehavior
from edgesim.engine.probes import HORIZON, ProbeScanner, ProbeTimes


def scanner(delay=10, timeout=1, **behavior):
    return ProbeScanner(ProbeTimes(delay, timeout), ProbeBehavior(**behavior), lambda k: random.Random(f"t:{k}"))


def brute_force_kill(s: ProbeScanner, probes: int) -> float | None:
    streak = 0
    for k in range(probes):
        streak = streak + 1 if s.fails(k) else 0
        if streak == 3:
            return s.times.age(k) + s.times.timeout
    return None


@pytest.mark.parametrize(
    "behavior",
    [{}, {"fail_from": 0}, {"fail_from": 95}, {"fail_from": 100, "fail_until": 125}, {"fail_from": 100, "fail_until": 120},
     {"fail_from": 0, "probability": 0.5}, {"fail_from": 30, "fail_until": 3000, "probability": 0.3}],
)
def test_liveness_kill_matches_probing_one_by_one(behavior):
    s = scanner(**behavior)
    found = s.liveness_kill()
    assert (found.age if found else None) == brute_force_kill(s, 2000)


def test_readiness_sequence_matches_probing_one_by_one():
    s = scanner(fail_from=0, probability=0.4)
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
