"""The instance state machine: one shared ``transitions`` AsyncMachine used as a table.

Instances are not added to the machine (no per-instance machine, no per-instance callbacks);
an event is fired with ``fire(instance, "started")`` and the machine checks the source state
and sets ``instance.state``. The machine has no callbacks, so a trigger never suspends: the
engine does its side effects (timers, persistence, events) after the trigger returns.
"""

from __future__ import annotations

from typing import Any

from transitions.extensions.asyncio import AsyncMachine

from edgesim.domain.states import InstanceState as S

_LIVE = [S.PENDING_CREATE, S.RUNNING, S.FAILED, S.CREATE_FAIL, S.SUCCEEDED, S.UNKNOWN, S.FREEZE]
_RECOVERABLE = [S.PENDING_CREATE, S.RUNNING, S.FAILED, S.CREATE_FAIL, S.SUCCEEDED]

TRANSITIONS = [
    # the container started: the first time, or again after a back-off
    {"trigger": "started", "source": [S.PENDING_CREATE, S.FAILED], "dest": S.RUNNING},
    # the image cannot be pulled (not found): the instance cannot be created
    {"trigger": "pull_failed", "source": S.PENDING_CREATE, "dest": S.CREATE_FAIL},
    # the container ended badly (exit code, OOM kill, liveness kill); back-off or for good
    {"trigger": "crashed", "source": S.RUNNING, "dest": S.FAILED},
    # the container ended with code 0 and is not restarted
    {"trigger": "completed", "source": S.RUNNING, "dest": S.SUCCEEDED},
    # graceful stop: on delete or when a rolling update replaces the instance
    {"trigger": "terminate", "source": _LIVE, "dest": S.TERMINATING},
    # its node stopped reporting: nobody knows what the container does
    {"trigger": "node_lost", "source": _RECOVERABLE, "dest": S.UNKNOWN},
    # its node came back: the instance is what it was (one trigger per state it may return to)
    *({"trigger": f"recover_{s.value.lower()}", "source": S.UNKNOWN, "dest": s} for s in _RECOVERABLE),
]

MACHINE = AsyncMachine(
    model=None,
    states=[s.value for s in S],
    transitions=TRANSITIONS,
    initial=S.PENDING_CREATE.value,
    auto_transitions=False,
    ignore_invalid_triggers=True,
    name="instance",
)


async def fire(instance: Any, trigger: str) -> bool:
    """Fire ``trigger`` on ``instance``; True if its state changed, False if not allowed now."""
    return await MACHINE.events[trigger].trigger(instance)
