"""Chaos faults on the virtual clock: each kind's exact effect, its end, and the report.

Pull 2 s and start 1 s are fixed; a silent node is FAIL after 40 s.
"""

from __future__ import annotations

import time

import pytest

from conftest import Api, advance_to, instances, node_state, site_group, start_api, stop_api


async def fault(api: Api, **body) -> dict:
    reply = await api.post("/edgesim/chaos/faults", body, token=None)
    assert reply.status == 201, reply.body
    return reply.body


def states(api: Api, dep_id: str) -> list[tuple[float, str]]:
    return [(e["time"], e["to"]) for e in api.engine.events.query(kind="instance.state", deployment_id=dep_id)]


async def test_fault_lifecycle_in_the_api(api):
    _, (n1, _) = await site_group(api)
    f = await fault(api, kind="node_partition", target={"node_ids": [n1]}, start=50, duration=30)
    assert (f["state"], f["start"], f["end"], f["kind"]) == ("scheduled", 50, 80, "node_partition")
    listed = (await api.get("/edgesim/chaos/faults", token=None)).body
    assert [x["id"] for x in listed["faults"]] == [f["id"]]
    await advance_to(api, 50)
    assert (await api.get(f"/edgesim/chaos/faults/{f['id']}", token=None)).body["state"] == "active"
    await advance_to(api, 80)
    ended = (await api.get(f"/edgesim/chaos/faults/{f['id']}", token=None)).body
    assert (ended["state"], ended["started_at"], ended["ended_at"], ended["nodes"]) == ("ended", 50, 80, [n1])
    assert (await api.delete(f"/edgesim/chaos/faults/{f['id']}", token=None)).status == 204
    assert (await api.get(f"/edgesim/chaos/faults/{f['id']}", token=None)).status == 404
    assert (await api.get("/edgesim/chaos/faults", token=None)).body["count"] == 0


@pytest.mark.parametrize(
    ("body", "where"),
    [
        ({"kind": "volcano", "target": {"node_ids": ["x"]}}, "kind"),
        ({"kind": "node_crash", "target": {}}, "target"),
        ({"kind": "node_crash", "target": {"deployment_id": "d"}}, "targets node_ids or a group_id"),
        ({"kind": "api_error", "target": {"node_ids": ["x"]}}, "method and/or path"),
        ({"kind": "instance_crash", "target": {"method": "GET"}}, "targets instances"),
        ({"kind": "node_partition", "target": {"node_ids": ["x"]}, "duration": 0}, "duration"),
        ({"kind": "node_partition", "target": {"node_ids": ["x"]}, "every": 5}, "every"),
        ({"kind": "api_latency", "target": {"path": "/v2/*"}}, "needs seconds"),
        ({"kind": "instance_crash", "target": {"image": "x"}, "probability": 1.5}, "probability"),
        ({"kind": "node_flap", "target": {"node_ids": ["x"], "fraction": 0.5}}, "group_id"),
    ],
)
async def test_bad_faults_are_refused(api, body, where):
    reply = await api.post("/edgesim/chaos/faults", body, token=None)
    assert (reply.status, reply.body["error_code"]) == (400, "EDGESIM.0400"), reply.body
    assert where in reply.body["error_msg"]
    assert (await api.get("/edgesim/chaos/faults", token=None)).body["count"] == 0


async def test_node_partition_keeps_containers_running_then_heals(api):
    group_id, (n1, _) = await site_group(api)
    dep = (await api.create("pinned", node_id=n1)).body["deployment"]["id"]
    await fault(api, kind="node_partition", target={"node_ids": [n1]}, start=100, duration=200)
    await advance_to(api, 140)
    assert await node_state(api, n1) == "FAIL"
    assert [i["state"] for i in await instances(api, dep)] == ["UNKNOWN"]
    await advance_to(api, 300)
    assert await node_state(api, n1) == "RUNNING"
    inst = (await instances(api, dep))[0]
    assert (inst["state"], inst["restarts"]) == ("RUNNING", 0)  # it ran on at the edge


