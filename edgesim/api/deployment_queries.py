"""What both deployment APIs (v2 and v3) do the same way: list queries and delete."""

from __future__ import annotations

from aiohttp import web

from edgesim.api.errors import bad_request
from edgesim.api.paging import has_tags, page_params, paged, sort_descending, tag_filter
from edgesim.api.routing import ENGINE, PAGE, Query
from edgesim.domain.models import Deployment
from edgesim.engine.engine import Engine

DEFAULT_LIMIT, MAX_LIMIT = 10, 100
LIST_QUERY = (Query("name", description="substring of the name"), Query("node_id"), Query("group_id"),
              Query("tags", description="k1.v1,k2.v2")) + PAGE
DELETE_QUERY = (Query("force_delete", description="true or false"),)


def listed_deployments(engine: Engine, request: web.Request) -> tuple[int, list[Deployment]]:
    """The project's deployments matching ``name`` (substring), ``node_id``, ``group_id`` and
    ``tags``, sorted and paged; with the number of matches before paging."""
    limit, offset = page_params(request, default_limit=DEFAULT_LIMIT, max_limit=MAX_LIMIT)
    descending = sort_descending(request)
    name = request.query.get("name")
    node_id = request.query.get("node_id")
    group_id = request.query.get("group_id")
    tags = tag_filter(request)
    project_id = request.match_info["project_id"]
    if name is None and node_id is None and group_id is None and not tags:  # the usual list
        ordered = engine.world.deployments_by_creation(project_id)
        count = len(ordered)
        if descending:  # (created_at, seq) is unique: the reverse is the descending sort
            page = ordered[max(0, count - offset - limit) : max(0, count - offset)][::-1]
        else:
            page = ordered[offset : offset + limit]
        return count, page
    matches = [
        d
        for d in engine.world.deployments.values()
        if d.project_id == project_id
        and (name is None or name in d.name)
        and (node_id is None or node_id in d.node_ids or any(i.node_id == node_id for i in engine.world.instances_of(d)))
        and (group_id is None or d.group_id == group_id)
        and has_tags(d.tags, tags)
    ]
    return len(matches), paged(matches, lambda d: (d.created_at, d.seq), descending, limit, offset)


def force_delete(request: web.Request) -> bool:
    raw = request.query.get("force_delete", "false").lower()
    if raw not in ("true", "false"):
        raise bad_request(f"invalid force_delete: {raw!r}; use true or false")
    return raw == "true"


async def delete_deployment(request: web.Request) -> web.Response:
    """DELETE .../deployments/{deployment_id}[?force_delete=true]: 204, in both versions."""
    await request.app[ENGINE].deployments.delete(
        request.match_info["project_id"], request.match_info["deployment_id"], force=force_delete(request)
    )
    return web.Response(status=204)
