"""End devices and node-device binding (ief-api-more.md 4.1, 4.5): create, list, show, update,
delete, and binding from either side. Bodies and answers are wrapped in ``device``."""

from __future__ import annotations

from typing import Any

from aiohttp import web

from edgesim.api.device_models import (
    CreateDeviceBody,
    DeviceNodesBody,
    NodeDevicesBody,
    UpdateDeviceBody,
    stored_access_config,
    stored_attributes,
    stored_twin,
    stored_visitors,
)
from edgesim.api.errors import bad_request, json_response
from edgesim.api.paging import has_tags, page_params, paged, tag_filter
from edgesim.api.paths import V2
from edgesim.api.routing import ENGINE, IEF, Query, Route
from edgesim.api.serializers import contract_time
from edgesim.api.validation import parse
from edgesim.domain.models import Device
from edgesim.engine.devices import Binding
from edgesim.engine.engine import Engine

BASE = V2 + "/devices"
PAGE = (Query("limit", "integer", "page size (1..1000, default 1000)", 1), Query("offset", "integer", "first item", 0))


def twin_answer(twin: dict[str, Any], stale: bool = False) -> dict[str, Any]:
    """Twin properties as answered: the desired value under both spellings, ``expected``
    (doc, user guide) and ``excepted`` (SDK), with the same content; a reported value
    (``actual``) of an offline device is marked ``metadata.stale: true``."""
    out = {}
    for name, prop in twin.items():
        entry = dict(prop)
        if "expected" in prop:
            entry["excepted"] = prop["expected"]
        if stale and "actual" in prop:
            actual = prop["actual"]
            entry["actual"] = {**actual, "metadata": {**actual.get("metadata", {}), "stale": True}}
        out[name] = entry
    return out


def device(engine: Engine, d: Device) -> dict[str, Any]:
    return {
        "id": d.id,
        "name": d.name,
        "access_protocol": d.access_protocol,
        "description": d.description,
        "project_id": d.project_id,
        "created_at": contract_time(engine, d.created_at),
        "updated_at": contract_time(engine, d.updated_at),
        "attributes": d.attributes,
        "connection_type": d.connection_type,
        "twin": twin_answer(d.twin, stale=engine.devices.state(d) == "offline"),
        "access_config": d.access_config,
        "property_visitors": d.property_visitors,
        "tags": list(d.tags),
        # extensions (ief-api-more.md 4.1): the SDK's Device has neither, and ignores them
        "state": engine.devices.state(d),
        "node_id": d.node_id,
    }


async def create(request: web.Request) -> web.Response:
    engine = request.app[ENGINE]
    body = parse(CreateDeviceBody, await request.read()).device
    d = await engine.devices.create(
        request.match_info["project_id"],
        name=body.name, device_id=body.id, access_protocol=body.access_protocol,
        connection_type=body.connection_type, description=body.description or "",
        attributes=stored_attributes(body.attributes), twin=stored_twin(body.twin),
        access_config=stored_access_config(body.access_config), property_visitors=stored_visitors(body.property_visitors),
        template_id=body.device_template_id,
    )
    return json_response({"device": device(engine, d)}, status=201)


def _binding_filter(request: web.Request) -> bool | None:
    raw = request.query.get("is_binding")
    if raw is None:
        return None
    if raw not in ("true", "false"):
        raise bad_request(f"invalid is_binding: {raw!r}; use true or false")
    return raw == "true"


async def list_(request: web.Request) -> web.Response:
    engine = request.app[ENGINE]
    limit, offset = page_params(request, default_limit=1000, max_limit=1000)
    name, node_id = request.query.get("name"), request.query.get("node_id")
    binding, tags = _binding_filter(request), tag_filter(request)
    matches = [
        d for d in engine.devices.of_project(request.match_info["project_id"])
        if (name is None or name in d.name)
        and (node_id is None or d.node_id == node_id)
        and (binding is None or (d.node_id is not None) == binding)
        and has_tags(d.tags, tags)
    ]
    page = paged(matches, lambda d: d.created_at, True, limit, offset, tiebreak=lambda d: d.name)
    return json_response({"devices": [device(engine, d) for d in page], "count": len(matches)})


async def show(request: web.Request) -> web.Response:
    engine = request.app[ENGINE]
    d = engine.devices.get(request.match_info["project_id"], request.match_info["device_id"])
    return json_response({"device": device(engine, d)})


async def update(request: web.Request) -> web.Response:
    engine = request.app[ENGINE]
    project_id, device_id = request.match_info["project_id"], request.match_info["device_id"]
    engine.devices.get(project_id, device_id)  # 404 before judging the body
    body = parse(UpdateDeviceBody, await request.read()).device
    fields: dict[str, Any] = {}
    if body.description is not None:
        fields["description"] = body.description
    if body.attributes is not None:
        fields["attributes"] = stored_attributes(body.attributes)  # replaces the whole map
    d = await engine.devices.update(project_id, device_id, fields)
    return json_response({"device": device(engine, d)})


async def delete(request: web.Request) -> web.Response:
    engine = request.app[ENGINE]
    await engine.devices.delete(request.match_info["project_id"], request.match_info["device_id"])
    return web.Response(status=204)


def _added(result: Binding, ids_key: str) -> dict[str, Any]:
    return {"relation": result.relation, "comment": result.comment, ids_key: result.added}


async def bind_on_node(request: web.Request) -> web.Response:
    engine = request.app[ENGINE]
    project_id, node_id = request.match_info["project_id"], request.match_info["node_id"]
    engine.nodes.get(project_id, node_id)
    change = parse(NodeDevicesBody, await request.read()).devices
    added = change.added
    result = await engine.devices.bind_on_node(
        project_id, node_id, added=added.device_ids if added else [], removed=change.removed,
        relation=added.relation if added else "", comment=added.comment if added else "",
    )
    return json_response({
        # reserved for industrial devices (SDK): always the same
        "delete_connector": False, "deploy_connector": False, "deployment_id": "",
        "update_devices": {"added": _added(result, "device_ids"), "removed": result.removed},
    })


async def bind_on_device(request: web.Request) -> web.Response:
    engine = request.app[ENGINE]
    project_id, device_id = request.match_info["project_id"], request.match_info["device_id"]
    engine.devices.get(project_id, device_id)
    change = parse(DeviceNodesBody, await request.read()).nodes
    added = change.added
    result = await engine.devices.bind_on_device(
        project_id, device_id, added=added.node_ids if added else [], removed=change.removed,
        relation=added.relation if added else "", comment=added.comment if added else "",
    )
    return json_response({"update_nodes": {"added": _added(result, "node_ids"), "removed": result.removed}})


ROUTES = (
    Route("POST", BASE, create, "Create a device", IEF, CreateDeviceBody, ok=(201,)),
    Route("GET", BASE, list_, "List devices", IEF,
          query=(Query("name"), Query("node_id"), Query("is_binding", description="true or false"), Query("tags")) + PAGE),
    Route("GET", BASE + "/{device_id}", show, "Show a device", IEF),
    Route("PUT", BASE + "/{device_id}", update, "Update a device", IEF, UpdateDeviceBody),
    Route("DELETE", BASE + "/{device_id}", delete, "Delete a device", IEF, ok=(204,)),
    Route("PUT", BASE + "/{device_id}/nodes", bind_on_device, "Bind a device to a node, or unbind it", IEF, DeviceNodesBody),
    Route("PUT", V2 + "/nodes/{node_id}/devices", bind_on_node, "Bind devices to a node, or unbind them", IEF, NodeDevicesBody),
)
