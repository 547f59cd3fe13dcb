"""API faults: added latency and injected errors on IEF routes, as chaos faults say.

Only IEF paths (/v2|v3/{project_id}/edgemgr/...) are touched: never the /edgesim/ control
routes, nor the simulated IAM. An injected error answers before the handler runs, so it
changes nothing.
"""

from __future__ import annotations

import asyncio

from aiohttp import web

from edgesim.api import paths
from edgesim.api.errors import error_response
from edgesim.api.routing import ENGINE


async def injected(request: web.Request) -> web.Response | None:
    """Waits out the faults' added latency; the injected error's answer, or None."""
    chaos = request.app[ENGINE].chaos
    if paths.is_ief(request.path) and chaos.faults:
        latency, error = chaos.api_effects(request.method, request.path)
        if latency > 0:
            await asyncio.sleep(latency)  # wall time: this is what the client waits
        if error is not None:
            return error_response(*error)
    return None


@web.middleware
async def chaos_middleware(request: web.Request, handler) -> web.StreamResponse:
    return await injected(request) or await handler(request)
