"""Auth, unknown paths, oversized bodies, nodes, and the control routes."""

from __future__ import annotations

import re

import aiohttp
import pytest

from edgesim.api.openapi import ROUTES

from conftest import start_api, stop_api

OTHER_PROJECT = "f" * 32


@pytest.mark.parametrize(
    ("token", "status", "code"),
    [(None, 401, "APIGW.0301"), ("", 401, "APIGW.0301"), ("wrong-token", 401, "APIGW.0301")],
)
async def test_calls_without_a_valid_token_are_401(api, token, status, code):
    reply = await api.get(api.v2("deployments"), token=token)
    assert (reply.status, reply.body["error_code"]) == (status, code)


async def test_token_of_another_project_is_ief_011005(api):
    reply = await api.get(f"/v2/{OTHER_PROJECT}/edgemgr/deployments")
    assert (reply.status, reply.body["error_code"]) == (400, "IEF.011005")


async def test_unauthenticated_create_changes_nothing(api):
    node_id = (await api.node_ids())[0]
    body = {"deployment": {"name": "web", "node_ids": [node_id], "app": {"name": "web", "image_url": "nginx"}}}
    reply = await api.post(api.v2("deployments"), body, token="nope")
    assert reply.status == 401
    assert api.engine.world.deployments == {}


async def test_unknown_paths(api):
    under_project = await api.get(api.v2("no-such-resource"))
    assert (under_project.status, under_project.body["error_code"]) == (404, "IEF.011002")
    wrong_method = await api.call("PATCH", api.v2("deployments"))
    assert (wrong_method.status, wrong_method.body["error_code"]) == (404, "IEF.011002")
    elsewhere = await api.get("/no/such/api", token=None)
    assert (elsewhere.status, elsewhere.body["error_code"]) == (404, "APIGW.0101")


async def test_every_answer_names_its_request(api):
    """The API gateway sets X-Request-Id on every answer, errors included (clients log it)."""
    ids = []
    for path, token in [(api.v2("deployments"), api.token), (api.v2("deployments"), "nope"),
                        (api.v2("no-such-resource"), api.token), ("/no/such/api", None),
                        ("/edgesim/health", None)]:
        headers = {"X-Auth-Token": token} if token else {}
        async with api.session.get(api.url + path, headers=headers) as resp:
            ids.append(resp.headers.get("X-Request-Id", ""))
    assert all(len(i) == 32 and int(i, 16) >= 0 for i in ids), ids
    assert len(set(ids)) == len(ids)


async def test_body_over_12_mb_is_413(api):
    reply = await api.post(api.v2("deployments"), data=b"{" + b" " * (12 * 1024 * 1024 + 1) + b"}")
    assert (reply.status, reply.body["error_code"]) == (413, "APIGW.0201")


async def test_ief_instance_id_header_is_accepted(api):
    reply = await api.get(api.v2("deployments"), headers={"ief-instance-id": "platinum-1"})
    assert reply.status == 200


async def test_nodes_list_and_get(api):
    listed = await api.get(api.v2("nodes"))
    assert listed.status == 200
    assert listed.body["count"] == 5
    node = listed.body["nodes"][0]
    for key in ("id", "name", "state", "cpu", "memory", "os_name", "arch", "host_ips", "nics",
                "deployment_num", "enable_gpu", "gpu_num", "edged_version", "group_ids", "created_at"):
        assert key in node, key
    assert node["state"] == "RUNNING"
    assert isinstance(node["cpu"], int) and isinstance(node["memory"], int)
    got = await api.get(api.v2(f"nodes/{node['id']}"))
    assert got.status == 200 and got.body["node"] == node
    missing = await api.get(api.v2("nodes/00000000-0000-4000-8000-000000000000"))
    assert (missing.status, missing.body["error_code"]) == (404, "IEF.100003")


@pytest.mark.parametrize(
    ("query", "count", "names"),
    [
        ("?sort=created_at:asc&limit=2", 5, ["edge-node-001", "edge-node-002"]),
        ("?name=003", 1, ["edge-node-003"]),
        ("?state=RUNNING&limit=1&offset=4", 5, ["edge-node-005"]),
        ("?state=FAIL", 0, []),
        ("?tags=site.a", 0, []),
    ],
)
async def test_node_list_filters(api, query, count, names):
    reply = await api.get(api.v2("nodes") + query)
    assert reply.status == 200
    assert reply.body["count"] == count
    assert [n["name"] for n in reply.body["nodes"]] == names


async def test_node_list_by_app_name(api):
    """``app_name``: the nodes holding an instance of the deployment of that name."""
    first, second = (await api.node_ids())[:2]
    assert (await api.create("web", node_id=first)).status == 201
    assert (await api.create("web-2", node_id=second)).status == 201
    by_app = (await api.get(api.v2("nodes?app_name=web"))).body
    assert (by_app["count"], [n["id"] for n in by_app["nodes"]]) == (1, [first])
    assert (await api.get(api.v2("nodes?app_name=nothing"))).body["count"] == 0


@pytest.mark.parametrize(("query", "code"), [("?limit=1001", "IEF.100005"), ("?limit=0", "IEF.100005"), ("?offset=x", "IEF.100004")])
async def test_node_list_paging_limits(api, query, code):
    reply = await api.get(api.v2("nodes") + query)
    assert (reply.status, reply.body["error_code"]) == (400, code)


