"""The aiohttp application: the routes every family declares, and the middlewares."""

from __future__ import annotations

import os

from aiohttp import web

from edgesim.api import openapi, paths
from edgesim.api.auth import Auth
from edgesim.api.errors import unknown_api
from edgesim.api.families import ROUTES
from edgesim.api.middleware import api_middleware
from edgesim.api.routing import ENGINE, OPENAPI_DOCUMENT, add_routes
from edgesim.control.metrics import METRICS, Metrics
from edgesim.control.stream import STREAMS, EventStreams, hang_up
from edgesim.engine.engine import Engine

MAX_BODY = 12 * 1024 * 1024  # the API gateway's limit; larger bodies answer 413 APIGW.0201
UNPINNED = ("/edgesim/clock", "/edgesim/events/stream", "/edgesim/reset")


READ_METHODS = ("GET", "HEAD", "OPTIONS")


def pin_time(engine: Engine):
    """Date everything a request does at the simulated time it arrived (a real clock moves on
    while a request is handled; a recording replays calls at their arrival time).

    A write that arrives while the virtual clock advances waits until the advance is over and
    so arrives at the advanced time: an advance yields to the loop between timers so that
    reads answer meanwhile, and a write must not land part-way through it. (The clock is
    pinned through a token, not ``clock.pinned()``: a context manager per request was ~2% of
    a read.)"""
    clock = engine.clock

    @web.middleware
    async def middleware(request: web.Request, handler) -> web.StreamResponse:
        if request.method not in READ_METHODS:
            await clock.idle()
        if request.path.startswith(UNPINNED):  # these read or move the clock itself
            return await handler(request)
        token = clock.pin()
        try:
            return await handler(request)
        finally:
            clock.unpin(token)

    return middleware


async def add_request_id(request: web.Request, response: web.StreamResponse) -> None:
    """Every answer names its request, as the real API gateway's do (clients log it for
    support tickets). Random, not seeded: it is never part of the simulation or its log (32 hex
    digits from os.urandom: a third of the cost of formatting a uuid4)."""
    response.headers.setdefault("X-Request-Id", os.urandom(16).hex())


async def unknown(request: web.Request) -> web.Response:
    raise unknown_api(f"{request.method} {request.path}")


def build_app(engine: Engine, strict: bool = False) -> web.Application:
    """``strict``: refuse request bodies with unknown fields (else answer them with warnings)."""
    auth = Auth(engine.settings, engine.tokens)
    metrics = Metrics(engine)
    app = web.Application(
        client_max_size=MAX_BODY,
        # pin_time, then the rest in one layer (api/middleware.py says what it does, in order);
        # the server puts its drain and recorder middlewares around and between these two
        middlewares=[pin_time(engine), api_middleware(metrics, auth, engine.settings.admin.token, strict)],
    )
    app[ENGINE] = engine
    app[METRICS] = metrics
    app[STREAMS] = EventStreams()
    app[OPENAPI_DOCUMENT] = openapi.build([a.project_id for a in engine.settings.accounts])
    app.on_response_prepare.append(add_request_id)
    app.on_shutdown.append(hang_up)
    add_routes(app.router, ROUTES)
    # Registered last: any other path under a project answers IEF.011002 (after auth).
    app.router.add_route("*", paths.ANY_PROJECT_ROUTE, unknown)
    return app
