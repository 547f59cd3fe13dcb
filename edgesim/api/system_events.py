"""System event subscriptions (ief-api-more.md 5.3): create, list, show, delete, start, stop.
``event_id`` in a path is the subscription's id or its name (the SDK documents both)."""

from __future__ import annotations

from typing import Any

from aiohttp import web

from edgesim.api.errors import json_response
from edgesim.api.paging import page_params
from edgesim.api.paths import V2_ROUTEMGR
from edgesim.api.routemgr import PAGE, endpoint_shape
from edgesim.api.routemgr_models import CreateSystemEventBody
from edgesim.api.routing import ENGINE, IEF, Query, Route
from edgesim.api.serializers import contract_time
from edgesim.api.validation import parse
from edgesim.domain.models import SystemEvent
from edgesim.engine.engine import Engine

BASE = V2_ROUTEMGR + "/exchanger/systemevents"


def shape(engine: Engine, e: SystemEvent) -> dict[str, Any]:
    return {
        "id": e.id, "name": e.name, "project_id": e.project_id, "description": e.description,
        "in_using": e.in_using, "events": e.events,
        "target": endpoint_shape(engine, engine.message_routes.endpoint(e.project_id, e.target)),
        "target_resource": dict(e.target_resource), "success_messages": e.success_messages,
        "fail_messages": e.fail_messages, "delete_at": 0,
        "created_at": contract_time(engine, e.created_at), "updated_at": contract_time(engine, e.updated_at),
    }


async def create(request: web.Request) -> web.Response:
    engine = request.app[ENGINE]
    body = parse(CreateSystemEventBody, await request.read()).systemevent
    e = await engine.system_events.create(
        request.match_info["project_id"], name=body.name, description=body.description or "", events=body.events,
        target=body.target, target_resource=body.target_resource.model_dump() if body.target_resource else {},
    )
    return json_response({"systemevent": shape(engine, e)}, status=201)


async def list_(request: web.Request) -> web.Response:
    engine = request.app[ENGINE]
    limit, offset = page_params(request, default_limit=1000, max_limit=1000)
    name = request.query.get("name")
    found = sorted(engine.system_events.of_project(request.match_info["project_id"]), key=lambda e: (e.created_at, e.name))
    found = [e for e in found if name is None or name in e.name]
    return json_response({"count": len(found), "systemevents": [shape(engine, e) for e in found[offset:offset + limit]]})


async def show(request: web.Request) -> web.Response:
    engine = request.app[ENGINE]
    e = engine.system_events.get(request.match_info["project_id"], request.match_info["event_id"])
    return json_response({"systemevent": shape(engine, e)})


async def delete(request: web.Request) -> web.Response:
    engine = request.app[ENGINE]
    await engine.system_events.delete(request.match_info["project_id"], request.match_info["event_id"])
    return web.Response(status=204)


async def start(request: web.Request) -> web.Response:
    engine = request.app[ENGINE]
    await engine.system_events.set_in_using(request.match_info["project_id"], request.match_info["event_id"], True)
    return web.Response(status=200)


async def stop(request: web.Request) -> web.Response:
    engine = request.app[ENGINE]
    await engine.system_events.set_in_using(request.match_info["project_id"], request.match_info["event_id"], False)
    return web.Response(status=200)


ROUTES = (
    Route("POST", BASE, create, "Subscribe to system events", IEF, CreateSystemEventBody, ok=(201,)),
    Route("GET", BASE, list_, "List system event subscriptions", IEF,
          query=(Query("name", description="substring of the name"), *PAGE)),
    Route("GET", BASE + "/{event_id}", show, "Show a system event subscription (by id or name)", IEF),
    Route("DELETE", BASE + "/{event_id}", delete, "Delete a system event subscription (by id or name)", IEF, ok=(204,)),
    Route("POST", BASE + "/{event_id}/start", start, "Start a system event subscription", IEF),
    Route("POST", BASE + "/{event_id}/stop", stop, "Stop a system event subscription", IEF),
)
