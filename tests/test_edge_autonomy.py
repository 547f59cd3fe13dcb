"""Edge autonomy: a node cut off from the cloud runs on, a crashed one reboots (issue 19 item 3).

Pull 2 s and start 1 s are fixed, heartbeats every 10 s, a silent node is FAIL 40 s after its
last heartbeat. A container exiting 30 s after each start runs from t=3 and, restarted as the
kubelet restarts it (at once, then 10, 20, 40, 80 s), exits at 33, 63, 103, 153, 223.
"""

from __future__ import annotations

from conftest import FAST, Api, advance_to, instances, site_group, start_api, stop_api

CRASH_LOOP = [{**FAST[0], "exit": {"after": 30, "code": 1}}]


async def pinned(api: Api, n1: str, profile: list[dict], **app) -> str:
    assert (await api.put("/edgesim/behaviors", profile, token=None)).status == 200
    return (await api.create("app", node_id=n1, **app)).body["deployment"]["id"]


def exits(api: Api, dep: str) -> list[tuple[float, float | None]]:
    return [(e["time"], e.get("edge_time")) for e in api.engine.events.query(kind="instance.exited", deployment_id=dep)]


async def test_a_crash_loop_keeps_restarting_at_the_edge_during_a_partition(api):
    """KubeEdge edge autonomy (docs "Edge autonomy": edgecore keeps managing pods offline): the
    kubelet restarts the container at the edge while the cloud cannot see; the cloud shows
    UNKNOWN, then on reconnect what happened, each event dated when it happened at the edge
    (``edge_time``) and published at reconnect (``time``)."""
    _, (n1, _) = await site_group(api)
    dep = await pinned(api, n1, CRASH_LOOP)
    await advance_to(api, 50)
    await api.post(f"/edgesim/nodes/{n1}/disconnect", token=None)
    await advance_to(api, 89.9)
    [seen] = await instances(api, dep)
    assert (seen["state"], seen["restarts"]) == ("RUNNING", 1)  # the last the cloud heard: restarted at 33
    await advance_to(api, 90)
    [lost] = await instances(api, dep)
    assert (lost["state"], lost["is_ready"]) == ("UNKNOWN", False)
    await advance_to(api, 300)
    assert exits(api, dep) == [(33, None)]  # nothing heard from the edge yet
    await api.post(f"/edgesim/nodes/{n1}/connect", token=None)
    [back] = await instances(api, dep)
    # exited at 223 at the edge, waiting its 80 s back-off; restarted at 33, 73, 123, 193
    assert (back["state"], back["reason"], back["restarts"]) == ("FAILED", "CrashLoopBackOff", 4)
    assert exits(api, dep) == [(33, None), (300, 63), (300, 103), (300, 153), (300, 223)]
    published = [e for e in api.engine.events.query(deployment_id=dep) if "edge_time" in e]
    assert [e["edge_time"] for e in published] == sorted(e["edge_time"] for e in published)
    await advance_to(api, 303)
    [again] = await instances(api, dep)
    assert (again["state"], again["restarts"]) == ("RUNNING", 5)
    assert "edge_time" not in api.engine.events.query(kind="instance.state", deployment_id=dep)[-1]


async def test_a_container_that_exits_at_the_edge_ends_there(api):
    """Kubernetes restart policy Never (Pod Lifecycle, "Container restart policy"): a container
    exiting with 0 while its node is cut off is SUCCEEDED; the cloud learns it on reconnect."""
    _, (n1, _) = await site_group(api)
    dep = await pinned(api, n1, [{**FAST[0], "exit": {"after": 100, "code": 0}}],
                       configs={"restart_policy": "Never"})
    await advance_to(api, 50)
    await api.post(f"/edgesim/nodes/{n1}/disconnect", token=None)
    await advance_to(api, 200)
    assert [i["state"] for i in await instances(api, dep)] == ["UNKNOWN"]
    await api.post(f"/edgesim/nodes/{n1}/connect", token=None)
    [done] = await instances(api, dep)
    assert (done["state"], done["reason"], done["restarts"]) == ("SUCCEEDED", "Completed", 0)
    [ended] = api.engine.events.query(kind="instance.state", deployment_id=dep, to="SUCCEEDED")
    assert (ended["time"], ended["edge_time"]) == (200, 103)


