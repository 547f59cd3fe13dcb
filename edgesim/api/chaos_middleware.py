"""API faults: added latency and injected errors on IEF routes, as chaos faults say.

Only IEF paths (/v2|v3/{project_id}/edgemgr/...) are touched: never the /edgesim/ control
routes, nor the simulated IAM. An injected error answers before the handler runs, so it
changes nothing.
"""

from __future__ import annotations

import asyncio
import re

from aiohttp import web

from edgesim.api.errors import error_response
from edgesim.engine.engine import Engine

IEF_PATH = re.compile(r"^/v[23]/[^/]+/edgemgr/")


def chaos_middleware(engine: Engine):
    @web.middleware
    async def middleware(request: web.Request, handler) -> web.StreamResponse:
        if IEF_PATH.match(request.path) and engine.chaos.faults:
            latency, error = engine.chaos.api_effects(request.method, request.path)
            if latency > 0:
                await asyncio.sleep(latency)  # wall time: this is what the client waits
            if error is not None:
                return error_response(*error)
        return await handler(request)

    return middleware
