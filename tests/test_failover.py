"""Node loss, toleration and migration on the virtual clock (ief-api.md section 7).

Pull 2 s and start 1 s are fixed, heartbeats every 10 s, a silent node is FAIL after 40 s.
"""

from __future__ import annotations

from collections import defaultdict

from conftest import FAST, Api, advance_to, instances, node_state, site_group, start_api, stop_api


async def group_deploy(api: Api, group_id: str, name: str = "app", migration: bool = True, toleration: int = 300, cpu: float = 1):
    body = {"deployment": {"name": name, "group_id": group_id, "app": {
        "name": name, "image_url": "nginx", "migration": migration, "toleration_seconds": toleration,
        "resources": {"requests": {"cpu": cpu}}}}}
    reply = await api.post(api.v2("deployments"), body)
    assert reply.status == 201, reply.body
    return reply.body["deployment"]["id"]


def assert_never_lost_or_doubled(api: Api) -> None:
    """Replay the event log: after every event no deployment runs more than its one copy, and
    every deployment keeps a copy that is not a stale one (running, starting, or unknown)."""
    state: dict[str, str] = {}
    owner: dict[str, str] = {}
    stale: set[str] = set()
    deleting: set[str] = set()
    for e in api.engine.events.events:
        kind, iid = e["kind"], e.get("instance_id")
        if kind == "deployment.deleting":
            deleting.add(e["deployment_id"])
        elif kind == "instance.created":
            state[iid], owner[iid] = e["state"], e["deployment_id"]
        elif kind == "instance.state":
            state[iid] = e["to"]
        elif kind == "instance.migrated":
            stale.add(iid)
        elif kind == "instance.migration_undone":
            stale.discard(iid)
        elif kind == "instance.removed":
            state.pop(iid, None)
        running, copies = defaultdict(int), defaultdict(int)
        for i, s in state.items():
            if i not in stale and s != "TERMINATING":
                copies[owner[i]] += 1
                running[owner[i]] += s == "RUNNING"
        assert all(n <= 1 for n in running.values()), f"doubled at {e}"
        present = {owner[i] for i in state} - deleting
        assert all(copies[d] >= 1 for d in present), f"lost at {e}"


async def test_exact_timeline_silent_fail_migrate_return(api):
    group_id, (n1, n2) = await site_group(api)
    dep = await group_deploy(api, group_id)
    [inst] = await instances(api, dep)
    assert inst["node_id"] == n1
    await advance_to(api, 100)
    reply = await api.post(f"/edgesim/nodes/{n1}/disconnect", token=None)
    assert reply.status == 200 and reply.body["silent_since"] == 100
    assert reply.body["last_heartbeat"] == 100  # the last report before it fell silent

    await advance_to(api, 139.9)
    assert await node_state(api, n1) == "RUNNING"
    assert [i["state"] for i in await instances(api, dep)] == ["RUNNING"]
    await advance_to(api, 140)
    assert await node_state(api, n1) == "FAIL"
    failed = (await api.get(api.v2(f"nodes/{n1}"))).body["node"]
    assert failed["error_reason"] == "the edge node has not reported since 100 s (no heartbeat for 40 s)"
    [lost] = await instances(api, dep)
    assert (lost["state"], lost["reason"]) == ("UNKNOWN", "NodeLost")

    await advance_to(api, 439.9)
    assert len(await instances(api, dep)) == 1
    await advance_to(api, 440)
    after = {i["id"]: i for i in await instances(api, dep)}
    new = next(i for i in after.values() if i["id"] != inst["id"])
    assert (new["node_id"], new["state"]) == (n2, "PENDING_CREATE")
    assert (after[inst["id"]]["state"], after[inst["id"]]["reason"]) == ("UNKNOWN", "Migrated")
    [migrated] = api.engine.events.query(kind="instance.migrated")
    assert (migrated["time"], migrated["from_node"], migrated["to_node"], migrated["reason"]) == (440, n1, n2, "NodeLost")
    await advance_to(api, 443)
    assert {i["id"]: i["state"] for i in await instances(api, dep)}[new["id"]] == "RUNNING"

    await advance_to(api, 600)
    assert (await api.post(f"/edgesim/nodes/{n1}/connect", token=None)).status == 200
    assert await node_state(api, n1) == "RUNNING"
    assert (await api.get(api.v2(f"nodes/{n1}"))).body["node"]["error_reason"] == ""
    assert [(i["id"], i["node_id"], i["state"]) for i in await instances(api, dep)] == [(new["id"], n2, "RUNNING")]
    [cleaned] = api.engine.events.query(kind="instance.cleaned_up")
    assert (cleaned["time"], cleaned["instance_id"]) == (600, inst["id"])
    node_changes = [(e["time"], e["to"]) for e in api.engine.events.query(kind="node.state", node_id=n1)]
    assert node_changes == [(140, "FAIL"), (600, "RUNNING")]
    assert_never_lost_or_doubled(api)


