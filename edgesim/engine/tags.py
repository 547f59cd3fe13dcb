"""Resource tags (contract ief-api-more.md section 3): the tag API over the resources' own tags.

One tag store (contract 3.2 decision): a tag written through the tag API is the same entry as
the ``tags`` field of the node or deployment body, so each resource keeps its tags in its own
record. Deleting the resource drops them with it; a restart reloads them with it.
"""

from __future__ import annotations

from typing import Protocol, cast

from edgesim.domain.errors import NotFound, QuotaExceeded
from edgesim.engine.core import Core
from edgesim.engine.quotas import Quotas

# IEF tag resource type -> the world table holding those resources (records with a ``tags``
# list of {key, value}: the resource's own answer shows the same tags).
TAGGABLE: dict[str, str] = {
    "ief-edge_node": "node",
    "ief-deployment": "deployment",
    "ief-application": "app",
    "ief-device": "device",
}
DEFAULT_TAGS_PER_RESOURCE = 20  # SDK/DOC; the project's `tag` quota overrides it


class Taggable(Protocol):
    """What the tag API needs of a record (nodes and deployments have it)."""

    id: str
    project_id: str
    name: str
    created_at: float
    tags: list[dict[str, str]]


class Tags:
    def __init__(self, core: Core, quotas: Quotas) -> None:
        self.core = core
        self.world = core.world
        self.quotas = quotas

    def resources(self, project_id: str, resource_type: str) -> list[Taggable]:
        """The project's resources of a type, in creation order (ties by name, as the IEF lists)."""
        table = TAGGABLE[resource_type]
        found = [cast(Taggable, r) for r in self.world.tables[table].values() if getattr(r, "project_id", None) == project_id]
        return sorted(found, key=lambda r: (r.created_at, r.name, r.id))

    def resource(self, project_id: str, resource_type: str, resource_id: str) -> Taggable:
        table = TAGGABLE[resource_type]
        record = self.world.tables[table].get(resource_id)
        if record is None or getattr(record, "project_id", None) != project_id:
            raise NotFound(f"{resource_type} {resource_id} not found")
        return cast(Taggable, record)

    def max_tags(self, project_id: str) -> int:
        limit = self.quotas.limit(project_id, "tag")
        return DEFAULT_TAGS_PER_RESOURCE if limit is None else limit

    async def add(self, project_id: str, resource_type: str, resource_id: str, tags: list[tuple[str, str]]) -> None:
        """Add tags; a key the resource already has gets the new value (idempotent)."""
        record = self.resource(project_id, resource_type, resource_id)
        current: list[dict[str, str]] = record.tags
        merged = {t["key"]: t["value"] for t in current}
        merged.update(dict(tags))
        limit = self.max_tags(project_id)
        if len(merged) > limit:
            raise QuotaExceeded(f"a resource has at most {limit} tags; this would make {len(merged)}", field="tags")
        async with self.core.command() as change:
            change.touch(record)  # type: ignore[arg-type]  # a Document that is Taggable
            record.tags = [{"key": k, "value": v} for k, v in merged.items()]
            change.event(self.core.events.record(
                "tags.added", resource_type=resource_type, resource_id=resource_id, keys=[k for k, _ in tags]))

    async def remove(self, project_id: str, resource_type: str, resource_id: str,
                     tags: list[tuple[str, str | None]]) -> None:
        """Delete tags by key (and value, when given); a tag that is not there counts as deleted."""
        record = self.resource(project_id, resource_type, resource_id)
        current: list[dict[str, str]] = record.tags

        def doomed(tag: dict[str, str]) -> bool:
            return any(tag["key"] == key and (value is None or tag["value"] == value) for key, value in tags)

        kept = [t for t in current if not doomed(t)]
        async with self.core.command() as change:
            change.touch(record)  # type: ignore[arg-type]  # a Document that is Taggable
            record.tags = kept
            change.event(self.core.events.record(
                "tags.deleted", resource_type=resource_type, resource_id=resource_id, keys=[k for k, _ in tags]))

    async def remove_key(self, project_id: str, resource_type: str, resource_id: str, key: str) -> None:
        record = self.resource(project_id, resource_type, resource_id)
        if not any(t["key"] == key for t in record.tags):
            raise NotFound(f"tag {key!r} not found on {resource_type} {resource_id}")
        await self.remove(project_id, resource_type, resource_id, [(key, None)])
