"""The simulator's own HTTP surface under /edgesim/: health, clock, reset, events, this document.

Errors use the IEF error body with codes of edgesim's own (``EDGESIM.*``), documented in
docs/api.md, so clients parse one shape everywhere.
"""

from __future__ import annotations

import math
from typing import Annotated

from aiohttp import web
from pydantic import Field

from edgesim import __version__
from edgesim.api.errors import CONTROL_INVALID, IEFError, control_invalid, json_response
from edgesim.api.fields import RequestModel
from edgesim.api.paging import whole_number
from edgesim.api.routing import CONTROL, ENGINE, OPENAPI_DOCUMENT, Query, Route
from edgesim.api.validation import parse
from edgesim.engine.clock import ClockError, RealClock, VirtualClock
from edgesim.engine.engine import Engine
from edgesim.store.sqlite import EVENT_FILTERS

MAX_ADVANCE = 10 * 365 * 86400.0  # ten simulated years per call


class ScaleBody(RequestModel):
    """POST /edgesim/clock/scale: simulated seconds per real second from now on (real clock)."""

    scale: Annotated[float, Field(gt=0, le=1_000_000, allow_inf_nan=False)]


class AdvanceBody(RequestModel):
    """POST /edgesim/clock/advance: run everything due in the next ``seconds`` simulated seconds."""

    seconds: Annotated[float, Field(ge=0, le=MAX_ADVANCE, allow_inf_nan=False)]


EVENT_FILTER_QUERY = tuple(Query(name) for name in EVENT_FILTERS)


def _number(query, name: str, *, minimum: float, default: float | None = None, integer: bool = False) -> float | None:
    raw = query.get(name)
    if raw is None:
        return default
    value: float | None
    if integer:
        value = whole_number(raw)
    else:
        try:
            value = float(raw)
        except ValueError:
            value = None
    if value is None or not math.isfinite(value) or value < minimum:
        kind = "an integer" if integer else "a number"
        raise control_invalid(f"{name} must be {kind} >= {minimum:g}, got {raw!r}")
    return value


def _count(query, name: str, *, minimum: int, default: int) -> int:
    value = _number(query, name, minimum=minimum, default=default, integer=True)
    return default if value is None else int(value)


def clock_body(engine: Engine) -> dict:
    clock = engine.clock
    return {
        "now": clock.now(),
        "mode": clock.mode,
        "scale": clock.scale,
        "time": clock.timestamp().isoformat().replace("+00:00", "Z"),
    }


async def health(request: web.Request) -> web.Response:
    return json_response({"status": "ok", "version": __version__})


async def get_clock(request: web.Request) -> web.Response:
    return json_response(clock_body(request.app[ENGINE]))


async def advance(request: web.Request) -> web.Response:
    engine = request.app[ENGINE]
    clock = engine.clock
    if not isinstance(clock, VirtualClock):
        raise IEFError(409, "EDGESIM.0409", "the clock is real; only a virtual clock can be advanced (start with --clock virtual)")
    body = parse(AdvanceBody, await request.read(), code=CONTROL_INVALID)
    try:
        ran = await clock.advance(body.seconds)
    except ClockError as exc:
        raise control_invalid(str(exc)) from None
    await engine.checkpoint()  # a restart resumes at the advanced time
    return json_response({**clock_body(engine), "timers_run": ran})


async def scale(request: web.Request) -> web.Response:
    engine = request.app[ENGINE]
    clock = engine.clock
    if not isinstance(clock, RealClock):
        raise IEFError(409, "EDGESIM.0409", "the clock is virtual: it moves only when advanced")
    clock.set_scale(parse(ScaleBody, await request.read(), code=CONTROL_INVALID).scale)
    return json_response(clock_body(engine))


async def reset(request: web.Request) -> web.Response:
    engine = request.app[ENGINE]
    await engine.reset()
    return json_response(clock_body(engine))


async def events(request: web.Request) -> web.Response:
    query = request.query
    filters = {k: query[k] for k in EVENT_FILTERS if k in query}
    since = _number(query, "since", minimum=float("-inf"))
    limit = _count(query, "limit", minimum=1, default=1000)
    offset = _count(query, "offset", minimum=0, default=0)
    count, page = await request.app[ENGINE].events.find(since=since, offset=offset, limit=limit, **filters)
    return json_response({"count": count, "events": page})


async def openapi_document(request: web.Request) -> web.Response:
    return json_response(request.app[OPENAPI_DOCUMENT])


ROUTES = (
    Route("GET", "/edgesim/health", health, "Health", CONTROL, answer='{"status": "ok", "version"}'),
    Route("GET", "/edgesim/clock", get_clock, "The simulation clock", CONTROL, answer="the clock: now (simulated seconds), mode, scale, time (ISO 8601)"),
    Route("POST", "/edgesim/clock/advance", advance, "Advance a virtual clock", CONTROL, AdvanceBody, answer="the clock after the advance, with timers_run"),
    Route("POST", "/edgesim/clock/scale", scale, "Change a real clock's speed", CONTROL, ScaleBody, answer="the clock at its new scale"),
    Route("POST", "/edgesim/reset", reset, "A fresh world on the same server", CONTROL, answer="the clock of the fresh world"),
    Route("GET", "/edgesim/events", events, "The event log, oldest first", CONTROL,
          query=EVENT_FILTER_QUERY + (Query("since", "number"), Query("limit", "integer", minimum=1),
                                      Query("offset", "integer", minimum=0)), answer='{"count", "events": [...]}: the matching events, oldest first, a page of them'),
    Route("GET", "/edgesim/openapi.json", openapi_document, "This document", CONTROL, answer="this OpenAPI 3.1 document"),
)
