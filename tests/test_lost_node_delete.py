"""Deleting on a lost node waits for the node (issue 19 item 5).

Kubernetes docs, "Pod termination" and "Force deletion of pods": a graceful delete only marks
the pod; it goes when the kubelet on its node confirms, so a pod on an unreachable node stays
Terminating; a force delete removes the API object at once and the node cleans up later.
Pull 2 s, start 1 s, termination 1-2 s (drawn), heartbeats every 10 s, FAIL 40 s after the
last one.
"""

from __future__ import annotations

from conftest import Api, advance_to, instances, node_state, site_group, start_api, stop_api


async def lost_pinned(api: Api) -> tuple[str, str]:
    """A deployment pinned to n1, whose node is cut off at 100 (FAIL at 140)."""
    _, (n1, _) = await site_group(api)
    dep = (await api.create("app", node_id=n1)).body["deployment"]["id"]
    await advance_to(api, 100)
    await api.post(f"/edgesim/nodes/{n1}/disconnect", token=None)
    await advance_to(api, 200)
    assert await node_state(api, n1) == "FAIL"
    return n1, dep


async def test_a_graceful_delete_on_a_failed_node_waits_for_the_node(api):
    n1, dep = await lost_pinned(api)
    assert (await api.delete(api.v2(f"deployments/{dep}"))).status == 204
    await advance_to(api, 1000)
    shown = (await api.get(api.v2(f"deployments/{dep}"))).body["deployment"]
    assert shown["state"] == "PENDING_DELETE"
    [inst] = shown["instances"]
    assert (inst["state"], inst["message"]) == ("TERMINATING", f"waiting for node {n1} to confirm the deletion")
    listed = (await api.get(api.v2("deployments"))).body["deployments"]
    assert [d["id"] for d in listed] == [dep]
    await api.post(f"/edgesim/nodes/{n1}/connect", token=None)  # it hears of the delete now
    assert (await api.get(api.v2(f"deployments/{dep}"))).status == 200
    await advance_to(api, 1002)
    assert (await api.get(api.v2(f"deployments/{dep}"))).status == 404
    [deleted] = api.engine.events.query(kind="deployment.deleted", deployment_id=dep)
    assert 1001 <= deleted["time"] <= 1002


async def test_force_delete_removes_at_once_and_the_node_cleans_up_on_return(api):
    n1, dep = await lost_pinned(api)
    [inst] = await instances(api, dep)
    assert (await api.delete(api.v2(f"deployments/{dep}") + "?force_delete=true")).status == 204
    assert (await api.get(api.v2(f"deployments/{dep}"))).status == 404
    assert api.engine.events.query(kind="instance.cleaned_up") == []
    await advance_to(api, 500)
    await api.post(f"/edgesim/nodes/{n1}/connect", token=None)
    [cleaned] = api.engine.events.query(kind="instance.cleaned_up")
    assert (cleaned["time"], cleaned["instance_id"], cleaned["node_id"], cleaned["reason"]) == (500, inst["id"], n1, "ForceDeleted")
    assert api.engine.world.nodes[n1].cleanup_on_return == []


async def test_a_bad_force_delete_value_is_refused(api):
    n1, dep = await lost_pinned(api)
    reply = await api.delete(api.v2(f"deployments/{dep}") + "?force_delete=yes")
    assert (reply.status, reply.body["error_code"]) == (400, "IEF.100002")
    assert "force_delete" in reply.body["error_msg"]
    assert (await api.get(api.v2(f"deployments/{dep}"))).body["deployment"]["state"] != "PENDING_DELETE"


async def test_a_delete_within_the_grace_period_waits_too(api):
    """The node is silent but not yet FAIL: it cannot be told either."""
    _, (n1, _) = await site_group(api)
    dep = (await api.create("app", node_id=n1)).body["deployment"]["id"]
    await advance_to(api, 100)
    await api.post(f"/edgesim/nodes/{n1}/disconnect", token=None)
    await advance_to(api, 110)
    await api.delete(api.v2(f"deployments/{dep}"))
    await advance_to(api, 300)
    assert [i["state"] for i in await instances(api, dep)] == ["TERMINATING"]
    await api.post(f"/edgesim/nodes/{n1}/connect", token=None)
    await advance_to(api, 303)
    assert (await api.get(api.v2(f"deployments/{dep}"))).status == 404


async def test_a_delete_on_a_connected_node_is_not_held(api):
    _, (n1, _) = await site_group(api)
    dep = (await api.create("app", node_id=n1)).body["deployment"]["id"]
    await advance_to(api, 100)
    await api.delete(api.v2(f"deployments/{dep}"))
    await advance_to(api, 102)
    assert (await api.get(api.v2(f"deployments/{dep}"))).status == 404


async def test_a_crashed_node_confirms_at_boot(api):
    """Its containers died with it: nothing left to stop when it comes back."""
    _, (n1, _) = await site_group(api)
    dep = (await api.create("app", node_id=n1)).body["deployment"]["id"]
    await api.post("/edgesim/chaos/faults", {"kind": "node_crash", "target": {"node_ids": [n1]},
                                             "start": 100, "duration": 200}, token=None)
    await advance_to(api, 200)
    await api.delete(api.v2(f"deployments/{dep}"))
    await advance_to(api, 299)
    assert [i["state"] for i in await instances(api, dep)] == ["TERMINATING"]
    await advance_to(api, 300)
    assert (await api.get(api.v2(f"deployments/{dep}"))).status == 404
    [deleted] = api.engine.events.query(kind="deployment.deleted", deployment_id=dep)
    assert deleted["time"] == 300


async def test_a_waiting_delete_survives_a_restart(tmp_path):
    db = tmp_path / "d.db"
    api = await start_api(db)
    try:
        n1, dep = await lost_pinned(api)
        await api.delete(f"/v3/{api.project_id}/edgemgr/deployments/{dep}")  # v3 deletes the same way
        await stop_api(api)
        api = await start_api(db)
        await advance_to(api, 1000)
        assert [i["state"] for i in await instances(api, dep)] == ["TERMINATING"]
        await api.post(f"/edgesim/nodes/{n1}/connect", token=None)
        await advance_to(api, 1002)
        assert (await api.get(api.v2(f"deployments/{dep}"))).status == 404
    finally:
        await stop_api(api)


async def test_a_termination_begun_before_the_silence_is_confirmed_on_return(api):
    """The node had the delete before it went silent: it terminated at the edge; the record
    goes when the node reports again, and a waiting instance takes the room then."""
    _, (n1, _) = await site_group(api)
    dep = (await api.create("big", node_id=n1, resources={"requests": {"cpu": 4}})).body["deployment"]["id"]
    await advance_to(api, 100)
    await api.delete(api.v2(f"deployments/{dep}"))
    waiting = (await api.create("next", node_id=n1, resources={"requests": {"cpu": 4}})).body["deployment"]["id"]
    await api.post(f"/edgesim/nodes/{n1}/disconnect", token=None)
    await advance_to(api, 200)
    assert [i["state"] for i in await instances(api, dep)] == ["TERMINATING"]
    await api.post(f"/edgesim/nodes/{n1}/connect", token=None)
    [removed] = api.engine.events.query(kind="instance.removed", deployment_id=dep)
    assert removed["time"] == 200 and "edge_time" not in removed
    [placed] = await instances(api, waiting)
    assert (placed["state"], placed["reason"]) == ("PENDING_CREATE", "ContainerCreating")
    await advance_to(api, 203)
    assert [i["state"] for i in await instances(api, waiting)] == ["RUNNING"]
