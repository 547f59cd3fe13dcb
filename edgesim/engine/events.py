"""The event log: every state change the simulation makes, in order, with its simulated time.

Same seed and same inputs give the same log, so tests and replays compare logs directly.
"""

from __future__ import annotations

import bisect
from collections.abc import Callable
from typing import Any

from edgesim.store.sqlite import AppendEvent


class EventLog:
    def __init__(self, now: Callable[[], float], timestamp: Callable[[float], str], seq: int = 0) -> None:
        self._now = now
        self._timestamp = timestamp
        self.seq = seq
        self.events: list[dict[str, Any]] = []
        # Called with each new event as it is recorded (metrics, live streams). A listener must
        # be quick and must not raise: it runs inside the simulation step.
        self.listeners: list[Callable[[dict[str, Any]], None]] = []

    def record(self, kind: str, **fields: Any) -> AppendEvent:
        """Add an event; returns the store op that persists it."""
        self.seq += 1
        now = round(self._now(), 6)
        event = {"seq": self.seq, "time": now, "timestamp": self._timestamp(now), "kind": kind, **fields}
        self.events.append(event)
        for listener in self.listeners:
            listener(event)
        return AppendEvent(self.seq, event)

    def discard(self, seqs: set[int]) -> None:
        """Forget events of a change that was not committed (their numbers are not reused)."""
        if seqs:
            self.events = [e for e in self.events if e["seq"] not in seqs]

    def restore(self, events: list[dict[str, Any]]) -> None:
        self.events = events
        if events:
            self.seq = max(self.seq, events[-1]["seq"])

    def query(self, since: float | None = None, **filters: Any) -> list[dict[str, Any]]:
        """Events, oldest first, whose fields equal every filter and whose time is >= ``since``."""
        events = self.events
        if since is not None:
            events = events[bisect.bisect_left(events, since, key=lambda e: e["time"]) :]
        if not filters:
            return list(events)
        return [e for e in events if all(e.get(k) == v for k, v in filters.items())]
