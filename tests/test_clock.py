"""The clock: ordering, cancellation, advance semantics, and the real clock's scale."""

import asyncio

import pytest

from edgesim.engine.clock import ClockError, RealClock, VirtualClock


async def test_virtual_clock_runs_due_timers_in_time_then_schedule_order():
    clock = VirtualClock()
    ran = []
    clock.call_at(5, ran.append, "b@5")
    clock.call_at(2, ran.append, "a@2")
    clock.call_at(5, ran.append, "c@5")
    clock.call_at(9, ran.append, "late")
    assert await clock.advance(5) == 3
    assert ran == ["a@2", "b@5", "c@5"]
    assert clock.now() == 5


async def test_callbacks_see_their_own_due_time_and_may_schedule_more_within_the_window():
    clock = VirtualClock()
    seen = []

    async def tick(n):
        seen.append((n, clock.now()))
        if n < 3:
            clock.call_later(1.5, tick, n + 1)

    clock.call_later(1, tick, 0)
    await clock.advance(4)
    assert seen == [(0, 1.0), (1, 2.5), (2, 4.0)]
    await clock.advance(10)
    assert seen[-1] == (3, 5.5)
    assert clock.now() == 14


async def test_cancelled_timer_never_runs():
    clock = VirtualClock()
    ran = []
    timer = clock.call_later(1, ran.append, "x")
    timer.cancel()
    assert clock.pending == 0
    await clock.advance(2)
    assert ran == []


async def test_advance_rejects_negative_and_run_until_idle_reaches_last_timer():
    clock = VirtualClock(start=100)
    with pytest.raises(ClockError):
        await clock.advance(-1)
    clock.call_at(130, lambda: None)
    assert await clock.run_until_idle() == 130


async def test_a_failing_callback_does_not_stop_later_ones():
    clock = VirtualClock()
    ran = []
    clock.call_later(1, lambda: 1 / 0)
    clock.call_later(2, ran.append, "after")
    await clock.advance(3)
    assert ran == ["after"]


async def test_timestamp_is_epoch_plus_simulated_seconds():
    clock = VirtualClock()
    await clock.advance(90)
    assert clock.timestamp().isoformat() == "2026-01-01T00:01:30+00:00"


async def test_real_clock_runs_scaled_time():
    clock = RealClock(scale=1000)
    await clock.start()
    try:
        fired = asyncio.Event()
        clock.call_later(20, fired.set)  # 20 simulated seconds = 20 ms of wall time
        await asyncio.wait_for(fired.wait(), 2)
        assert clock.now() >= 20
    finally:
        await clock.stop()
    frozen = clock.now()
    await asyncio.sleep(0.01)
    assert clock.now() == frozen  # a stopped clock does not move


def test_real_clock_needs_a_positive_scale():
    with pytest.raises(ClockError):
        RealClock(scale=0)


async def test_real_clock_scale_can_change_and_keeps_time_so_far():
    clock = RealClock(scale=1)
    await clock.start()
    try:
        fired = asyncio.Event()
        clock.call_later(30, fired.set)  # 30 s at x1 would take 30 s of wall time
        await asyncio.sleep(0.02)
        before = clock.now()
        clock.set_scale(3000)  # ... at x3000, 10 ms
        assert clock.now() >= before
        await asyncio.wait_for(fired.wait(), 2)
        with pytest.raises(ClockError):
            clock.set_scale(0)
    finally:
        await clock.stop()