async def test_toleration_zero_migrates_when_the_node_is_marked_failed(api):
    group_id, (n1, n2) = await site_group(api)
    dep = await group_deploy(api, group_id, toleration=0)
    await advance_to(api, 10)
    await api.post(f"/edgesim/nodes/{n1}/disconnect", token=None)
    await advance_to(api, 50)
    [migrated] = api.engine.events.query(kind="instance.migrated")
    assert (migrated["time"], migrated["to_node"]) == (50, n2)
    await advance_to(api, 53)
    assert sorted(i["state"] for i in await instances(api, dep)) == ["RUNNING", "UNKNOWN"]
    assert_never_lost_or_doubled(api)


async def test_without_migration_the_instance_waits_for_its_node(api):
    group_id, (n1, _) = await site_group(api)
    dep = await group_deploy(api, group_id, migration=False)
    await advance_to(api, 10)
    await api.post(f"/edgesim/nodes/{n1}/disconnect", token=None)
    await advance_to(api, 1000)
    assert [(i["state"], i["node_id"]) for i in await instances(api, dep)] == [("UNKNOWN", n1)]
    await api.post(f"/edgesim/nodes/{n1}/connect", token=None)
    assert [(i["state"], i["reason"]) for i in await instances(api, dep)] == [("RUNNING", None)]
    assert api.engine.events.query(kind="instance.migrated") == []


async def test_node_ids_deployments_wait_for_their_node(api):
    _, (n1, _) = await site_group(api)
    dep = (await api.create("pinned", node_id=n1)).body["deployment"]["id"]
    await advance_to(api, 10)
    await api.post(f"/edgesim/nodes/{n1}/disconnect", token=None)
    await advance_to(api, 2000)
    assert [i["state"] for i in await instances(api, dep)] == ["UNKNOWN"]
    await api.post(f"/edgesim/nodes/{n1}/connect", token=None)
    assert [i["state"] for i in await instances(api, dep)] == ["RUNNING"]


async def test_returning_before_toleration_ends_means_no_migration(api):
    group_id, (n1, _) = await site_group(api)
    dep = await group_deploy(api, group_id)
    [inst] = await instances(api, dep)
    await advance_to(api, 100)
    await api.post(f"/edgesim/nodes/{n1}/disconnect", token=None)
    await advance_to(api, 300)  # FAIL at 140; migration would be at 440
    await api.post(f"/edgesim/nodes/{n1}/connect", token=None)
    await advance_to(api, 1000)
    assert [(i["id"], i["state"]) for i in await instances(api, dep)] == [(inst["id"], "RUNNING")]
    assert api.engine.events.query(kind="instance.migrated") == []
    assert_never_lost_or_doubled(api)


async def test_a_short_silence_within_the_grace_period_changes_nothing(api):
    group_id, (n1, _) = await site_group(api)
    dep = await group_deploy(api, group_id)
    await advance_to(api, 100)
    await api.post(f"/edgesim/nodes/{n1}/disconnect", token=None)
    await advance_to(api, 130)
    await api.post(f"/edgesim/nodes/{n1}/connect", token=None)
    await advance_to(api, 500)
    assert api.engine.events.query(kind="node.state", node_id=n1) == []
    assert [i["state"] for i in await instances(api, dep)] == ["RUNNING"]


async def test_no_room_in_the_group_waits_then_moves_when_room_appears(api):
    group_id, (n1, n2) = await site_group(api)
    dep = await group_deploy(api, group_id, cpu=3)
    blocker = (await api.create("blocker", node_id=n2, resources={"requests": {"cpu": 3}})).body["deployment"]["id"]
    await advance_to(api, 100)
    await api.post(f"/edgesim/nodes/{n1}/disconnect", token=None)
    await advance_to(api, 500)
    waiting = [i for i in await instances(api, dep) if i["state"] == "PENDING_CREATE"]
    assert [(i["node_id"], i["reason"]) for i in waiting] == [("", "Insufficient cpu")]
    [migrated] = api.engine.events.query(kind="instance.migrated")
    assert migrated["to_node"] is None
    await api.delete(api.v2(f"deployments/{blocker}"))
    await advance_to(api, 510)
    states = sorted((i["node_id"], i["state"]) for i in await instances(api, dep))
    assert states == sorted([(n1, "UNKNOWN"), (n2, "RUNNING")])
    assert_never_lost_or_doubled(api)


async def test_whole_group_down_waits_and_the_first_node_back_takes_it(api):
    group_id, (n1, n2) = await site_group(api)
    dep = await group_deploy(api, group_id)
    [inst] = await instances(api, dep)
    await advance_to(api, 100)
    for node in (n1, n2):
        await api.post(f"/edgesim/nodes/{node}/disconnect", token=None)
    await advance_to(api, 450)  # migrated at 440 but no node is RUNNING
    waiting = [i for i in await instances(api, dep) if i["state"] == "PENDING_CREATE"]
    assert [i["reason"] for i in waiting] == ["Unschedulable"]
    # its own node comes back first: the copy that never got a node is dropped, the original carries on
    await api.post(f"/edgesim/nodes/{n1}/connect", token=None)
    assert [(i["id"], i["state"]) for i in await instances(api, dep)] == [(inst["id"], "RUNNING")]
    await api.post(f"/edgesim/nodes/{n2}/connect", token=None)
    await advance_to(api, 600)
    assert [(i["id"], i["state"]) for i in await instances(api, dep)] == [(inst["id"], "RUNNING")]
    assert_never_lost_or_doubled(api)


