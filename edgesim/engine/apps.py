"""App templates and their versions: create, update, delete (ief-api-more.md section 2).

A version is a dict inside its template's record, so a command touches one record and a
failed commit rolls the template and all its versions back together.
"""

from __future__ import annotations

from typing import Any, cast

from edgesim.domain.errors import DuplicateName, NotFound
from edgesim.domain.models import App
from edgesim.engine.core import Core
from edgesim.engine.quotas import Quotas

# Fields of a version a PUT may change (SDK VersionUpdate); the others are fixed at creation.
UPDATABLE_VERSION_FIELDS = (
    "envs", "volumes", "configs", "resources", "command", "args", "liveness_probe", "readiness_probe", "npu_type",
)


class Apps:
    def __init__(self, core: Core, quotas: Quotas) -> None:
        self.core = core
        self.table = cast(dict[str, App], core.world.tables["app"])
        self.quotas = quotas

    # --- reads ------------------------------------------------------------------------------

    def of_project(self, project_id: str) -> list[App]:
        return [a for a in self.table.values() if a.project_id == project_id]

    def get(self, project_id: str, app_id: str) -> App:
        app = self.table.get(app_id)
        if app is None or app.project_id != project_id:
            raise NotFound(f"app template {app_id} not found")
        return app

    def version(self, project_id: str, app_id: str, version_id: str) -> tuple[App, dict[str, Any]]:
        app = self.get(project_id, app_id)
        for version in app.versions:
            if version["id"] == version_id:
                return app, version
        raise NotFound(f"version {version_id} of app template {app.name} not found")

    # --- templates --------------------------------------------------------------------------

    async def create(
        self, project_id: str, *, name: str, alias: str = "", description: str = "", icon_url: str = "",
        tags: list[dict[str, str]] | None = None,
    ) -> App:
        if any(a.name == name for a in self.of_project(project_id)):
            raise DuplicateName(f"app template name {name!r} already exists", field="app.name")
        self.quotas.check(project_id, "application")
        async with self.core.command() as change:
            app = App(
                id=self.core.ids.next(), project_id=project_id, name=name, alias=alias, description=description,
                icon_url=icon_url, tags=tags or [], created_at=self.core.clock.now(),
            )
            change.touch(app)
            self.core.world.put(app)
            change.event(self.core.events.record("app.created", app_id=app.id, name=name))
        return app

    async def update(self, project_id: str, app_id: str, *, alias: str | None = None, description: str | None = None) -> App:
        app = self.get(project_id, app_id)
        async with self.core.command() as change:
            change.touch(app)
            if alias is not None:
                app.alias = alias
            if description is not None:
                app.description = description
            app.updated_at = self.core.clock.now()
            change.event(self.core.events.record("app.updated", app_id=app.id))
        return app

    async def delete(self, project_id: str, app_id: str) -> None:
        """Deletes the template with its versions; deployments copied from them are untouched."""
        app = self.get(project_id, app_id)
        async with self.core.command() as change:
            change.touch(app)
            self.core.world.discard(app)
            change.event(self.core.events.record("app.deleted", app_id=app.id, versions=len(app.versions)))

    # --- versions ---------------------------------------------------------------------------

    async def create_version(self, project_id: str, app_id: str, spec: dict[str, Any]) -> dict[str, Any]:
        app = self.get(project_id, app_id)
        if any(v["version"] == spec["version"] for v in app.versions):
            raise DuplicateName(f"version {spec['version']!r} already exists in app template {app.name}", field="version.version")
        self.quotas.check(project_id, "app_version", used=len(app.versions))  # the quota is per template
        async with self.core.command() as change:
            change.touch(app)
            version = {"id": self.core.ids.next(), "created_at": self.core.clock.now(), "updated_at": None, **spec}
            app.versions.append(version)
            change.event(self.core.events.record("app.version.created", app_id=app.id, version_id=version["id"], version=spec["version"]))
        return version

    async def update_version(self, project_id: str, app_id: str, version_id: str, changes: dict[str, Any]) -> dict[str, Any]:
        app, version = self.version(project_id, app_id, version_id)
        async with self.core.command() as change:
            change.touch(app)
            version.update({k: v for k, v in changes.items() if k in UPDATABLE_VERSION_FIELDS})
            version["updated_at"] = self.core.clock.now()
            change.event(self.core.events.record("app.version.updated", app_id=app.id, version_id=version_id))
        return version

    async def delete_version(self, project_id: str, app_id: str, version_id: str) -> None:
        app, version = self.version(project_id, app_id, version_id)
        async with self.core.command() as change:
            change.touch(app)
            app.versions.remove(version)
            change.event(self.core.events.record("app.version.deleted", app_id=app.id, version_id=version_id))
