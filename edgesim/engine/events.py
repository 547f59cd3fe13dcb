"""The event log: every state change the simulation makes, in order, with its simulated time.

Same seed and same inputs give the same log, so tests and replays compare logs directly.

Memory holds a window of the most recent events (``memory_window`` in simulation.toml); older
ones are read back from the store, so a long run does not grow the heap. An event leaves memory
only once the store has committed it, and ``find`` answers from both as if the whole log were
in memory.

Order (docs/scale-out.md, section 2): each event carries the ``partition`` it happened in (its
key; 0 for the front) and that partition's local sequence ``pseq``, drawn when it is recorded.
Events are published in batches: a command's events at its commit, a running instant's (every
step the clock runs at one simulated time) when the clock moves past it. A batch is sorted by
(time, partition, pseq) and only then numbered: ``seq`` is the position in the published log,
dense and increasing, the same whatever order the partitions' steps ran in.

Readers (``find``, ``after``, listeners such as live streams and ``--record``) see an event only
once it is published and committed, and in seq order: a timer's step that commits while an
earlier request still waits for its commit has its events held back until that request settles.
"""

from __future__ import annotations

import asyncio
import bisect
import functools
import heapq
from collections.abc import AsyncIterator, Callable
from typing import Any

from edgesim.engine import undo
from edgesim.store.sqlite import AppendEvent, Op, Store

# Events matched (or replayed) in one go before a long read gives the event loop a turn.
SLICE_EVENTS = 5000


