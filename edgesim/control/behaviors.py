"""GET/PUT /edgesim/behaviors: the behaviour profiles in force (see engine.behaviors)."""

from __future__ import annotations

from typing import TypeVar

import orjson
from aiohttp import web
from pydantic import TypeAdapter, ValidationError

from edgesim.api.errors import control_invalid, json_response
from edgesim.api.routing import CONTROL, ENGINE, Route
from edgesim.api.validation import field_path
from edgesim.engine.behaviors import Profile

PROFILES = TypeAdapter(list[Profile])
P = TypeVar("P")


async def get(request: web.Request) -> web.Response:
    return json_response({"profiles": request.app[ENGINE].behaviors.dump()})


def parse_profiles(raw: bytes, adapter: TypeAdapter[list[P]], what: str) -> list[P]:
    """A PUT body of profiles: a JSON list, or ``{"profiles": [...]}`` (also used by
    /edgesim/device-behaviors); errors name the profile field."""
    try:
        body = orjson.loads(raw or b"null")
    except orjson.JSONDecodeError as exc:
        raise control_invalid(f"the request body is not valid JSON: {exc}") from None
    if isinstance(body, dict) and "profiles" in body:
        body = body["profiles"]
    if not isinstance(body, list):
        raise control_invalid(f"the body must be a list of {what}s (or {{\"profiles\": [...]}})")
    try:
        return adapter.validate_python(body)
    except ValidationError as exc:
        error = exc.errors()[0]
        raise control_invalid(f"invalid {what} {field_path(error['loc'])}: {error['msg']}") from None


async def put(request: web.Request) -> web.Response:
    engine = request.app[ENGINE]
    await engine.set_behaviors(parse_profiles(await request.read(), PROFILES, "profile"))
    return json_response({"profiles": engine.behaviors.dump()})


ROUTES = (
    Route("GET", "/edgesim/behaviors", get, "Behaviour profiles in force", CONTROL, answer='{"profiles": [...]}: the behaviour profiles in force'),
    Route("PUT", "/edgesim/behaviors", put, "Replace the behaviour profiles", CONTROL, PROFILES, answer='{"profiles": [...]}: the behaviour profiles now in force'),
)
