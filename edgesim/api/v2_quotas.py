"""Quotas: GET /v2/{project_id}/edgemgr/quotas[?types=edge_node]."""

from __future__ import annotations

from aiohttp import web

from edgesim.api.errors import bad_request, json_response
from edgesim.api.paths import V2
from edgesim.api.routing import ENGINE, IEF, Query, Route
from edgesim.settings import QUOTA_TYPES


async def show(request: web.Request) -> web.Response:
    rows = request.app[ENGINE].quotas.report(request.match_info["project_id"])
    types = request.query.get("types")
    if types:
        wanted = set(types.split(","))
        unknown = sorted(wanted - set(QUOTA_TYPES))
        if unknown:
            raise bad_request(f"invalid types: {', '.join(unknown)}; known: {', '.join(QUOTA_TYPES)}")
        rows = [r for r in rows if r["type"] in wanted]
    return json_response({"quotas": {"resources": rows}})


ROUTES = (
    Route("GET", V2 + "/quotas", show, "Show quotas", IEF,
          query=(Query("types", description="comma-separated quota types; absent: all 15 (" + ",".join(QUOTA_TYPES) + ")"),)),
)