LIST_ROUTES = [r.path for r in ROUTES if r.tag == "IEF" and r.method == "GET" and "limit" in {q.name for q in r.query}]
# digits of other scripts: str.isdigit() takes them all, int() refuses "²" and reads "٣" as 3
NOT_ASCII_DIGITS = ["²", "٣", "３"]


@pytest.mark.parametrize("path", LIST_ROUTES)
@pytest.mark.parametrize("value", NOT_ASCII_DIGITS)
@pytest.mark.parametrize(("param", "code"), [("limit", "IEF.100005"), ("offset", "IEF.100004")])
async def test_list_paging_takes_ascii_digits_only(api, path, value, param, code):
    # a nested list (an app's versions) checks its paging before it looks up its parent
    params = {name: "00000000-0000-4000-8000-000000000000" for name in re.findall(r"{(\w+)}", path)}
    reply = await api.get(path.format_map({**params, "project_id": api.project_id}) + f"?{param}={value}")
    assert (reply.status, reply.body["error_code"]) == (400, code)
    assert param in reply.body["error_msg"]


@pytest.mark.parametrize("query", [f"{param}={value}" for param in ("limit", "offset") for value in NOT_ASCII_DIGITS])
async def test_event_paging_takes_ascii_digits_only(api, query):
    reply = await api.get(f"/edgesim/events?{query}", token=None)
    assert (reply.status, reply.body["error_code"]) == (400, "EDGESIM.0400")


@pytest.mark.parametrize("value", NOT_ASCII_DIGITS)
async def test_event_stream_takes_an_ascii_seq_only(api, value):
    # a stream taken as valid never ends: bound the wait so the test fails instead of hanging
    url = f"{api.url}/edgesim/events/stream?after={value}"
    async with api.session.get(url, timeout=aiohttp.ClientTimeout(total=10)) as resp:
        assert resp.status == 400
        assert (await resp.json())["error_code"] == "EDGESIM.0400"


async def test_nodes_are_the_same_for_the_same_seed(api, tmp_path):
    from conftest import start_api, stop_api

    other = await start_api(tmp_path / "other.db", seed=0)
    try:
        mine = (await api.get(api.v2("nodes"))).body["nodes"]
        theirs = (await other.get(other.v2("nodes"))).body["nodes"]
        assert [(n["id"], n["host_name"], n["cpu"]) for n in mine] == [(n["id"], n["host_name"], n["cpu"]) for n in theirs]
    finally:
        await stop_api(other)


async def test_health_and_clock(api):
    health = await api.get("/edgesim/health", token=None)
    assert health.status == 200 and health.body["status"] == "ok"
    clock = await api.get("/edgesim/clock", token=None)
    assert clock.body["now"] == 0 and clock.body["mode"] == "virtual"
    advanced = await api.advance(90)
    assert advanced["now"] == 90
    assert (await api.get("/edgesim/clock", token=None)).body["time"] == "2026-01-01T00:01:30Z"


@pytest.mark.parametrize("body", [{}, {"seconds": -1}, {"seconds": "5"}, {"seconds": True}, [], None])
async def test_advance_rejects_bad_bodies(api, body):
    reply = await api.post("/edgesim/clock/advance", body, token=None)
    assert (reply.status, reply.body["error_code"]) == (400, "EDGESIM.0400")
    assert (await api.get("/edgesim/clock", token=None)).body["now"] == 0


async def test_events_can_be_filtered(api):
    dep = (await api.create("web")).body["deployment"]
    await api.advance(10)
    reply = await api.get(f"/edgesim/events?deployment_id={dep['id']}&kind=instance.state", token=None)
    assert reply.body["count"] == 1
    assert reply.body["events"][0]["to"] == "RUNNING"
    bad = await api.get("/edgesim/events?since=soon", token=None)
    assert bad.status == 400


async def test_reset_gives_a_fresh_world_on_the_same_server(api, tmp_path):
    first_nodes = await api.node_ids()
    dep = (await api.create("web")).body["deployment"]
    await api.put("/edgesim/behaviors", [{"match": "only"}], token=None)
    await api.post("/edgesim/chaos/faults", {"kind": "api_latency", "target": {"path": "/none"}, "seconds": 1}, token=None)
    await api.advance(500)
    reply = await api.post("/edgesim/reset", token=None)
    assert reply.status == 200 and reply.body["now"] == 0
    assert (await api.get(api.v2(f"deployments/{dep['id']}"))).status == 404
    assert await api.node_ids() == first_nodes  # the configured fleet, as on an empty store
    assert (await api.get("/edgesim/chaos/faults", token=None)).body["count"] == 0
    assert (await api.get("/edgesim/behaviors", token=None)).body["profiles"][-1]["match"] == "*"
    assert [e["kind"] for e in api.engine.events.events][:1] == ["fleet.created"]
    again = (await api.create("web")).body["deployment"]
    assert again["id"] == dep["id"]  # ids start over: same seed, same world
    await api.advance(10)
    assert (await api.get(api.v2(f"deployments/{again['id']}"))).body["deployment"]["instances"][0]["state"] == "RUNNING"
    # and the store was reset too: a restart sees the new world only
    await stop_api(api)
    reopened = await start_api(tmp_path / "edgesim.db")
    try:
        listed = (await reopened.get(reopened.v2("deployments"))).body
        assert [d["id"] for d in listed["deployments"]] == [again["id"]]
        assert (await reopened.get("/edgesim/clock", token=None)).body["now"] == 10
    finally:
        await stop_api(reopened)
