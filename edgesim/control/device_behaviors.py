"""GET/PUT /edgesim/device-behaviors: the device behaviour profiles in force (see
engine.device_behaviors), the same way /edgesim/behaviors sets the image profiles."""

from __future__ import annotations

from aiohttp import web
from pydantic import TypeAdapter

from edgesim.api.errors import json_response
from edgesim.api.routing import CONTROL, ENGINE, Route
from edgesim.control.behaviors import parse_profiles
from edgesim.engine.device_behaviors import DeviceProfile

PROFILES = TypeAdapter(list[DeviceProfile])


async def get(request: web.Request) -> web.Response:
    return json_response({"profiles": request.app[ENGINE].twins.book.dump()})


async def put(request: web.Request) -> web.Response:
    engine = request.app[ENGINE]
    await engine.set_device_behaviors(parse_profiles(await request.read(), PROFILES, "device profile"))
    return json_response({"profiles": engine.twins.book.dump()})


ROUTES = (
    Route("GET", "/edgesim/device-behaviors", get, "Device behaviour profiles in force", CONTROL, answer='{"profiles": [...]}: the device behaviour profiles in force'),
    Route("PUT", "/edgesim/device-behaviors", put, "Replace the device behaviour profiles", CONTROL, PROFILES, answer='{"profiles": [...]}: the device behaviour profiles now in force'),
)