async def test_whole_group_down_another_node_back_first_takes_the_copy(api):
    group_id, (n1, n2) = await site_group(api)
    dep = await group_deploy(api, group_id)
    await advance_to(api, 100)
    for node in (n1, n2):
        await api.post(f"/edgesim/nodes/{node}/disconnect", token=None)
    await advance_to(api, 450)
    await api.post(f"/edgesim/nodes/{n2}/connect", token=None)
    await advance_to(api, 453)
    assert sorted((i["node_id"], i["state"]) for i in await instances(api, dep)) == sorted([(n1, "UNKNOWN"), (n2, "RUNNING")])
    await api.post(f"/edgesim/nodes/{n1}/connect", token=None)
    assert [(i["node_id"], i["state"]) for i in await instances(api, dep)] == [(n2, "RUNNING")]
    assert_never_lost_or_doubled(api)


async def test_stop_is_an_administrative_silence(api):
    group_id, (n1, n2) = await site_group(api)
    dep = await group_deploy(api, group_id, toleration=60)
    await advance_to(api, 100)
    await api.post(api.v2(f"nodes/{n1}/action"), {"node": {"action": "stop"}})
    await advance_to(api, 140)
    assert await node_state(api, n1) == "STOPPED"
    assert [i["reason"] for i in await instances(api, dep)] == ["NodeLost"]
    await advance_to(api, 203)  # migrated at 200 (lost at 140 + 60), running 3 s later
    assert sorted((i["node_id"], i["state"]) for i in await instances(api, dep)) == sorted([(n1, "UNKNOWN"), (n2, "RUNNING")])
    await api.post(api.v2(f"nodes/{n1}/action"), {"node": {"action": "start"}})
    await advance_to(api, 300)  # its agent connects 5-15 s later
    assert await node_state(api, n1) == "RUNNING"
    assert [i["node_id"] for i in await instances(api, dep)] == [n2]
    assert_never_lost_or_doubled(api)


async def test_timers_pause_while_the_node_is_lost(api):
    group_id, (n1, _) = await site_group(api)
    await api.put("/edgesim/behaviors", [{**FAST[0], "exit": {"after": 300, "code": 1}}], token=None)
    dep = await group_deploy(api, group_id, migration=False)
    await advance_to(api, 100)
    await api.post(f"/edgesim/nodes/{n1}/disconnect", token=None)
    await advance_to(api, 1000)  # the crash due at 303 is not seen while the node is lost
    assert [e["to"] for e in api.engine.events.query(kind="instance.state", deployment_id=dep)] == ["RUNNING", "UNKNOWN"]
    await api.post(f"/edgesim/nodes/{n1}/connect", token=None)
    await api.advance(0)
    # back, then the crash seen, then restarted at once (kubelet: no back-off the first time)
    assert [e["to"] for e in api.engine.events.query(kind="instance.state", deployment_id=dep)][-3:] == ["RUNNING", "FAILED", "RUNNING"]


async def test_a_lost_node_and_its_pending_migration_survive_a_restart(tmp_path):
    db = tmp_path / "f.db"
    api = await start_api(db)
    group_id, (n1, n2) = await site_group(api)
    dep = await group_deploy(api, group_id)
    await advance_to(api, 100)
    await api.post(f"/edgesim/nodes/{n1}/disconnect", token=None)
    await advance_to(api, 200)
    await stop_api(api)
    api = await start_api(db)
    try:
        assert await node_state(api, n1) == "FAIL"
        await advance_to(api, 443)
        assert sorted((i["node_id"], i["state"]) for i in await instances(api, dep)) == sorted([(n1, "UNKNOWN"), (n2, "RUNNING")])
    finally:
        await stop_api(api)


async def test_disconnect_and_connect_refuse_what_makes_no_sense(api):
    node = (await api.post(api.v2("nodes"), {"node": {"name": "fresh"}})).body["node"]["id"]
    reply = await api.post(f"/edgesim/nodes/{node}/disconnect", token=None)
    assert (reply.status, reply.body["error_code"]) == (409, "IEF.100007")
    assert (await api.post(f"/edgesim/nodes/{node}/connect", token=None)).body["state"] == "RUNNING"
    missing = await api.post("/edgesim/nodes/nope/connect", token=None)
    assert (missing.status, missing.body["error_code"]) == (404, "EDGESIM.0404")


async def test_a_dead_node_whose_instances_moved_can_be_deleted(api):
    group_id, (n1, n2) = await site_group(api)
    dep = await group_deploy(api, group_id, toleration=0)
    await advance_to(api, 10)
    await api.post(f"/edgesim/nodes/{n1}/disconnect", token=None)
    await advance_to(api, 60)
    assert (await api.delete(api.v2(f"nodes/{n1}"))).status == 204
    assert [i["node_id"] for i in await instances(api, dep)] == [n2]
