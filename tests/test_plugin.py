"""The pytest plugin, used the way a user would: only the ``edgesim`` fixture's public face."""

from __future__ import annotations

import json
import urllib.error
import urllib.request

import pytest


def call(edgesim, method, path, body=None, token=True):
    headers = {"Content-Type": "application/json"}
    if token:
        headers["X-Auth-Token"] = edgesim.token
    request = urllib.request.Request(edgesim.url + path, data=None if body is None else json.dumps(body).encode(),
                                     method=method, headers=headers)
    try:
        with urllib.request.urlopen(request) as response:
            raw = response.read()
            return response.status, json.loads(raw) if raw else None
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read())


def v2(edgesim, path):
    return f"/v2/{edgesim.project_id}/edgemgr/{path}"


def deploy(edgesim, name="web", **app):
    node_id = call(edgesim, "GET", v2(edgesim, "nodes"))[1]["nodes"][0]["id"]
    status, body = call(edgesim, "POST", v2(edgesim, "deployments"), {"deployment": {
        "name": name, "node_ids": [node_id], "app": {"name": name, "image_url": "nginx", **app}}})
    assert status == 201, body
    return body["deployment"]["id"]


def state(edgesim, dep_id):
    return call(edgesim, "GET", v2(edgesim, f"deployments/{dep_id}"))[1]["deployment"]["instances"][0]["state"]


def test_fixture_exposes_a_working_server(edgesim):
    assert edgesim.url.startswith("http://127.0.0.1:")
    assert len(edgesim.project_id) == 32 and edgesim.token and edgesim.ak and edgesim.sk
    status, body = call(edgesim, "GET", v2(edgesim, "nodes"))
    assert status == 200 and body["count"] == 5


def test_advance_moves_the_virtual_clock(edgesim):
    dep = deploy(edgesim)
    assert state(edgesim, dep) == "PENDING_CREATE"
    assert edgesim.advance(30) == 30
    assert state(edgesim, dep) == "RUNNING"


def test_wait_for_returns_once_true_and_fails_clearly_past_the_deadline(edgesim):
    dep = deploy(edgesim)
    assert edgesim.wait_for(lambda: state(edgesim, dep) == "RUNNING", within=30)
    assert edgesim.now() <= 10

    def never():
        return False

    with pytest.raises(pytest.fail.Exception, match="never still false after 5 simulated seconds"):
        edgesim.wait_for(never, within=5)


def test_inject_and_events(edgesim):
    dep = deploy(edgesim, "crashy")
    edgesim.advance(10)
    fault_id = edgesim.inject({"kind": "instance_crash", "target": {"deployment_id": dep}, "exit_code": 2})
    hits = edgesim.events(kind="fault.hit")
    assert [(e["fault_id"], e["deployment_id"]) for e in hits] == [(fault_id, dep)]
    assert edgesim.events(kind="instance.exited")[0]["code"] == 2


def test_reset_gives_a_fresh_world_at_the_same_url(edgesim):
    url = edgesim.url
    deploy(edgesim)
    edgesim.advance(100)
    edgesim.reset()
    assert edgesim.url == url and edgesim.now() == 0
    assert call(edgesim, "GET", v2(edgesim, "deployments"))[1]["count"] == 0
    assert edgesim.events(kind="deployment.created") == []


@pytest.mark.edgesim(seed=3, nodes=12)
def test_marks_choose_seed_and_fleet_size(edgesim):
    assert call(edgesim, "GET", v2(edgesim, "nodes"))[1]["count"] == 12


async def test_works_in_asyncio_tests_too(edgesim):
    dep = deploy(edgesim)
    edgesim.advance(30)
    assert state(edgesim, dep) == "RUNNING"


def test_fixture_helpers_create_fleets_and_groups(edgesim):
    fleet = edgesim.create_fleet(3, groups={"site": 2}, name_prefix="site")
    assert (fleet["nodes"], [len(g["node_ids"]) for g in fleet["groups"]]) == (3, [2])
    group = edgesim.create_group("spare", node_ids=[fleet["node_ids"][2]])
    assert [n["id"] for n in group["nodes"]] == [fleet["node_ids"][2]]
    fresh = edgesim.create_group("fresh", nodes=2)
    assert len(fresh["nodes"]) == 2
    assert call(edgesim, "GET", v2(edgesim, "nodes"))[1]["count"] == 10


def test_wait_for_failure_says_the_state_and_events_refuse_unknown_filters(edgesim):
    dep = deploy(edgesim)

    def never():
        return False

    with pytest.raises(pytest.fail.Exception, match=r"now t=5; last value False\); nodes: 5 RUNNING; deployments: web 0/1 ready"):
        edgesim.wait_for(never, within=5)
    assert edgesim.wait_for(lambda: state(edgesim, dep) == "RUNNING", timeout=30)
    with pytest.raises(TypeError, match="unknown filter"):
        edgesim.events(type="fault.hit")
