"""Offline self-healing: the v3 ``autonomy_edge_selector`` annotation (issue 19 item 4).

Source: the SDK's ``Annotations.autonomy_edge_selector`` ("离线自愈功能配置字段，须填写调度的节点组id":
the offline self-healing field, the id of the node group to schedule in) and IEF's user guide
on offline self-healing: while the cloud is unreachable, instances of a failed edge node are
rescheduled on other nodes of the group. Pull 2 s, start 1 s, a node is FAIL 40 s after its
last heartbeat; the cloud's own migration waits ``toleration_seconds`` (300) after that.
"""

from __future__ import annotations

from conftest import FAST, Api, advance_to, site_group

V3 = "/v3/{}/edgemgr/deployments"


def v3_body(group_id: str, annotations: dict | None = None, **target) -> dict:
    spec: dict = {"replicas": 1, "template": {"configs": {"restart_policy": "Always", "migration": True},
                                              "containers": [{"name": "web", "image_url": "nginx:1.25"}]}}
    if annotations is not None:
        spec["annotations"] = annotations
    return {"name": "web", **(target or {"group_id": group_id}), "deployment": spec}


async def deploy(api: Api, group_id: str, heal: bool) -> str:
    annotations = {"autonomy_edge_selector": group_id} if heal else None
    reply = await api.post(V3.format(api.project_id), v3_body(group_id, annotations))
    assert reply.status == 201, reply.body
    return reply.body["id"]


async def pods(api: Api, dep: str) -> list[dict]:
    return (await api.get(api.v2(f"deployments/{dep}"))).body["deployment"]["instances"]


async def crash(api: Api, node_ids: list[str], kind: str = "node_crash", duration: float = 1000) -> None:
    reply = await api.post("/edgesim/chaos/faults", {"kind": kind, "target": {"node_ids": node_ids},
                                                     "start": 100, "duration": duration}, token=None)
    assert reply.status == 201, reply.body


async def test_a_crashed_nodes_instance_moves_within_the_group_without_toleration(api):
    group_id, nodes = await site_group(api, nodes=3)
    assert (await api.put("/edgesim/behaviors", FAST, token=None)).status == 200
    dep = await deploy(api, group_id, heal=True)
    [first] = await pods(api, dep)
    await crash(api, [first["node_id"]])
    await advance_to(api, 139.9)
    assert len(await pods(api, dep)) == 1
    await advance_to(api, 140)  # the group sees it fail as the cloud does: no toleration to wait
    [moved] = api.engine.events.query(kind="instance.migrated")
    assert (moved["time"], moved["from_node"], moved["reason"]) == (140, first["node_id"], "EdgeSelfHealing")
    assert moved["to_node"] in nodes and moved["to_node"] != first["node_id"]
    await advance_to(api, 143)
    live = [(p["node_id"], p["state"]) for p in await pods(api, dep) if p["id"] != first["id"]]
    assert live == [(moved["to_node"], "RUNNING")]
    await advance_to(api, 1100)  # the crashed node returns: its stale copy goes
    assert [p["node_id"] for p in await pods(api, dep)] == [moved["to_node"]]


async def test_without_the_annotation_the_cloud_waits_for_the_toleration(api):
    group_id, _ = await site_group(api, nodes=3)
    dep = await deploy(api, group_id, heal=False)
    [first] = await pods(api, dep)
    await crash(api, [first["node_id"]])
    await advance_to(api, 439.9)
    assert api.engine.events.query(kind="instance.migrated") == []
    await advance_to(api, 440)
    [moved] = api.engine.events.query(kind="instance.migrated")
    assert (moved["time"], moved["reason"]) == (440, "NodeLost")


async def test_it_heals_while_the_whole_site_is_cut_off_from_the_cloud(api):
    """The site's link to the cloud is down and one of its nodes crashes: the others, which
    still reach one another, take its instance; the cloud learns it when the site reconnects."""
    group_id, nodes = await site_group(api, nodes=3)
    dep = await deploy(api, group_id, heal=True)
    [first] = await pods(api, dep)
    others = [n for n in nodes if n != first["node_id"]]
    await crash(api, others, kind="node_partition", duration=200)
    await crash(api, [first["node_id"]], duration=1000)
    await advance_to(api, 140)
    [moved] = api.engine.events.query(kind="instance.migrated")
    assert (moved["time"], moved["reason"]) == (140, "EdgeSelfHealing") and moved["to_node"] in others
    await advance_to(api, 300)  # the site reconnects: the copy started at the edge at 143
    healed = [p for p in await pods(api, dep) if p["node_id"] == moved["to_node"]]
    assert [p["state"] for p in healed] == ["RUNNING"]
    [started] = [e for e in api.engine.events.query(kind="instance.state", to="RUNNING") if e["instance_id"] == healed[0]["id"]]
    assert (started["time"], started["edge_time"]) == (300, 143)


async def test_a_partitioned_node_keeps_its_instance(api):
    """Cut off from the cloud is not failed: its containers run on, so nothing moves."""
    group_id, _ = await site_group(api, nodes=3)
    dep = await deploy(api, group_id, heal=True)
    [first] = await pods(api, dep)
    await crash(api, [first["node_id"]], kind="node_partition", duration=200)
    await advance_to(api, 300)
    assert api.engine.events.query(kind="instance.migrated") == []
    assert [(p["id"], p["state"]) for p in await pods(api, dep)] == [(first["id"], "RUNNING")]


async def test_the_annotation_must_name_the_deployments_own_group(api):
    group_id, nodes = await site_group(api, nodes=2)
    wrong = await api.post(V3.format(api.project_id), v3_body(group_id, {"autonomy_edge_selector": "nope"}))
    assert (wrong.status, wrong.body["error_code"]) == (400, "IEF.100002")
    assert "deployment.annotations.autonomy_edge_selector" in wrong.body["error_msg"]
    pinned = await api.post(V3.format(api.project_id),
                            v3_body(group_id, {"autonomy_edge_selector": group_id}, node_ids=[nodes[0]]))
    assert (pinned.status, pinned.body["error_code"]) == (400, "IEF.100002")
    assert "give group_id" in pinned.body["error_msg"]
    assert (await api.get(api.v2("deployments"))).body["deployments"] == []
    ok = await api.post(V3.format(api.project_id), v3_body(group_id, {"autonomy_edge_selector": group_id}))
    assert ok.status == 201
    assert ok.body["annotations"] == {"autonomy_edge_selector": group_id}
