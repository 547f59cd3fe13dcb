"""The event log: every state change the simulation makes, in order, with its simulated time.

Same seed and same inputs give the same log, so tests and replays compare logs directly.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from edgesim.store.sqlite import AppendEvent


class EventLog:
    def __init__(self, now: Callable[[], float], seq: int = 0) -> None:
        self._now = now
        self.seq = seq
        self.events: list[dict[str, Any]] = []

    def record(self, kind: str, **fields: Any) -> AppendEvent:
        """Add an event; returns the store op that persists it."""
        self.seq += 1
        event = {"seq": self.seq, "time": round(self._now(), 6), "kind": kind, **fields}
        self.events.append(event)
        return AppendEvent(self.seq, event)

    def discard(self, seqs: set[int]) -> None:
        """Forget events of a change that was not committed (their numbers are not reused)."""
        if seqs:
            self.events = [e for e in self.events if e["seq"] not in seqs]

    def restore(self, events: list[dict[str, Any]]) -> None:
        self.events = events
        if events:
            self.seq = max(self.seq, events[-1]["seq"])

    def query(self, **filters: Any) -> list[dict[str, Any]]:
        """Events whose fields equal every given filter (``since`` keeps time >= since)."""
        since = filters.pop("since", None)
        return [
            e
            for e in self.events
            if (since is None or e["time"] >= since) and all(e.get(k) == v for k, v in filters.items())
        ]
