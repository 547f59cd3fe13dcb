"""Config map and secret commands: create, update, delete. Both are name-keyed maps a
deployment references by name, so one part serves the two kinds (``configmap``, ``secret``)."""

from __future__ import annotations

from functools import partial
from typing import cast

from edgesim.domain.errors import DuplicateName, NotAllowed, NotFound
from edgesim.domain.models import ConfigMap, Secret
from edgesim.engine.change import Change
from edgesim.engine.config_refs import references, volume_refs, volume_view
from edgesim.engine.containers import Containers
from edgesim.engine.core import Core
from edgesim.engine.quotas import Quotas

ConfigRecord = ConfigMap | Secret
LABEL = {"configmap": "config map", "secret": "secret"}


class Configs:
    def __init__(self, core: Core, quotas: Quotas, containers: Containers) -> None:
        self.core = core
        self.world = core.world
        self.quotas = quotas
        self.containers = containers

    def table(self, kind: str) -> dict[str, ConfigRecord]:
        return cast(dict[str, ConfigRecord], self.world.tables[kind])

    def of_project(self, kind: str, project_id: str) -> list[ConfigRecord]:
        return [r for r in self.table(kind).values() if r.project_id == project_id]

    def named(self, kind: str, project_id: str, name: str) -> ConfigRecord | None:
        return next((r for r in self.of_project(kind, project_id) if r.name == name), None)

    def get(self, kind: str, project_id: str, record_id: str) -> ConfigRecord:
        record = self.table(kind).get(record_id)
        if record is None or record.project_id != project_id:
            raise NotFound(f"{LABEL[kind]} {record_id} not found")
        return record

    async def create(self, kind: str, project_id: str, *, name: str, description: str, data: dict[str, str]) -> ConfigRecord:
        if self.named(kind, project_id, name) is not None:
            raise DuplicateName(f"{LABEL[kind]} name {name!r} already exists", field="name")
        self.quotas.check(project_id, kind)  # the quota types are the kind names
        now = self.core.clock.now()
        async with self.core.command() as change:
            record_id = self.core.ids.next()
            record: ConfigRecord = (
                ConfigMap(id=record_id, project_id=project_id, name=name, description=description,
                          configs=dict(data), created_at=now, updated_at=now)
                if kind == "configmap" else
                Secret(id=record_id, project_id=project_id, name=name, description=description,
                       secrets=dict(data), created_at=now, updated_at=now)
            )
            change.touch(record)
            self.world.put(record)
            change.event(self.core.events.record(f"{kind}.created", **{f"{kind}_id": record.id}, name=name, keys=len(data)))
            self._recheck_waiting(project_id, change)
        return record

    async def update(
        self, kind: str, project_id: str, record_id: str, *, description: str | None, data: dict[str, str] | None
    ) -> ConfigRecord:
        record = self.get(kind, project_id, record_id)
        async with self.core.command() as change:
            change.touch(record)
            if description is not None:
                record.description = description
            if data is not None:  # a given map replaces the whole map (PUT semantics)
                if isinstance(record, ConfigMap):
                    record.configs = dict(data)
                else:
                    record.secrets = dict(data)
            record.updated_at = self.core.clock.now()
            record.version += 1
            change.event(self.core.events.record(f"{kind}.updated", **{f"{kind}_id": record.id}, name=record.name))
            self._recheck_waiting(project_id, change)
            self._schedule_syncs(kind, record, change)
        return record

    async def delete(self, kind: str, project_id: str, record_id: str) -> None:
        record = self.get(kind, project_id, record_id)
        if self.core.settings.simulation.instance.block_delete_in_use:
            user = next((d for d in self.world.deployments.values()
                         if d.project_id == project_id and references(d.spec, kind, record.name)), None)
            if user is not None:
                raise NotAllowed(f"{kind} is used by deployment {user.name}")
        async with self.core.command() as change:
            change.touch(record)
            self.world.discard(record)
            change.event(self.core.events.record(f"{kind}.deleted", **{f"{kind}_id": record.id}, name=record.name))

    # --- what instances referencing them see -------------------------------------------------------

    def _recheck_waiting(self, project_id: str, change: Change) -> None:
        """Event-driven: instances waiting for a reference look again on every create/update."""
        for inst in list(self.world.instances.values()):
            if inst.project_id == project_id:
                self.containers.recheck_config(inst, change)

    def _schedule_syncs(self, kind: str, record: ConfigRecord, change: Change) -> None:
        """Mounted volumes show the update after the sync delay (the last update's contents)."""
        due = self.core.clock.now() + self.core.settings.simulation.instance.config_sync_seconds
        for inst in self.world.instances.values():
            if inst.project_id != record.project_id or "volumes" not in inst.config:
                continue
            for volume, ref_kind, name in volume_refs(inst.spec):
                if (ref_kind, name) == (kind, record.name):
                    change.after_commit.append(partial(
                        self.core.timers.set, f"volsync:{inst.id}:{volume}", due, self._sync, inst.id, volume))

    def _sync(self, instance_id: str, volume: str) -> None:
        inst = self.world.instances.get(instance_id)
        if inst is None or "volumes" not in inst.config:
            return
        ref = next(((k, n) for v, k, n in volume_refs(inst.spec) if v == volume), None)
        view = volume_view(self.world, inst.project_id, *ref) if ref else None
        if view is None or inst.config["volumes"].get(volume) == view:
            return  # deleted meanwhile (the files stay), or already showing it
        with self.core.step() as change:
            change.touch(inst)
            inst.config = {**inst.config, "volumes": {**inst.config["volumes"], volume: view}}
            change.event(self.core.events.record(
                "volume.synced", instance_id=inst.id, deployment_id=inst.deployment_id, volume=volume,
                source=view["source"], version=view["version"],
            ))
