"""Device twins (ief-api-more.md 4.3): show_device_twin and update_device_twin.

Twin properties are answered as devices answer them (``api.devices.twin_answer``): the desired
value under both ``expected`` and ``excepted``, the reported one under ``actual``, which carries
``metadata.stale: true`` while the device is offline (decision: the last reported values stay,
marked as no longer current)."""

from __future__ import annotations

from aiohttp import web

from edgesim.api.devices import BASE, twin_answer
from edgesim.api.errors import json_response
from edgesim.api.routing import ENGINE, IEF, Route
from edgesim.api.twin_models import TwinUpdateBody
from edgesim.api.validation import parse
from edgesim.engine.devices import OFFLINE


async def show(request: web.Request) -> web.Response:
    engine = request.app[ENGINE]
    d = engine.devices.get(request.match_info["project_id"], request.match_info["device_id"])
    return json_response({
        "twin": twin_answer(d.twin, stale=engine.devices.state(d) == OFFLINE),
        "property_visitors": d.property_visitors,
        "access_protocol": d.access_protocol,
    })


async def update(request: web.Request) -> web.Response:
    engine = request.app[ENGINE]
    project_id, device_id = request.match_info["project_id"], request.match_info["device_id"]
    engine.devices.get(project_id, device_id)  # 404 before judging the body
    body = parse(TwinUpdateBody, await request.read())
    d = await engine.twins.update(project_id, device_id, body.changes(), body.visitors())
    return json_response({
        "twin": twin_answer(d.twin, stale=engine.devices.state(d) == OFFLINE),
        "property_visitors": d.property_visitors,
    })


ROUTES = (
    Route("GET", BASE + "/{device_id}/twin", show, "Show a device's twin", IEF),
    Route("PUT", BASE + "/{device_id}/twin", update, "Set desired values of a device's twin", IEF, TwinUpdateBody),
)
