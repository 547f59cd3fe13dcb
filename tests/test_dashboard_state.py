"""What the dashboard reads beyond the live snapshot, over HTTP: GET /edgesim/state?at=T (the
fleet as it was at T, for the time slider), devices under their node, the node and deployment
panels, and the message rules and batch jobs of GET /edgesim/state/operations."""

from __future__ import annotations

from test_devices import bind_on_node, make_device
from test_jobs import create_job, fleet, profile
from test_routing import rest_to_node

from conftest import start_api, stop_api

FAST = [{"match": "*", "pull": {"seconds": 2}, "start": {"seconds": 1}}]


def refused(reply, status: int, code: str, *words: str) -> None:
    assert (reply.status, reply.body["error_code"]) == (status, code), reply.body
    for word in words:
        assert word in reply.body["error_msg"], reply.body


async def group_world(api) -> dict:
    """Two nodes in a group, a deployment of one migrating replica, a node failing at t=50."""
    assert (await api.put("/edgesim/behaviors", FAST, token=None)).status == 200
    made = (await api.post("/edgesim/fleet", {"nodes": 2, "groups": {"line": 2}, "name_prefix": "line"}, token=None)).body
    [group] = made["groups"]
    body = {"name": "cam", "group_id": group["id"], "deployment": {"replicas": 1, "template": {
        "configs": {"restart_policy": "Always", "migration": True, "toleration_seconds": 30},
        "containers": [{"name": "cam", "image_url": "nginx:1.25"}]}}}
    reply = await api.post(f"/v3/{api.project_id}/edgemgr/deployments", body)
    assert reply.status == 201, reply.body
    await api.advance(10)
    dep_id = reply.body["id"]
    [inst] = api.engine.world.instances_of(api.engine.world.deployments[dep_id])
    return {"dep": dep_id, "node": inst.node_id, "inst": inst.id, "group": group}


async def at(api, t) -> dict:
    reply = await api.get(f"/edgesim/state?at={t}", token=None)
    assert reply.status == 200, reply.body
    return reply.body


def nodes_of(state: dict) -> dict[str, dict]:
    return {n["id"]: n for n in state["nodes"]}


async def test_state_at_t_rebuilds_the_fleet_as_it_was(api):
    w = await group_world(api)
    await api.post(f"/edgesim/nodes/{w['node']}/disconnect", token=None)  # silent at 10, FAIL at 50
    await api.advance(100)  # toleration 30 s: recreated on the other node at 80
    [moved] = await api.events(kind="instance.migrated")
    assert moved["time"] == 80 and moved["from_node"] == w["node"]

    before = await at(api, 5)
    assert before["at"] == 5 and before["seq"] == max(e["seq"] for e in api.engine.events.events if e["time"] <= 5)
    old = nodes_of(before)[w["node"]]
    assert (old["state"], old["silent"]) == ("RUNNING", False)
    assert [(i["id"], i["state"], i["ready"]) for i in old["instances"]] == [(w["inst"], "RUNNING", True)]
    assert [(d["name"], d["replicas"], d["ready"]) for d in before["deployments"]] == [("cam", 1, 1)]
    assert before["migrations"] == []

    failing = await at(api, 60)
    old = nodes_of(failing)[w["node"]]
    assert old["state"] == "FAIL" and [i["state"] for i in old["instances"]] == ["UNKNOWN"]
    assert failing["deployments"][0]["ready"] == 0

    after = await at(api, 100)
    assert [m["to_node"] for m in after["migrations"]] == [moved["to_node"]]  # drawn on the map
    assert nodes_of(after)[w["node"]]["instances"][0].get("stale") is True
    # at now it agrees with the live snapshot
    live = (await api.get("/edgesim/state", token=None)).body
    assert {n["id"]: (n["state"], n["instances"]) for n in live["nodes"]} == {
        n["id"]: (n["state"], n["instances"]) for n in after["nodes"]}
    assert after["clock"] == live["clock"] and after["seq"] == live["seq"]


async def test_state_at_refuses_a_time_outside_the_experiment(api):
    await api.advance(10)
    for bad in ("-1", "abc", "nan", "11"):
        refused(await api.get(f"/edgesim/state?at={bad}", token=None), 400, "EDGESIM.0400", "at")
    assert (await api.get("/edgesim/state?at=10", token=None)).status == 200


async def test_state_at_leaves_out_what_did_not_exist_yet(api):
    await api.advance(10)
    nodes_then = {n.id for n in api.engine.world.nodes.values()}
    await api.post("/edgesim/fleet", {"nodes": 3, "name_prefix": "late"}, token=None)
    web = (await api.create("web")).body["deployment"]["id"]
    await api.advance(10)
    early = await at(api, 5)
    assert set(nodes_of(early)) == nodes_then and early["deployments"] == []
    assert all(n["instances"] == [] for n in early["nodes"])
    assert [d["id"] for d in (await at(api, 20))["deployments"]] == [web]
    # a deleted deployment still shows at a time it existed
    assert (await api.delete(api.v2(f"deployments/{web}"))).status in (200, 204)
    await api.advance(60)
    assert [d["name"] for d in (await at(api, 20))["deployments"]] == ["web"]
    assert (await api.get("/edgesim/state", token=None)).body["deployments"] == []


