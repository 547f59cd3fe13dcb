"""The v2 deployment API as a client sees it: shapes, status codes, lifecycle on the clock."""

from __future__ import annotations

import pytest

from conftest import PROJECT_ID, start_api, stop_api

DEPLOYMENT_KEYS = {"id", "name", "description", "project_id", "created_at", "updated_at", "visibility", "instances"}
INSTANCE_KEYS = {
    "name", "version", "image_url", "envs", "volumes", "resources", "configs", "liveness_probe",
    "readiness_probe", "id", "node_id", "group_id", "group_name", "state", "restarts", "is_ready",
    "reason", "message",
}


def seed_request(node_id: str) -> dict:
    """The create request of the IEF API reference, with a real node id."""
    return {
        "deployment": {
            "name": "deployment-test",
            "description": "This is a test deployment",
            "node_ids": [node_id],
            "app": {
                "name": "test-app",
                "version": "1.0.0",
                "image_url": "swr.cn-north-4.myhuaweicloud.com/edge/nginx:1.25",
                "envs": [{"name": "IP", "value": "127.0.0.1"}, {"name": "PORT", "value": "9090"}],
                "volumes": [{"name": "log", "type": "hostPath", "source": "/var/log", "destination": "/tmp/log", "read_only": True}],
                "resources": {"requests": {"cpu": 0.25, "memory": 256}, "limits": {"cpu": 1, "memory": 512}},
                "configs": {"privileged": False, "host_network": True, "restart_policy": "Always",
                            "ports": [{"container_port": 80, "host_port": 8080}]},
                "liveness_probe": {"http_get": {"path": "/", "port": 80, "scheme": "HTTP"},
                                   "initial_delay_seconds": 10, "timeout_seconds": 5},
                "readiness_probe": {"exec_command": "cat /tmp/ready"},
                "command": ["nginx"],
                "args": ["-g", "daemon off;"],
            },
        }
    }


async def test_seed_example_answers_201_with_the_documented_shape(api):
    node_id = (await api.node_ids())[0]
    reply = await api.post(api.v2("deployments"), seed_request(node_id))
    assert reply.status == 201, reply.body
    dep = reply.body["deployment"]
    assert DEPLOYMENT_KEYS <= dep.keys()
    assert dep["name"] == "deployment-test"
    assert dep["project_id"] == PROJECT_ID
    assert dep["description"] == "This is a test deployment"
    assert dep["updated_at"] is None
    assert dep["created_at"] == "2026-01-01T00:00:00.000000"
    [inst] = dep["instances"]
    assert INSTANCE_KEYS <= inst.keys()
    assert inst["node_id"] == node_id
    assert inst["state"] == "PENDING_CREATE"
    assert inst["restarts"] == 0 and inst["is_ready"] is None
    assert inst["image_url"].endswith("nginx:1.25")
    # resources come back as floats
    assert inst["resources"] == {"requests": {"cpu": 0.25, "memory": 256.0}, "limits": {"cpu": 1.0, "memory": 512.0}}
    assert isinstance(inst["resources"]["limits"]["memory"], float)
    assert inst["readiness_probe"]["initial_delay_seconds"] == 10  # default filled in
    assert inst["configs"]["ports"] == [{"container_port": 80, "host_port": 8080, "host_ip": None}]


async def test_get_and_list_show_the_created_deployment(api):
    created = (await api.create("alpha")).body["deployment"]
    got = await api.get(api.v2(f"deployments/{created['id']}"))
    assert got.status == 200
    assert got.body["deployment"]["id"] == created["id"]
    listed = await api.get(api.v2("deployments"))
    assert listed.status == 200
    assert listed.body["count"] == 1
    assert [d["id"] for d in listed.body["deployments"]] == [created["id"]]


