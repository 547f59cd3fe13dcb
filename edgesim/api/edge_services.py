"""Edge services (ief-api-more.md section 6): create, list, show, update, delete, platinum
only: every request names its instance in the ``ief-instance-id`` header (required)."""

from __future__ import annotations

from typing import Any

from aiohttp import web

from edgesim.api.errors import bad_request, json_response
from edgesim.api.paging import page_params
from edgesim.api.paths import V2
from edgesim.api.routing import ENGINE, IEF, Query, Route
from edgesim.api.serializers import contract_time
from edgesim.api.service_models import ServiceRequest
from edgesim.api.validation import parse
from edgesim.domain.models import EdgeService
from edgesim.engine.engine import Engine

BASE = V2 + "/services"
SORT_KEYS = ("name", "created_at")


def instance_id(request: web.Request) -> str:
    value = request.headers.get("ief-instance-id", "").strip()
    if not value:
        raise bad_request("ief-instance-id is required: edge services need the platinum edition's instance")
    return value


def _found(request: web.Request) -> tuple[str, EdgeService]:
    """The instance and the service a path names: an unknown id is 404 before the header is
    checked; another instance's service is unknown too."""
    engine, project_id, service_id = request.app[ENGINE], request.match_info["project_id"], request.match_info["service_id"]
    engine.edge_services.get(project_id, None, service_id)
    instance = instance_id(request)
    return instance, engine.edge_services.get(project_id, instance, service_id)


def shape(engine: Engine, s: EdgeService) -> dict[str, Any]:
    return {
        "id": s.id, "project_id": s.project_id, "meta_data": {"name": s.name, "labels": dict(s.labels)},
        "spec": s.spec, "created_at": contract_time(engine, s.created_at), "updated_at": contract_time(engine, s.updated_at),
    }


def _fields(body: ServiceRequest) -> tuple[str, dict[str, str], dict[str, Any]]:
    svc = body.service
    spec = svc.spec.model_dump()
    spec["ports"] = [{k: v for k, v in port.items() if v is not None} for port in spec["ports"]]
    return svc.meta_data.name, dict(svc.meta_data.labels), spec


async def create(request: web.Request) -> web.Response:
    engine = request.app[ENGINE]
    instance = instance_id(request)
    name, labels, spec = _fields(parse(ServiceRequest, await request.read()))
    s = await engine.edge_services.create(request.match_info["project_id"], instance, name, labels, spec)
    return json_response({"service": shape(engine, s)}, status=201)


async def list_(request: web.Request) -> web.Response:
    engine = request.app[ENGINE]
    limit, offset = page_params(request, default_limit=10, max_limit=100)  # paging first, as every list
    raw_sort = request.query.get("sorted", "created_at")
    key, _, direction = raw_sort.partition(":")
    if key not in SORT_KEYS or direction not in ("", "asc", "desc"):
        raise bad_request(f"invalid sorted: {raw_sort!r}; use name or created_at, optionally :asc or :desc")
    instance = instance_id(request)
    name, app = request.query.get("name"), request.query.get("app")
    found = [s for s in engine.edge_services.of_instance(request.match_info["project_id"], instance)
             if (name is None or name in s.name) and (app is None or s.spec["selector"].get("app") == app)]
    found.sort(key=lambda s: (getattr(s, key), s.name), reverse=direction == "desc")
    return json_response({"count": len(found), "services": [shape(engine, s) for s in found[offset:offset + limit]]})


async def show(request: web.Request) -> web.Response:
    engine = request.app[ENGINE]
    return json_response({"service": shape(engine, _found(request)[1])})


async def update(request: web.Request) -> web.Response:
    engine = request.app[ENGINE]
    instance, found = _found(request)
    name, labels, spec = _fields(parse(ServiceRequest, await request.read()))
    s = await engine.edge_services.update(request.match_info["project_id"], instance, found.id, name, labels, spec)
    return json_response({"service": shape(engine, s)})


async def delete(request: web.Request) -> web.Response:
    engine = request.app[ENGINE]
    instance, found = _found(request)
    await engine.edge_services.delete(request.match_info["project_id"], instance, found.id)
    return web.Response(status=204)


ROUTES = (
    Route("POST", BASE, create, "Create an edge service (platinum; header ief-instance-id)", IEF, ServiceRequest, ok=(201,)),
    Route("GET", BASE, list_, "List edge services", IEF, query=(
        Query("name", description="substring of the name"), Query("app", description="selector app=<value>"),
        Query("sorted", description="name or created_at (default), :asc or :desc"),
        Query("limit", "integer", "page size (1..100, default 10)", 1), Query("offset", "integer", "first item", 0))),
    Route("GET", BASE + "/{service_id}", show, "Show an edge service", IEF),
    Route("PUT", BASE + "/{service_id}", update, "Replace an edge service", IEF, ServiceRequest),
    Route("DELETE", BASE + "/{service_id}", delete, "Delete an edge service", IEF, ok=(204,)),
)
