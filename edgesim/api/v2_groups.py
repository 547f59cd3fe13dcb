"""Node groups: create, list, get, update, delete, bind/unbind nodes. Bodies have no wrapper."""

from __future__ import annotations

from aiohttp import web

from edgesim.api.errors import json_response
from edgesim.api.node_models import GroupBindingBody, GroupCreateBody, GroupUpdateBody
from edgesim.api.paging import page_params, paged, sort_descending
from edgesim.api.paths import V2
from edgesim.api.routing import ENGINE, IEF, PAGE, Query, Route
from edgesim.api.serializers import group
from edgesim.api.validation import parse

BASE = V2 + "/groups"


async def create(request: web.Request) -> web.Response:
    engine = request.app[ENGINE]
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
    engine = request.app[ENGINE]
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
    engine = request.app[ENGINE]
    g = engine.groups.get(request.match_info["project_id"], request.match_info["group_id"])
    return json_response(group(engine, g))


async def update(request: web.Request) -> web.Response:
    engine = request.app[ENGINE]
    project_id, group_id = request.match_info["project_id"], request.match_info["group_id"]
    engine.groups.get(project_id, group_id)
    body = parse(GroupUpdateBody, await request.read())
    g = await engine.groups.update(
        project_id, group_id, description=body.description,
        tags=[t.model_dump() for t in body.tags] if body.tags is not None else None,
    )
    return json_response(group(engine, g))


async def delete(request: web.Request) -> web.Response:
    engine = request.app[ENGINE]
    await engine.groups.delete(request.match_info["project_id"], request.match_info["group_id"])
    return web.Response(status=204)


async def bind(request: web.Request) -> web.Response:
    engine = request.app[ENGINE]
    project_id, group_id = request.match_info["project_id"], request.match_info["group_id"]
    engine.groups.get(project_id, group_id)
    body = parse(GroupBindingBody, await request.read())
    g, result = await engine.groups.bind(project_id, group_id, add=body.add_node_ids, remove=body.remove_node_ids)
    return json_response(group(engine, g, result))


ROUTES = (
    Route("POST", BASE, create, "Create a node group", IEF, GroupCreateBody, ok=(201,)),
    Route("GET", BASE, list_, "List node groups", IEF, query=(Query("name"),) + PAGE),
    Route("GET", BASE + "/{group_id}", get, "Show a node group", IEF),
    Route("PUT", BASE + "/{group_id}", update, "Update a node group", IEF, GroupUpdateBody),
    Route("DELETE", BASE + "/{group_id}", delete, "Delete a node group", IEF, ok=(204,)),
    Route("PUT", BASE + "/{group_id}/nodes", bind, "Bind and unbind nodes", IEF, GroupBindingBody),
)
