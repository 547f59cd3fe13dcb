"""At most one pending timer per key (an instance, a node): setting a new one replaces the old.

Within a command every set and cancel is journaled (``engine.undo``): a failed command gets
back exactly the timers it had, in the same order.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from edgesim.engine import undo
from edgesim.engine.clock import Clock, Timer


class TimerTable:
    def __init__(self, clock: Clock) -> None:
        self.clock = clock
        self._timers: dict[str, Timer] = {}

    def set(self, key: str, when: float, callback: Callable[..., Any], *args: Any) -> None:
        self._replace(key, self.clock.call_at(when, self._fire, key, callback, args))

    def cancel(self, key: str) -> None:
        self._replace(key, None)

    def _replace(self, key: str, timer: Timer | None) -> None:
        old = self._timers.pop(key, None)
        if old is not None:
            old.cancel()
        if timer is not None:
            self._timers[key] = timer
        if old is not None or timer is not None:
            undo.on_undo(lambda: self._put_back(key, old, timer))

    def _put_back(self, key: str, old: Timer | None, new: Timer | None) -> None:
        """Undo a ``_replace`` (unless the key moved on since): ``new`` goes, ``old`` is back."""
        if self._timers.get(key) is not new:
            return
        if new is not None:
            new.cancel()
            del self._timers[key]
        if old is not None:
            self._timers[key] = self.clock.reinstate(old)

    def __contains__(self, key: str) -> bool:
        return key in self._timers

    def __len__(self) -> int:
        return len(self._timers)

    def _fire(self, key: str, callback: Callable[..., Any], args: tuple) -> Any:
        self._timers.pop(key, None)
        return callback(*args)
