"""The simulation clock: every delay in edgesim is scheduled here, never with asyncio.sleep.

Time is measured in simulated seconds since the simulation started (``now() == 0`` on a fresh
store); wall-clock timestamps are ``epoch + now``. Timers live in one heap ordered by
(due time, sequence), so events due at the same moment run in the order they were scheduled.

- ``VirtualClock`` moves only when told to: ``advance(seconds)`` runs every due timer in order
  and returns when all of them have finished. Tests and scenarios use it.
- ``RealClock`` follows the event loop's monotonic time, optionally accelerated by ``scale``;
  one runner task sleeps until the earliest timer is due.

Timer callbacks may be plain functions or coroutine functions; coroutines are awaited one after
another, so a callback never overlaps another callback.
"""

from __future__ import annotations

import asyncio
import contextlib
import heapq
import inspect
import itertools
import logging
import time
from abc import ABC, abstractmethod
from collections.abc import AsyncIterator, Callable, Iterator
from contextvars import ContextVar, Token
from datetime import UTC, datetime, timedelta
from typing import Any

log = logging.getLogger(__name__)

DEFAULT_EPOCH = datetime(2026, 1, 1, tzinfo=UTC)
MAX_SECONDS = 1000 * 365 * 86400.0  # a thousand simulated years: timestamps stay representable
# Timers run back to back for at most this many wall seconds before the clock lets the event
# loop serve others (requests, the store writer): a long advance must not stall the server.
SLICE_SECONDS = 0.01


# The time a request arrived, while it is being handled (see ``Clock.pinned``).
_PINNED: ContextVar[float | None] = ContextVar("edgesim_pinned_time", default=None)


class ClockError(Exception):
    """An operation the clock cannot do, such as advancing a real clock."""


class Timer:
    """A scheduled callback. ``cancel()`` is O(1): the heap drops it when it surfaces."""

    __slots__ = ("when", "seq", "callback", "args", "cancelled")

    def __init__(self, when: float, seq: int, callback: Callable[..., Any], args: tuple) -> None:
        self.when = when
        self.seq = seq
        self.callback = callback
        self.args = args
        self.cancelled = False

    def cancel(self) -> None:
        self.cancelled = True

    def __lt__(self, other: Timer) -> bool:
        # (when, seq) order without building two tuples: the heap compares ~15 times a timer
        if self.when != other.when:
            return self.when < other.when
        return self.seq < other.seq


