"""Encrypted data and its distribution to nodes (ief-api-more.md 7.4), under ``/v2/{p}/edm``.

Reads never return plaintext. Each bound node has a delivery state (edgesim addition
``delivery_state``: ``pending`` while the node is not connected, ``delivered`` once it is)."""

from __future__ import annotations

from typing import Any

from aiohttp import web

from edgesim.api.encryptdata_models import EncryptDataBody, NodeEncryptDataBody
from edgesim.api.errors import json_response
from edgesim.api.iam import stable_id
from edgesim.api.paging import page_params
from edgesim.api.paths import V2_EDM
from edgesim.api.routing import ENGINE, IEF, Query, Route
from edgesim.api.serializers import epoch_seconds
from edgesim.api.validation import parse
from edgesim.domain.models import EncryptData, Node
from edgesim.engine.engine import Engine

BASE = V2_EDM + "/encryptdatas"
NODE_BASE = V2_EDM + "/nodes/{node_id}/encryptdatas"
LIMIT_OFFSET = (Query("limit", "integer", "page size", 1), Query("offset", "integer", "first item", 0))


def shape(engine: Engine, record: EncryptData) -> dict[str, Any]:
    account = engine.core.settings.account(record.project_id)
    domain_id = stable_id("domain", account.domain) if account is not None else ""  # as IAM answers it
    return {
        "id": record.id, "name": record.name, "description": record.description,
        "config": [dict(i) for i in record.config], "project_id": record.project_id,
        "ief_instance_id": "default", "domain_id": domain_id,
        "created_time": epoch_seconds(engine, record.created_at),
        "updated_time": epoch_seconds(engine, record.updated_at),
    }


def node_shape(node: Node, delivery: str) -> dict[str, Any]:
    return {"id": node.id, "state": node.state, "name": node.name, "host_name": node.hardware.get("host_name", ""),
            "host_ips": list(node.hardware.get("host_ips", [])), "delivery_state": delivery}


async def create(request: web.Request) -> web.Response:
    engine = request.app[ENGINE]
    body = parse(EncryptDataBody, await request.read()).encrypt_data
    record = await engine.encryptdatas.create(
        request.match_info["project_id"], name=body.name, description=body.description or "",
        config=[i.model_dump() for i in body.config],
    )
    return json_response({"encrypt_data": shape(engine, record)}, status=201)


async def list_(request: web.Request) -> web.Response:
    engine = request.app[ENGINE]
    limit, offset = page_params(request, default_limit=10, max_limit=1000)
    name = request.query.get("name")
    records = [r for r in engine.encryptdatas.of_project(request.match_info["project_id"])
               if name is None or name in r.name]
    page = records[offset:offset + limit]
    return json_response({"encrypt_datas": [shape(engine, r) for r in page], "count": len(records)})


async def show(request: web.Request) -> web.Response:
    engine = request.app[ENGINE]
    record = engine.encryptdatas.get(request.match_info["project_id"], request.match_info["encryptdata_id"])
    return json_response({"encrypt_data": shape(engine, record)})


async def update(request: web.Request) -> web.Response:
    engine = request.app[ENGINE]
    project_id, record_id = request.match_info["project_id"], request.match_info["encryptdata_id"]
    engine.encryptdatas.get(project_id, record_id)
    body = parse(EncryptDataBody, await request.read()).encrypt_data
    record = await engine.encryptdatas.update(
        project_id, record_id, name=body.name, description=body.description or "",
        config=[i.model_dump() for i in body.config],
    )
    return json_response({"encrypt_data": shape(engine, record)})


async def delete(request: web.Request) -> web.Response:
    engine = request.app[ENGINE]
    await engine.encryptdatas.delete(request.match_info["project_id"], request.match_info["encryptdata_id"])
    return web.Response(status=204)


async def nodes_of(request: web.Request) -> web.Response:
    engine = request.app[ENGINE]
    limit, offset = page_params(request, default_limit=10, max_limit=1000)
    record = engine.encryptdatas.get(request.match_info["project_id"], request.match_info["encryptdata_id"])
    bound = engine.encryptdatas.bound_nodes(record)
    page = bound[offset:offset + limit]
    return json_response({"count": len(bound), "nodes": [node_shape(n, s) for n, s in page]})


async def bind(request: web.Request) -> web.Response:
    engine = request.app[ENGINE]
    project_id, node_id = request.match_info["project_id"], request.match_info["node_id"]
    engine.encryptdatas.node(project_id, node_id)
    body = parse(NodeEncryptDataBody, await request.read())
    await engine.encryptdatas.bind(project_id, node_id, body.encrypt_datas)
    return web.Response(status=201)  # "ok", no body (DOC-CreateNodeEncryptdatas)


async def of_node(request: web.Request) -> web.Response:
    engine = request.app[ENGINE]
    limit, offset = page_params(request, default_limit=10, max_limit=1000)
    project_id, node_id = request.match_info["project_id"], request.match_info["node_id"]
    engine.encryptdatas.node(project_id, node_id)
    bound = engine.encryptdatas.of_node(node_id)
    page = bound[offset:offset + limit]
    return json_response({"encrypt_datas": [{**shape(engine, r), "delivery_state": s} for r, s in page],
                          "count": len(bound)})


async def unbind(request: web.Request) -> web.Response:
    engine = request.app[ENGINE]
    await engine.encryptdatas.unbind(
        request.match_info["project_id"], request.match_info["node_id"], request.match_info["encryptdata_id"])
    return web.Response(status=204)


ROUTES = (
    Route("POST", BASE, create, "Create encrypted data", IEF, EncryptDataBody, ok=(201,)),
    Route("GET", BASE, list_, "List encrypted data", IEF, query=(Query("name"),) + LIMIT_OFFSET),
    Route("GET", BASE + "/{encryptdata_id}", show, "Show encrypted data", IEF),
    Route("PUT", BASE + "/{encryptdata_id}", update, "Update encrypted data", IEF, EncryptDataBody),
    Route("DELETE", BASE + "/{encryptdata_id}", delete, "Delete encrypted data", IEF, ok=(204,)),
    Route("GET", BASE + "/{encryptdata_id}/nodes", nodes_of, "List the nodes encrypted data is bound to", IEF,
          query=LIMIT_OFFSET),
    Route("POST", NODE_BASE, bind, "Bind encrypted data to a node", IEF, NodeEncryptDataBody, ok=(201,)),
    Route("GET", NODE_BASE, of_node, "List a node's encrypted data", IEF, query=LIMIT_OFFSET),
    Route("DELETE", NODE_BASE + "/{encryptdata_id}", unbind, "Unbind encrypted data from a node", IEF, ok=(204,)),
)
