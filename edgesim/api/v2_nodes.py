"""Edge nodes, read side: GET .../edgemgr/nodes and .../nodes/{node_id}."""

from __future__ import annotations

from aiohttp import web

from edgesim.api.errors import json_response
from edgesim.api.paging import has_tags, page_params, paged, sort_descending, tag_filter
from edgesim.api.serializers import node
from edgesim.engine.engine import Engine

BASE = "/v2/{project_id}/edgemgr/nodes"


def routes(engine: Engine) -> list[web.RouteDef]:
    async def list_(request: web.Request) -> web.Response:
        limit, offset = page_params(request, default_limit=500, max_limit=1000)
        descending = sort_descending(request)
        name = request.query.get("name")
        state = request.query.get("state")
        group_id = request.query.get("group_id")
        tags = tag_filter(request)
        matches = [
            n
            for n in engine.project_nodes(request.match_info["project_id"])
            if (name is None or name in n.name)
            and (state is None or n.state == state)
            and (group_id is None or group_id in n.group_ids)
            and has_tags(n.tags, tags)
        ]
        page = paged(matches, lambda n: n.created_at, descending, limit, offset, tiebreak=lambda n: n.name)
        return json_response({"count": len(matches), "nodes": [node(engine, n) for n in page]})

    async def get(request: web.Request) -> web.Response:
        n = engine.node(request.match_info["project_id"], request.match_info["node_id"])
        return json_response({"node": node(engine, n)})

    return [
        web.get(BASE, list_, allow_head=False),
        web.get(BASE + "/{node_id}", get, allow_head=False),
    ]
