"""GET/PUT /edgesim/behaviors: the behaviour profiles in force (see engine.behaviors)."""

from __future__ import annotations

import orjson
from aiohttp import web
from pydantic import TypeAdapter, ValidationError

from edgesim.api.errors import IEFError, json_response
from edgesim.api.validation import field_path
from edgesim.engine.behaviors import Profile
from edgesim.engine.engine import Engine

PROFILES = TypeAdapter(list[Profile])


def _invalid(message: str) -> IEFError:
    return IEFError(400, "EDGESIM.0400", message)


def routes(engine: Engine) -> list[web.RouteDef]:
    async def get(request: web.Request) -> web.Response:
        return json_response({"profiles": engine.behaviors.dump()})

    async def put(request: web.Request) -> web.Response:
        try:
            body = orjson.loads(await request.read() or b"null")
        except orjson.JSONDecodeError as exc:
            raise _invalid(f"the request body is not valid JSON: {exc}") from None
        if isinstance(body, dict) and "profiles" in body:
            body = body["profiles"]
        if not isinstance(body, list):
            raise _invalid("the body must be a list of profiles (or {\"profiles\": [...]})")
        try:
            profiles = PROFILES.validate_python(body)
        except ValidationError as exc:
            error = exc.errors()[0]
            raise _invalid(f"invalid profile {field_path(error['loc'])}: {error['msg']}") from None
        await engine.set_behaviors(profiles)
        return json_response({"profiles": engine.behaviors.dump()})

    return [
        web.get("/edgesim/behaviors", get, allow_head=False),
        web.put("/edgesim/behaviors", put),
    ]