async def test_instance_turns_running_at_its_drawn_time(api):
    dep = (await api.create("web")).body["deployment"]
    inst_id = dep["instances"][0]["id"]
    events = api.engine.events.query(instance_id=inst_id, kind="instance.state")
    assert events == []
    # 2-6 s pull plus 1-3 s start: never running before 3 s, always by 9 s
    await api.advance(2.99)
    state = (await api.get(api.v2(f"deployments/{dep['id']}"))).body["deployment"]["instances"][0]
    assert state["state"] == "PENDING_CREATE"
    assert state["reason"] == "ContainerCreating"
    await api.advance(6.02)
    state = (await api.get(api.v2(f"deployments/{dep['id']}"))).body["deployment"]["instances"][0]
    assert state["state"] == "RUNNING"
    assert state["reason"] is None
    [running] = api.engine.events.query(instance_id=inst_id, kind="instance.state")
    pulled = api.engine.events.query(instance_id=inst_id, kind="instance.pulled")[0]["time"]
    assert 2.0 <= pulled <= 6.0
    assert 1.0 <= running["time"] - pulled <= 3.0
    assert running["from"] == "PENDING_CREATE" and running["to"] == "RUNNING"


async def _timeline(tmp_path, name: str, seed: int) -> list[tuple]:
    api = await start_api(tmp_path / f"{name}.db", seed=seed)
    try:
        for i in range(3):
            await api.create(f"app-{i}")
        await api.advance(60)
        return [(e["seq"], e["time"], e["kind"], e.get("to")) for e in api.engine.events.events]
    finally:
        await stop_api(api)


async def test_same_seed_same_times_other_seed_other_times(tmp_path):
    first = await _timeline(tmp_path, "a", seed=7)
    second = await _timeline(tmp_path, "b", seed=7)
    other = await _timeline(tmp_path, "c", seed=8)
    assert first == second
    assert [t for _, t, _, _ in first] != [t for _, t, _, _ in other]
    assert sum(1 for *_, to in first if to == "RUNNING") == 3


async def test_update_rolls_the_instance_and_sets_updated_at(api):
    dep = (await api.create("web")).body["deployment"]
    await api.advance(10)
    old_id = dep["instances"][0]["id"]
    reply = await api.put(api.v2(f"deployments/{dep['id']}"), {"deployment": {"image_url": "nginx:1.27"}})
    assert reply.status == 200, reply.body
    assert reply.body["upgrade_ret"] == "success"
    updated = reply.body["deployment"]
    assert updated["updated_at"] == "2026-01-01T00:00:10.000000"
    states = {i["id"]: (i["state"], i["image_url"]) for i in updated["instances"]}
    assert states[old_id] == ("TERMINATING", "nginx:1.25")
    [new_id] = [i for i in states if i != old_id]
    assert states[new_id] == ("PENDING_CREATE", "nginx:1.27")
    await api.advance(10)
    final = (await api.get(api.v2(f"deployments/{dep['id']}"))).body["deployment"]
    assert [(i["id"], i["state"], i["image_url"]) for i in final["instances"]] == [(new_id, "RUNNING", "nginx:1.27")]


async def test_description_only_update_does_not_roll(api):
    dep = (await api.create("web")).body["deployment"]
    await api.advance(10)
    reply = await api.put(api.v2(f"deployments/{dep['id']}"), {"description": "new words"})
    assert reply.status == 200
    body = reply.body["deployment"]
    assert body["description"] == "new words"
    assert [(i["id"], i["state"]) for i in body["instances"]] == [(dep["instances"][0]["id"], "RUNNING")]


async def test_update_with_null_probe_removes_it(api):
    dep = (await api.create("web", liveness_probe={"exec_command": "true"})).body["deployment"]
    reply = await api.put(api.v2(f"deployments/{dep['id']}"), {"deployment": {"liveness_probe": None}})
    assert reply.status == 200
    fresh = [i for i in reply.body["deployment"]["instances"] if i["state"] != "TERMINATING"]
    assert fresh[0]["liveness_probe"] is None