class EventLog:
    def __init__(
        self,
        now: Callable[[], float],
        timestamp: Callable[[float], str],
        store: Store,
        window: int = 100_000,
        seq: int = 0,
    ) -> None:
        self._now = now
        self._timestamp = timestamp
        self._store = store
        self.window = window
        self.seq = seq  # the last number given: events are numbered when their batch is published
        self.front_seq = 0  # the local sequence of the front's events (partition 0), in the meta
        # set by the core: an event's partition (engine.event_partitions), a partition's next pseq
        self.partition_of: Callable[[str, dict[str, Any]], int] = lambda kind, fields: 0
        self.partition_seq: Callable[[int], int] = _no_partitions
        # the steps of the instant the clock is running, waiting for it to end (``close_instant``)
        self._held: list[tuple[list[Op], list[dict[str, Any]]]] = []
        self.closing = False  # publishing an instant: steps listeners run now are held for the next batch
        self.events: list[dict[str, Any]] = []  # the most recent events, oldest first
        self._older_in_store = False  # some events before ``events[0]`` are only in the store
        # Called with each new event as it is recorded (metrics, live streams). A listener must
        # be quick and must not raise: it runs inside the simulation step.
        self.listeners: list[Callable[[dict[str, Any]], None]] = []
        self.discards = 0  # how many times recorded events were taken back (see ``_take_back``)
        # Listeners and readers see events in seq order and only once settled. A command's events
        # settle when its commit is acknowledged, and a timer's step can settle meanwhile: its
        # later-numbered events wait in ``_ready`` until every earlier one is committed or taken
        # back. ``released`` is the seq up to which all of that is done and listeners were told.
        self._unsettled: dict[int, dict[str, Any]] = {}  # recorded, not yet committed; ascending seq
        self._ready: list[tuple[int, dict[str, Any]]] = []  # committed, waiting for earlier ones (a heap)
        self.released = seq
        self._releasing = False
        # set while the cloud learns what a node did while it could not be seen (engine.autonomy):
        # events then carry ``edge_time``, when it happened at the edge; ``time`` stays when the
        # cloud learned it, so the log stays ordered by time
        self.edge_time: float | None = None

    def record(self, kind: str, **fields: Any) -> dict[str, Any]:
        """A new event, not numbered yet: it belongs to the change it is given to, and gets
        its ``seq`` when its batch is published (``number``)."""
        key = self.partition_of(kind, fields)
        pseq = self._next_front_seq() if key == 0 else self.partition_seq(key)
        now = round(self._now(), 6)
        event = {"seq": 0, "time": now, "timestamp": self._timestamp(now), "kind": kind,
                 "partition": key, "pseq": pseq, **fields}
        if self.edge_time is not None:
            event["edge_time"] = round(self.edge_time, 6)
        return event

    def number(self, events: list[dict[str, Any]], settled: bool) -> list[AppendEvent]:
        """Publish one batch (a command's events, or an instant's): in (time, partition, pseq)
        order, each numbered with the next ``seq``; returns the store ops that persist them.
        A command's events (``settled=False``) reach readers once its journal commits and are
        taken back if it fails; a step's events were committed already."""
        ops = []
        for event in sorted(events, key=_batch_order):
            self.seq += 1
            event["seq"] = self.seq
            self.events.append(event)
            ops.append(AppendEvent(self.seq, event))
            if settled:
                heapq.heappush(self._ready, (self.seq, event))
            else:
                self._unsettled[self.seq] = event
                undo.on_undo(functools.partial(self._take_back, event))
                undo.on_commit(functools.partial(self._settle, event))  # listeners never see an uncommitted event
        if len(self.events) > self.window:
            self.trim()
        return ops

    def hold(self, ops: list[Op], events: list[dict[str, Any]]) -> None:
        """A step's work inside an instant that is still running: published and handed to the
        store with the rest of the instant (``close_instant``)."""
        self._held.append((ops, events))

    def close_instant(self) -> None:
        """The clock moved past an instant, or stopped: publish its steps' events as one batch
        and submit their ops. Steps that listeners run meanwhile (a system event delivery)
        are held too and make the next batch of the same instant."""
        if self.closing:
            return
        self.closing = True
        try:
            while self._held:
                held, self._held = self._held, []
                ops = [op for step_ops, _ in held for op in step_ops]
                ops += self.number([e for _, events in held for e in events], settled=True)
                if ops:
                    self._store.submit(ops)
                self.release()
        finally:
            self.closing = False

    def _next_front_seq(self) -> int:
        return undo.next_number(self, "front_seq")

    def _settle(self, event: dict[str, Any]) -> None:
        del self._unsettled[event["seq"]]
        heapq.heappush(self._ready, (event["seq"], event))
        self.release()

    def release(self) -> None:
        """Tell listeners, in seq order, every committed event that no unsettled one precedes.
        A listener that records events itself (system event delivery) does not re-enter: the
        running loop tells its events after every listener has seen the current one."""
        if self._releasing:
            return
        self._releasing = True
        try:
            while self._ready and (not self._unsettled or self._ready[0][0] < next(iter(self._unsettled))):
                self.released, event = heapq.heappop(self._ready)
                for listener in self.listeners:
                    listener(event)
        finally:
            self._releasing = False

    def trim(self) -> None:
        """Let the oldest committed events go until memory holds at most 90% of the window (a
        tenth at a time, so the list is not shifted on every event)."""
        excess = len(self.events) - self.window * 9 // 10
        if excess <= 0:
            return
        cut = bisect.bisect_right(self.events, self._store.events_written, hi=excess, key=lambda e: e["seq"])
        if cut:
            del self.events[:cut]
            self._older_in_store = True

    def _take_back(self, event: dict[str, Any]) -> None:
        """Forget an event of a command that failed; its number is reused unless a later event
        was recorded meanwhile (by another request)."""
        for i in range(len(self.events) - 1, -1, -1):  # it is one of the last
            if self.events[i] is event:
                del self.events[i]
                break
        if self.seq == event["seq"]:
            self.seq -= 1
        self.discards += 1
        if self._unsettled.pop(event["seq"], None) is not None:
            self.release()  # later events may have waited for this one

    async def restore(self) -> None:
        """Load the most recent window of the store's events (start-up)."""
        self.events = await self._store.load_recent_events(self.window)
        self._older_in_store = len(self.events) == self.window
        if self.events:
            self.seq = max(self.seq, self.events[-1]["seq"])
        self.released = self.seq

    def query(self, since: float | None = None, **filters: Any) -> list[dict[str, Any]]:
        """Events in memory, oldest first, whose fields equal every filter and whose time is >=
        ``since`` (the recent window; ``find`` reads the whole log)."""
        return [e for e in _since(self.events, since) if _matches(e, filters)]

    async def find(
        self, since: float | None = None, offset: int = 0, limit: int | None = None, **filters: str
    ) -> tuple[int, list[dict[str, Any]]]:
        """How many events of the whole log match (as ``query``) and ``limit`` of them from
        ``offset``: older ones from the store, the window from memory, matched in slices."""
        window = self._released_window()  # a snapshot: trimming must not shift it
        boundary = window[0]["seq"] if window else self.seq + 1
        older_count, page = 0, []
        if self._older_in_store and (since is None or not window or since <= window[0]["time"]):
            older_count = await self._store.count_events(boundary, since, filters)
            if offset < older_count:
                wanted = older_count - offset if limit is None else min(limit, older_count - offset)
                page = await self._store.find_events(boundary, since, filters, offset, wanted)
        matched = await _matching(_since(window, since), filters)
        start = max(0, offset - older_count)
        room = None if limit is None else limit - len(page)
        page += matched[start:] if room is None else matched[start : start + room]
        return older_count + len(matched), page

    def _released_window(self) -> list[dict[str, Any]]:
        """The events in memory that readers may see: settled and in order (see ``released``)."""
        return self.events[: bisect.bisect_right(self.events, self.released, key=lambda e: e["seq"])]

    async def after(self, seq: int) -> AsyncIterator[list[dict[str, Any]]]:
        """Every event numbered above ``seq``, oldest first, in slices (from the store while they
        are older than memory); the loop gets a turn between slices. No turn follows the check
        that found nothing more, so a caller that then starts listening misses nothing."""
        while True:
            first = self.events[0]["seq"] if self.events else self.seq + 1
            batch = []
            if self._older_in_store and seq < first - 1:
                batch = [e for e in await self._store.events_after(seq, SLICE_EVENTS) if e["seq"] < first]
            if not batch:
                start = bisect.bisect_right(self.events, seq, key=lambda e: e["seq"])
                end = bisect.bisect_right(self.events, self.released, lo=start, key=lambda e: e["seq"])
                batch = self.events[start : min(end, start + SLICE_EVENTS)]
            if not batch:
                return
            yield batch
            seq = batch[-1]["seq"]
            await asyncio.sleep(0)


def _batch_order(event: dict[str, Any]) -> tuple[float, int, int]:
    return event["time"], event["partition"], event["pseq"]


def _no_partitions(key: int) -> int:
    raise LookupError(f"no partition table to draw partition {key}'s sequence from")


def _since(events: list[dict[str, Any]], since: float | None) -> list[dict[str, Any]]:
    if since is None:
        return events
    return events[bisect.bisect_left(events, since, key=lambda e: e["time"]) :]


def _matches(event: dict[str, Any], filters: dict[str, Any]) -> bool:
    return all(event.get(k) == v for k, v in filters.items())


async def _matching(events: list[dict[str, Any]], filters: dict[str, Any]) -> list[dict[str, Any]]:
    """``events`` that match every filter, a slice at a time with a turn for the loop between."""
    if not filters:
        return events
    found = []
    for start in range(0, len(events), SLICE_EVENTS):
        found += [e for e in events[start : start + SLICE_EVENTS] if _matches(e, filters)]
        await asyncio.sleep(0)
    return found
