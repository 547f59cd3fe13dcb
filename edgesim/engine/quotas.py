"""Per-project quotas (``accounts.toml``): how many of each resource a project may have.

``COUNTERS`` says how each quota type is counted from the world: one line per type, so a family
that starts serving a resource (config maps, apps, devices, ...) replaces its ``_not_served``
line with a real count. Types whose resources edgesim does not serve count 0.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import cast

from edgesim.domain.errors import QuotaExceeded
from edgesim.domain.models import Cert, Document
from edgesim.engine.world import World
from edgesim.settings import QUOTA_TYPES, Settings


def _in_project(table: Mapping[str, Document], project_id: str) -> int:
    return sum(1 for record in table.values() if getattr(record, "project_id", None) == project_id)


def _most_tags(world: World, project_id: str) -> int:
    """The tag quota is per resource: ``used`` is the most tags any resource of the project has."""
    most = 0
    for table in world.tables.values():
        for record in table.values():
            tags = getattr(record, "tags", None)
            if isinstance(tags, list) and getattr(record, "project_id", None) == project_id:
                most = max(most, len(tags))
    return most


def _most_versions(world: World, project_id: str) -> int:
    """The app version quota is per template: ``used`` is the most versions any template has."""
    return max((len(app.versions) for app in world.tables["app"].values()  # type: ignore[attr-defined]
                if getattr(app, "project_id", None) == project_id), default=0)


def _not_served(world: World, project_id: str) -> int:
    return 0  # edgesim does not serve this resource yet: nothing to count


def _certs(world: World, project_id: str, scope: str) -> int:
    """Node certificates (a node's own system one aside) or group certificates of the project."""
    certs = cast(dict[str, Cert], world.tables["cert"])
    return sum(1 for c in certs.values()
               if c.project_id == project_id and c.scope == scope and not (scope == "node" and c.type == "system"))


Counter = Callable[[World, str], int]

COUNTERS: dict[str, Counter] = {
    "edge_node": lambda world, project: _in_project(world.nodes, project),
    "node_cert": lambda world, project: _certs(world, project, "node"),
    "edge_group": lambda world, project: _in_project(world.groups, project),
    "group_cert": lambda world, project: _certs(world, project, "group"),
    "application": lambda world, project: _in_project(world.tables["app"], project),
    "deployment": lambda world, project: world.deployments_in(project),
    "device_template": lambda world, project: _in_project(world.tables["device_template"], project),
    "device": lambda world, project: _in_project(world.devices, project),
    "app_version": _most_versions,
    "tag": _most_tags,
    "configmap": lambda world, project: _in_project(world.tables["configmap"], project),
    "secret": lambda world, project: _in_project(world.tables["secret"], project),
    "ief_instance": _not_served,
    "service": lambda world, project: _in_project(world.tables["edge_service"], project),
    "gateway": _not_served,
}
assert tuple(COUNTERS) == QUOTA_TYPES, "every quota type needs a counter (settings.QUOTA_TYPES)"

NAMES = {
    "edge_node": "edge nodes", "node_cert": "node certificates", "edge_group": "node groups",
    "group_cert": "group certificates", "application": "application templates", "deployment": "deployments",
    "device_template": "device templates", "device": "devices", "app_version": "application versions",
    "tag": "tags per resource", "configmap": "config maps", "secret": "secrets",
    "ief_instance": "platinum instances", "service": "services", "gateway": "service gateways",
}


class Quotas:
    def __init__(self, settings: Settings, world: World) -> None:
        self.settings = settings
        self.world = world

    def used(self, project_id: str, quota_type: str) -> int:
        return COUNTERS[quota_type](self.world, project_id)

    def limit(self, project_id: str, quota_type: str) -> int | None:
        account = self.settings.account(project_id)
        return account.quotas.limit(quota_type) if account else None

    def check(self, project_id: str, quota_type: str, adding: int = 1, used: int | None = None) -> None:
        """Refuse ``adding`` more; ``used`` overrides the project's count for a quota that is
        per resource (the versions of one template, the tags of one resource)."""
        limit = self.limit(project_id, quota_type)
        if limit is None:
            return  # no quota: nothing to count
        count = self.used(project_id, quota_type) if used is None else used
        if count + adding > limit:
            raise QuotaExceeded(f"the quota of {NAMES[quota_type]} ({limit}) would be exceeded")

    def report(self, project_id: str) -> list[dict]:
        rows = []
        for quota_type in QUOTA_TYPES:
            limit = self.limit(project_id, quota_type)
            rows.append({
                "type": quota_type,
                "used": self.used(project_id, quota_type),
                "quota": -1 if limit is None else limit,
                "min": 0,
                "max": -1 if limit is None else limit,
                "project_id": project_id,
            })
        return rows