async def test_a_short_silence_is_caught_up_too(api):
    """Within the grace period the cloud still shows the node RUNNING and the last state it
    heard; what the edge did meanwhile arrives with the next report."""
    _, (n1, _) = await site_group(api)
    dep = await pinned(api, n1, CRASH_LOOP)
    await advance_to(api, 50)
    await api.post(f"/edgesim/nodes/{n1}/disconnect", token=None)
    await advance_to(api, 80)
    assert exits(api, dep) == [(33, None)]
    await api.post(f"/edgesim/nodes/{n1}/connect", token=None)
    assert exits(api, dep) == [(33, None), (80, 63)]
    [inst] = await instances(api, dep)
    assert (inst["state"], inst["restarts"]) == ("RUNNING", 2)  # restarted at 73 at the edge


async def test_a_crashed_node_restarts_its_containers_as_a_rebooted_kubelet_does(api):
    """A powered-off node runs nothing: its container died at the crash (``edge_time``, ran
    for 27 s), and the rebooted kubelet starts it at once, its in-memory back-off gone
    (client-go flowcontrol.Backoff is per kubelet process), so the next failure waits 10 s."""
    _, (n1, _) = await site_group(api)
    dep = await pinned(api, n1, CRASH_LOOP)
    reply = await api.post("/edgesim/chaos/faults", {"kind": "node_crash", "target": {"node_ids": [n1]},
                                                     "start": 100, "duration": 100}, token=None)
    assert reply.status == 201
    await advance_to(api, 200)
    [back] = await instances(api, dep)
    assert (back["state"], back["restarts"]) == ("RUNNING", 3)  # 33, 73 and at boot
    died = api.engine.events.query(kind="instance.exited", deployment_id=dep)[-1]
    assert (died["time"], died["edge_time"], died["ran_for"]) == (200, 100, 27)
    await advance_to(api, 235)
    assert (await instances(api, dep))[0]["state"] == "FAILED"  # exited at 230, back-off 10 s
    await advance_to(api, 240)
    assert (await instances(api, dep))[0]["restarts"] == 4


async def test_a_partition_then_a_crash_runs_until_the_crash(api):
    """Cut off at 50, powered off at 120: the edge ran the crash loop until 120, nothing after."""
    _, (n1, _) = await site_group(api)
    dep = await pinned(api, n1, CRASH_LOOP)
    await advance_to(api, 50)
    await api.post(f"/edgesim/nodes/{n1}/disconnect", token=None)
    await api.post("/edgesim/chaos/faults", {"kind": "node_crash", "target": {"node_ids": [n1]},
                                             "start": 120, "duration": 180}, token=None)
    await advance_to(api, 300)
    await api.post(f"/edgesim/nodes/{n1}/connect", token=None)
    assert exits(api, dep) == [(33, None), (300, 63), (300, 103)]  # restarted at 73, then at 123 it was off
    [inst] = await instances(api, dep)
    assert (inst["state"], inst["restarts"]) == ("RUNNING", 3)  # 33, 73 and at boot


async def run_partition(db, restart_at: float | None) -> list[dict]:
    api = await start_api(db)
    try:
        _, (n1, _) = await site_group(api)
        await pinned(api, n1, CRASH_LOOP)
        await advance_to(api, 50)
        await api.post(f"/edgesim/nodes/{n1}/disconnect", token=None)
        if restart_at is not None:
            await advance_to(api, restart_at)
            await stop_api(api)
            api = await start_api(db)
        await advance_to(api, 300)
        await api.post(f"/edgesim/nodes/{n1}/connect", token=None)
        await advance_to(api, 400)
        return (await api.get("/edgesim/events?limit=10000", token=None)).body["events"]
    finally:
        await stop_api(api)


async def test_the_caught_up_log_is_the_same_run_after_run_and_across_a_restart(tmp_path):
    """Same seed and requests give a byte-identical log; a restart during the partition too."""
    first = await run_partition(tmp_path / "a.db", None)
    second = await run_partition(tmp_path / "b.db", None)
    restarted = await run_partition(tmp_path / "c.db", 200)
    assert first == second == restarted
    assert any("edge_time" in e for e in first)
