"""An instance's life as data: the table of its steps, the moves between them, and the machine.

A step is an IEF state with what the instance waits for in it (its ``phase``): PENDING_CREATE
while it pulls its image and while it starts, RUNNING while its container runs and while it
restarts on request, and so on. ``STEPS`` says for each step what it shows through the API
and which triggers its timer fires when due; ``MOVES`` says which trigger leads from which
steps to which. Both API versions show the same reason; v3 calls PENDING_CREATE "PENDING".

One shared ``transitions`` AsyncMachine is built from the table and used as a transition
table: instances are not added to it (no per-instance machine, no callbacks); a trigger is
fired with ``MACHINE.events[name].trigger(instance)`` on ``Instance.step`` ("RUNNING:run"),
which holds the state and the phase. The machine has no callbacks, so a trigger never
suspends (``fire`` runs it to its end at once). A trigger the table does not allow in the instance's step raises ``MachineError``.
``Lifecycle.move`` fires a trigger and then does what goes with it: the due time, the reason
and message shown, the node's reservations and the ``instance.state`` event.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from transitions.extensions.asyncio import AsyncMachine

from edgesim.domain.models import Instance
from edgesim.domain.states import InstanceState as S
from edgesim.engine.change import Change
from edgesim.engine.events import EventLog
from edgesim.engine.world import DONE, HOLDS_NOTHING, WAIT, World

# What an instance waits for (besides WAIT and DONE, which hold no resources: see ``World``).
PULL, PULL_BACKOFF, START, RUN, BACKOFF, TERMINATE = "pull", "pull_backoff", "start", "run", "backoff", "terminate"
PULL_ERROR = "pull_error"  # a pull just failed: ErrImagePull until the kubelet's next sync
CONFIG = "config"  # a referenced config map, secret or key is missing: waits for it (no timer)


@dataclass(frozen=True, slots=True)
class Step:
    """One step of an instance's life.

    ``reason`` is the reason it shows; when that depends on how it got there, ``reason_from``
    says where it comes from and the move gives it. ``on_due`` are the triggers its timer may
    fire (which one depends on the outcome, such as the pull's); a step without them has no
    timer of its own (RUN has one only when the container is planned to end)."""

    state: S
    phase: str
    reason: str | None = None
    reason_from: str = ""
    on_due: tuple[str, ...] = ()

    @property
    def name(self) -> str:
        return f"{self.state.value}:{self.phase}"

    @property
    def v3_state(self) -> str:
        return self.state.v3()


_PULLED = ("pulled", "pull_error", "image_not_found")  # what a pull's end fires
_LOSABLE = (PULL, PULL_ERROR, PULL_BACKOFF, START, RUN, BACKOFF)  # phases an instance can be in when its node is lost

STEPS: tuple[Step, ...] = (
    Step(S.PENDING_CREATE, WAIT,
         reason_from="placement: `Insufficient <resource>`, `Unschedulable`, `NodeLost`, the node's state"),
    Step(S.PENDING_CREATE, PULL, reason_from="`ContainerCreating`; `ImagePullBackOff` while a failed pull is retried",
         on_due=_PULLED),
    Step(S.PENDING_CREATE, PULL_ERROR, "ErrImagePull", on_due=("pull_wait", "pull_retry")),
    Step(S.PENDING_CREATE, PULL_BACKOFF, "ImagePullBackOff", on_due=("pull_retry",)),
    # due stays None (no timer): config map and secret changes re-check it, firing config_ready
    Step(S.PENDING_CREATE, CONFIG, "CreateContainerConfigError", on_due=("config_ready",)),
    Step(S.PENDING_CREATE, START, "ContainerCreating", on_due=("started",)),
    Step(S.RUNNING, RUN, on_due=("crashed", "completed", "failed", "rescanned")),
    Step(S.RUNNING, START, "Restarting", on_due=("started",)),
    Step(S.FAILED, BACKOFF, "CrashLoopBackOff", on_due=("started",)),
    Step(S.FAILED, START, "Restarting", on_due=("started",)),
    Step(S.FAILED, DONE, reason_from="how the container ended: `Error`, `OOMKilled`, `Evicted`"),
    Step(S.SUCCEEDED, DONE, "Completed"),
    # a missing image: retried with the same back-off, CREATE_FAIL all along (docs/behaviors.md)
    Step(S.CREATE_FAIL, PULL, "ImagePullBackOff", on_due=_PULLED),
    Step(S.CREATE_FAIL, PULL_ERROR, "ErrImagePull", on_due=("pull_wait", "pull_retry")),
    Step(S.CREATE_FAIL, PULL_BACKOFF, "ImagePullBackOff", on_due=("pull_retry",)),
    Step(S.CREATE_FAIL, DONE, "ErrImagePull"),  # only in stores written before missing images were retried
    Step(S.TERMINATING, TERMINATE, on_due=("removed",)),
    *(Step(S.UNKNOWN, phase, "NodeLost") for phase in _LOSABLE),
    Step(S.UNKNOWN, DONE, reason_from="`NodeLost`, or `Migrated` once recreated on another node"),
)
STEP: dict[str, Step] = {s.name: s for s in STEPS}


def _named(state: S, phase: str) -> str:
    return STEP[f"{state.value}:{phase}"].name  # a KeyError here is a typo in the table


def _all(state: S) -> tuple[str, ...]:
    """Every step of ``state``: a move from the state as a whole (a nested state's parent)."""
    return tuple(s.name for s in STEPS if s.state == state)


@dataclass(frozen=True, slots=True)
class Move:
    """``trigger`` moves an instance from any of ``sources`` to ``dest`` (None: it stays)."""

    trigger: str
    sources: tuple[str, ...]
    dest: str | None
    why: str


def recover_trigger(state: str, phase: str) -> str:
    """The trigger that brings an instance whose node came back to the step it was in."""
    return f"recover:{state}:{phase}"


# Steps an instance leaves when its node is lost, and comes back to when the node returns.
_RECOVERABLE = tuple(s for s in STEPS if s.state not in (S.TERMINATING, S.UNKNOWN) and s.phase != WAIT)
_PULLING = (_named(S.PENDING_CREATE, PULL), _named(S.CREATE_FAIL, PULL))
_LIVE = tuple(s.name for s in STEPS if s.state != S.TERMINATING and s.phase not in HOLDS_NOTHING)

MOVES: tuple[Move, ...] = (
    Move("placed", (_named(S.PENDING_CREATE, WAIT),), _named(S.PENDING_CREATE, PULL), "a node has room: pull the image"),
    Move("pulled", _PULLING, _named(S.PENDING_CREATE, START), "the image is on the node"),
    Move("config_missing", _PULLING, _named(S.PENDING_CREATE, CONFIG),
         "the image is on the node but a config map, secret or key it references is missing"),
    Move("config_ready", (_named(S.PENDING_CREATE, CONFIG),), _named(S.PENDING_CREATE, START),
         "what it references exists now (re-checked on config map and secret changes)"),
    Move("pull_error", _PULLING, _named(S.PENDING_CREATE, PULL_ERROR),
         "the pull failed (flaky registry, fault): ErrImagePull, then a back-off"),
    Move("image_not_found", _PULLING, _named(S.CREATE_FAIL, PULL_ERROR), "the image does not exist: ErrImagePull, then a back-off"),
    *(Move("pull_wait", (_named(state, PULL_ERROR),), _named(state, PULL_BACKOFF),
           "the kubelet's next sync: the back-off goes on") for state in (S.PENDING_CREATE, S.CREATE_FAIL)),
    *(Move("pull_retry", (_named(state, PULL_ERROR), _named(state, PULL_BACKOFF)), _named(state, PULL),
           "the back-off is over: pull again") for state in (S.PENDING_CREATE, S.CREATE_FAIL)),
    Move("started", tuple(s.name for s in STEPS if s.phase in (START, BACKOFF) and s.state != S.UNKNOWN),
         _named(S.RUNNING, RUN), "the container runs (the first time, after a back-off or a restart)"),
    Move("rescanned", (_named(S.RUNNING, RUN),), None, "the liveness scan reached its horizon: scan further"),
    Move("restart", (_named(S.RUNNING, RUN),), _named(S.RUNNING, START), "restart on request: the container is killed"),
    Move("restart", (_named(S.FAILED, BACKOFF),), _named(S.FAILED, START), "restart on request: skip the back-off"),
    Move("crashed", _all(S.RUNNING), _named(S.FAILED, BACKOFF), "the container ended and the policy restarts it"),
    Move("completed", _all(S.RUNNING), _named(S.SUCCEEDED, DONE), "it exited with code 0 and is not restarted"),
    Move("failed", _all(S.RUNNING), _named(S.FAILED, DONE), "it ended badly and is not restarted"),
    Move("evicted", (_named(S.RUNNING, RUN),), _named(S.FAILED, DONE),
         "its node ran out of memory and the kubelet evicted it (its deployment replaces it)"),
    Move("terminate", _LIVE, _named(S.TERMINATING, TERMINATE), "deleted, or replaced by a rolling update"),
    Move("removed", (_named(S.TERMINATING, TERMINATE),), None, "the termination is over: the instance goes"),
    *(Move("node_lost", (s.name,), _named(S.UNKNOWN, s.phase if s.phase in _LOSABLE else DONE),
           "its node stopped reporting") for s in _RECOVERABLE),
    Move("migrated", _all(S.UNKNOWN), _named(S.UNKNOWN, DONE), "recreated on another node of the group"),
    *(Move(recover_trigger(s.state.value, s.phase), _all(S.UNKNOWN), s.name, "its node reports again")
      for s in _RECOVERABLE),
)

# trigger -> the steps it may be fired in
ALLOWED: dict[str, frozenset[str]] = {
    trigger: frozenset(src for m in MOVES if m.trigger == trigger for src in m.sources)
    for trigger in dict.fromkeys(m.trigger for m in MOVES)
}

MACHINE = AsyncMachine(
    model=None,
    states=[s.name for s in STEPS],
    transitions=[
        {"trigger": m.trigger, "source": list(m.sources), "dest": m.dest} for m in MOVES
    ],
    initial=_named(S.PENDING_CREATE, WAIT),
    auto_transitions=False,
    ignore_invalid_triggers=False,
    model_attribute="step",
    name="instance",
)


def allows(inst: Instance, trigger: str) -> bool:
    return inst.step in ALLOWED[trigger]


def fire(inst: Instance, trigger: str) -> Step:
    """Fire ``trigger`` on ``inst``; the step it is in now. Raises MachineError if not allowed.

    The machine has no callbacks, so its trigger coroutine ends without ever suspending; it is
    run to its end here, so that synchronous commands (placement) move instances through the
    machine too."""
    run = MACHINE.events[trigger].trigger(inst)
    try:
        run.send(None)
    except StopIteration:
        return STEP[inst.step]
    run.close()
    raise RuntimeError(f"the lifecycle machine suspended on {trigger!r}: it must not have async callbacks")


class Lifecycle:
    """Moves instances through the table and keeps what goes with a move in step."""

    def __init__(self, world: World, events: EventLog) -> None:
        self.world = world
        self.events = events
        # called (instance, the phase it left, change) after every move (``engine.usage``)
        self.watchers: list[Callable[[Instance, str | None, Change], None]] = []

    def move(self, inst: Instance, trigger: str, change: Change, *, due: float | None,
                   message: str | None = None, reason: str | None = None) -> None:
        """Fire ``trigger``; the new step's timer is due at ``due``. It shows the step's reason
        (or ``reason``, for steps whose reason depends on the move) and ``message``. A change of
        IEF state is an ``instance.state`` event."""
        old, old_phase = inst.state, inst.phase
        step = fire(inst, trigger)
        # the machine wrote the phase; set_phase brings the node's reservations along
        self.world.set_phase(inst, step.phase, due, reason if step.reason_from else step.reason, message)
        if inst.state != old:
            change.event(state_event(self.events, inst, old))
        for watcher in self.watchers:
            watcher(inst, old_phase, change)


def state_event(events: EventLog, inst: Instance, old_state: str):
    """The event of an instance's state change (with what it is now: reason, readiness)."""
    return events.record(
        "instance.state", instance_id=inst.id, deployment_id=inst.deployment_id, node_id=inst.node_id,
        reason=inst.reason, message=inst.message, ready=inst.is_ready, **{"from": old_state, "to": inst.state},
    )


# --- the table as docs/behaviors.md shows it ---------------------------------------------------------

DOC_BEGIN = "<!-- lifecycle table: generated from edgesim/engine/lifecycle.py by lifecycle.markdown() -->"
DOC_END = "<!-- end of the generated lifecycle table -->"


def markdown() -> str:
    """The steps and the moves as two Markdown tables (docs/behaviors.md embeds them)."""
    steps = ["| step | v2 state | v3 state | reason | when its timer is due |", "|---|---|---|---|---|"]
    for s in STEPS:
        reason = f"`{s.reason}`" if s.reason else (s.reason_from or "-")
        due = ", ".join(f"`{t}`" for t in s.on_due) or "-"
        steps.append(f"| `{s.name}` | `{s.state.value}` | `{s.v3_state}` | {reason} | {due} |")
    moves = ["| trigger | from | to | why |", "|---|---|---|---|"]
    for m in MOVES:
        sources = ", ".join(f"`{src}`" for src in m.sources)
        moves.append(f"| `{m.trigger}` | {sources} | `{m.dest or 'stays'}` | {m.why} |")
    return "\n".join([*steps, "", *moves])
