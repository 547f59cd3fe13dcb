"""The event log: every state change the simulation makes, in order, with its simulated time.

Same seed and same inputs give the same log, so tests and replays compare logs directly.

Memory holds a window of the most recent events (``memory_window`` in simulation.toml); older
ones are read back from the store, so a long run does not grow the heap. An event leaves memory
only once the store has committed it, and ``find`` answers from both as if the whole log were
in memory.

Readers (``find``, ``after``, listeners such as live streams and ``--record``) see an event only
once it is committed, and in seq order: a timer's step that commits while an earlier request
still waits for its commit has its events held back until that request settles.
"""

from __future__ import annotations

import asyncio
import bisect
import heapq
from collections.abc import AsyncIterator, Callable
from typing import Any

from edgesim.engine import undo
from edgesim.store.sqlite import AppendEvent, Store

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
        self.seq = seq
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

    def record(self, kind: str, **fields: Any) -> AppendEvent:
        """Add an event; returns the store op that persists it."""
        self.seq += 1
        now = round(self._now(), 6)
        event = {"seq": self.seq, "time": now, "timestamp": self._timestamp(now), "kind": kind, **fields}
        if self.edge_time is not None:
            event["edge_time"] = round(self.edge_time, 6)
        self.events.append(event)
        if len(self.events) > self.window:
            self.trim()
        self._unsettled[self.seq] = event
        undo.on_undo(lambda: self._take_back(event))
        undo.on_commit(lambda: self._settle(event))  # listeners never see an uncommitted event
        return AppendEvent(self.seq, event)

    def _settle(self, event: dict[str, Any]) -> None:
        del self._unsettled[event["seq"]]
        heapq.heappush(self._ready, (event["seq"], event))
        self._release()

    def _release(self) -> None:
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
            self._release()  # later events may have waited for this one

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
