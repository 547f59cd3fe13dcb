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

from edgesim.api.errors import IEFError, json_response
from edgesim.api.validation import CONTROL_CODE, parse
from edgesim.domain.errors import ReferenceNotFound
from edgesim.domain.models import Fault
from edgesim.engine.engine import Engine
from edgesim.engine.faults import FaultSpec


def _invalid(message: str) -> IEFError:
    return IEFError(400, "EDGESIM.0400", message)


def fault_body(engine: Engine, fault: Fault) -> dict:
    return {
        "id": fault.id,
        **fault.spec,
        "start": fault.start,
        "end": fault.end,
        "state": fault.state,
        "created_at": fault.created_at,
        "started_at": fault.started_at,
        "ended_at": fault.ended_at,
        "nodes": fault.nodes,
        "firings": fault.firings,
    }


def report_window(request: web.Request, engine: Engine) -> tuple[float, float]:
    """``from`` and ``to`` of a report (simulated seconds; default the whole run so far)."""

    def seconds(name: str, default: float) -> float:
        raw = request.query.get(name)
        if raw is None:
            return default
        try:
            value = float(raw)
        except ValueError:
            value = math.nan
        if not math.isfinite(value) or value < 0:
            raise _invalid(f"{name} must be simulated seconds >= 0, got {raw!r}")
        return value

    start, end = seconds("from", 0.0), seconds("to", engine.clock.now())
    if end < start:
        raise _invalid("to must not be before from")
    return start, end


def routes(engine: Engine) -> list[web.RouteDef]:
    def fault_of(request: web.Request) -> Fault:
        fault = engine.chaos.faults.get(request.match_info["fault_id"])
        if fault is None or fault.state == "deleted":
            raise IEFError(404, "EDGESIM.0404", f"fault {request.match_info['fault_id']} not found")
        return fault

    async def add(request: web.Request) -> web.Response:
        spec = parse(FaultSpec, await request.read(), code=CONTROL_CODE)
        try:
            fault = await engine.chaos.add(spec)
        except ReferenceNotFound as exc:
            raise _invalid(f"invalid {exc.field}: {exc.message}") from None
        return json_response(fault_body(engine, fault), status=201)

    async def list_(request: web.Request) -> web.Response:
        faults = [fault_body(engine, f) for f in engine.chaos.visible()]
        return json_response({"count": len(faults), "faults": faults})

    async def get(request: web.Request) -> web.Response:
        return json_response(fault_body(engine, fault_of(request)))

    async def delete(request: web.Request) -> web.Response:
        await engine.chaos.delete(fault_of(request).id)
        return web.Response(status=204)

    async def report(request: web.Request) -> web.Response:
        start, end = report_window(request, engine)
        world = engine.world
        body = await engine.report.report(
            start, end,
            replicas={d.id: d.replicas for d in world.deployments.values()},
            names={d.id: d.name for d in world.deployments.values()},
            node_names={n.id: n.name for n in world.nodes.values()},
        )
        return json_response(body)

    return [
        web.post("/edgesim/chaos/faults", add),
        web.get("/edgesim/chaos/faults", list_, allow_head=False),
        web.get("/edgesim/chaos/faults/{fault_id}", get, allow_head=False),
        web.delete("/edgesim/chaos/faults/{fault_id}", delete),
        web.get("/edgesim/report", report, allow_head=False),
    ]