async def test_delete_terminates_then_the_deployment_is_gone(api):
    dep = (await api.create("web")).body["deployment"]
    await api.advance(10)
    reply = await api.delete(api.v2(f"deployments/{dep['id']}"))
    assert reply.status == 204 and reply.body is None
    during = (await api.get(api.v2(f"deployments/{dep['id']}"))).body["deployment"]
    assert during["state"] == "PENDING_DELETE"
    assert [i["state"] for i in during["instances"]] == ["TERMINATING"]
    # the name stays taken while the old deployment is terminating
    assert (await api.create("web")).body["error_code"] == "IEF.100006"
    await api.advance(3)
    gone = await api.get(api.v2(f"deployments/{dep['id']}"))
    assert gone.status == 404 and gone.body["error_code"] == "IEF.100003"
    assert (await api.get(api.v2("deployments"))).body["count"] == 0
    assert (await api.create("web")).status == 201


async def test_force_delete_removes_at_once(api):
    dep = (await api.create("web")).body["deployment"]
    reply = await api.delete(api.v2(f"deployments/{dep['id']}?force_delete=true"))
    assert reply.status == 204
    assert (await api.get(api.v2(f"deployments/{dep['id']}"))).status == 404
    await api.advance(30)  # the instance's pending timers must not bring anything back
    assert api.engine.world.instances == {}


async def test_update_of_a_deleting_deployment_is_refused(api):
    dep = (await api.create("web")).body["deployment"]
    await api.delete(api.v2(f"deployments/{dep['id']}"))
    reply = await api.put(api.v2(f"deployments/{dep['id']}"), {"description": "x"})
    assert (reply.status, reply.body["error_code"]) == (409, "IEF.100007")


async def test_node_shows_its_deployment_count(api):
    node_id = (await api.node_ids())[1]
    await api.create("a", node_id=node_id)
    await api.create("b", node_id=node_id)
    node = (await api.get(api.v2(f"nodes/{node_id}"))).body["node"]
    assert node["deployment_num"] == 2


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("", ["gamma", "beta", "alpha"]),
        ("?sort=created_at:asc", ["alpha", "beta", "gamma"]),
        ("?limit=2", ["gamma", "beta"]),
        ("?limit=2&offset=2", ["alpha"]),
        ("?name=ph", ["alpha"]),
        ("?name=nothing", []),
    ],
)
async def test_list_filters_sort_and_pages(api, query, expected):
    for name in ("alpha", "beta", "gamma"):
        assert (await api.create(name)).status == 201
    reply = await api.get(api.v2("deployments") + query)
    assert reply.status == 200
    assert [d["name"] for d in reply.body["deployments"]] == expected
    assert reply.body["count"] == (len(expected) if "name=" in query else 3)


async def test_list_by_node_id(api):
    first, second = (await api.node_ids())[:2]
    await api.create("on-first", node_id=first)
    await api.create("on-second", node_id=second)
    reply = await api.get(api.v2(f"deployments?node_id={second}"))
    assert [d["name"] for d in reply.body["deployments"]] == ["on-second"]


@pytest.mark.parametrize(
    ("query", "code"),
    [("?limit=0", "IEF.100005"), ("?limit=101", "IEF.100005"), ("?limit=x", "IEF.100005"),
     ("?offset=-1", "IEF.100004"), ("?offset=a", "IEF.100004"), ("?sort=name", "IEF.100002")],
)
async def test_list_rejects_bad_paging(api, query, code):
    reply = await api.get(api.v2("deployments") + query)
    assert (reply.status, reply.body["error_code"]) == (400, code)


async def test_unknown_deployment_is_404(api):
    for method in ("GET", "PUT", "DELETE"):
        reply = await api.call(method, api.v2("deployments/00000000-0000-4000-8000-000000000000"), json={})
        assert (reply.status, reply.body["error_code"]) == (404, "IEF.100003"), method
