"""The API's middleware: one function doing, in order, what were five aiohttp middlewares
(metrics, unknown-field warnings, error mapping, the admin guard, chaos faults, auth).

aiohttp wraps every middleware of every request in a partial and a wrapper; with one layer the
request pays that once (the profile put the five layers at ~10% of a read). The order and what
each step sees are those of the former chain, outermost first:

1. metrics time the whole request and count its final status, errors included;
2. unknown-field warnings are recorded for a request with a body and added to any answer, a
   refusal too (a bodiless request can carry none: it skips the record);
3. every error raised below becomes its IEF answer (``errors.error_answer``);
4. a control route locked with the admin token refuses a caller without it;
5. a chaos fault's latency and injected error apply to IEF routes, before auth (an injected
   error answers before anything checks the caller);
6. auth checks the caller's credential against the URL's project.
"""

from __future__ import annotations

import time

from aiohttp import web

from edgesim.api import unknown_fields
from edgesim.api.auth import Auth
from edgesim.api.chaos_middleware import injected
from edgesim.api.errors import error_answer
from edgesim.api.routing import ENGINE
from edgesim.control.guard import admin_check
from edgesim.control.metrics import Metrics


def api_middleware(metrics: Metrics, auth: Auth, admin_token: str | None, strict: bool):
    guard = admin_check(admin_token)

    @web.middleware
    async def middleware(request: web.Request, handler) -> web.StreamResponse:
        began = time.perf_counter()
        # Only a body can carry unknown fields: a bodiless request (every read) skips the
        # record, and so its warnings, which could only be empty.
        record = unknown_fields.RequestFields(strict=strict) if request.body_exists else None
        token = unknown_fields.enter(record) if record is not None else None
        response: web.StreamResponse
        try:
            guard(request)
            # most requests meet no fault: the engine's fault list is read before the path
            fault = await injected(request) if request.app[ENGINE].chaos.faults else None
            if fault is not None:
                response = fault
            else:
                await auth.check(request)
                response = await handler(request)
        except Exception as exc:
            response = error_answer(request, exc)
        finally:
            if token is not None:
                unknown_fields.leave(token)
        if record is not None:
            unknown_fields.warn(response, record)
        metrics.observe(request, response.status, began)
        return response

    return middleware