async def test_devices_are_listed_under_their_node_online_or_offline(api):
    node_id = (await api.node_ids())[0]
    device = await make_device(api, "thermo-1")
    assert (await bind_on_node(api, node_id, [device["id"]])).status == 200
    await api.advance(5)
    state = (await api.get("/edgesim/state", token=None)).body
    assert nodes_of(state)[node_id]["devices"] == [{"id": device["id"], "name": "thermo-1", "state": "online"}]
    assert all(n["devices"] == [] for n in state["nodes"] if n["id"] != node_id)
    await api.post(f"/edgesim/nodes/{node_id}/disconnect", token=None)
    await api.advance(40)  # the node is marked FAIL: its device goes offline with it
    state = (await api.get("/edgesim/state", token=None)).body
    assert nodes_of(state)[node_id]["devices"][0]["state"] == "offline"
    assert nodes_of(await at(api, 10))[node_id]["devices"][0]["state"] == "online"  # the slider knows too


async def test_the_node_panel_has_resources_ips_instances_devices_and_history(api):
    w = await group_world(api)
    await api.post(f"/edgesim/nodes/{w['node']}/disconnect", token=None)
    await api.advance(45)
    await api.post(f"/edgesim/nodes/{w['node']}/connect", token=None)
    reply = await api.get(f"/edgesim/state/nodes/{w['node']}", token=None)
    assert reply.status == 200, reply.body
    body = reply.body
    node = api.engine.world.nodes[w["node"]]
    assert (body["node"]["cpu"], body["node"]["memory"]) == (node.hardware["cpu"], node.hardware["memory"])
    assert body["node"]["host_ips"] == node.hardware["host_ips"] and body["node"]["host_ips"]
    assert [(i["id"], i["deployment_name"], i["state"]) for i in body["instances"]] == [(w["inst"], "cam", "RUNNING")]
    assert [(h["time"], h["from"], h["to"]) for h in body["history"]] == [(55, "FAIL", "RUNNING"), (50, "RUNNING", "FAIL")]
    assert body["devices"] == []
    refused(await api.get("/edgesim/state/nodes/nope", token=None), 404, "EDGESIM.0404", "nope")


async def test_the_deployment_panel_has_instances_events_and_rollout(api):
    w = await group_world(api)
    reply = await api.get(f"/edgesim/state/deployments/{w['dep']}", token=None)
    assert reply.status == 200, reply.body
    body = reply.body
    assert body["deployment"]["name"] == "cam" and [i["id"] for i in body["deployment"]["instances"]] == [w["inst"]]
    assert body["rollout"] is None and body["deployment"]["conditions"] == []
    kinds = [e["kind"] for e in body["events"]]
    assert kinds[-1] == "deployment.created" and "instance.state" in kinds  # newest first
    assert [e["seq"] for e in body["events"]] == sorted((e["seq"] for e in body["events"]), reverse=True)
    refused(await api.get("/edgesim/state/deployments/nope", token=None), 404, "EDGESIM.0404", "nope")


async def test_operations_show_a_rules_state_and_a_running_jobs_progress(api):
    node_id = (await api.node_ids())[0]
    rule = await rest_to_node(api, node_id, name="down")
    await api.advance(10)
    await profile(api)
    targets = await fleet(api, 20)
    job_id = await create_job(api, targets)
    await api.advance(15)  # the first ten done (10 s each), the next ten running
    body = (await api.get("/edgesim/state/operations", token=None)).body
    [r] = body["rules"]
    shown = (await api.get(f"/v2/{api.project_id}/routemgr/rules/{rule['id']}")).body["rule"]
    assert (r["name"], r["in_using"], r["source"], r["target"]) == ("down", True, "SystemREST", "SystemEventBus")
    assert (r["success_messages"], r["fail_messages"]) == (shown["success_messages"], shown["fail_messages"])
    assert r["success_messages"] > 0 and r["failing"] == ""
    [j] = body["jobs"]
    assert (j["id"], j["status"], j["total"], j["running"]) == (job_id, "running", 20, 10)
    assert j["success"] + j["failed"] == 10
    live = (await api.get("/edgesim/state", token=None)).body
    assert live["jobs"] == body["jobs"] and live["rules"] == body["rules"]
    # the rule stopped: it no longer delivers
    assert (await api.post(f"/v2/{api.project_id}/routemgr/rules/{rule['id']}/stop")).status in (200, 204)
    assert (await api.get("/edgesim/state/operations", token=None)).body["rules"][0]["in_using"] is False


async def test_the_slider_rebuilds_the_past_after_a_restart(tmp_path):
    api = await start_api(tmp_path / "s.db")
    w = await group_world(api)
    await api.post(f"/edgesim/nodes/{w['node']}/disconnect", token=None)
    await api.advance(50)
    expected = await at(api, 55)
    await stop_api(api)
    api = await start_api(tmp_path / "s.db")
    try:
        again = await at(api, 55)
        assert {k: v for k, v in again.items() if k != "clock"} == {k: v for k, v in expected.items() if k != "clock"}
        assert nodes_of(again)[w["node"]]["state"] == "FAIL"
    finally:
        await stop_api(api)
