"""The simulation engine: the core every part shares and the parts, wired together.

Each part owns one subject and gets the core (``engine.core``) and the parts it calls, nothing
more: ``quotas``, ``placement``, ``instances`` (lifecycle, with ``containers``), ``deployments``,
``failover``, ``nodes``, ``groups``, ``fleet``, ``pods``, ``chaos``. The engine loads the store's
world on start, re-arms its timers, and answers the meta the store keeps with every commit.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from datetime import datetime
from typing import Any

import orjson

from edgesim.domain.kinds import KINDS
from edgesim.domain.models import BehaviorSet, Document, Node, PartitionSeq
from edgesim.engine import undo
from edgesim.engine.apps import Apps
from edgesim.engine.behaviors import BehaviorBook, Profile
from edgesim.engine.certs import GROUP, NODE, Certs
from edgesim.engine.chaos import Chaos
from edgesim.engine.clock import Clock
from edgesim.engine.configs import Configs
from edgesim.engine.core import Core
from edgesim.engine.deployments import Deployments
from edgesim.engine.device_behaviors import DeviceBehaviorBook, DeviceProfile
from edgesim.engine.device_templates import DeviceTemplates
from edgesim.engine.devices import Devices
from edgesim.engine.edge_services import EdgeServices
from edgesim.engine.encryptdatas import EncryptDatas
from edgesim.engine.failover import Failover
from edgesim.engine.fault_book import FaultBook
from edgesim.engine.fleet_builder import FleetBuilder
from edgesim.engine.groups import Groups
from edgesim.engine.instances import Instances
from edgesim.engine.job_tasks import AppTasks
from edgesim.engine.jobs import Jobs
from edgesim.engine.message_routes import MessageRoutes
from edgesim.engine.nodes import Nodes
from edgesim.engine.placement import Placement
from edgesim.engine.pods import Pods
from edgesim.engine.products import Products
from edgesim.engine.quotas import Quotas
from edgesim.engine.report import LiveReport
from edgesim.engine.system_events import SystemEvents
from edgesim.engine.tags import Tags
from edgesim.engine.tokens import TokenBook
from edgesim.engine.twins import Twins
from edgesim.engine.upgrades import Upgrades
from edgesim.engine.usage import MemoryPressure
from edgesim.settings import Settings
from edgesim.store.sqlite import Delete, Put, Restore, Store, Wipe

log = logging.getLogger(__name__)
DEVICE_BEHAVIORS = "device-behaviors"  # the id of the stored device behaviour profiles

# What ``Engine._meta`` stores, by type: a start on a file whose meta was edited or damaged
# stops with the key's name rather than failing later on a request.
META_TYPES: dict[str, tuple[tuple[type, ...], str]] = {
    "clock_now": ((int, float), "a number"), "epoch": ((str,), "a timestamp"), "seed": ((int,), "an integer"),
    "id_seq": ((int,), "an integer"), "event_seq": ((int,), "an integer"), "deployment_seq": ((int,), "an integer"),
    "births": ((int,), "an integer"), "front_seq": ((int,), "an integer"),
}


def check_meta(meta: dict[str, Any]) -> None:
    """Raise ValueError naming the first stored meta value of the wrong type."""
    for key, (types, expected) in META_TYPES.items():
        value = meta.get(key)
        if value is not None and (isinstance(value, bool) or not isinstance(value, types)):
            raise ValueError(f"stored meta {key} is {value!r}, not {expected}")


def _from_document(kind: str, cls: type[Document], body: Any) -> Document:
    """The record a stored document holds; a document that does not fit (edited, damaged)
    names itself instead of failing deep in a constructor."""
    try:
        return cls.from_dict(body)
    except (AttributeError, KeyError, TypeError, ValueError) as exc:
        doc_id = body.get("id") if isinstance(body, dict) else None
        raise ValueError(f"stored {kind} {doc_id}: {exc}") from exc


class Engine:
    def __init__(self, settings: Settings, clock: Clock, store: Store, seed: int = 0) -> None:
        # what outlives a reset: the HTTP app and the auth middleware hold these
        self.settings, self.clock, self.store, self.seed = settings, clock, store, seed
        self.tokens = TokenBook(clock, store)  # IAM tokens of the simulated cloud
        store.meta_provider = self._meta
        self._wire(Core(settings, clock, store, seed))

    def _wire(self, core: Core) -> None:
        """Build every part on ``core``: at start, and anew on a reset."""
        settings = self.settings
        self.core = core
        self.world, self.events = core.world, core.events  # what the API layer reads directly
        self.report = LiveReport(core.events)
        self.quotas = Quotas(settings, core.world)
        self.placement = Placement(core.world)
        self.faults = FaultBook(core)
        self.instances = Instances(core, self.placement, self.faults)
        self.deployments = Deployments(core, self.instances, self.placement, self.quotas)
        self.instances.when_removed(self.deployments.removed_instance)
        self.failover = Failover(core, self.instances)
        self.memory_pressure = MemoryPressure(core, self.instances)
        self.nodes = Nodes(core, self.failover, self.instances, self.quotas)
        self.groups = Groups(core, self.instances, self.quotas)
        self.apps = Apps(core, self.quotas)
        self.tags = Tags(core, self.quotas)
        self.configs = Configs(core, self.quotas, self.instances.containers)
        self.fleet = FleetBuilder(core, self.groups, self.quotas)
        self.pods = Pods(core, self.deployments, self.instances)
        self.certs = Certs(core, self.quotas)
        # decision (ief-api-more.md 7.2): a group delete also deletes its certificates
        self.groups.deleting.append(lambda group, change: self.certs.delete_all(GROUP, group.id, change))
        # decision (ief-api-more.md 4): a node with application/device certs is not deleted
        # (IEF.100007); its own system certificate record goes with it (cert.deleted)
        self.nodes.delete_refusals.append(self.certs.refuse_node_delete)
        self.nodes.deleting.append(lambda node, change: self.certs.delete_all(NODE, node.id, change))
        self.chaos = Chaos(core, self.faults, self.failover, self.instances, self.certs)
        self.device_templates = DeviceTemplates(core, self.quotas)
        self.devices = Devices(core, self.device_templates, self.quotas, self.faults)
        self.twins = Twins(core, self.devices, self.faults)
        self.chaos.device_listeners.append(self.devices.fault_changed)
        self.chaos.devices_state = self.devices.state
        self.encryptdatas = EncryptDatas(core)
        self.products = Products(core, self.nodes)
        self.message_routes = MessageRoutes(core)
        self.system_events = SystemEvents(core, self.message_routes)
        self.edge_services = EdgeServices(core, self.quotas)
        self.upgrades = Upgrades(core, self.faults)
        self.chaos.upgrade_listeners.append(self.upgrades.resume)
        self.app_tasks = AppTasks(core, self.deployments, self.upgrades.profile)
        self.jobs = Jobs(core, self.upgrades, self.app_tasks)
        unhandled = [k.name for k in KINDS if (not k.in_world and k.name not in self._loaders())
                     or (k.timers and k.name not in self._rearmers())]
        if unhandled:  # a kind declared in domain.kinds that nothing here would bring back
            raise RuntimeError(f"record kinds without a loader or re-armer: {', '.join(unhandled)}")

    @property
    def behaviors(self) -> BehaviorBook:
        return self.core.behaviors

    # --- start-up and persistence -------------------------------------------------------------

    def _meta(self) -> dict[str, Any]:
        return {
            "clock_now": self.clock.now(),
            "epoch": self.clock.epoch.isoformat(),
            "seed": self.seed,
            "id_seq": self.core.ids.seq,
            "event_seq": self.events.seq,
            "deployment_seq": self.deployments.seq,
            "births": self.world.births,
            "front_seq": self.events.front_seq,
        }

    async def start(self, fresh: bool = False) -> None:
        """Load the store's world (or create the configured fleet on an empty store, or when
        ``fresh``: right after a reset wiped it)."""
        meta = {} if fresh else await self.store.load_meta()
        self.core.ids.seq = meta.get("id_seq", 0)
        self.events.seq = meta.get("event_seq", 0)
        self.events.front_seq = meta.get("front_seq", 0)
        self.deployments.seq = meta.get("deployment_seq", 0)
        self.world.births = meta.get("births", 0)
        loaders = self._loaders()
        self._stored_partition_seqs: list[str] = []  # what _load_partition_seq found
        self._stale_partition_seqs: list[str] = []
        unborn: list[Put | Delete] = []  # records of a store older than births: given theirs in load order
        for kind in KINDS:
            records = [_from_document(kind.name, kind.record, body) for body in await self.store.load_documents(kind.name)]
            if kind.order is not None:
                records.sort(key=kind.order)
            load = self.world.put if kind.in_world else loaders[kind.name]
            for record in records:
                had_birth = getattr(record, "birth", None) != 0
                load(record)
                if not had_birth:
                    unborn.append(Put(kind.name, record.id, orjson.dumps(record)))
        unborn += self._partition_seqs_loaded()
        if unborn:
            await self.store.commit(unborn)  # so the next start finds the same births
        await self.events.restore()
        self.system_events.loaded()
        if not meta:
            await self._create_default_fleet()
        for kind in KINDS:
            if kind.timers:
                current, arm = self._rearmers()[kind.name]
                for record in list(current()):
                    arm(record)
        await self.checkpoint()  # the seed and epoch are on disk from the start

    def _loaders(self) -> dict[str, Callable[[Any], None]]:
        """Where a reloaded record of a kind held outside the world goes: the part that owns it."""
        return {"fault": self.faults.load, "token": self.tokens.load, "config": self._load_behaviors,
                "partition": self._load_partition_seq}

    def _load_partition_seq(self, record: PartitionSeq) -> None:
        """A stored partition sequence, back on the partition rebuilt from the graph; one whose
        key is gone is deleted by ``_partition_seqs_loaded``."""
        self._stored_partition_seqs.append(record.id)
        if not self.world.partitions.restore_seq(int(record.id), record.seq):
            self._stale_partition_seqs.append(record.id)

    def _partition_seqs_loaded(self) -> list[Put | Delete]:
        """After loading: the store's partition sequences made to match the table (a store from
        before they were kept gets one per partition; one of a key that is gone goes)."""
        stored = set(self._stored_partition_seqs)
        ops: list[Put | Delete] = [Delete("partition", key) for key in self._stale_partition_seqs]
        for key, seq in self.world.partitions.drain_changed():
            if seq is not None and str(key) not in stored:
                ops.append(Put("partition", str(key), orjson.dumps(PartitionSeq(str(key), seq))))
        return ops

    def _rearmers(self) -> dict[str, tuple[Callable[[], Iterable[Any]], Callable[[Any], None]]]:
        """For each kind with timers: its records now, and what re-arms one after a restart."""
        return {
            "node": (self.world.nodes.values, self._arm_node),
            "deployment": (self.world.deployments.values, self.deployments.rollouts.arm),
            "instance": (self.world.instances.values, self.instances.arm),
            "fault": (self.faults.faults.values, self.chaos.arm),
            "device": (self.world.devices.values, self.twins.arm),
            "cert": (self.certs.table.values, self.certs.arm),
            "batch_job": (self.jobs.table.values, self.jobs.arm),
        }

    def _arm_node(self, node: Node) -> None:
        self.nodes.arm(node)
        self.upgrades.arm(node)  # an upgrade under way
        self.memory_pressure.rearm(node)  # memory reaching the eviction threshold; a MemoryPressure condition

    def _load_behaviors(self, record: Document) -> None:
        assert isinstance(record, BehaviorSet)
        if record.id == DEVICE_BEHAVIORS:
            self.twins.book = DeviceBehaviorBook([DeviceProfile.model_validate(p) for p in record.profiles])
            return
        self.core.behaviors = BehaviorBook([Profile.model_validate(p) for p in record.profiles])

    async def _create_default_fleet(self) -> None:
        fleet = self.settings.fleet
        if fleet.nodes:
            await self.fleet.create(
                fleet.project_id, count=fleet.nodes, groups={}, profile=fleet.profile, name_prefix=fleet.name_prefix
            )

    async def reset(self) -> None:
        """A fresh world on the same server, as if it had started on an empty store: every
        record, timer, fault, event, IAM token and behaviour change goes; the configured fleet
        comes back: a new core with new parts on it. Whoever listens to the event log (metrics,
        live streams) keeps listening; the token book stays because the auth middleware holds it."""
        await self.store.commit([Wipe()])
        self.clock.reset()
        self.tokens.forget_all()
        listeners = self.events.listeners
        self._wire(Core(self.settings, self.clock, self.store, self.seed))
        self.events.listeners = listeners
        await self.start(fresh=True)

    async def load_snapshot(self, path: str, meta: dict[str, Any]) -> None:
        """Replace the world with the snapshot file at ``path`` (its ``meta`` already read and
        checked, its records known to load: ``engine.snapshots.check``), clock, seed and event
        log included, as if the server had been started on it. The store takes it in one
        transaction; if that fails, nothing changed. No timer runs and no write lands meanwhile
        (``Clock.paused``). Like a reset, listeners keep listening and the token book stays
        (it now holds the snapshot's tokens)."""
        async with self.clock.paused():
            await self.store.commit([Restore(path)])
            epoch = datetime.fromisoformat(meta["epoch"]) if meta.get("epoch") else self.clock.epoch
            self.clock.restart_at(float(meta["clock_now"]), epoch)
            self.seed = int(meta.get("seed", self.seed))
            self.tokens.forget_all()
            listeners = self.events.listeners
            self._wire(Core(self.settings, self.clock, self.store, self.seed))
            self.events.listeners = listeners
            await self.start()

    async def checkpoint(self) -> None:
        """Commit the current meta (simulated time above all), e.g. after the clock advanced;
        the events it made durable may then leave memory."""
        await self.store.commit([])
        self.events.trim()

    async def set_behaviors(self, profiles: list[Profile]) -> None:
        """Replace the behaviour profiles; containers started from now on follow them."""
        book = BehaviorBook(profiles)
        async with self.core.command() as change:
            change.event(self.events.record("behaviors.set", profiles=len(profiles)))
            record = BehaviorSet(id="behaviors", profiles=book.dump())
            change.extra.append(Put("config", record.id, record.to_dict()))
        self.core.behaviors = book

    async def set_device_behaviors(self, profiles: list[DeviceProfile]) -> None:
        """Replace the device behaviour profiles; every device follows them from now on (its
        timer is re-armed: a device that now reports nothing has none)."""
        book = DeviceBehaviorBook(profiles)
        old = self.twins.book
        async with self.core.command() as change:
            change.event(self.events.record("device_behaviors.set", profiles=len(profiles)))
            record = BehaviorSet(id=DEVICE_BEHAVIORS, profiles=book.dump())
            change.extra.append(Put("config", record.id, record.to_dict()))
            self.twins.book = book
            undo.on_undo(lambda: setattr(self.twins, "book", old))
            self.twins.arm_all()
