"""App templates and app versions (``/v2/{project_id}/edgemgr/apps``): bodies wrapped in
``app`` / ``version``, list filters name, alias (substrings) and visibility, limit/offset paging."""

from __future__ import annotations

from typing import Any

from aiohttp import web

from edgesim.api.app_models import (
    APP_FIELD_CODES,
    VERSION_FIELD_CODES,
    CreateAppBody,
    CreateVersionBody,
    UpdateAppBody,
    UpdateVersionBody,
    version_changes,
    version_spec,
)
from edgesim.api.errors import bad_request, json_response
from edgesim.api.paging import page_params, paged
from edgesim.api.paths import V2
from edgesim.api.routing import ENGINE, IEF, Query, Route
from edgesim.api.serializers import contract_time
from edgesim.api.validation import parse
from edgesim.domain.models import App
from edgesim.engine.engine import Engine

BASE = V2 + "/apps"
VERSIONS = BASE + "/{app_id}/versions"
VISIBILITIES = ("public", "private", "shared")
PAGING = (Query("limit", "integer", "page size (1..1000, default 1000)", 1), Query("offset", "integer", "first item", 0))


def version_body(engine: Engine, app: App, version: dict[str, Any]) -> dict[str, Any]:
    body = {k: v for k, v in version.items() if k not in ("created_at", "updated_at")}
    body.update(created_at=contract_time(engine, version["created_at"]), project_id=app.project_id)
    if version["updated_at"] is not None:  # the SDK: updated_at only after an update
        body["updated_at"] = contract_time(engine, version["updated_at"])
    return body


def app_body(engine: Engine, app: App, *, with_updated_at: bool = True) -> dict[str, Any]:
    body = {
        "id": app.id, "name": app.name, "alias": app.alias, "description": app.description,
        "icon_url": app.icon_url, "created_at": contract_time(engine, app.created_at), "project_id": app.project_id,
        "visibility": app.visibility, "tags": app.tags,
        "app_versions": [version_body(engine, app, v) for v in reversed(app.versions)],  # newest first
    }
    if with_updated_at:  # AppResp (show, list, update); the create answer (AppResponse) has none
        body["updated_at"] = contract_time(engine, app.updated_at if app.updated_at is not None else app.created_at)
    return body


# --- templates --------------------------------------------------------------------------------


async def create_app(request: web.Request) -> web.Response:
    engine = request.app[ENGINE]
    body = parse(CreateAppBody, await request.read(), field_codes=APP_FIELD_CODES).app
    app = await engine.apps.create(
        request.match_info["project_id"], name=body.name, alias=body.alias or "", description=body.description or "",
        icon_url=body.icon_url or "", tags=[t.model_dump() for t in body.tags],
    )
    return json_response({"app": app_body(engine, app, with_updated_at=False)}, status=201)


async def list_apps(request: web.Request) -> web.Response:
    engine = request.app[ENGINE]
    limit, offset = page_params(request, default_limit=1000, max_limit=1000)
    name, alias, visibility = (request.query.get(k) for k in ("name", "alias", "visibility"))
    if visibility is not None and visibility not in VISIBILITIES:
        raise bad_request(f"invalid visibility: {visibility!r}; use public, private or shared")
    matches = [
        a for a in engine.apps.of_project(request.match_info["project_id"])
        if (name is None or name in a.name) and (alias is None or alias in a.alias)
        and (visibility is None or a.visibility == visibility)
    ]
    page = paged(matches, lambda a: a.created_at, True, limit, offset, tiebreak=lambda a: a.name)
    return json_response({"apps": [app_body(engine, a) for a in page], "count": len(matches)})


async def show_app(request: web.Request) -> web.Response:
    engine = request.app[ENGINE]
    app = engine.apps.get(request.match_info["project_id"], request.match_info["app_id"])
    return json_response({"app": app_body(engine, app)})


async def update_app(request: web.Request) -> web.Response:
    engine = request.app[ENGINE]
    project_id, app_id = request.match_info["project_id"], request.match_info["app_id"]
    engine.apps.get(project_id, app_id)  # an unknown template is 404 before its body is read
    body = parse(UpdateAppBody, await request.read(), field_codes=APP_FIELD_CODES).app
    app = await engine.apps.update(project_id, app_id, alias=body.alias, description=body.description)
    return json_response({"app": app_body(engine, app)})


async def delete_app(request: web.Request) -> web.Response:
    engine = request.app[ENGINE]
    await engine.apps.delete(request.match_info["project_id"], request.match_info["app_id"])
    return web.Response(status=204)


# --- versions ---------------------------------------------------------------------------------


async def create_version(request: web.Request) -> web.Response:
    engine = request.app[ENGINE]
    project_id, app_id = request.match_info["project_id"], request.match_info["app_id"]
    app = engine.apps.get(project_id, app_id)
    body = parse(CreateVersionBody, await request.read(), field_codes=VERSION_FIELD_CODES).version
    version = await engine.apps.create_version(project_id, app_id, version_spec(body))
    return json_response({"version": version_body(engine, app, version)}, status=201)


async def list_versions(request: web.Request) -> web.Response:
    engine = request.app[ENGINE]
    limit, offset = page_params(request, default_limit=1000, max_limit=1000)
    app = engine.apps.get(request.match_info["project_id"], request.match_info["app_id"])
    newest_first = list(reversed(app.versions))
    page = newest_first[offset : offset + limit]
    return json_response({"versions": [version_body(engine, app, v) for v in page], "count": len(newest_first)})


async def show_version(request: web.Request) -> web.Response:
    engine = request.app[ENGINE]
    m = request.match_info
    app, version = engine.apps.version(m["project_id"], m["app_id"], m["version_id"])
    return json_response({"version": version_body(engine, app, version)})


async def update_version(request: web.Request) -> web.Response:
    engine = request.app[ENGINE]
    m = request.match_info
    app, _ = engine.apps.version(m["project_id"], m["app_id"], m["version_id"])
    body = parse(UpdateVersionBody, await request.read(), field_codes=VERSION_FIELD_CODES).version
    version = await engine.apps.update_version(m["project_id"], m["app_id"], m["version_id"], version_changes(body))
    return json_response({"version": version_body(engine, app, version)})


async def delete_version(request: web.Request) -> web.Response:
    engine = request.app[ENGINE]
    m = request.match_info
    await engine.apps.delete_version(m["project_id"], m["app_id"], m["version_id"])
    return web.Response(status=204)


ROUTES = (
    Route("POST", BASE, create_app, "Create an app template", IEF, CreateAppBody, ok=(201,)),
    Route("GET", BASE, list_apps, "List app templates", IEF,
          query=(Query("name", description="substring"), Query("alias", description="substring"),
                 Query("visibility", description="public, private or shared")) + PAGING),
    Route("GET", BASE + "/{app_id}", show_app, "Show an app template", IEF),
    Route("PUT", BASE + "/{app_id}", update_app, "Update an app template", IEF, UpdateAppBody),
    Route("DELETE", BASE + "/{app_id}", delete_app, "Delete an app template and its versions", IEF, ok=(204,)),
    Route("POST", VERSIONS, create_version, "Create an app template version", IEF, CreateVersionBody, ok=(201,)),
    Route("GET", VERSIONS, list_versions, "List an app template's versions", IEF, query=PAGING),
    Route("GET", VERSIONS + "/{version_id}", show_version, "Show an app template version", IEF),
    Route("PUT", VERSIONS + "/{version_id}", update_version, "Update an app template version", IEF, UpdateVersionBody),
    Route("DELETE", VERSIONS + "/{version_id}", delete_version, "Delete an app template version", IEF, ok=(204,)),
)
