"""Per-project quotas (``accounts.toml``): how many of each resource a project may have."""

from __future__ import annotations

from collections.abc import Mapping

from edgesim.domain.errors import QuotaExceeded
from edgesim.domain.models import Deployment, Group, Node
from edgesim.engine.world import World
from edgesim.settings import QUOTA_TYPES, Settings

NAMES = {"edge_node": "edge nodes", "edge_group": "node groups", "deployment": "deployments"}


class Quotas:
    def __init__(self, settings: Settings, world: World) -> None:
        self.settings = settings
        self.world = world

    def used(self, project_id: str, quota_type: str) -> int:
        tables: dict[str, Mapping[str, Node | Group | Deployment]] = {
            "edge_node": self.world.nodes,
            "edge_group": self.world.groups,
            "deployment": self.world.deployments,
        }
        table = tables[quota_type]
        return sum(1 for record in table.values() if record.project_id == project_id)

    def limit(self, project_id: str, quota_type: str) -> int | None:
        account = self.settings.account(project_id)
        return account.quotas.limit(quota_type) if account else None

    def check(self, project_id: str, quota_type: str, adding: int = 1) -> None:
        limit = self.limit(project_id, quota_type)
        if limit is not None and self.used(project_id, quota_type) + adding > limit:
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
