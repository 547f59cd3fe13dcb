"""At most one pending timer per key (an instance, a node): setting a new one replaces the old."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from edgesim.engine.clock import Clock, Timer


class TimerTable:
    def __init__(self, clock: Clock) -> None:
        self.clock = clock
        self._timers: dict[str, Timer] = {}

    def set(self, key: str, when: float, callback: Callable[..., Any], *args: Any) -> None:
        self.cancel(key)
        self._timers[key] = self.clock.call_at(when, self._fire, key, callback, args)

    def cancel(self, key: str) -> None:
        timer = self._timers.pop(key, None)
        if timer is not None:
            timer.cancel()

    def __contains__(self, key: str) -> bool:
        return key in self._timers

    def __len__(self) -> int:
        return len(self._timers)

    def _fire(self, key: str, callback: Callable[..., Any], args: tuple) -> Any:
        self._timers.pop(key, None)
        return callback(*args)
