"""Node groups: create, list, get, update, delete, bind/unbind nodes. Bodies have no wrapper."""

from __future__ import annotations

from aiohttp import web

from edgesim.api.errors import json_response
from edgesim.api.node_models import GroupBindingBody, GroupCreateBody, GroupUpdateBody
from edgesim.api.paging import page_params, paged, sort_descending
from edgesim.api.serializers import group
from edgesim.api.validation import parse
from edgesim.engine.engine import Engine

BASE = "/v2/{project_id}/edgemgr/groups"


def routes(engine: Engine) -> list[web.RouteDef]:
    async def create(request: web.Request) -> web.Response:
        body = parse(GroupCreateBody, await request.read())
        g = await engine.groups.create(
            request.match_info["project_id"],
            name=body.name,
            description=body.description or "",
            node_ids=body.node_ids,
            tags=[t.model_dump() for t in body.tags],
        )
        return json_response(group(engine, g), status=201)

    async def list_(request: web.Request) -> web.Response:
        limit, offset = page_params(request, default_limit=500, max_limit=1000)
        descending = sort_descending(request)
        name = request.query.get("name")
        project_id = request.match_info["project_id"]
        matches = [
            g for g in engine.world.groups.values()
            if g.project_id == project_id and (name is None or name in g.name)
        ]
        page = paged(matches, lambda g: g.created_at, descending, limit, offset, tiebreak=lambda g: g.name)
        return json_response({"count": len(matches), "edge_groups": [group(engine, g) for g in page]})

    async def get(request: web.Request) -> web.Response:
        g = engine.groups.get(request.match_info["project_id"], request.match_info["group_id"])
        return json_response(group(engine, g))

    async def update(request: web.Request) -> web.Response:
        project_id, group_id = request.match_info["project_id"], request.match_info["group_id"]
        engine.groups.get(project_id, group_id)
        body = parse(GroupUpdateBody, await request.read())
        g = await engine.groups.update(
            project_id, group_id, description=body.description,
            tags=[t.model_dump() for t in body.tags] if body.tags is not None else None,
        )
        return json_response(group(engine, g))

    async def delete(request: web.Request) -> web.Response:
        await engine.groups.delete(request.match_info["project_id"], request.match_info["group_id"])
        return web.Response(status=204)

    async def bind(request: web.Request) -> web.Response:
        project_id, group_id = request.match_info["project_id"], request.match_info["group_id"]
        engine.groups.get(project_id, group_id)
        body = parse(GroupBindingBody, await request.read())
        g, result = await engine.groups.bind(project_id, group_id, add=body.add_node_ids, remove=body.remove_node_ids)
        return json_response(group(engine, g, result))

    return [
        web.post(BASE, create),
        web.get(BASE, list_, allow_head=False),
        web.get(BASE + "/{group_id}", get, allow_head=False),
        web.put(BASE + "/{group_id}", update),
        web.delete(BASE + "/{group_id}", delete),
        web.put(BASE + "/{group_id}/nodes", bind),
    ]
