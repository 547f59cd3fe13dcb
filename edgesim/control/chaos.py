"""Chaos faults and the experiment report under /edgesim/.

    POST   /edgesim/chaos/faults        the fault body (see engine.faults) -> 201 the fault
    GET    /edgesim/chaos/faults        {"count", "faults": [...]}
    GET    /edgesim/chaos/faults/{id}   the fault
    DELETE /edgesim/chaos/faults/{id}   204: ends it now
    GET    /edgesim/report?from=&to=    the experiment report (engine.report)
"""

from __future__ import annotations

import math

from aiohttp import web

from edgesim.api.errors import CONTROL_INVALID, control_invalid, control_not_found, json_response
from edgesim.api.routing import CONTROL, ENGINE, Query, Route
from edgesim.api.validation import parse
from edgesim.domain.errors import ReferenceNotFound
from edgesim.domain.models import Fault
from edgesim.engine.engine import Engine
from edgesim.engine.faults import FaultSpec, shown_keys

REPORT_WINDOW = (Query("from", "number"), Query("to", "number"))


def fault_body(engine: Engine, fault: Fault) -> dict:
    return {
        "id": fault.id,
        **shown_keys(fault.spec),  # only its kind's keys (older stores kept every default)
        "start": fault.start,
        "end": fault.end,
        "state": fault.state,
        "created_at": fault.created_at,
        "started_at": fault.started_at,
        "ended_at": fault.ended_at,
        "nodes": fault.nodes,
        "node_names": [_node_name(engine, node_id) for node_id in fault.nodes],  # for people: `edgesim chaos list`
        "devices": fault.devices,
        "firings": fault.firings,
    }


def _node_name(engine: Engine, node_id: str) -> str | None:
    node = engine.world.nodes.get(node_id)
    return node.name if node else None  # deleted since


def report_window(request: web.Request, engine: Engine) -> tuple[float, float, float | None]:
    """``from`` and ``to`` of a report (simulated seconds; default the whole run so far), and
    the ``to`` asked for when it lay in the future: only time that has passed is counted (a
    window to 3600 s at 94 s on a real clock would count 3506 s that have not happened as down)."""

    def seconds(name: str, default: float) -> float:
        raw = request.query.get(name)
        if raw is None:
            return default
        try:
            value = float(raw)
        except ValueError:
            value = math.nan
        if not math.isfinite(value) or value < 0:
            raise control_invalid(f"{name} must be simulated seconds >= 0, got {raw!r}")
        return value

    now = engine.clock.now()
    start, asked = seconds("from", 0.0), seconds("to", now)
    if start > now:
        raise control_invalid(f"from {start:g} is after the current time ({now:g} s): nothing has happened there yet")
    if asked < start:
        raise control_invalid("to must not be before from")
    return start, min(asked, now), (asked if asked > now else None)


def _fault_of(engine: Engine, request: web.Request) -> Fault:
    fault = engine.chaos.faults.get(request.match_info["fault_id"])
    if fault is None or fault.state == "deleted":
        raise control_not_found(f"fault {request.match_info['fault_id']} not found")
    return fault


async def add(request: web.Request) -> web.Response:
    engine = request.app[ENGINE]
    spec = parse(FaultSpec, await request.read(), code=CONTROL_INVALID)
    try:
        fault = await engine.chaos.add(spec)
    except ReferenceNotFound as exc:
        raise control_invalid(f"invalid {exc.field}: {exc.message}") from None
    return json_response(fault_body(engine, fault), status=201)


async def list_(request: web.Request) -> web.Response:
    engine = request.app[ENGINE]
    faults = [fault_body(engine, f) for f in engine.chaos.visible()]
    return json_response({"count": len(faults), "faults": faults})


async def get(request: web.Request) -> web.Response:
    engine = request.app[ENGINE]
    return json_response(fault_body(engine, _fault_of(engine, request)))


async def delete(request: web.Request) -> web.Response:
    engine = request.app[ENGINE]
    await engine.chaos.delete(_fault_of(engine, request).id)
    return web.Response(status=204)


async def report(request: web.Request) -> web.Response:
    engine = request.app[ENGINE]
    start, end, asked = report_window(request, engine)
    world = engine.world
    body = await engine.report.report(
        start, end,
        replicas={d.id: d.replicas for d in world.deployments.values()},
        names={d.id: d.name for d in world.deployments.values()},
        node_names={n.id: n.name for n in world.nodes.values()},
    )
    if asked is not None:
        body["to_requested"] = asked  # "to" is now: the rest of the window has not happened yet
    return json_response(body)


ROUTES = (
    Route("POST", "/edgesim/chaos/faults", add, "Add a chaos fault", CONTROL, FaultSpec, ok=(201,), answer="the fault: id, its body (only its kind's keys), state, times, nodes and devices hit"),
    Route("GET", "/edgesim/chaos/faults", list_, "List chaos faults", CONTROL, answer='{"count", "faults": [...]}'),
    Route("GET", "/edgesim/chaos/faults/{fault_id}", get, "Show a chaos fault", CONTROL, answer="the fault: id, its body (only its kind's keys), state, times, nodes and devices hit"),
    Route("DELETE", "/edgesim/chaos/faults/{fault_id}", delete, "Remove a chaos fault (it ends now)", CONTROL, ok=(204,), answer="the fault ended now, no body"),
    Route("GET", "/edgesim/report", report, "The experiment report", CONTROL, query=REPORT_WINDOW, answer="the experiment report: deployments, nodes, devices, routes, faults and jobs of the window"),
)
