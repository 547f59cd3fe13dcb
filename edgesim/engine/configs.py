"""Config map and secret commands: create, update, delete. Both are name-keyed maps a
deployment references by name, so one part serves the two kinds (``configmap``, ``secret``)."""

from __future__ import annotations

from typing import cast

from edgesim.domain.errors import DuplicateName, NotFound, QuotaExceeded
from edgesim.domain.models import ConfigMap, Secret
from edgesim.engine.core import Core
from edgesim.engine.quotas import Quotas
from edgesim.settings import QUOTA_TYPES

ConfigRecord = ConfigMap | Secret
LABEL = {"configmap": "config map", "secret": "secret"}


class Configs:
    def __init__(self, core: Core, quotas: Quotas) -> None:
        self.core = core
        self.world = core.world
        self.quotas = quotas

    def table(self, kind: str) -> dict[str, ConfigRecord]:
        return cast(dict[str, ConfigRecord], self.world.tables[kind])

    def of_project(self, kind: str, project_id: str) -> list[ConfigRecord]:
        return [r for r in self.table(kind).values() if r.project_id == project_id]

    def count(self, project_id: str, kind: str) -> int:
        """How many records of ``kind`` a project has (for the quota report)."""
        return len(self.of_project(kind, project_id))

    def named(self, kind: str, project_id: str, name: str) -> ConfigRecord | None:
        return next((r for r in self.of_project(kind, project_id) if r.name == name), None)

    def get(self, kind: str, project_id: str, record_id: str) -> ConfigRecord:
        record = self.table(kind).get(record_id)
        if record is None or record.project_id != project_id:
            raise NotFound(f"{LABEL[kind]} {record_id} not found")
        return record

    def _check_quota(self, kind: str, project_id: str) -> None:
        # only once the settings know the quota type (added with the other quota types)
        if kind not in QUOTA_TYPES:
            return
        limit = self.quotas.limit(project_id, kind)
        if limit is not None and self.count(project_id, kind) + 1 > limit:
            raise QuotaExceeded(f"the quota of {LABEL[kind]}s ({limit}) would be exceeded")

    async def create(self, kind: str, project_id: str, *, name: str, description: str, data: dict[str, str]) -> ConfigRecord:
        if self.named(kind, project_id, name) is not None:
            raise DuplicateName(f"{LABEL[kind]} name {name!r} already exists", field="name")
        self._check_quota(kind, project_id)
        now = self.core.clock.now()
        async with self.core.command() as change:
            common = dict(id=self.core.ids.next(), project_id=project_id, name=name, description=description,
                          created_at=now, updated_at=now)
            record: ConfigRecord = ConfigMap(**common, configs=dict(data)) if kind == "configmap" \
                else Secret(**common, secrets=dict(data))
            change.touch(record)
            self.world.put(record)
            change.event(self.core.events.record(f"{kind}.created", **{f"{kind}_id": record.id}, name=name, keys=len(data)))
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
            change.event(self.core.events.record(f"{kind}.updated", **{f"{kind}_id": record.id}, name=record.name))
        return record

    async def delete(self, kind: str, project_id: str, record_id: str) -> None:
        record = self.get(kind, project_id, record_id)
        async with self.core.command() as change:
            change.touch(record)
            self.world.discard(record)
            change.event(self.core.events.record(f"{kind}.deleted", **{f"{kind}_id": record.id}, name=record.name))
