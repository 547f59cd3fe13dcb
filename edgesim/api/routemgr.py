"""Message routing (ief-api-more.md 5.1, 5.2): endpoints, and rules with their start, stop and
errors. A rule's ``success_messages`` / ``fail_messages`` and its errors are derived from its
state timeline at the moment of the request (engine/rule_counts.py)."""

from __future__ import annotations

from typing import Any

from aiohttp import web

from edgesim.api.errors import bad_request, json_response
from edgesim.api.paging import page_params
from edgesim.api.paths import V2_ROUTEMGR
from edgesim.api.routemgr_models import CreateEndpointBody, CreateRuleBody
from edgesim.api.routing import ENGINE, IEF, Query, Route
from edgesim.api.serializers import contract_time
from edgesim.api.validation import parse
from edgesim.domain.models import Endpoint, Rule
from edgesim.engine.engine import Engine
from edgesim.engine.message_routes import SHARED, is_shared
from edgesim.engine.rule_counts import MAX_ERRORS, counts, failures

ENDPOINTS = V2_ROUTEMGR + "/endpoints"
RULES = V2_ROUTEMGR + "/rules"
PAGE = (Query("limit", "integer", "page size (1..1000, default 1000)", 1), Query("offset", "integer", "first item", 0))


def endpoint_shape(engine: Engine, e: Endpoint) -> dict[str, Any]:
    return {
        "id": e.id, "name": e.name, "type": e.type, "properties": dict(e.properties), "description": e.description,
        "ief_instance_id": e.ief_instance_id, "is_shared": is_shared(e), "project_id": e.project_id,
        "created_at": contract_time(engine, e.created_at), "updated_at": contract_time(engine, e.updated_at),
    }


def rule_shape(engine: Engine, r: Rule) -> dict[str, Any]:
    delivered, failed = counts(r, engine.clock.now())
    routes = engine.message_routes
    return {
        "id": r.id, "name": r.name, "description": r.description, "project_id": r.project_id,
        "ief_instance_id": r.ief_instance_id, "in_using": r.in_using,
        "source": endpoint_shape(engine, routes.endpoint(r.project_id, r.source)), "source_resource": dict(r.source_resource),
        "target": endpoint_shape(engine, routes.endpoint(r.project_id, r.target)), "target_resource": dict(r.target_resource),
        "success_messages": delivered, "fail_messages": failed,
        "created_at": contract_time(engine, r.created_at), "updated_at": contract_time(engine, r.updated_at),
    }


# --- endpoints ---------------------------------------------------------------------------------


async def create_endpoint(request: web.Request) -> web.Response:
    engine = request.app[ENGINE]
    body = parse(CreateEndpointBody, await request.read()).endpoint
    e = await engine.message_routes.create_endpoint(
        request.match_info["project_id"], name=body.name, type=body.type, properties=dict(body.properties),
        description=body.description or "", ief_instance_id=body.ief_instance_id or "",
    )
    return json_response({"endpoint": endpoint_shape(engine, e)}, status=201)


async def list_endpoints(request: web.Request) -> web.Response:
    engine = request.app[ENGINE]
    limit, offset = page_params(request, default_limit=1000, max_limit=1000)
    shared = request.query.get("is_shared")
    if shared not in (None, "true", "false"):
        raise bad_request(f"invalid is_shared: {shared!r}; use true or false")
    own = sorted(engine.message_routes.endpoints_of(request.match_info["project_id"]), key=lambda e: (e.created_at, e.name))
    found = [*(SHARED if shared != "false" else ()), *(own if shared != "true" else ())]
    name, kind = request.query.get("name"), request.query.get("type")
    found = [e for e in found if (name is None or name in e.name) and (kind is None or e.type == kind)]
    page = found[offset:offset + limit]
    return json_response({"endpoints": [endpoint_shape(engine, e) for e in page], "count": len(found)})


async def show_endpoint(request: web.Request) -> web.Response:
    engine = request.app[ENGINE]
    e = engine.message_routes.endpoint(request.match_info["project_id"], request.match_info["endpoint_id"])
    return json_response({"endpoint": endpoint_shape(engine, e)})


async def delete_endpoint(request: web.Request) -> web.Response:
    engine = request.app[ENGINE]
    await engine.message_routes.delete_endpoint(request.match_info["project_id"], request.match_info["endpoint_id"])
    return web.Response(status=204)


