"""Who is calling: every IEF call proves it belongs to the project named in its URL.

Three ways, as against the real cloud (ief-api.md section 1):
- an AK/SK signature (``Authorization: SDK-HMAC-SHA256 ...``, what the official SDK sends),
  checked by ``api.signing``; the project is the one of the account owning the access key;
- ``X-Auth-Token`` with an IAM token from ``POST /v3/auth/tokens`` (valid 24 simulated hours);
- ``X-Auth-Token`` with a static development token of an account, while
  ``[auth] dev_tokens`` is on.

A missing, unknown or expired credential, or a bad signature, is the gateway's 401
APIGW.0301. A valid credential of another project is IEF.011005, and so is an
``X-Project-Id`` header that names another project than the URL. The IAM login itself
(exactly ``POST /v3/auth/tokens``) needs no credential; any other path under ``/v3/auth/``
is an IEF path of a project named "auth" and is checked like every other.
"""

from __future__ import annotations

from aiohttp import web

from edgesim.api import paths, signing
from edgesim.api.errors import unauthorized, wrong_project
from edgesim.engine.tokens import TokenBook
from edgesim.settings import Settings

LOGIN = ("POST", paths.IAM_TOKENS)  # the one IEF-shaped path that needs no credential


class Auth:
    def __init__(self, settings: Settings, tokens: TokenBook) -> None:
        self.tokens = tokens
        self.dev_tokens = (
            {t: a.project_id for a in settings.accounts for t in a.tokens} if settings.auth.dev_tokens else {}
        )
        self.accounts_by_key = {a.access_key: a for a in settings.accounts if a.access_key}

    @web.middleware
    async def middleware(self, request: web.Request, handler) -> web.StreamResponse:
        await self.check(request)
        return await handler(request)

    async def check(self, request: web.Request) -> None:
        """Raises the 401 or IEF.011005 error unless the caller may call this URL."""
        url_project = paths.project_in(request.path)
        if url_project is not None and (request.method, request.path) != LOGIN:
            project_id = await self.caller_project(request)
            if project_id != url_project:
                raise wrong_project()
            named = request.headers.get("X-Project-Id")
            if named and named != project_id:
                raise wrong_project("Authentication failed: X-Project-Id names another project than the URL.")

    async def caller_project(self, request: web.Request) -> str:
        """The project the request's credential belongs to, or the 401 error."""
        if request.headers.get("Authorization", "").startswith(signing.ALGORITHM):
            return await self._signed_project(request)
        token = request.headers.get("X-Auth-Token")
        if not token:
            raise unauthorized("The request has neither an X-Auth-Token header nor an AK/SK signature.")
        project_id = self.dev_tokens.get(token)
        if project_id is None:
            record = self.tokens.find(token)
            project_id = record.project_id if record is not None else None
        if project_id is None:
            raise unauthorized("The token is invalid or expired.")
        return project_id

    async def _signed_project(self, request: web.Request) -> str:
        body = await request.read()  # aiohttp keeps it for the handler
        try:
            access_key = signing.verify(
                method=request.method,
                raw_path=request.rel_url.raw_path,
                raw_query=request.rel_url.raw_query_string,
                headers=request.headers,
                body=body,
                secret_of=lambda ak: self.accounts_by_key[ak].secret_key if ak in self.accounts_by_key else None,
            )
        except signing.SignatureError as exc:
            raise unauthorized(f"Incorrect AK/SK signature: {exc.message}") from None
        return self.accounts_by_key[access_key].project_id
