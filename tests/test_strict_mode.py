"""Unknown request fields: ignored as the real service does, but named in an
X-Edgesim-Warning header on the answer; refused (400 IEF.100002 naming the field) in strict mode."""

from __future__ import annotations

import asyncio
import http.client
import json
from typing import Any
from urllib.parse import urlsplit

import pytest

from edgesim.server import Server, ServerOptions
from edgesim.settings import load_settings

from conftest import PROJECT_ID, TOKEN, Api

WARNING = "X-Edgesim-Warning"


async def send(api: Api, method: str, path: str, body: Any, admin: bool = False) -> tuple[int, Any, list[str]]:
    headers = {} if admin else {"X-Auth-Token": TOKEN}
    async with api.session.request(method, api.url + path, json=body, headers=headers) as resp:
        return resp.status, await resp.json(content_type=None), resp.headers.getall(WARNING, [])


def v2_create(node_id: str, deployment: dict | None = None, app: dict | None = None) -> dict:
    return {"deployment": {"name": "web", "node_ids": [node_id], **(deployment or {}),
                           "app": {"name": "web", "image_url": "nginx:1.25", **(app or {})}}}


DEPLOYMENTS = f"/v2/{PROJECT_ID}/edgemgr/deployments"


async def test_fields_in_the_wrong_place_are_accepted_with_a_warning_naming_them(api):
    node = (await api.node_ids())[0]
    status, body, warnings = await send(api, "POST", DEPLOYMENTS,
                                        v2_create(node, {"migration": True, "toleration_seconds": 60}))
    assert status == 201
    assert warnings == ["unknown field deployment.migration", "unknown field deployment.toleration_seconds"]


async def test_a_field_name_with_control_characters_is_escaped_in_the_warning(api):
    """schemathesis found that a field name holding a newline dropped the connection (aiohttp
    refuses control characters in headers): the warning escapes it."""
    node = (await api.node_ids())[0]
    status, _, warnings = await send(api, "POST", DEPLOYMENTS, v2_create(node, {"a\nb": 1, "é": 2}))
    assert status == 201
    assert warnings == ["unknown field deployment.a\\nb", "unknown field deployment.\\xe9"]


async def test_a_body_without_unknown_fields_has_no_warning(api):
    node = (await api.node_ids())[0]
    status, _, warnings = await send(api, "POST", DEPLOYMENTS, v2_create(node, app={"migration": True, "toleration_seconds": 60}))
    assert (status, warnings) == (201, [])


async def test_unknown_fields_deep_in_a_body_are_named_by_their_path(api):
    node = (await api.node_ids())[0]
    body = v2_create(node, app={"envs": [{"name": "A", "value": "1", "secret": True}], "colour": "red"})
    status, _, warnings = await send(api, "POST", DEPLOYMENTS, body)
    assert status == 201
    assert sorted(warnings) == ["unknown field deployment.app.colour", "unknown field deployment.app.envs[0].secret"]


async def test_control_routes_warn_too(api):
    status, _, warnings = await send(api, "POST", "/edgesim/clock/advance", {"seconds": 1, "second": 5}, admin=True)
    assert (status, warnings) == (200, ["unknown field second"])


@pytest.fixture
async def strict_api(tmp_path):
    import aiohttp

    server = Server(load_settings(), ServerOptions(port=0, db=str(tmp_path / "s.db"), clock="virtual", strict=True))
    await server.start()
    client = Api(server.url, aiohttp.ClientSession(), server)
    yield client
    await client.session.close()
    await server.stop()


async def test_strict_mode_refuses_an_unknown_field_and_changes_nothing(strict_api):
    api = strict_api
    node = (await api.node_ids())[0]
    status, body, warnings = await send(api, "POST", DEPLOYMENTS, v2_create(node, {"migration": True}))
    assert status == 400
    assert body["error_code"] == "IEF.100002"
    assert "unknown field deployment.migration" in body["error_msg"]
    assert (await api.get(api.v2("deployments"))).body["deployments"] == []
    status, body, _ = await send(api, "POST", "/edgesim/clock/advance", {"seconds": 1, "second": 5}, admin=True)
    assert (status, body["error_code"]) == (400, "EDGESIM.0400")
    assert "unknown field second" in body["error_msg"]


async def test_strict_mode_accepts_a_body_with_only_known_fields(strict_api):
    api = strict_api
    node = (await api.node_ids())[0]
    status, _, warnings = await send(api, "POST", DEPLOYMENTS, v2_create(node, app={"migration": True}))
    assert (status, warnings) == (201, [])


async def test_hundreds_of_unknown_fields_give_an_answer_http_clients_can_read(api):
    """schemathesis found that a body with hundreds of unknown keys got one warning header
    each: Python's http.client refuses an answer with more than 100 headers ("got more than
    100 headers") and a very long key made a header line aiohttp's client refuses. The answer
    names the first 20 and counts the rest; a long name is cut."""
    node = (await api.node_ids())[0]
    extra = {f"x{i}": 1 for i in range(150)} | {"k" * 10_000: 1}
    status, _, warnings = await send(api, "POST", DEPLOYMENTS, v2_create(node, extra))
    assert status == 201
    assert warnings[:2] == ["unknown field deployment.x0", "unknown field deployment.x1"]
    assert len(warnings) == 21 and warnings[-1] == "131 more unknown fields not named"

    # the same request from the standard library's client, which counts headers (on a thread:
    # the server runs on this test's loop)
    body = v2_create(node, {"k" * 10_000: 1, **{f"y{i}": 1 for i in range(150)}})
    body["deployment"]["name"] = "web2"
    status, first = await asyncio.to_thread(post_with_http_client, api.url, DEPLOYMENTS, body)
    assert status == 201
    assert first.startswith("unknown field deployment.kkk") and first.endswith("... (9811 more characters)")


def post_with_http_client(url: str, path: str, body: dict) -> tuple[int, str]:
    where = urlsplit(url)
    conn = http.client.HTTPConnection(where.hostname or "127.0.0.1", where.port, timeout=30)
    try:
        conn.request("POST", path, json.dumps(body), {"X-Auth-Token": TOKEN, "Content-Type": "application/json"})
        resp = conn.getresponse()
        return resp.status, resp.headers.get_all(WARNING)[0]
    finally:
        conn.close()
