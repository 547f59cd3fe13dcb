"""Quotas: GET /v2/{project_id}/edgemgr/quotas[?types=edge_node]."""

from __future__ import annotations

from aiohttp import web

from edgesim.api.errors import bad_request, json_response
from edgesim.engine.engine import Engine
from edgesim.settings import QUOTA_TYPES


def routes(engine: Engine) -> list[web.RouteDef]:
    async def show(request: web.Request) -> web.Response:
        rows = engine.quotas.report(request.match_info["project_id"])
        types = request.query.get("types")
        if types:
            wanted = set(types.split(","))
            unknown = sorted(wanted - set(QUOTA_TYPES))
            if unknown:
                raise bad_request(f"invalid types: {', '.join(unknown)}; known: {', '.join(QUOTA_TYPES)}")
            rows = [r for r in rows if r["type"] in wanted]
        return json_response({"quotas": {"resources": rows}})

    return [web.get("/v2/{project_id}/edgemgr/quotas", show, allow_head=False)]
