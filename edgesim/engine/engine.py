"""The simulation engine: the in-memory world, the commands that change it, and its timers.

Commands from the API change memory at once, then wait for the store to commit before they
return (``command``); if anything fails before the commit is acknowledged (a draw, a bug, the
store) the command is undone, so a failed request changes nothing. Simulated progress (an image
pulled, a node connecting) happens in clock timers; those changes are queued to the store and
share the next commit (``step``).

The engine is split by subject; each part gets the engine and reaches the others through it:
``deployments``, ``instances`` (lifecycle), ``placement``, ``nodes``, ``groups``, ``quotas``.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import AsyncIterator, Iterator
from typing import Any

from edgesim.domain.models import Deployment, Fault, Group, Instance, Node
from edgesim.engine import undo
from edgesim.engine.behaviors import BehaviorBook, Profile
from edgesim.engine.change import Change
from edgesim.engine.chaos import Chaos
from edgesim.engine.clock import Clock
from edgesim.engine.deployments import Deployments
from edgesim.engine.draws import Draws
from edgesim.engine.events import EventLog
from edgesim.engine.failover import Failover
from edgesim.engine.groups import Groups
from edgesim.engine.ids import IdFactory
from edgesim.engine.instances import Instances
from edgesim.engine.nodes import Nodes
from edgesim.engine.placement import Placement
from edgesim.engine.pods import Pods
from edgesim.engine.quotas import Quotas
from edgesim.engine.report import LiveReport
from edgesim.engine.timers import TimerTable
from edgesim.engine.tokens import TokenBook
from edgesim.engine.undo import Journal, journal
from edgesim.engine.world import World
from edgesim.settings import Settings
from edgesim.store.sqlite import Put, Store, Wipe

log = logging.getLogger(__name__)

RECORD_TYPES = {"node": Node, "group": Group, "deployment": Deployment, "instance": Instance}


class Engine:
    def __init__(self, settings: Settings, clock: Clock, store: Store, seed: int = 0) -> None:
        self.settings = settings
        self.clock = clock
        self.store = store
        self.seed = seed
        self.ids = IdFactory(seed)
        self.draws = Draws(seed)
        self.events = EventLog(
            clock.now, lambda t: clock.timestamp(t).isoformat().replace("+00:00", "Z"), store,
            window=settings.simulation.events.memory_window,
        )
        self.report = LiveReport(self.events)
        self.timers = TimerTable(clock)
        self.world = World()
        self.behaviors = BehaviorBook(settings.behaviors)
        self._deployment_seq = 0
        self.quotas = Quotas(self)
        self.placement = Placement(self)
        self.instances = Instances(self)
        self.deployments = Deployments(self)
        self.nodes = Nodes(self)
        self.groups = Groups(self)
        self.failover = Failover(self)
        self.pods = Pods(self)
        self.tokens = TokenBook(clock, store)  # IAM tokens of the simulated cloud
        self.chaos = Chaos(self)
        store.meta_provider = self._meta

    # --- start-up and persistence -------------------------------------------------------------

    def _meta(self) -> dict[str, Any]:
        return {
            "clock_now": self.clock.now(),
            "epoch": self.clock.epoch.isoformat(),
            "seed": self.seed,
            "id_seq": self.ids.seq,
            "event_seq": self.events.seq,
            "deployment_seq": self._deployment_seq,
        }

    async def start(self, fresh: bool = False) -> None:
        """Load the store's world (or create the configured fleet on an empty store, or when
        ``fresh``: right after a reset wiped it)."""
        meta = {} if fresh else await self.store.load_meta()
        self.ids.seq = meta.get("id_seq", 0)
        self.events.seq = meta.get("event_seq", 0)
        self._deployment_seq = meta.get("deployment_seq", 0)
        for kind, cls in RECORD_TYPES.items():
            records = [cls.from_dict(body) for body in await self.store.load_documents(kind)]
            if kind == "instance":  # waiting queues are first come, first served
                records.sort(key=lambda i: (i.created_at, i.id))
            for record in records:
                self.world.put(record)
        await self.events.restore()
        await self.tokens.load()
        for body in await self.store.load_documents("fault"):
            self.chaos.load(Fault.from_dict(body))
        for body in await self.store.load_documents("config"):
            if body.get("id") == "behaviors":
                self.behaviors = BehaviorBook([Profile.model_validate(p) for p in body["profiles"]])
        if not meta:
            await self._create_default_fleet()
        for record in [*self.world.nodes.values(), *self.world.instances.values()]:
            self.rearm(record)
        for fault in self.chaos.faults.values():
            self.chaos.arm(fault)
        await self.checkpoint()  # the seed and epoch are on disk from the start

    async def _create_default_fleet(self) -> None:
        fleet = self.settings.fleet
        if fleet.nodes:
            await self.nodes.create_fleet(
                fleet.project_id, count=fleet.nodes, groups={}, profile=fleet.profile, name_prefix=fleet.name_prefix
            )

    async def reset(self) -> None:
        """A fresh world on the same server, as if it had started on an empty store: every
        record, timer, fault, event, IAM token and behaviour change goes; the configured fleet
        comes back. Whoever listens to the event log (metrics, live streams) keeps listening;
        the token book stays the same object because the auth middleware holds it."""
        await self.store.commit([Wipe()])
        self.clock.reset()
        listeners, tokens = self.events.listeners, self.tokens
        tokens.forget_all()
        self.__init__(self.settings, self.clock, self.store, seed=self.seed)
        self.events.listeners, self.tokens = listeners, tokens
        await self.start(fresh=True)

    async def checkpoint(self) -> None:
        """Commit the current meta (simulated time above all), e.g. after the clock advanced;
        the events it made durable may then leave memory."""
        await self.store.commit([])
        self.events.trim()

    async def set_behaviors(self, profiles: list[Profile]) -> None:
        """Replace the behaviour profiles; containers started from now on follow them."""
        book = BehaviorBook(profiles)
        async with self.command() as change:
            change.event(self.events.record("behaviors.set", profiles=len(profiles)))
            change.extra.append(Put("config", "behaviors", {"id": "behaviors", "profiles": book.dump()}))
        self.behaviors = book

    def next_deployment_seq(self) -> int:
        self._deployment_seq += 1
        seq = self._deployment_seq
        undo.on_undo(lambda: self._give_back_deployment_seq(seq))
        return seq

    def _give_back_deployment_seq(self, seq: int) -> None:
        if self._deployment_seq == seq:  # no later deployment took the next number meanwhile
            self._deployment_seq -= 1

    # --- changes --------------------------------------------------------------------------------

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
                await self.store.commit(change.ops())
            except Exception:
                self._take_back(change, done)
                raise
            except BaseException:  # cancelled while waiting: the queued ops commit anyway
                self._carry_out(change, done)
                raise
        self._carry_out(change, done)

    @contextlib.contextmanager
    def step(self) -> Iterator[Change]:
        """One simulated step (a timer's work): like ``command``, but its ops are queued for the
        next commit without waiting. A step that raises leaves the world as it was."""
        change = Change(self.world)
        with journal() as done:
            try:
                yield change
            except Exception:
                self._take_back(change, done)
                raise
        self._carry_out(change, done)
        self.store.submit(change.ops())

    @staticmethod
    def _take_back(change: Change, done: Journal) -> None:
        change.rollback()
        done.rollback()

    @staticmethod
    def _carry_out(change: Change, done: Journal) -> None:
        done.committed()
        for action in change.after_commit:
            action()

    def rearm(self, record: Any) -> None:
        """(Re-)set the timer a record waits for, if any."""
        if isinstance(record, Instance):
            self.instances.arm(record)
        elif isinstance(record, Node):
            self.nodes.arm(record)
