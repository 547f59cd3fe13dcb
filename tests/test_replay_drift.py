"""Replay on a real clock compares event times within the tolerance (issue 19 item 9).

Reference: docs/scenarios.md, "replay": times agree to 0.05 simulated seconds when real clocks
are involved. Rounding both times to a 0.05 s grid split two times 0.047 s apart (1.024 and
1.071 round to 1.00 and 1.05); the distance is what the tolerance bounds.
"""

from __future__ import annotations

from edgesim.scenario.replay import compare, drift


def event(time: float, **fields) -> dict:
    return {"seq": 1, "time": time, "timestamp": "t", "kind": "instance.state", **fields}


def test_a_047s_drift_across_a_grid_line_is_within_the_005s_tolerance():
    recorded, replayed = [event(1.024, to="RUNNING")], [event(1.071, to="RUNNING")]
    assert compare(recorded, replayed, 0.05) is None
    assert round(drift(recorded, replayed), 6) == 0.047


def test_a_051s_drift_is_refused():
    recorded, replayed = [event(1.0, to="RUNNING")], [event(1.051, to="RUNNING")]
    assert compare(recorded, replayed, 0.05).startswith("event 1 differs")


def test_a_different_field_is_a_difference_even_at_the_same_time():
    assert compare([event(1.0, to="RUNNING")], [event(1.0, to="FAILED")], 0.05) is not None


def test_on_a_virtual_clock_times_must_be_equal():
    assert compare([event(1.0)], [event(1.0)], 0.0) is None
    assert compare([event(1.0)], [event(1.001)], 0.0) is not None


def test_the_largest_drift_is_over_all_paired_events():
    recorded = [event(1.0), event(2.0), event(3.0)]
    replayed = [event(1.01), event(2.04), event(2.98)]
    assert round(drift(recorded, replayed), 6) == 0.04
    assert drift([], []) == 0.0
