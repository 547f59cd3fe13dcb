"""IEF error responses: ``{"error_code": "...", "error_msg": "..."}`` with the documented status.

Handlers raise ``IEFError``; the middleware turns it, domain refusals, aiohttp's own HTTP errors
and anything unexpected into that body, so no request ever gets an HTML page or a bare 500.
"""

from __future__ import annotations

import logging

import orjson
from aiohttp import web
from aiohttp.web_exceptions import HTTPException

from edgesim.api import paths
from edgesim.domain.errors import (
    DomainError,
    DuplicateName,
    InUse,
    NoRoom,
    NotAllowed,
    NotFound,
    QuotaExceeded,
    ReferenceNotFound,
)
from edgesim.store.sqlite import StoreError

log = logging.getLogger(__name__)

class IEFError(Exception):
    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message


# The codes edgesim answers with; messages follow the public error-code page where it has one.
def bad_request(message: str) -> IEFError:
    """IEF.100002: malformed JSON, a wrong type, a missing field, or another invalid value."""
    return IEFError(400, "IEF.100002", message)


def unauthorized(message: str = "The token is missing, invalid or expired.") -> IEFError:
    return IEFError(401, "APIGW.0301", message)


def wrong_project(message: str = "Authentication failed: the token does not belong to this project.") -> IEFError:
    return IEFError(400, "IEF.011005", message)


def unknown_api(path: str) -> IEFError:
    return IEFError(404, "IEF.011002", f"The API is not registered: {path}")


def bad_offset(value: str) -> IEFError:
    return IEFError(400, "IEF.100004", f"The request offset does not comply with specifications: offset={value!r} must be an integer >= 0.")


def bad_limit(value: str, maximum: int) -> IEFError:
    return IEFError(400, "IEF.100005", f"The request limit does not comply with specifications: limit={value!r} must be an integer from 1 to {maximum}.")


# The /edgesim/ control routes answer with edgesim's own codes, in the same error body.
CONTROL_INVALID = "EDGESIM.0400"  # any bad input on a control route


def control_invalid(message: str) -> IEFError:
    return IEFError(400, CONTROL_INVALID, message)


def control_not_found(message: str) -> IEFError:
    return IEFError(404, "EDGESIM.0404", message)


def json_response(body: object, status: int = 200) -> web.Response:
    return web.Response(body=orjson.dumps(body), status=status, content_type="application/json")


def error_response(status: int, code: str, message: str) -> web.Response:
    return json_response({"error_code": code, "error_msg": message}, status)


def from_domain(exc: DomainError) -> IEFError:
    """Map an engine refusal to its IEF code (see docs/api.md, "Error codes")."""
    if isinstance(exc, NotFound):
        return IEFError(404, "IEF.100003", exc.message)
    if isinstance(exc, ReferenceNotFound):
        return IEFError(400, "IEF.100003", _with_field(exc))
    if isinstance(exc, DuplicateName):
        return IEFError(400, "IEF.100006", _with_field(exc))
    if isinstance(exc, NotAllowed):
        return IEFError(409, "IEF.100007", exc.message)
    if isinstance(exc, InUse):
        return IEFError(400, "IEF.100007", exc.message)
    if isinstance(exc, (QuotaExceeded, NoRoom)):
        return IEFError(400, "IEF.100126", _with_field(exc))
    return IEFError(400, "IEF.100002", _with_field(exc))


def _with_field(exc: DomainError) -> str:
    return f"{exc.field}: {exc.message}" if exc.field else exc.message


def _from_http(request: web.Request, exc: HTTPException) -> web.Response:
    ief_path = paths.project_in(request.path) is not None
    if exc.status == 413:
        return error_response(413, "APIGW.0201", "Request body too large (the limit is 12 MB).")
    if exc.status in (404, 405):
        if ief_path:
            err = unknown_api(f"{request.method} {request.path}")
            return error_response(err.status, err.code, err.message)
        return error_response(404, "APIGW.0101", f"The API does not exist or has not been published: {request.method} {request.path}")
    return error_response(exc.status, f"APIGW.{exc.status:04d}", exc.reason or "HTTP error")


def error_answer(request: web.Request, exc: Exception) -> web.StreamResponse:
    """The answer to a request whose handling raised ``exc``; re-raises what is no error (an
    HTTP redirect)."""
    if isinstance(exc, IEFError):
        return error_response(exc.status, exc.code, exc.message)
    if isinstance(exc, DomainError):
        err = from_domain(exc)
        return error_response(err.status, err.code, err.message)
    if isinstance(exc, HTTPException):
        if exc.status < 400:
            raise exc
        return _from_http(request, exc)
    if isinstance(exc, StoreError):
        return error_response(500, "IEF.120001", "Database error; the change was not applied.")
    log.error("unexpected error in %s %s", request.method, request.path, exc_info=exc)
    return error_response(500, "IEF.120001", "Internal error; the change was not applied.")


@web.middleware
async def error_middleware(request: web.Request, handler) -> web.StreamResponse:
    try:
        return await handler(request)
    except Exception as exc:
        return error_answer(request, exc)
