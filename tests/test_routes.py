"""Routes are declared once, as data: the router, the OpenAPI document and the "is this an IEF
path" test all read the same declarations."""

from __future__ import annotations

import asyncio
import re
import time

from aiohttp.test_utils import make_mocked_request

from edgesim.api import paths
from edgesim.api.families import ROUTES
from edgesim.api.routing import IEF

from conftest import start_api


def _example(path: str, project_id: str) -> str:
    """A concrete URL of a route template: its project is a configured one, other ids are 'x'."""
    return re.sub(r"\{(\w+)\}", lambda m: project_id if m[1] == "project_id" else "x", path)


async def test_the_router_serves_each_declared_route_with_the_handler_it_declares(api):
    router = api.server._runner.app.router
    for route in ROUTES:
        request = make_mocked_request(route.method, _example(route.path, api.project_id))
        match = await router.resolve(request)
        assert match.handler is route.handler, f"{route.method} {route.path}"


async def test_the_document_lists_each_declaration_with_its_summary_and_body(api):
    doc = (await api.get("/edgesim/openapi.json", token=None)).body
    for route in ROUTES:
        op = doc["paths"][route.path][route.method.lower()]
        assert op["summary"] == route.summary
        assert ("requestBody" in op) == (route.body is not None)


def test_ief_paths_are_the_routes_declared_ief_and_control_paths_those_under_edgesim():
    for route in ROUTES:
        example = _example(route.path, "p1")
        assert paths.is_ief(example) == (route.tag == IEF), route.path
        assert paths.is_control(example) == route.path.startswith("/edgesim/"), route.path
    assert paths.project_in("/v2/p1/edgemgr/nodes") == "p1"
    assert paths.project_in("/edgesim/clock") is None


async def test_stopping_the_server_hangs_up_open_event_streams_at_once(tmp_path):
    """A live stream must not hold shutdown for aiohttp's 60 s grace: streams end on shutdown."""
    api = await start_api(tmp_path / "edgesim.db")
    try:
        async with api.session.get(api.url + "/edgesim/events/stream") as resp:
            assert resp.status == 200
            began = time.monotonic()
            stopping = asyncio.ensure_future(api.server.stop())
            backlog = await asyncio.wait_for(resp.content.read(), 10)  # returns once the server hangs up
            assert backlog.startswith(b"id: 1\n")
            await asyncio.wait_for(stopping, 10)
        assert time.monotonic() - began < 10
    finally:
        await api.session.close()
