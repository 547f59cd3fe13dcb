"""Every control route in the OpenAPI document describes what it takes and what it answers: a
route whose handler reads a body documents it (a snapshot file for PUT /edgesim/snapshot, not
JSON), one that reads the query documents its parameters, and each success answer has its
media type and says what it is."""

from __future__ import annotations

import ast
import inspect
import textwrap

import aiohttp

from edgesim.api.openapi import ROUTES
from edgesim.api.routing import CONTROL, Route

CONTROL_ROUTES = [r for r in ROUTES if r.tag == CONTROL]
# POSTs that act on the path alone: they read no body, and the document shows none
TAKES_NO_BODY = {("POST", "/edgesim/reset"), ("POST", "/edgesim/nodes/{node_id}/disconnect"),
                 ("POST", "/edgesim/nodes/{node_id}/connect"), ("POST", "/edgesim/snapshot")}
READS_BODY = ("request.read(", "request.content", "request.json(", "request.post(", "request.text(")


def _source(route: Route) -> str:
    """The handler's source and that of its module's functions it calls (one level: report_window)."""
    module = inspect.getmodule(route.handler)
    source = textwrap.dedent(inspect.getsource(route.handler))
    called = {n.func.id for n in ast.walk(ast.parse(source)) if isinstance(n, ast.Call) and isinstance(n.func, ast.Name)}
    helpers = [getattr(module, name) for name in sorted(called) if inspect.isfunction(getattr(module, name, None))]
    return source + "".join(inspect.getsource(h) for h in helpers if inspect.getmodule(h) is module)


async def test_every_control_route_documents_its_body_and_its_answers(api):
    doc = (await api.get("/edgesim/openapi.json", token=None)).body
    assert len(CONTROL_ROUTES) > 30
    for route in CONTROL_ROUTES:
        op, where = doc["paths"][route.path][route.method.lower()], f"{route.method} {route.path}"
        source = _source(route)
        if any(read in source for read in READS_BODY) or (route.method in ("POST", "PUT", "PATCH") and (route.method, route.path) not in TAKES_NO_BODY):
            assert op.get("requestBody", {}).get("content"), f"{where} reads a body the document does not describe"
        else:
            assert "requestBody" not in op, where
        if "request.query" in source or "query=" in source:
            assert [p for p in op["parameters"] if p["in"] == "query"], f"{where} reads a query the document does not describe"
        for code in route.ok:
            answer = op["responses"][str(code)]
            assert answer["description"] not in ("", "success"), f"{where} {code}: say what it answers"
            if code not in (202, 204):
                assert list(answer["content"]) == [route.content], where
        assert op["responses"]["default"]["content"]["application/json"]["schema"] == {"$ref": "#/components/schemas/Error"}


async def test_the_snapshot_routes_describe_a_file_not_json(api):
    doc = (await api.get("/edgesim/openapi.json", token=None)).body
    put = doc["paths"]["/edgesim/snapshot"]["put"]
    assert set(put["requestBody"]["content"]) == {"application/vnd.sqlite3", "application/octet-stream"}
    assert put["requestBody"]["content"]["application/octet-stream"]["schema"] == {"type": "string", "format": "binary"}
    saved = doc["paths"]["/edgesim/snapshot"]["post"]
    assert "requestBody" not in saved
    assert saved["responses"]["200"]["content"] == {"application/vnd.sqlite3": {"schema": {"type": "string", "format": "binary"}}}
    # and it takes what it says: the saved file, sent as application/octet-stream
    async with aiohttp.ClientSession() as http:
        async with http.post(api.url + "/edgesim/snapshot") as resp:
            assert resp.content_type == "application/vnd.sqlite3"
            data = await resp.read()
        async with http.put(api.url + "/edgesim/snapshot", data=data, headers={"Content-Type": "application/octet-stream"}) as resp:
            assert resp.status == 200, await resp.text()
            assert {"now", "mode", "scale", "time", "seed", "events"} <= set(await resp.json())
