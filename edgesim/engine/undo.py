"""The undo journal of the command (or simulated step) running in this task.

A ``Change`` snapshots the records a command touches; everything else a command does on the
way (setting and cancelling timers, drawing ids and event numbers, telling listeners about
events, changing faults) registers here how to take it back, or what to do once the change is
committed. ``Engine.command`` opens a journal around a command: if anything raises before the
commit is acknowledged, the journal is undone in reverse order, so a failed request leaves
memory, timers and events exactly as they were. Outside a journal nothing is recorded.

The journal is a context variable, so concurrent requests (each its own task) keep their own.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from contextvars import ContextVar
from typing import Any

Action = Callable[[], None]


class Journal:
    def __init__(self) -> None:
        self.undo: list[Action] = []
        self.on_commit: list[Action] = []
        # what a part keeps for this journal only (the partition table's sequences before it)
        self.memo: dict[object, Any] = {}

    def rollback(self) -> None:
        for action in reversed(self.undo):
            action()
        self.undo.clear()
        self.on_commit.clear()
        self.memo.clear()

    def committed(self) -> None:
        for action in self.on_commit:
            action()
        self.undo.clear()
        self.on_commit.clear()
        self.memo.clear()


_CURRENT: ContextVar[Journal | None] = ContextVar("edgesim_undo_journal", default=None)


@contextlib.contextmanager
def journal() -> Iterator[Journal]:
    """Record into a new journal within this block (this task only)."""
    current = Journal()
    token = _CURRENT.set(current)
    try:
        yield current
    finally:
        _CURRENT.reset(token)


def current() -> Journal | None:
    """The journal of the running command or step, if any."""
    return _CURRENT.get()


def on_undo(action: Action) -> None:
    """Take this back if the running command fails (nothing to do outside a command)."""
    current = _CURRENT.get()
    if current is not None:
        current.undo.append(action)


def next_number(owner: object, counter: str) -> int:
    """Draw the next number of ``owner.<counter>`` (an int attribute): if the running command
    fails, the number is given back (drawn again next), unless a later one was drawn since."""
    drawn: int = getattr(owner, counter) + 1
    setattr(owner, counter, drawn)

    def give_back() -> None:
        if getattr(owner, counter) == drawn:
            setattr(owner, counter, drawn - 1)

    on_undo(give_back)
    return drawn


def on_commit(action: Action) -> None:
    """Do this once the running command is committed; at once outside a command."""
    current = _CURRENT.get()
    if current is None:
        action()
    else:
        current.on_commit.append(action)
