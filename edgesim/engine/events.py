"""The event log: every state change the simulation makes, in order, with its simulated time.

Same seed and same inputs give the same log, so tests and replays compare logs directly.
"""

from __future__ import annotations

import bisect
from collections.abc import Callable
from typing import Any

from edgesim.engine import undo
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
        undo.on_undo(lambda: self._take_back(event))
        undo.on_commit(lambda: self._notify(event))  # listeners never see an uncommitted event
        return AppendEvent(self.seq, event)

    def _notify(self, event: dict[str, Any]) -> None:
        for listener in self.listeners:
            listener(event)

    def _take_back(self, event: dict[str, Any]) -> None:
        """Forget an event of a command that failed; its number is reused unless a later event
        was recorded meanwhile (by another request)."""
        for i in range(len(self.events) - 1, -1, -1):  # it is one of the last
            if self.events[i] is event:
                del self.events[i]
                break
        if self.seq == event["seq"]:
            self.seq -= 1

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
