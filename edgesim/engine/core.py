"""What every engine part shares: the settings, the clock and its timers, the world, the event
log, ids and draws, the store and the behaviour book, and the two ways to change the world.

Commands from the API change memory at once, then wait for the store to commit before they
return (``command``); if anything fails before the commit is acknowledged (a draw, a bug, the
store) the command is undone, so a failed request changes nothing. Simulated progress (an image
pulled, a node connecting) happens in clock timers; those changes are queued to the store and
share the next commit (``step``).

The core knows no engine part; each part gets the core and the parts it calls
(``engine.Engine`` wires them), so the engine's modules import one another in one direction.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Callable, Iterator

from edgesim.domain.models import Node
from edgesim.engine.behaviors import BehaviorBook
from edgesim.engine.change import Change
from edgesim.engine.clock import Clock
from edgesim.engine.draws import Draws
from edgesim.engine.event_partitions import EventPartitions
from edgesim.engine.events import EventLog
from edgesim.engine.ids import IdFactory
from edgesim.engine.timers import TimerTable
from edgesim.engine.undo import Journal, journal
from edgesim.engine.world import World
from edgesim.settings import Settings
from edgesim.store.sqlite import Store


class Core:
    def __init__(self, settings: Settings, clock: Clock, store: Store, seed: int) -> None:
        self.settings = settings
        self.clock = clock
        self.store = store
        self.seed = seed
        self.ids = IdFactory(seed)
        self.draws = Draws(seed)
        self.events = EventLog(
            clock.now, _LastTimestamp(clock), store,
            window=settings.simulation.events.memory_window,
        )
        self.timers = TimerTable(clock)
        self.world = World()
        self.events.partition_of = EventPartitions(self.world).key_of
        self.events.partition_seq = self.world.partitions.next_seq
        clock.on_instant_end = self.events.close_instant  # replaced with the core on a reset
        self.behaviors = BehaviorBook(settings.behaviors)  # replaced by PUT /edgesim/behaviors
        # called (node, old state, change) on every node state change, within its change: what
        # follows a node (its devices' online state) changes at the same simulated moment
        self.node_state_listeners: list[Callable[[Node, str, Change], None]] = []
        # called with every command's and step's change just before it ends, within it: what
        # follows the instances (a rolling update) reacts at the same simulated moment
        self.change_listeners: list[Callable[[Change], None]] = []
        # asked when a node's agent reports again: a reason to refuse it (an expired certificate),
        # or None; a refused node stays FAIL with that reason
        self.connect_gates: list[Callable[[Node], str | None]] = []
        # called (node, change) when a node's agent reports again, even one that never went FAIL
        # (silent for less than the grace period): what it missed meanwhile reaches it now
        self.reconnect_listeners: list[Callable[[Node, Change], None]] = []

    def vertex_id(self) -> tuple[str, int]:
        """A new node's, group's or device's id and birth: the id is made from the birth."""
        birth = self.world.next_birth()
        return self.ids.of_birth(birth), birth

    def partition_id(self, member: str) -> str:
        """A new id of a record owned by ``member``'s partition (a deployment, an instance, a
        cert): from the partition's key and its next local number."""
        key = self.world.partitions.key_of(member)
        return self.ids.in_partition(key, self.world.partitions.next_seq(key))

    def now(self) -> float:
        """The simulated time a part acts at: the clock's, or while the cloud catches up on what
        a node did out of its sight, the edge time being replayed (``at_edge``)."""
        edge = self.events.edge_time
        return self.clock.now() if edge is None else edge

    @contextlib.contextmanager
    def at_edge(self, when: float) -> Iterator[None]:
        """Replay what happened at the edge at ``when`` (before now): parts read ``now()`` as
        ``when`` and the events they record carry it as ``edge_time``."""
        before = self.events.edge_time
        self.events.edge_time = when
        try:
            yield
        finally:
            self.events.edge_time = before

    @contextlib.asynccontextmanager
    async def command(self) -> AsyncIterator[Change]:
        """One API command: the block makes its changes through the change it is given (and
        ``engine.undo`` records the rest); when it ends they are committed, and the command
        returns only then. If anything raises in the block or in the commit, memory, timers
        and events are put back exactly as they were and the error goes on to the caller."""
        change = Change(self.world)
        with journal() as done:
            try:
                yield change
                self._ending(change)
                # published now, so the commit holds them numbered; readers see them once it is done
                ops = [*change.record_ops(), *self.events.number(change.events, settled=False)]
                await self.store.commit(ops)
            except Exception:
                _take_back(change, done)
                raise
            except BaseException:  # cancelled while waiting: the queued ops commit anyway
                _carry_out(change, done)
                raise
        _carry_out(change, done)

    @contextlib.contextmanager
    def step(self) -> Iterator[Change]:
        """One simulated step (a timer's work): like ``command``, but its ops are queued for the
        next commit without waiting. A step that raises leaves the world as it was."""
        change = Change(self.world)
        with journal() as done:
            try:
                yield change
                self._ending(change)
            except Exception:
                _take_back(change, done)
                raise
        _carry_out(change, done)
        ops = change.record_ops()
        if self.clock.in_instant or self.events.closing:
            self.events.hold(ops, change.events)  # published with the rest of its instant
        else:  # not a timer's (a delivery after a command): a batch of its own
            self.store.submit([*ops, *self.events.number(change.events, settled=True)])
            self.events.release()

    def _ending(self, change: Change) -> None:
        for listener in self.change_listeners:
            listener(change)


def _take_back(change: Change, done: Journal) -> None:
    change.rollback()
    change.close()
    done.rollback()


def _carry_out(change: Change, done: Journal) -> None:
    change.close()
    done.committed()
    for action in change.after_commit:
        action()


class _LastTimestamp:
    """An event's ISO timestamp, the last one remembered: the events of one instant (a node's
    ten instances lost, a create's instance and its deployment) share their time."""

    __slots__ = ("clock", "last", "epoch", "text")

    def __init__(self, clock: Clock) -> None:
        self.clock = clock
        self.last: float | None = None
        self.epoch = clock.epoch
        self.text = ""

    def __call__(self, t: float) -> str:
        if t != self.last or self.clock.epoch is not self.epoch:  # (a restored snapshot moves the epoch)
            self.text = self.clock.timestamp(t).isoformat().replace("+00:00", "Z")
            self.last, self.epoch = t, self.clock.epoch
        return self.text