async def test_node_crash_restarts_the_containers_when_the_node_returns(api):
    _, (n1, _) = await site_group(api)
    dep = (await api.create("pinned", node_id=n1)).body["deployment"]["id"]
    await fault(api, kind="node_crash", target={"node_ids": [n1]}, start=100, duration=100)
    await advance_to(api, 140)
    assert [i["state"] for i in await instances(api, dep)] == ["UNKNOWN"]
    await advance_to(api, 200)  # the node returns; the container is gone and restarts at once (kubelet)
    assert await node_state(api, n1) == "RUNNING"
    assert states(api, dep)[-3:] == [(200, "RUNNING"), (200, "FAILED"), (200, "RUNNING")]
    await advance_to(api, 210)
    inst = (await instances(api, dep))[0]
    assert (inst["state"], inst["restarts"]) == ("RUNNING", 1)


async def test_node_crash_of_a_fraction_of_a_group_migrates_and_heals(api):
    group_id, nodes = await site_group(api, nodes=4)
    body = {"deployment": {"name": "svc", "group_id": group_id, "app": {"name": "svc", "image_url": "nginx", "migration": True, "toleration_seconds": 30}}}
    dep = (await api.post(api.v2("deployments"), body)).body["deployment"]["id"]
    [inst] = await instances(api, dep)
    f = await fault(api, kind="node_crash", target={"group_id": group_id, "fraction": 0.5}, start=10, duration=600)
    await advance_to(api, 10)
    hit = (await api.get(f"/edgesim/chaos/faults/{f['id']}", token=None)).body["nodes"]
    assert len(hit) == 2 and set(hit) <= set(nodes)
    await advance_to(api, 700)
    assert all([await node_state(api, n) == "RUNNING" for n in nodes])
    live = [i for i in await instances(api, dep) if i["state"] == "RUNNING"]
    assert len(live) == 1 and len(await instances(api, dep)) == 1
    if inst["node_id"] in hit:
        assert api.engine.events.query(kind="instance.migrated")


async def test_node_flap_goes_down_and_up_in_turn(api):
    _, (n1, _) = await site_group(api)
    await fault(api, kind="node_flap", target={"node_ids": [n1]}, start=0, duration=400, down=60, up=100)
    await advance_to(api, 500)
    changes = [(e["time"], e["to"]) for e in api.engine.events.query(kind="node.state", node_id=n1)]
    # down 0-60 (FAIL at 40), up 60-160, down 160-220 (FAIL at 200), up 220-320, down 320-380, up until the end
    assert changes == [(40, "FAIL"), (60, "RUNNING"), (200, "FAIL"), (220, "RUNNING"), (360, "FAIL"), (380, "RUNNING")]
    silences = [e["time"] for e in api.engine.events.query(kind="node.silent", node_id=n1)]
    assert silences == [0, 160, 320]


async def test_instance_crash_with_exit_code_and_repeats(api):
    _, (n1, _) = await site_group(api)
    dep = (await api.create("web", node_id=n1)).body["deployment"]["id"]
    other = (await api.create("other", node_id=n1)).body["deployment"]["id"]
    await fault(api, kind="instance_crash", target={"deployment_id": dep}, start=100, duration=250, every=100, exit_code=3)
    await advance_to(api, 400)
    assert [t for t, to in states(api, dep) if to == "FAILED"] == [100, 200, 300]
    exits = {(e["time"], e["code"]) for e in api.engine.events.query(kind="instance.exited", deployment_id=dep)}
    assert exits == {(100, 3), (200, 3), (300, 3)}
    assert [to for _, to in states(api, other)] == ["RUNNING"]
    assert (await instances(api, dep))[0]["state"] == "RUNNING"


async def test_oom_kill(api):
    _, (n1, _) = await site_group(api)
    dep = (await api.create("web", node_id=n1, image_url="shop/cart:1")).body["deployment"]["id"]
    await fault(api, kind="oom_kill", target={"image": "shop/*"}, start=50)
    await advance_to(api, 51)
    [exited] = api.engine.events.query(kind="instance.exited", deployment_id=dep)
    assert (exited["time"], exited["code"], exited["reason"]) == (50, 137, "OOMKilled")
    await advance_to(api, 61)
    assert (await instances(api, dep))[0]["restarts"] == 1


