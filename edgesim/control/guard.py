"""The control surface's own lock: when ``[admin] token`` is configured, every /edgesim/ call
but ``GET /edgesim/health`` must carry ``X-Admin-Token: <token>`` (401 EDGESIM.0401 if not).

Health stays open so process supervisors and readiness checks need no secret, and so do the
dashboard's static files (/edgesim/ui): they hold no data, and a browser cannot add a header
to the page it navigates to. For the same reason a GET may carry the token as ``?token=``
instead (EventSource streams, links to report.html). With no token configured the surface is
open, as a local simulator usually is.
"""

from __future__ import annotations

import hmac
from collections.abc import Callable

from aiohttp import web

from edgesim.api import paths
from edgesim.api.errors import IEFError

OPEN_PATHS = frozenset({"/edgesim/health", "/edgesim/ui"})
OPEN_PREFIX = "/edgesim/ui/"  # the dashboard's files
HEADER = "X-Admin-Token"
QUERY = "token"


def admin_check(token: str | None) -> Callable[[web.Request], None]:
    """Raises 401 EDGESIM.0401 for a locked control route called without the token."""
    expected = token.encode() if token else None

    def check(request: web.Request) -> None:
        path = request.path
        if expected is not None and paths.is_control(path) and not _open(path):
            given = request.headers.get(HEADER) or (request.query.get(QUERY) if request.method == "GET" else None)
            if not hmac.compare_digest((given or "").encode(), expected):
                raise IEFError(401, "EDGESIM.0401", f"this control route needs the admin token in {HEADER}")

    return check


def admin_middleware(token: str | None):
    check = admin_check(token)

    @web.middleware
    async def middleware(request: web.Request, handler) -> web.StreamResponse:
        check(request)
        return await handler(request)

    return middleware


def _open(path: str) -> bool:
    return path in OPEN_PATHS or path.startswith(OPEN_PREFIX)