# --- rules -------------------------------------------------------------------------------------


async def create_rule(request: web.Request) -> web.Response:
    engine = request.app[ENGINE]
    body = parse(CreateRuleBody, await request.read()).rule
    r = await engine.message_routes.create_rule(
        request.match_info["project_id"], name=body.name, description=body.description or "",
        source=body.source, source_resource=dict(body.source_resource), target=body.target,
        target_resource=dict(body.target_resource), in_using=body.in_using, ief_instance_id=body.ief_instance_id or "",
    )
    return json_response({"rule": rule_shape(engine, r)}, status=201)


async def list_rules(request: web.Request) -> web.Response:
    engine = request.app[ENGINE]
    limit, offset = page_params(request, default_limit=1000, max_limit=1000)
    name = request.query.get("name")
    found = sorted(engine.message_routes.rules_of(request.match_info["project_id"]), key=lambda r: (r.created_at, r.name))
    found = [r for r in found if name is None or name in r.name]
    return json_response({"rules": [rule_shape(engine, r) for r in found[offset:offset + limit]], "count": len(found)})


async def show_rule(request: web.Request) -> web.Response:
    engine = request.app[ENGINE]
    r = engine.message_routes.rule(request.match_info["project_id"], request.match_info["rule_id"])
    return json_response({"rule": rule_shape(engine, r)})


async def delete_rule(request: web.Request) -> web.Response:
    engine = request.app[ENGINE]
    await engine.message_routes.delete_rule(request.match_info["project_id"], request.match_info["rule_id"])
    return web.Response(status=204)


async def start_rule(request: web.Request) -> web.Response:
    engine = request.app[ENGINE]
    await engine.message_routes.set_in_using(request.match_info["project_id"], request.match_info["rule_id"], True)
    return web.Response(status=200)


async def stop_rule(request: web.Request) -> web.Response:
    engine = request.app[ENGINE]
    await engine.message_routes.set_in_using(request.match_info["project_id"], request.match_info["rule_id"], False)
    return web.Response(status=200)


async def list_rule_errors(request: web.Request) -> web.Response:
    engine = request.app[ENGINE]
    limit, offset = page_params(request, default_limit=1000, max_limit=1000)
    r = engine.message_routes.rule(request.match_info["project_id"], request.match_info["rule_id"])
    kept = failures(r, engine.clock.now(), MAX_ERRORS)
    errors = [
        {"detail": detail, "time": contract_time(engine, t), "rule_id": r.id, "project_id": r.project_id,
         "ief_instance_id": r.ief_instance_id}
        for t, detail in kept[offset:offset + limit]
    ]
    return json_response({"count": len(kept), "errors": errors})


_FILTERS = (Query("name", description="substring of the name"),)
ROUTES = (
    Route("POST", ENDPOINTS, create_endpoint, "Create a message endpoint", IEF, CreateEndpointBody, ok=(201,)),
    Route("GET", ENDPOINTS, list_endpoints, "List message endpoints (the tenant's and the shared ones)", IEF,
          query=(*_FILTERS, Query("type", description="dis, servicebus, apigw, eventbus or rest"),
                 Query("is_shared", description="true or false"), *PAGE)),
    Route("GET", ENDPOINTS + "/{endpoint_id}", show_endpoint, "Show a message endpoint", IEF),
    Route("DELETE", ENDPOINTS + "/{endpoint_id}", delete_endpoint, "Delete a message endpoint", IEF, ok=(204,)),
    Route("POST", RULES, create_rule, "Create a message rule", IEF, CreateRuleBody, ok=(201,)),
    Route("GET", RULES, list_rules, "List message rules", IEF, query=(*_FILTERS, *PAGE)),
    Route("GET", RULES + "/{rule_id}", show_rule, "Show a message rule with its counts", IEF),
    Route("DELETE", RULES + "/{rule_id}", delete_rule, "Delete a message rule", IEF, ok=(204,)),
    Route("POST", RULES + "/{rule_id}/start", start_rule, "Start a message rule", IEF),
    Route("POST", RULES + "/{rule_id}/stop", stop_rule, "Stop a message rule", IEF),
    Route("GET", RULES + "/{rule_id}/errors", list_rule_errors, "A rule's failed messages, newest first", IEF, query=PAGE),
)
