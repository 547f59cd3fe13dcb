"""Config maps and secrets: create, list, get, update, delete (ief-api-more.md section 1).

Bodies are wrapped (``{"configmap": ...}``, ``{"secret": ...}``); both kinds answer the same
way, so one set of handlers serves the two, told apart by a ``Family`` description."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from aiohttp import web

from edgesim.api.config_models import ConfigMapCreateBody, ConfigMapUpdateBody, SecretCreateBody, SecretUpdateBody
from edgesim.api.errors import bad_request, json_response
from edgesim.api.paging import page_params
from edgesim.api.paths import V2
from edgesim.api.routing import ENGINE, IEF, Query, Route
from edgesim.api.serializers import contract_time
from edgesim.api.validation import parse
from edgesim.domain.models import ConfigMap
from edgesim.engine.configs import ConfigRecord
from edgesim.engine.engine import Engine

SORT_KEYS = ("name", "created_at", "updated_at")


@dataclass(frozen=True)
class Family:
    kind: str  # the record kind and the body's wrapper key ("configmap", "secret")
    plural: str  # the list's key and the path segment
    data: str  # the map's field ("configs", "secrets")
    create_body: Any
    update_body: Any
    id_param: str


CONFIGMAPS = Family("configmap", "configmaps", "configs", ConfigMapCreateBody, ConfigMapUpdateBody, "configmap_id")
SECRETS = Family("secret", "secrets", "secrets", SecretCreateBody, SecretUpdateBody, "secret_id")


def shape(engine: Engine, record: ConfigRecord) -> dict[str, Any]:
    body: dict[str, Any] = {
        "id": record.id, "name": record.name, "description": record.description,
        "project_id": record.project_id,
        "created_at": contract_time(engine, record.created_at), "updated_at": contract_time(engine, record.updated_at),
    }
    if isinstance(record, ConfigMap):
        body["configs"] = dict(record.configs)
    else:  # secret values are answered as stored (base64), like the documentation's examples
        body["secrets"] = dict(record.secrets)
        body["type"] = record.type
    return body


def sort_order(request: web.Request) -> tuple[str, bool]:
    """``sort=name|created_at|updated_at``, ascending, ``:desc`` for descending; default created_at."""
    raw = request.query.get("sort", "created_at")
    key, _, direction = raw.partition(":")
    if key not in SORT_KEYS or direction not in ("", "asc", "desc"):
        raise bad_request(f"invalid sort: {raw!r}; use one of {', '.join(SORT_KEYS)}, optionally with :desc")
    return key, direction == "desc"


Handler = Callable[[web.Request], Awaitable[web.Response]]


def handlers(f: Family) -> tuple[Handler, Handler, Handler, Handler, Handler]:
    async def create(request: web.Request) -> web.Response:
        engine = request.app[ENGINE]
        body = getattr(parse(f.create_body, await request.read()), f.kind)
        record = await engine.configs.create(
            f.kind, request.match_info["project_id"], name=body.name, description=body.description or "",
            data=getattr(body, f.data),
        )
        return json_response({f.kind: shape(engine, record)}, status=201)

    async def list_(request: web.Request) -> web.Response:
        engine = request.app[ENGINE]
        limit, offset = page_params(request, default_limit=1000, max_limit=1000)
        key, descending = sort_order(request)
        name = request.query.get("name")
        matches = [r for r in engine.configs.of_project(f.kind, request.match_info["project_id"])
                   if name is None or name in r.name]
        ordered = sorted(matches, key=lambda r: r.id)
        ordered.sort(key=lambda r: getattr(r, key), reverse=descending)
        page = ordered[offset: offset + limit]
        return json_response({f.plural: [shape(engine, r) for r in page], "count": len(matches)})

    async def get(request: web.Request) -> web.Response:
        engine = request.app[ENGINE]
        record = engine.configs.get(f.kind, request.match_info["project_id"], request.match_info[f.id_param])
        return json_response({f.kind: shape(engine, record)})

    async def update(request: web.Request) -> web.Response:
        engine = request.app[ENGINE]
        project_id, record_id = request.match_info["project_id"], request.match_info[f.id_param]
        engine.configs.get(f.kind, project_id, record_id)  # an unknown id is 404 before a bad body
        body = getattr(parse(f.update_body, await request.read()), f.kind)
        record = await engine.configs.update(
            f.kind, project_id, record_id, description=body.description, data=getattr(body, f.data),
        )
        return json_response({f.kind: shape(engine, record)})

    async def delete(request: web.Request) -> web.Response:
        engine = request.app[ENGINE]
        await engine.configs.delete(f.kind, request.match_info["project_id"], request.match_info[f.id_param])
        return web.Response(status=204)

    return create, list_, get, update, delete


def routes(f: Family, label: str) -> tuple[Route, ...]:
    create, list_, get, update, delete = handlers(f)
    base = V2 + "/" + f.plural
    item = base + "/{" + f.id_param + "}"
    query = (Query("name", description="substring of the name"), Query("limit", "integer", "page size", 1),
             Query("offset", "integer", "first item", 0),
             Query("sort", description="name, created_at (default) or updated_at; ascending, :desc suffix"))
    return (
        Route("POST", base, create, f"Create a {label}", IEF, f.create_body, ok=(201,)),
        Route("GET", base, list_, f"List {label}s", IEF, query=query),
        Route("GET", item, get, f"Show a {label}", IEF),
        Route("PUT", item, update, f"Update a {label}", IEF, f.update_body),
        Route("DELETE", item, delete, f"Delete a {label}", IEF, ok=(204,)),
    )


ROUTES = routes(CONFIGMAPS, "config map") + routes(SECRETS, "secret")
