"""Who is calling: every IEF call carries a token of the project named in its URL.

For now a token is one of the static tokens configured per account. A missing or unknown token
is the gateway's 401 APIGW.0301; a valid token of another project is IEF.011005.
"""

from __future__ import annotations

import re

from aiohttp import web

from edgesim.api.errors import unauthorized, wrong_project
from edgesim.settings import Settings

PROJECT_PATH = re.compile(r"^/v[23]/(?P<project_id>[^/]+)/")


class TokenAuth:
    def __init__(self, settings: Settings) -> None:
        self.projects_by_token = {t: a.project_id for a in settings.accounts for t in a.tokens}

    @web.middleware
    async def middleware(self, request: web.Request, handler) -> web.StreamResponse:
        match = PROJECT_PATH.match(request.path)
        if match is not None:
            token = request.headers.get("X-Auth-Token")
            if not token:
                raise unauthorized("The request has no X-Auth-Token header.")
            project_id = self.projects_by_token.get(token)
            if project_id is None:
                raise unauthorized("The token is invalid or expired.")
            if project_id != match["project_id"]:
                raise wrong_project()
        return await handler(request)
