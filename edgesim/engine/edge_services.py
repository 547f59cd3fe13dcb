"""Edge service commands (ief-api-more.md section 6): create, update, delete. A service
belongs to the platinum instance its requests name (``ief-instance-id``); another instance's
service is unknown, as another project's."""

from __future__ import annotations

from typing import Any

from edgesim.domain.errors import DuplicateName, NotFound
from edgesim.domain.models import EdgeService
from edgesim.engine.core import Core
from edgesim.engine.quotas import Quotas


class EdgeServices:
    def __init__(self, core: Core, quotas: Quotas) -> None:
        self.core = core
        self.quotas = quotas
        self.table: dict[str, EdgeService] = core.world.tables["edge_service"]  # type: ignore[assignment]

    def get(self, project_id: str, instance_id: str | None, service_id: str) -> EdgeService:
        """The service of that project and instance (None: of any instance of the project)."""
        found = self.table.get(service_id)
        if found is None or found.project_id != project_id or instance_id not in (None, found.ief_instance_id):
            raise NotFound(f"service {service_id} not found")
        return found

    def of_instance(self, project_id: str, instance_id: str) -> list[EdgeService]:
        return [s for s in self.table.values() if (s.project_id, s.ief_instance_id) == (project_id, instance_id)]

    def _check_name(self, project_id: str, instance_id: str, name: str, own_id: str | None = None) -> None:
        if any(s.name == name and s.id != own_id for s in self.of_instance(project_id, instance_id)):
            raise DuplicateName(f"service name {name!r} already exists", field="service.meta_data.name")

    async def create(self, project_id: str, instance_id: str, name: str, labels: dict[str, str], spec: dict[str, Any]) -> EdgeService:
        self._check_name(project_id, instance_id, name)
        self.quotas.check(project_id, "service")
        async with self.core.command() as change:
            now = self.core.clock.now()
            svc = EdgeService(id=self.core.ids.next(), project_id=project_id, ief_instance_id=instance_id, name=name,
                              labels=labels, spec=spec, created_at=now, updated_at=now)
            change.touch(svc)
            self.table[svc.id] = svc
            change.event(self.core.events.record("service.created", service_id=svc.id, name=name))
        return svc

    async def update(self, project_id: str, instance_id: str, service_id: str, name: str, labels: dict[str, str],
                     spec: dict[str, Any]) -> EdgeService:
        """The whole service is replaced by the body (the SDK's update takes the create body)."""
        svc = self.get(project_id, instance_id, service_id)
        self._check_name(project_id, instance_id, name, own_id=svc.id)
        async with self.core.command() as change:
            change.touch(svc)
            svc.name, svc.labels, svc.spec, svc.updated_at = name, labels, spec, self.core.clock.now()
            change.event(self.core.events.record("service.updated", service_id=svc.id))
        return svc

    async def delete(self, project_id: str, instance_id: str, service_id: str) -> None:
        svc = self.get(project_id, instance_id, service_id)
        async with self.core.command() as change:
            change.touch(svc)
            del self.table[svc.id]
            change.event(self.core.events.record("service.deleted", service_id=svc.id))
