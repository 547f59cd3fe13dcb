"""The simulation engine: the in-memory world, the commands that change it, and its timers.

Commands from the API change memory at once, then wait for the store to commit before they
return (``commit``); if the commit fails the change is rolled back, so a failed request changes
nothing. Simulated progress (an image pulled, a node connecting) happens in clock timers; those
changes are queued to the store and share the next commit (``apply``).

The engine is split by subject; each part gets the engine and reaches the others through it:
``deployments``, ``instances`` (lifecycle), ``placement``, ``nodes``, ``groups``, ``quotas``.
"""

from __future__ import annotations

import logging
from typing import Any

from edgesim.domain.models import Deployment, Fault, Group, Instance, Node
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
from edgesim.engine.timers import TimerTable
from edgesim.engine.tokens import TokenBook
from edgesim.engine.world import World
from edgesim.settings import Settings
from edgesim.store.sqlite import Put, Store, StoreError, Wipe

log = logging.getLogger(__name__)

RECORD_TYPES = {"node": Node, "group": Group, "deployment": Deployment, "instance": Instance}
# What ``Engine._meta`` stores, by type: a start on a file whose meta was edited or damaged
# stops with the key's name rather than failing later on a request.
META_TYPES: dict[str, tuple[tuple[type, ...], str]] = {
    "clock_now": ((int, float), "a number"), "epoch": ((str,), "a timestamp"), "seed": ((int,), "an integer"),
    "id_seq": ((int,), "an integer"), "event_seq": ((int,), "an integer"), "deployment_seq": ((int,), "an integer"),
}


def check_meta(meta: dict[str, Any]) -> None:
    """Raise ValueError naming the first stored meta value of the wrong type."""
    for key, (types, expected) in META_TYPES.items():
        value = meta.get(key)
        if value is not None and (isinstance(value, bool) or not isinstance(value, types)):
            raise ValueError(f"stored meta {key} is {value!r}, not {expected}")


def _from_document(kind: str, cls: type, body: Any) -> Any:
    """The record a stored document holds; a document that does not fit (edited, damaged)
    names itself instead of failing deep in a constructor."""
    try:
        return cls.from_dict(body)
    except (AttributeError, KeyError, TypeError, ValueError) as exc:
        doc_id = body.get("id") if isinstance(body, dict) else None
        raise ValueError(f"stored {kind} {doc_id}: {exc}") from exc


class Engine:
    def __init__(self, settings: Settings, clock: Clock, store: Store, seed: int = 0) -> None:
        self.settings = settings
        self.clock = clock
        self.store = store
        self.seed = seed
        self.ids = IdFactory(seed)
        self.draws = Draws(seed)
        self.events = EventLog(clock.now, lambda t: clock.timestamp(t).isoformat().replace("+00:00", "Z"))
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
            records = [_from_document(kind, cls, body) for body in await self.store.load_documents(kind)]
            if kind == "instance":  # waiting queues are first come, first served
                records.sort(key=lambda i: (i.created_at, i.id))
            for record in records:
                self.world.put(record)
        self.events.restore(await self.store.load_events())
        await self.tokens.load()
        for body in await self.store.load_documents("fault"):
            self.chaos.load(_from_document("fault", Fault, body))
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
        """Commit the current meta (simulated time above all), e.g. after the clock advanced."""
        await self.store.commit([])

    async def set_behaviors(self, profiles: list[Profile]) -> None:
        """Replace the behaviour profiles; containers started from now on follow them."""
        book = BehaviorBook(profiles)
        event = self.events.record("behaviors.set", profiles=len(profiles))
        try:
            await self.store.commit([Put("config", "behaviors", {"id": "behaviors", "profiles": book.dump()}), event])
        except StoreError:
            self.events.discard({event.seq})
            raise
        self.behaviors = book

    def next_deployment_seq(self) -> int:
        self._deployment_seq += 1
        return self._deployment_seq

    # --- changes --------------------------------------------------------------------------------

    def change(self) -> Change:
        return Change(self.world)

    async def commit(self, change: Change, extra: list | None = None) -> None:
        """Persist an API command's change (and ``extra`` store ops); undo it in memory if the
        store refuses it."""
        try:
            await self.store.commit([*change.ops(), *(extra or [])])
        except StoreError:
            for record in change.rollback():
                self.rearm(record)
            self.events.discard({op.seq for op in change.events})
            raise
        for action in change.after_commit:
            action()

    def apply(self, change: Change, extra: list | None = None) -> None:
        """Carry out a simulated step's change and queue it (and ``extra`` ops) for the next commit."""
        for action in change.after_commit:
            action()
        self.store.submit([*change.ops(), *(extra or [])])

    def rearm(self, record: Any) -> None:
        """(Re-)set the timer a record waits for, if any."""
        if isinstance(record, Instance):
            self.instances.arm(record)
        elif isinstance(record, Node):
            self.nodes.arm(record)
