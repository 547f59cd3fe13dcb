"""GET/PUT /edgesim/behaviors: the behaviour profiles in force (see engine.behaviors)."""

from __future__ import annotations

import orjson
from aiohttp import web
from pydantic import TypeAdapter, ValidationError

from edgesim.api.errors import control_invalid, json_response
from edgesim.api.routing import CONTROL, ENGINE, Route
from edgesim.api.validation import field_path
from edgesim.engine.behaviors import Profile

PROFILES = TypeAdapter(list[Profile])


async def get(request: web.Request) -> web.Response:
    return json_response({"profiles": request.app[ENGINE].behaviors.dump()})


async def put(request: web.Request) -> web.Response:
    engine = request.app[ENGINE]
    try:
        body = orjson.loads(await request.read() or b"null")
    except orjson.JSONDecodeError as exc:
        raise control_invalid(f"the request body is not valid JSON: {exc}") from None
    if isinstance(body, dict) and "profiles" in body:
        body = body["profiles"]
    if not isinstance(body, list):
        raise control_invalid("the body must be a list of profiles (or {\"profiles\": [...]})")
    try:
        profiles = PROFILES.validate_python(body)
    except ValidationError as exc:
        error = exc.errors()[0]
        raise control_invalid(f"invalid profile {field_path(error['loc'])}: {error['msg']}") from None
    await engine.set_behaviors(profiles)
    return json_response({"profiles": engine.behaviors.dump()})


ROUTES = (
    Route("GET", "/edgesim/behaviors", get, "Behaviour profiles in force", CONTROL),
    Route("PUT", "/edgesim/behaviors", put, "Replace the behaviour profiles", CONTROL, PROFILES),
)
