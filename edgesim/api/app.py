"""The aiohttp application: IEF routes, control routes, error and auth middlewares."""

from __future__ import annotations

from aiohttp import web

from edgesim.api import iam, openapi, v2_deployments, v2_groups, v2_nodes, v2_quotas, v3_deployments, v3_pods
from edgesim.api.auth import Auth
from edgesim.api.chaos_middleware import chaos_middleware
from edgesim.api.errors import error_middleware, unknown_api
from edgesim.control import behaviors as control_behaviors
from edgesim.control import chaos as control_chaos
from edgesim.control import dashboard as control_dashboard
from edgesim.control import fleet as control_fleet
from edgesim.control import nodes as control_nodes
from edgesim.control import routes as control_routes
from edgesim.control import state as control_state
from edgesim.control import stream as control_stream
from edgesim.control.guard import admin_middleware
from edgesim.control.metrics import Metrics
from edgesim.engine.engine import Engine

MAX_BODY = 12 * 1024 * 1024  # the API gateway's limit; larger bodies answer 413 APIGW.0201
UNPINNED = ("/edgesim/clock", "/edgesim/events/stream", "/edgesim/reset")


READ_METHODS = ("GET", "HEAD", "OPTIONS")


def pin_time(engine: Engine):
    """Date everything a request does at the simulated time it arrived (a real clock moves on
    while a request is handled; a recording replays calls at their arrival time).

    A write that arrives while the virtual clock advances waits until the advance is over and
    so arrives at the advanced time: an advance yields to the loop between timers so that
    reads answer meanwhile, and a write must not land part-way through it."""

    @web.middleware
    async def middleware(request: web.Request, handler) -> web.StreamResponse:
        if request.method not in READ_METHODS:
            await engine.clock.idle()
        if request.path.startswith(UNPINNED):  # these read or move the clock itself
            return await handler(request)
        with engine.clock.pinned():
            return await handler(request)

    return middleware


def build_app(engine: Engine) -> web.Application:
    auth = Auth(engine.settings, engine.tokens)
    metrics = Metrics(engine)
    app = web.Application(
        client_max_size=MAX_BODY,
        middlewares=[
            pin_time(engine),
            metrics.middleware,
            error_middleware,
            admin_middleware(engine.settings.admin.token),
            chaos_middleware(engine),
            auth.middleware,
        ],
    )
    app.add_routes(iam.routes(engine))
    app.add_routes(v2_deployments.routes(engine))
    app.add_routes(v2_nodes.routes(engine))
    app.add_routes(v2_groups.routes(engine))
    app.add_routes(v2_quotas.routes(engine))
    app.add_routes(v3_deployments.routes(engine))
    app.add_routes(v3_pods.routes(engine))
    app.add_routes(control_routes.routes(engine))
    app.add_routes(control_fleet.routes(engine))
    app.add_routes(control_behaviors.routes(engine))
    app.add_routes(control_nodes.routes(engine))
    app.add_routes(control_chaos.routes(engine))
    app.add_routes(control_state.routes(engine))
    app.add_routes(control_dashboard.routes(engine))
    streams = control_stream.EventStreams(engine)
    app.add_routes(streams.routes())
    app.on_shutdown.append(streams.close_all)
    app.add_routes(metrics.routes())
    app.add_routes(openapi.routes([a.project_id for a in engine.settings.accounts]))

    async def unknown(request: web.Request) -> web.Response:
        raise unknown_api(f"{request.method} {request.path}")

    # Registered last: any other path under a project answers IEF.011002 (after auth).
    app.router.add_route("*", r"/{version:v[23]}/{project_id}/{tail:.*}", unknown)
    return app
