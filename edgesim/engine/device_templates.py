"""Device template commands: create, update, delete. A template is what devices are made from;
a device made from one copies its parts (``Devices.create``) and keeps no link to it, so a
template can always be deleted (ief-api-more.md 4.2)."""

from __future__ import annotations

from typing import Any

from edgesim.domain.errors import DuplicateName, NotFound
from edgesim.domain.models import DeviceTemplate
from edgesim.engine.core import Core
from edgesim.engine.device_rules import check_protocol_parts
from edgesim.engine.quotas import Quotas

PREFIX = "device_template"


def stamp_twin(core: Core, twin: dict[str, Any]) -> dict[str, Any]:
    """The twin with each desired value stamped with the time it was set (epoch milliseconds)."""
    millis = round(core.clock.timestamp(core.clock.now()).timestamp() * 1000)
    for prop in twin.values():
        if "expected" in prop:
            prop["expected"].setdefault("metadata", {})["timestamp"] = millis
    return twin


class DeviceTemplates:
    def __init__(self, core: Core, quotas: Quotas) -> None:
        self.core = core
        self.quotas = quotas
        self.table: dict[str, DeviceTemplate] = core.world.tables["device_template"]  # type: ignore[assignment]

    def get(self, project_id: str, template_id: str) -> DeviceTemplate:
        template = self.table.get(template_id)
        if template is None or template.project_id != project_id:
            raise NotFound(f"device template {template_id} not found")
        return template

    def of_project(self, project_id: str) -> list[DeviceTemplate]:
        return [t for t in self.table.values() if t.project_id == project_id]

    def _check_name(self, project_id: str, name: str) -> None:
        if any(t.name == name for t in self.of_project(project_id)):
            raise DuplicateName(f"device template name {name!r} already exists", field=f"{PREFIX}.name")

    async def create(
        self, project_id: str, *, name: str, access_protocol: str, description: str, attributes: dict[str, Any],
        twin: dict[str, Any], property_visitors: dict[str, Any], tags: dict[str, str] | None,
    ) -> DeviceTemplate:
        self._check_name(project_id, name)
        self.quotas.check(project_id, "device_template")
        check_protocol_parts(PREFIX, access_protocol, twin, property_visitors)
        async with self.core.command() as change:
            template = DeviceTemplate(
                id=self.core.ids.next(), project_id=project_id, name=name, access_protocol=access_protocol,
                description=description, attributes=attributes, twin=stamp_twin(self.core, twin),
                property_visitors=property_visitors, tags=tags, created_at=self.core.clock.now(),
            )
            change.touch(template)
            self.table[template.id] = template
            change.event(self.core.events.record("device_template.created", device_template_id=template.id, name=name))
        return template

    async def update(self, project_id: str, template_id: str, fields: dict[str, Any]) -> DeviceTemplate:
        """Replace the given parts (description, attributes, twin, tags, access_protocol,
        property_visitors); the whole must still fit together."""
        template = self.get(project_id, template_id)
        twin = fields.get("twin", template.twin)
        check_protocol_parts(
            PREFIX, fields.get("access_protocol", template.access_protocol), twin,
            fields.get("property_visitors", template.property_visitors),
        )
        async with self.core.command() as change:
            change.touch(template)
            if "twin" in fields:
                fields["twin"] = stamp_twin(self.core, twin)
            for key, value in fields.items():
                setattr(template, key, value)
            template.updated_at = self.core.clock.now()
            change.event(self.core.events.record("device_template.updated", device_template_id=template.id))
        return template

    async def delete(self, project_id: str, template_id: str) -> None:
        template = self.get(project_id, template_id)
        async with self.core.command() as change:
            change.touch(template)
            del self.table[template.id]
            change.event(self.core.events.record("device_template.deleted", device_template_id=template.id))