class Clock(ABC):
    """Shared timer heap; subclasses decide how time moves."""

    mode: str = ""

    def __init__(self, start: float = 0.0, epoch: datetime = DEFAULT_EPOCH) -> None:
        self._start = float(start)
        self.epoch = epoch
        self._heap: list[Timer] = []
        self._seq = itertools.count()
        self._slice_started = time.perf_counter()
        self._idle = asyncio.Event()  # set while writes may go ahead: no advance, no pause
        self._idle.set()
        # An instant is every timer run at one simulated time: while one runs, ``in_instant``;
        # ``on_instant_end`` is called when the clock moves past it or stops running timers
        # (the event log publishes the instant's events as one batch then).
        self.in_instant = False
        self.on_instant_end: Callable[[], None] = _nothing

    @property
    @abstractmethod
    def scale(self) -> float:
        """Simulated seconds per wall second (``0`` for a virtual clock: it does not run)."""

    def now(self) -> float:
        """Simulated seconds since the simulation started (a request's arrival time while it is
        handled, see ``pinned``)."""
        pinned = _PINNED.get()
        return self._current() if pinned is None else pinned

    @abstractmethod
    def _current(self) -> float:
        """The clock's own time."""

    def pin(self) -> Token[float | None]:
        """``pinned`` without a context manager, for the per-request path: pass the token to
        ``unpin`` when the request is over."""
        return _PINNED.set(self.now())

    @staticmethod
    def unpin(token: Token[float | None]) -> None:
        _PINNED.reset(token)

    @contextlib.contextmanager
    def pinned(self) -> Iterator[None]:
        """Within this block (one request's task), ``now()`` stays at the time it was entered,
        so everything a request does is dated when it arrived, however long it takes."""
        token = _PINNED.set(self.now())
        try:
            yield
        finally:
            _PINNED.reset(token)

    @contextlib.contextmanager
    def unpinned(self) -> Iterator[None]:
        token = _PINNED.set(None)
        try:
            yield
        finally:
            _PINNED.reset(token)

    def timestamp(self, sim_seconds: float | None = None) -> datetime:
        """The UTC wall-clock time of a simulated moment (default: now)."""
        seconds = self.now() if sim_seconds is None else sim_seconds
        return self.epoch + timedelta(seconds=seconds)

    def call_at(self, when: float, callback: Callable[..., Any], *args: Any) -> Timer:
        timer = Timer(float(when), next(self._seq), callback, args)
        heapq.heappush(self._heap, timer)
        self._on_schedule(timer)
        return timer

    def call_later(self, delay: float, callback: Callable[..., Any], *args: Any) -> Timer:
        return self.call_at(self.now() + max(0.0, float(delay)), callback, *args)

    def reinstate(self, timer: Timer) -> Timer:
        """A cancelled timer pending again in its old place in the order (same time and
        sequence); a failed command puts back the timers it cancelled this way."""
        again = Timer(timer.when, timer.seq, timer.callback, timer.args)
        heapq.heappush(self._heap, again)
        self._on_schedule(again)
        return again

    @property
    def pending(self) -> int:
        """Timers not yet run or cancelled (cancelled ones still in the heap are not counted)."""
        return sum(1 for t in self._heap if not t.cancelled)

    def next_due(self) -> float | None:
        self._drop_cancelled()
        return self._heap[0].when if self._heap else None

    def reset(self) -> None:
        """Drop every timer and start the simulated time again at 0 (a fresh world)."""
        self._heap.clear()
        self._start = 0.0

    def restart_at(self, start: float, epoch: datetime) -> None:
        """Drop every timer and go on from ``start`` simulated seconds after ``epoch``: the
        clock of a snapshot loaded into the running server."""
        self.reset()
        self._start = float(start)
        self.epoch = epoch

    @contextlib.asynccontextmanager
    async def paused(self) -> AsyncIterator[None]:
        """No timer runs inside this block (the world is being replaced under the clock), and
        writes that arrive meanwhile (they wait for ``idle``) go to the world after it."""
        running = self.running
        self._idle.clear()
        try:
            await self.stop()
            yield
        finally:
            if running:
                await self.start()
            self._idle.set()

    @property
    def running(self) -> bool:
        """Whether timers run on their own (a started real clock)."""
        return False

    async def start(self) -> None:
        """Begin running timers (a no-op for clocks that only move when advanced)."""

    async def stop(self) -> None:
        """Stop running timers; pending ones stay in the heap."""

    async def idle(self) -> None:
        """Return once no ``advance`` (or pause) is running."""
        while not self._idle.is_set():
            await self._idle.wait()

    def _on_schedule(self, timer: Timer) -> None:
        """Hook: a timer was added."""

    def _drop_cancelled(self) -> None:
        heap = self._heap
        while heap and heap[0].cancelled:
            heapq.heappop(heap)

    def _pop_due(self, until: float) -> Timer | None:
        self._drop_cancelled()
        if self._heap and self._heap[0].when <= until:
            return heapq.heappop(self._heap)
        return None

    async def _yield_after_slice(self) -> None:
        """Between two timers: give the event loop a turn once timers have run for a slice."""
        if time.perf_counter() - self._slice_started >= SLICE_SECONDS:
            await asyncio.sleep(0)
            self._slice_started = time.perf_counter()

    @staticmethod
    async def _run(timer: Timer) -> None:
        result = Clock._call(timer)
        if result is not None and inspect.isawaitable(result):
            await Clock._finish(timer, result)

    @staticmethod
    def _call(timer: Timer) -> Any:
        """Run a timer's callback; what it returned (awaitable for an async one)."""
        try:
            return timer.callback(*timer.args)
        except Exception:  # one broken timer must not stop the simulation
            log.exception("timer callback %r failed", timer.callback)
            return None

    @staticmethod
    async def _finish(timer: Timer, result: Any) -> None:
        try:
            await result
        except Exception:
            log.exception("timer callback %r failed", timer.callback)


def _nothing() -> None:
    """No one listens for instants (a clock without an engine)."""


