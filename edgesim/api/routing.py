"""Routes declared as data.

Each family module (``api/v2_nodes.py``, ``control/chaos.py``, ...) ends with ``ROUTES``, a
tuple of ``Route`` declarations; ``api/families.py`` lists the families. From those
declarations ``api/app.py`` builds the router and ``api/openapi.py`` the document, so a route
cannot be served without being documented. Handlers are plain module functions: they take
what the application holds (the engine above all) from ``request.app`` by a typed key.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass
from typing import Any

from aiohttp import web

from edgesim.engine.engine import Engine

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]

ENGINE = web.AppKey("engine", Engine)
OPENAPI_DOCUMENT = web.AppKey("openapi_document", dict[str, Any])

IEF, IAM, CONTROL = "IEF", "IAM", "edgesim control"  # the document's tags


@dataclass(frozen=True)
class Query:
    """A query parameter, as the document shows it (handlers read and check it themselves)."""

    name: str
    type: str = "string"
    description: str = ""
    minimum: int | None = None


@dataclass(frozen=True)
class RawBody:
    """A body that is not JSON (a snapshot file): its media types, as the document shows them;
    the handler reads the bytes itself."""

    content_types: tuple[str, ...]
    description: str


@dataclass(frozen=True)
class Route:
    method: str
    path: str
    handler: Handler
    summary: str
    tag: str
    body: Any = None  # a pydantic model, a TypeAdapter for a non-object body, or a RawBody
    query: tuple[Query, ...] = ()
    ok: tuple[int, ...] = (200,)
    content: str = "application/json"
    answer: str = "success"  # what a success answers, as the document describes it


# The paging parameters of the IEF lists (api/paging.py reads them).
PAGE = (Query("limit", "integer", "page size", 1), Query("offset", "integer", "first item", 0),
        Query("sort", description="created_at:desc (default) or created_at:asc"))


def add_routes(router: web.UrlDispatcher, routes: Iterable[Route]) -> None:
    """Register the declarations in order (a GET answers no HEAD, as the real service)."""
    for route in routes:
        router.add_route(route.method, route.path, route.handler)
