"""The control surface's own lock: when ``[admin] token`` is configured, every /edgesim/ call
but ``GET /edgesim/health`` must carry ``X-Admin-Token: <token>`` (401 EDGESIM.0401 if not).

Health stays open so process supervisors and readiness checks need no secret. With no token
configured the surface is open, as a local simulator usually is.
"""

from __future__ import annotations

import hmac

from aiohttp import web

from edgesim.api.errors import IEFError

CONTROL_PREFIX = "/edgesim/"
OPEN_PATHS = frozenset({"/edgesim/health"})
HEADER = "X-Admin-Token"


def admin_middleware(token: str | None):
    expected = token.encode() if token else None

    @web.middleware
    async def middleware(request: web.Request, handler) -> web.StreamResponse:
        if expected is not None and request.path.startswith(CONTROL_PREFIX) and request.path not in OPEN_PATHS:
            given = request.headers.get(HEADER, "").encode()
            if not hmac.compare_digest(given, expected):
                raise IEFError(401, "EDGESIM.0401", f"this control route needs the admin token in {HEADER}")
        return await handler(request)

    return middleware
