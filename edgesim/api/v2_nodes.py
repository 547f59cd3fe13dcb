"""Edge nodes: register, list, get, update, delete, and the start/stop action."""

from __future__ import annotations

from collections.abc import Callable

from aiohttp import web

from edgesim.api.errors import json_response
from edgesim.api.node_models import NodeActionBody, RegisterNodeBody, UpdateNodeBody
from edgesim.api.paging import has_tags, page_params, paged, sort_descending, tag_filter
from edgesim.api.paths import V2
from edgesim.api.routing import ENGINE, IEF, PAGE, Query, Route
from edgesim.api.serializers import node, registered_node
from edgesim.api.validation import parse
from edgesim.domain.models import Node
from edgesim.engine.change import Change
from edgesim.engine.engine import Engine

BASE = V2 + "/nodes"


async def register(request: web.Request) -> web.Response:
    engine = request.app[ENGINE]
    body = parse(RegisterNodeBody, await request.read()).node
    n = await engine.nodes.register(
        request.match_info["project_id"],
        name=body.name,
        description=body.description or "",
        enable_gpu=body.enable_gpu,
        enable_npu=body.enable_npu,
        npu_type=body.npu_type,
        enable_docker=body.enable_docker,
        attributes=[a.model_dump() for a in body.attributes],
        tags=[t.model_dump() for t in body.tags],
        log_configs=[c.model_dump() for c in body.log_configs],
        mqtt_config=body.mqtt_config.model_dump() if body.mqtt_config else None,
        also=_bind_devices(engine, [(i.device_ids, i.relation, i.comment) for i in body.device_infos]),
    )
    return json_response({"node": registered_node(engine, n)}, status=201)


def _bind_devices(engine: Engine, infos: list[tuple[list[str], str, str]]) -> Callable[[Node, Change], None] | None:
    """The register body's ``device_infos``: bound within the registration itself."""
    if not infos:
        return None
    return lambda node, change: engine.devices.bind_registering(node, infos, change)


def _runs_app(engine: Engine, app_name: str, node_id: str) -> bool:
    """The node holds an instance of the deployment named ``app_name`` (exactly)."""
    deployments = engine.world.deployments
    return any((dep := deployments.get(i.deployment_id)) is not None and dep.name == app_name
               for i in engine.world.instances_on(node_id))


async def list_(request: web.Request) -> web.Response:
    engine = request.app[ENGINE]
    limit, offset = page_params(request, default_limit=500, max_limit=1000)
    descending = sort_descending(request)
    name = request.query.get("name")
    state = request.query.get("state")
    group_id = request.query.get("group_id")
    tags = tag_filter(request)
    device_id, device_name = request.query.get("device_id"), request.query.get("device_name")
    app_name = request.query.get("app_name")
    project_id = request.match_info["project_id"]
    world = engine.world
    matches = [
        n
        for n in world.nodes.values()
        if n.project_id == project_id
        and (name is None or name in n.name)
        and (state is None or n.state == state)
        and (group_id is None or group_id in world.group_ids_of(n.id))
        and has_tags(n.tags, tags)
        and (device_id is None or _device_bound_to(engine, device_id, n.id))
        and (device_name is None or any(device_name in d.name for d in world.devices_on(n.id)))
        and (app_name is None or _runs_app(engine, app_name, n.id))
    ]
    page = paged(matches, lambda n: n.created_at, descending, limit, offset, tiebreak=lambda n: n.name)
    answers = [node(engine, n) for n in page]
    bound = world.devices.get(device_id or "")
    if bound is not None:  # the binding's notes, as EdgeNodeResp documents them
        for answer in answers:
            answer.update(relation=bound.relation, comment=bound.comment)
    return json_response({"count": len(matches), "nodes": answers})


def _device_bound_to(engine: Engine, device_id: str, node_id: str) -> bool:
    device = engine.world.devices.get(device_id)
    return device is not None and device.node_id == node_id


async def get(request: web.Request) -> web.Response:
    engine = request.app[ENGINE]
    n = engine.nodes.get(request.match_info["project_id"], request.match_info["node_id"])
    return json_response({"node": node(engine, n)})


async def update(request: web.Request) -> web.Response:
    engine = request.app[ENGINE]
    project_id, node_id = request.match_info["project_id"], request.match_info["node_id"]
    engine.nodes.get(project_id, node_id)  # 404 before judging the body
    body = parse(UpdateNodeBody, await request.read()).node
    fields = {k: v for k, v in body.model_dump().items() if k in body.model_fields_set and v is not None}
    n = await engine.nodes.update(project_id, node_id, fields)
    return json_response({"node": node(engine, n)})


async def delete(request: web.Request) -> web.Response:
    engine = request.app[ENGINE]
    await engine.nodes.delete(request.match_info["project_id"], request.match_info["node_id"])
    return web.Response(status=204)


async def action(request: web.Request) -> web.Response:
    engine = request.app[ENGINE]
    project_id, node_id = request.match_info["project_id"], request.match_info["node_id"]
    engine.nodes.get(project_id, node_id)
    body = parse(NodeActionBody, await request.read()).node
    await engine.nodes.act(project_id, node_id, body.action)
    return json_response({"node": {"action": body.action}})


ROUTES = (
    Route("POST", BASE, register, "Register an edge node", IEF, RegisterNodeBody, ok=(201,)),
    Route("GET", BASE, list_, "List edge nodes", IEF,
          query=(Query("name"), Query("state"), Query("group_id"), Query("tags"),
                 Query("device_id", description="the node this device is bound to"),
                 Query("device_name", description="nodes with a bound device whose name contains it"),
                 Query("app_name", description="nodes holding an instance of the deployment of this name")) + PAGE),
    Route("GET", BASE + "/{node_id}", get, "Show an edge node", IEF),
    Route("PUT", BASE + "/{node_id}", update, "Update an edge node", IEF, UpdateNodeBody),
    Route("DELETE", BASE + "/{node_id}", delete, "Delete an edge node", IEF, ok=(204,)),
    Route("POST", BASE + "/{node_id}/action", action, "Start or stop an edge node", IEF, NodeActionBody),
)
