"""GET/PUT /edgesim/device-behaviors: the device behaviour profiles in force (see
engine.device_behaviors), the same way /edgesim/behaviors sets the image profiles."""

from __future__ import annotations

import orjson
from aiohttp import web
from pydantic import TypeAdapter, ValidationError

from edgesim.api.errors import control_invalid, json_response
from edgesim.api.routing import CONTROL, ENGINE, Route
from edgesim.api.validation import field_path
from edgesim.engine.device_behaviors import DeviceProfile

PROFILES = TypeAdapter(list[DeviceProfile])


async def get(request: web.Request) -> web.Response:
    return json_response({"profiles": request.app[ENGINE].twins.book.dump()})


async def put(request: web.Request) -> web.Response:
    engine = request.app[ENGINE]
    try:
        body = orjson.loads(await request.read() or b"null")
    except orjson.JSONDecodeError as exc:
        raise control_invalid(f"the request body is not valid JSON: {exc}") from None
    if isinstance(body, dict) and "profiles" in body:
        body = body["profiles"]
    if not isinstance(body, list):
        raise control_invalid("the body must be a list of device profiles (or {\"profiles\": [...]})")
    try:
        profiles = PROFILES.validate_python(body)
    except ValidationError as exc:
        error = exc.errors()[0]
        raise control_invalid(f"invalid device profile {field_path(error['loc'])}: {error['msg']}") from None
    await engine.set_device_behaviors(profiles)
    return json_response({"profiles": engine.twins.book.dump()})


ROUTES = (
    Route("GET", "/edgesim/device-behaviors", get, "Device behaviour profiles in force", CONTROL),
    Route("PUT", "/edgesim/device-behaviors", put, "Replace the device behaviour profiles", CONTROL, PROFILES),
)