async def test_liveness_probe_failure_for_a_while(api):
    _, (n1, _) = await site_group(api)
    dep = (await api.create("web", node_id=n1, liveness_probe={"exec_command": "ok"})).body["deployment"]["id"]
    await advance_to(api, 20)
    await fault(api, kind="probe_failure", target={"deployment_id": dep}, probe="liveness", start=100, duration=25)
    await advance_to(api, 1000)
    # probes at t = 13, 23, ...: 103, 113, 123 fail; killed at 124; the new container's probes pass
    assert [t for t, to in states(api, dep) if to == "FAILED"] == [124]
    assert (await instances(api, dep))[0]["state"] == "RUNNING"


async def test_readiness_probe_failure_until_the_fault_is_deleted(api):
    _, (n1, _) = await site_group(api)
    dep = (await api.create("web", node_id=n1, readiness_probe={"exec_command": "ok"})).body["deployment"]["id"]
    await advance_to(api, 20)
    f = await fault(api, kind="probe_failure", target={"deployment_id": dep}, probe="readiness", start=30)
    await advance_to(api, 100)
    ready = [(e["time"], e["ready"]) for e in api.engine.events.query(kind="instance.ready", deployment_id=dep)]
    assert ready == [(13, True), (54, False)]  # probes at 33, 43, 53 fail
    await api.delete(f"/edgesim/chaos/faults/{f['id']}", token=None)
    await advance_to(api, 200)
    ready = [(e["time"], e["ready"]) for e in api.engine.events.query(kind="instance.ready", deployment_id=dep)]
    assert ready[-1] == (103, True)  # the first probe after the fault is gone
    body = (await api.get(api.v2(f"deployments/{dep}"))).body["deployment"]
    assert body["ready_replicas"] == 1


async def test_image_pull_failure_backs_off_until_the_fault_ends(api):
    _, (n1, _) = await site_group(api)
    await fault(api, kind="image_pull_failure", target={"image": "registry.bad/*"}, start=0, duration=30)
    dep = (await api.create("web", node_id=n1, image_url="registry.bad/app:1")).body["deployment"]["id"]
    fine = (await api.create("fine", node_id=n1, image_url="nginx")).body["deployment"]["id"]
    await advance_to(api, 20)  # the second pull failed at 14: ErrImagePull until the next sync at 24
    assert (await instances(api, dep))[0]["reason"] == "ErrImagePull"
    await advance_to(api, 30)
    assert (await instances(api, dep))[0]["reason"] == "ImagePullBackOff"
    await advance_to(api, 100)
    failed = [e["time"] for e in api.engine.events.query(kind="instance.pull_failed", deployment_id=dep)]
    assert failed == [2, 14]  # retried at 12 and 34 (back-off 10, 20); the fault ended at 30
    assert states(api, dep) == [(37, "RUNNING")]
    assert states(api, fine) == [(3, "RUNNING")]


async def test_slow_start_adds_start_up_time(api):
    _, (n1, _) = await site_group(api)
    await fault(api, kind="slow_start", target={"node_ids": [n1]}, start=0, duration=100, seconds=40)
    slow = (await api.create("slow", node_id=n1)).body["deployment"]["id"]
    await advance_to(api, 200)
    late = (await api.create("late", node_id=n1)).body["deployment"]["id"]
    await advance_to(api, 300)
    assert states(api, slow) == [(43, "RUNNING")]
    assert states(api, late) == [(203, "RUNNING")]


async def test_api_error_injection_seen_by_a_real_client_and_never_on_control_routes(api):
    await fault(api, kind="api_error", target={"method": "GET", "path": "/v2/*/edgemgr/deployments"}, status=503,
                error_code="APIGW.0503", error_msg="busy")
    hit = await api.get(api.v2("deployments"))
    assert (hit.status, hit.body) == (503, {"error_code": "APIGW.0503", "error_msg": "busy"})
    assert (await api.get(api.v2("nodes"))).status == 200  # another path
    assert (await api.create("web")).status == 201  # another method
    assert (await api.get("/edgesim/health", token=None)).status == 200
    assert (await api.get("/edgesim/chaos/faults", token=None)).status == 200


