"""Device templates (ief-api-more.md 4.2): create, list, show, update, delete. Bodies and
answers are wrapped in ``device_template``."""

from __future__ import annotations

from typing import Any

from aiohttp import web

from edgesim.api.device_models import (
    CreateTemplateBody,
    UpdateTemplateBody,
    stored_attributes,
    stored_twin,
    stored_visitors,
)
from edgesim.api.devices import PAGE, twin_answer
from edgesim.api.errors import json_response
from edgesim.api.paging import page_params, paged
from edgesim.api.paths import V2
from edgesim.api.routing import ENGINE, IEF, Query, Route
from edgesim.api.serializers import contract_time
from edgesim.api.validation import parse
from edgesim.domain.models import DeviceTemplate
from edgesim.engine.engine import Engine

BASE = V2 + "/device-templates"


def template(engine: Engine, t: DeviceTemplate) -> dict[str, Any]:
    return {
        "id": t.id,
        "name": t.name,
        "access_protocol": t.access_protocol,
        "description": t.description,
        "attributes": t.attributes,
        "twin": twin_answer(t.twin),
        "project_id": t.project_id,
        "created_at": contract_time(engine, t.created_at),
        "updated_at": contract_time(engine, t.updated_at),
        "property_visitors": t.property_visitors,
        "tags": t.tags,
    }


async def create(request: web.Request) -> web.Response:
    engine = request.app[ENGINE]
    body = parse(CreateTemplateBody, await request.read()).device_template
    t = await engine.device_templates.create(
        request.match_info["project_id"],
        name=body.name, access_protocol=body.access_protocol, description=body.description or "",
        attributes=stored_attributes(body.attributes), twin=stored_twin(body.twin),
        property_visitors=stored_visitors(body.property_visitors),
        tags=body.tags.model_dump() if body.tags is not None else None,
    )
    return json_response({"device_template": template(engine, t)}, status=201)


async def list_(request: web.Request) -> web.Response:
    engine = request.app[ENGINE]
    limit, offset = page_params(request, default_limit=1000, max_limit=1000)
    name = request.query.get("name")
    matches = [t for t in engine.device_templates.of_project(request.match_info["project_id"])
               if name is None or name in t.name]
    page = paged(matches, lambda t: t.created_at, True, limit, offset, tiebreak=lambda t: t.name)
    return json_response({"device_templates": [template(engine, t) for t in page], "count": len(matches)})


async def show(request: web.Request) -> web.Response:
    engine = request.app[ENGINE]
    t = engine.device_templates.get(request.match_info["project_id"], request.match_info["device_template_id"])
    return json_response({"device_template": template(engine, t)})


async def update(request: web.Request) -> web.Response:
    engine = request.app[ENGINE]
    project_id, template_id = request.match_info["project_id"], request.match_info["device_template_id"]
    engine.device_templates.get(project_id, template_id)  # 404 before judging the body
    body = parse(UpdateTemplateBody, await request.read()).device_template
    given = {k: getattr(body, k) for k in body.model_fields_set if getattr(body, k) is not None}
    fields: dict[str, Any] = {}
    for key, value in given.items():
        if key == "attributes":
            fields[key] = stored_attributes(value)
        elif key == "twin":
            fields[key] = stored_twin(value)
        elif key == "property_visitors":
            fields[key] = stored_visitors(value)
        elif key == "tags":
            fields[key] = value.model_dump()
        else:
            fields[key] = value
    t = await engine.device_templates.update(project_id, template_id, fields)
    return json_response({"device_template": template(engine, t)})


async def delete(request: web.Request) -> web.Response:
    engine = request.app[ENGINE]
    await engine.device_templates.delete(request.match_info["project_id"], request.match_info["device_template_id"])
    return web.Response(status=204)


ROUTES = (
    Route("POST", BASE, create, "Create a device template", IEF, CreateTemplateBody, ok=(201,)),
    Route("GET", BASE, list_, "List device templates", IEF, query=(Query("name"),) + PAGE),
    Route("GET", BASE + "/{device_template_id}", show, "Show a device template", IEF),
    Route("PUT", BASE + "/{device_template_id}", update, "Update a device template", IEF, UpdateTemplateBody),
    Route("DELETE", BASE + "/{device_template_id}", delete, "Delete a device template", IEF, ok=(204,)),
)