class VirtualClock(Clock):
    """Discrete-event time: nothing happens until ``advance`` is called."""

    mode = "virtual"

    def __init__(self, start: float = 0.0, epoch: datetime = DEFAULT_EPOCH) -> None:
        super().__init__(start, epoch)
        self._now = self._start
        self._lock = asyncio.Lock()

    @property
    def scale(self) -> float:
        return 0.0

    def _current(self) -> float:
        return self._now

    def reset(self) -> None:
        super().reset()
        self._now = 0.0

    def restart_at(self, start: float, epoch: datetime) -> None:
        super().restart_at(start, epoch)
        self._now = self._start

    @contextlib.asynccontextmanager
    async def paused(self) -> AsyncIterator[None]:
        """As ``Clock.paused``, once the advance running now (if any) is over."""
        async with self._lock, super().paused():
            yield

    async def advance(self, seconds: float) -> int:
        """Run every timer due within ``seconds`` from now, in (time, sequence) order.

        Timers scheduled by callbacks run too when they fall inside the window. Returns the
        number of timers that ran. Concurrent calls are serialised. Between timers the loop gets
        a turn every ``SLICE_SECONDS``, so others see the world part-way (``now()`` is the time
        of the last timer run); writers wait for ``idle()`` first.
        """
        if seconds < 0:
            raise ClockError("cannot advance by a negative amount")
        if self._now + seconds > MAX_SECONDS:
            raise ClockError(f"the simulation cannot run past {MAX_SECONDS:g} simulated seconds")
        async with self._lock:
            self._idle.clear()
            try:
                return await self._advance_to(self._now + seconds)
            finally:
                self._idle.set()

    async def _advance_to(self, target: float) -> int:
        ran = 0
        self._slice_started = time.perf_counter()
        with self.unpinned():  # timers see their own time, not the advancing request's
            self.in_instant = True
            try:
                while (timer := self._pop_due(target)) is not None:
                    if timer.when > self._now:
                        self.on_instant_end()  # the instant before this one is over
                        self._now = timer.when
                    # the simulation's callbacks are synchronous: no coroutine per timer for them
                    result = self._call(timer)
                    if result is not None and inspect.isawaitable(result):
                        await self._finish(timer, result)
                    ran += 1
                    if time.perf_counter() - self._slice_started >= SLICE_SECONDS:
                        await self._yield_after_slice()
            finally:
                self.on_instant_end()
                self.in_instant = False
        self._now = target
        return ran

    async def run_until_idle(self, limit: float = 10 * 365 * 86400.0) -> float:
        """Advance to the last pending timer (bounded by ``limit`` seconds); returns the time."""
        due = self.next_due()
        while due is not None and due - self._now <= limit:
            await self.advance(due - self._now)
            due = self.next_due()
        return self._now


class RealClock(Clock):
    """Wall time, optionally accelerated: ``scale`` simulated seconds pass per real second."""

    mode = "real"

    def __init__(self, scale: float = 1.0, start: float = 0.0, epoch: datetime | None = None) -> None:
        if scale <= 0:
            raise ClockError("time scale must be positive")
        super().__init__(start, epoch or datetime.now(UTC))
        self._scale = float(scale)
        self._origin: float | None = None  # loop.time() when the clock started
        self._wake = asyncio.Event()
        self._runner: asyncio.Task | None = None
        self._running_at: float | None = None  # the due time of the timer running now

    @property
    def scale(self) -> float:
        return self._scale

    def _current(self) -> float:
        if self._running_at is not None:
            return self._running_at
        if self._origin is None:
            return self._start
        return self._start + (asyncio.get_running_loop().time() - self._origin) * self._scale

    async def start(self) -> None:
        if self._runner is None:
            self._origin = asyncio.get_running_loop().time()
            self._runner = asyncio.create_task(self._run_forever(), name="edgesim-clock")

    @property
    def running(self) -> bool:
        return self._runner is not None

    async def stop(self) -> None:
        if self._runner is not None:
            self._start = self.now()
            self._origin = None
            self._runner.cancel()
            try:
                await self._runner
            except asyncio.CancelledError:
                pass
            self._runner = None

    def set_scale(self, scale: float) -> None:
        """Run faster or slower from now on; simulated time so far is kept."""
        if scale <= 0:
            raise ClockError("time scale must be positive")
        if self._origin is not None:
            self._start, self._origin = self._current(), asyncio.get_running_loop().time()
        self._scale = float(scale)
        self._wake.set()  # the runner's sleep was computed at the old scale

    def reset(self) -> None:
        super().reset()
        if self._origin is not None:
            self._origin = asyncio.get_running_loop().time()
        self._wake.set()

    def lag(self) -> float:
        """How far behind (in wall seconds) the earliest due timer is; 0 when on time."""
        due = self.next_due()
        if due is None:
            return 0.0
        return max(0.0, (self.now() - due) / self._scale)

    def _on_schedule(self, timer: Timer) -> None:
        if self._heap[0] is timer:  # a new earliest timer: the runner must recompute its sleep
            self._wake.set()

    async def _run_forever(self) -> None:
        while True:
            due = self.next_due()
            timeout = None if due is None else max(0.0, (due - self.now()) / self._scale)
            if timeout is None or timeout > 0:
                self._wake.clear()
                try:
                    await asyncio.wait_for(self._wake.wait(), timeout)
                except TimeoutError:
                    pass
                continue
            self._slice_started = time.perf_counter()
            self.in_instant, instant = True, None
            try:
                while (timer := self._pop_due(self.now())) is not None:
                    if instant is not None and timer.when != instant:
                        self.on_instant_end()
                    instant = timer.when
                    # While a timer runs, time is its due time, as on a virtual clock: what it does
                    # is dated exactly, however late the loop got to it (lag() still shows that).
                    self._running_at = timer.when
                    try:
                        await self._run(timer)
                    finally:
                        self._running_at = None
                    await self._yield_after_slice()
            finally:
                self.on_instant_end()
                self.in_instant = False