async def test_api_error_with_probability_is_seeded(api, tmp_path):
    async def run(client: Api) -> list[int]:
        await fault(client, kind="api_error", target={"path": "/v2/*"}, probability=0.3)
        return [(await client.get(client.v2("nodes"))).status for _ in range(40)]

    first = await run(api)
    other = await start_api(tmp_path / "o.db")
    try:
        assert await run(other) == first
    finally:
        await stop_api(other)
    assert 3 <= first.count(500) <= 25 and first.count(200) > 10


async def test_api_latency_is_real_wall_time(api):
    await fault(api, kind="api_latency", target={"path": "/v2/*/edgemgr/nodes"}, seconds={"uniform": [0.2, 0.3]})
    began = time.perf_counter()
    assert (await api.get(api.v2("nodes"))).status == 200
    slow = time.perf_counter() - began
    began = time.perf_counter()
    await api.get("/edgesim/clock", token=None)
    fast = time.perf_counter() - began
    assert slow >= 0.2 and fast < 0.2


async def run_experiment(client: Api) -> list[tuple]:
    group_id, nodes = await site_group(client, nodes=3)
    body = {"deployment": {"name": "svc", "group_id": group_id, "app": {"name": "svc", "image_url": "nginx", "migration": True, "toleration_seconds": 60}}}
    await client.post(client.v2("deployments"), body)
    await fault(client, kind="node_crash", target={"group_id": group_id, "count": 1}, start=100, duration=300)
    await fault(client, kind="instance_crash", target={"group_id": group_id}, start=50, every=77, probability=0.5)
    await client.advance(2000)
    return [tuple(sorted((k, str(v)) for k, v in e.items())) for e in client.engine.events.events]


async def test_same_seed_same_faults_identical_event_log(api, tmp_path):
    first = await run_experiment(api)
    other = await start_api(tmp_path / "again.db")
    try:
        assert await run_experiment(other) == first
    finally:
        await stop_api(other)


async def test_experiment_report(api):
    group_id, (n1, n2) = await site_group(api)
    body = {"deployment": {"name": "svc", "group_id": group_id, "app": {"name": "svc", "image_url": "nginx", "migration": True, "toleration_seconds": 60}}}
    dep = (await api.post(api.v2("deployments"), body)).body["deployment"]["id"]
    await fault(api, kind="node_partition", target={"node_ids": [n1]}, start=100, duration=400)
    await advance_to(api, 1000)
    report = (await api.get("/edgesim/report?from=0&to=1000", token=None)).body
    [row] = report["deployments"]
    # running from 3; unknown at 140 (lost); migrated at 200, running on n2 at 203
    assert row["id"] == dep and row["migrations"] == 1
    assert row["availability"] == pytest.approx((1000 - 3 - 63) / 1000)
    assert row["recoveries"] == [{"fault_id": report["faults"][0]["id"], "fault_kind": "node_partition", "recovered_after": 103}]
    n1_name = (await api.get(api.v2(f"nodes/{n1}"))).body["node"]["name"]
    assert report["nodes"] == [{"id": n1, "name": n1_name, "down_seconds": 360}]  # FAIL 140-500
    window = (await api.get("/edgesim/report?from=600&to=1000", token=None)).body
    assert window["deployments"][0]["availability"] == 1.0 and window["nodes"] == []
    bad = await api.get("/edgesim/report?from=10&to=5", token=None)
    assert (bad.status, bad.body["error_code"]) == (400, "EDGESIM.0400")


async def test_faults_survive_a_restart(tmp_path):
    db = tmp_path / "r.db"
    api = await start_api(db)
    _, (n1, _) = await site_group(api)
    await fault(api, kind="node_partition", target={"node_ids": [n1]}, start=100, duration=100)
    await advance_to(api, 50)
    await stop_api(api)
    api = await start_api(db)
    try:
        await advance_to(api, 150)
        assert await node_state(api, n1) == "FAIL"
        await advance_to(api, 200)
        assert await node_state(api, n1) == "RUNNING"
    finally:
        await stop_api(api)
