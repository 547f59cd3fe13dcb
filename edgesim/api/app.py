"""The aiohttp application: IEF routes, control routes, error and auth middlewares."""

from __future__ import annotations

from aiohttp import web

from edgesim.api import v2_deployments, v2_groups, v2_nodes, v2_quotas
from edgesim.api.auth import TokenAuth
from edgesim.api.errors import error_middleware, unknown_api
from edgesim.control import behaviors as control_behaviors
from edgesim.control import fleet as control_fleet
from edgesim.control import nodes as control_nodes
from edgesim.control import routes as control_routes
from edgesim.engine.engine import Engine

MAX_BODY = 12 * 1024 * 1024  # the API gateway's limit; larger bodies answer 413 APIGW.0201


def build_app(engine: Engine) -> web.Application:
    auth = TokenAuth(engine.settings)
    app = web.Application(client_max_size=MAX_BODY, middlewares=[error_middleware, auth.middleware])
    app.add_routes(v2_deployments.routes(engine))
    app.add_routes(v2_nodes.routes(engine))
    app.add_routes(v2_groups.routes(engine))
    app.add_routes(v2_quotas.routes(engine))
    app.add_routes(control_routes.routes(engine))
    app.add_routes(control_fleet.routes(engine))
    app.add_routes(control_behaviors.routes(engine))
    app.add_routes(control_nodes.routes(engine))

    async def unknown(request: web.Request) -> web.Response:
        raise unknown_api(f"{request.method} {request.path}")

    # Registered last: any other path under a project answers IEF.011002 (after auth).
    app.router.add_route("*", r"/{version:v[23]}/{project_id}/{tail:.*}", unknown)
    return app
