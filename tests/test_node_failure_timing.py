"""Node failure timing (issue 19 item 7, part): FAIL counted from the last heartbeat, UNKNOWN
instances not ready, and the node controller's eviction rate.

Heartbeats every 10 s (from the node's creation at 0), grace 40 s, pull 2 s, start 1 s. The
api fixture's project has the configured fleet of 5 nodes besides the test's group: one zone.
"""

from __future__ import annotations

from edgesim.domain.models import Node
from edgesim.engine.clock import VirtualClock
from edgesim.engine.core import Core
from edgesim.engine.evictions import Evictions
from edgesim.settings import load_settings
from edgesim.store.sqlite import Store

from conftest import PROJECT_ID, Api, advance_to, instances, node_state, site_group, start_api, stop_api


async def group_deploy(api: Api, group_id: str, name: str, node_cpu: float = 4, toleration: int = 60) -> str:
    """One instance taking a whole node (cpu 4 of 4), so each deployment sits on its own node."""
    body = {"deployment": {"name": name, "group_id": group_id, "app": {
        "name": name, "image_url": "nginx", "migration": True, "toleration_seconds": toleration,
        "resources": {"requests": {"cpu": node_cpu}}}}}
    reply = await api.post(api.v2("deployments"), body)
    assert reply.status == 201, reply.body
    return reply.body["deployment"]["id"]


async def test_a_node_is_failed_grace_seconds_after_its_last_heartbeat(api):
    """Kubernetes node controller: a node is NotReady/Unknown when its last status update is
    older than --node-monitor-grace-period (40 s); heartbeats come every 10 s, so a node
    silent from 105 (last heartbeat at 100) fails at 140, not 145."""
    _, (n1, _) = await site_group(api)
    await advance_to(api, 105)
    reply = await api.post(f"/edgesim/nodes/{n1}/disconnect", token=None)
    assert (reply.body["silent_since"], reply.body["last_heartbeat"]) == (105, 100)
    await advance_to(api, 139.9)
    assert await node_state(api, n1) == "RUNNING"
    await advance_to(api, 140)
    assert await node_state(api, n1) == "FAIL"
    failed = (await api.get(api.v2(f"nodes/{n1}"))).body["node"]
    assert failed["error_reason"] == "the edge node has not reported since 100 s (no heartbeat for 40 s)"


async def test_a_partition_just_before_a_heartbeat_fails_soonest(api):
    _, (n1, _) = await site_group(api)
    reply = await api.post("/edgesim/chaos/faults", {"kind": "node_partition", "target": {"node_ids": [n1]},
                                                     "start": 119.5, "duration": 100}, token=None)
    assert reply.status == 201
    await advance_to(api, 149.9)
    assert await node_state(api, n1) == "RUNNING"
    await advance_to(api, 150)  # last heartbeat 110
    assert await node_state(api, n1) == "FAIL"


async def test_an_unknown_instance_is_not_ready(api):
    """Kubernetes marks a pod's Ready condition False/Unknown when its node is lost
    (MarkPodsNotReady): v2 ``is_ready`` and v3 ``is_ready`` are false, ``ready_replicas`` 0."""
    group_id, (n1, _) = await site_group(api)
    dep = (await api.create("app", node_id=n1)).body["deployment"]["id"]
    await advance_to(api, 100)
    assert [i["is_ready"] for i in await instances(api, dep)] == [True]
    await api.post(f"/edgesim/nodes/{n1}/disconnect", token=None)
    await advance_to(api, 140)
    v2 = (await api.get(api.v2(f"deployments/{dep}"))).body["deployment"]
    assert [(i["state"], i["is_ready"]) for i in v2["instances"]] == [("UNKNOWN", False)]
    assert v2["ready_replicas"] == 0
    v3 = (await api.get(f"/v3/{PROJECT_ID}/edgemgr/deployments/{dep}")).body
    assert v3["ready_replicas"] == 0
    pods = (await api.get(f"/v3/{PROJECT_ID}/edgemgr/pods?deployment_id={dep}")).body
    assert [(c["state"], c["is_ready"]) for p in pods["pods"] for c in p["containers"]] == [("UNKNOWN", "false")]
    await api.post(f"/edgesim/nodes/{n1}/connect", token=None)
    assert [(i["state"], i["is_ready"]) for i in await instances(api, dep)] == [("RUNNING", True)]


async def lose(api: Api, nodes: list[str], at: float = 100) -> None:
    await advance_to(api, at)
    for node in nodes:
        assert (await api.post(f"/edgesim/nodes/{node}/disconnect", token=None)).status == 200


def evictions(api: Api) -> list[tuple[float, str]]:
    return [(e["time"], e["node_id"]) for e in api.engine.events.query(kind="node.evicting")]


async def test_lost_nodes_are_evicted_one_every_ten_seconds(api):
    """--node-eviction-rate 0.1 (Kubernetes docs, "Rate limits on eviction"): three nodes lost
    at 140 in a zone of 8 (not 55% down) are tainted at 140, 150 and 160; each one's instance
    moves its toleration (60 s) after its taint."""
    group_id, nodes = await site_group(api, nodes=3)
    deps = [await group_deploy(api, group_id, f"app{i}") for i in range(3)]
    placed = {(await instances(api, d))[0]["node_id"]: d for d in deps}
    await lose(api, nodes)
    await advance_to(api, 300)
    assert evictions(api) == [(140, nodes[0]), (150, nodes[1]), (160, nodes[2])]
    moved = {e["from_node"]: e["time"] for e in api.engine.events.query(kind="instance.migrated")}
    assert moved == {nodes[0]: 200, nodes[1]: 210, nodes[2]: 220}
    assert set(placed) == set(nodes)


async def test_a_node_lost_long_after_the_last_eviction_is_evicted_at_once(api):
    group_id, nodes = await site_group(api, nodes=2)
    await lose(api, nodes[:1])
    await lose(api, nodes[1:], at=105)  # lost at 140 too (last heartbeat 100): one period later
    await lose(api, [], at=300)
    assert evictions(api) == [(140, nodes[0]), (150, nodes[1])]


async def test_an_unhealthy_small_zone_evicts_nothing_until_it_recovers(api):
    """--unhealthy-zone-threshold 0.55 with more than 2 nodes down makes the zone partially
    disrupted; a zone of at most --large-cluster-size-threshold (50) nodes then evicts nothing
    (ReducedQPSFunc). 7 of 11 down: held; 3 back (4 of 11): evictions go on at 0.1/s."""
    group_id, nodes = await site_group(api, nodes=6)
    fleet = [n for n in await api.node_ids() if n not in nodes]
    down = nodes + fleet[:1]
    await lose(api, down)
    await advance_to(api, 1000)
    assert evictions(api) == []
    assert api.engine.events.query(kind="instance.migrated") == []
    for node in down[:3]:
        await api.post(f"/edgesim/nodes/{node}/connect", token=None)
    await advance_to(api, 1100)
    still = sorted(down[3:], key=lambda n: n)
    assert evictions(api) == [(1000 + 10 * i, n) for i, n in enumerate(still)]


async def test_a_large_unhealthy_zone_evicts_at_the_secondary_rate(tmp_path):
    """In a zone larger than the threshold (here set to 5) the rate drops to
    --secondary-node-eviction-rate 0.01: one node every 100 s."""
    settings = load_settings()
    node = settings.simulation.node.model_copy(update={"large_zone_size": 5})
    settings = settings.model_copy(update={"simulation": settings.simulation.model_copy(update={"node": node})})
    api = await start_api(tmp_path / "z.db", settings=settings)
    try:
        _, nodes = await site_group(api, nodes=6)
        fleet = [n for n in await api.node_ids() if n not in nodes]
        down = sorted(nodes + fleet[:1])
        await lose(api, down)
        await advance_to(api, 400)
        assert evictions(api) == [(140, down[0]), (240, down[1]), (340, down[2])]
        assert [e["rate"] for e in api.engine.events.query(kind="node.evicting")] == [0.01] * 3
    finally:
        await stop_api(api)


async def test_a_whole_zone_down_evicts_nothing(api):
    """Full disruption (no node ready): the controller stops evicting (handleDisruption), so
    nothing migrates however long the outage; the first node back lets evictions start."""
    group_id, nodes = await site_group(api, nodes=2)
    dep = await group_deploy(api, group_id, "app", toleration=0)
    everyone = await api.node_ids()
    await lose(api, everyone)
    await advance_to(api, 2000)
    assert evictions(api) == [] and api.engine.events.query(kind="instance.migrated") == []
    [inst] = await instances(api, dep)
    assert inst["state"] == "UNKNOWN"
    others = [n for n in everyone if n != inst["node_id"]]
    await api.post(f"/edgesim/nodes/{others[0]}/connect", token=None)
    await advance_to(api, 2100)  # 1 of 7 ready: a small, partially disrupted zone still holds
    assert evictions(api) == []
    for node in others[1:]:
        await api.post(f"/edgesim/nodes/{node}/connect", token=None)
    await advance_to(api, 2103)  # 6 of 7 ready: evicted at once, moved (toleration 0), running
    assert evictions(api) == [(2100, inst["node_id"])]
    assert sorted(i["state"] for i in await instances(api, dep)) == ["RUNNING", "UNKNOWN"]


async def test_pending_evictions_survive_a_restart(tmp_path):
    db = tmp_path / "e.db"
    api = await start_api(db)
    try:
        _, nodes = await site_group(api, nodes=3)
        await lose(api, nodes)
        await advance_to(api, 145)
        await stop_api(api)
        api = await start_api(db)
        await advance_to(api, 300)
        assert evictions(api) == [(140, nodes[0]), (150, nodes[1]), (160, nodes[2])]
    finally:
        await stop_api(api)


def test_the_rate_rules_by_zone_state():
    """ComputeZoneState: normal, partial (>2 down and >= 55%), full (none ready)."""
    core = Core(load_settings(), VirtualClock(), Store(":memory:"), seed=0)
    limiter = Evictions(core, lambda node, at, change: None)

    def zone(up: int, down: int, size_extra: int = 0) -> list[Node]:
        return ([Node(id=f"u{i}", project_id="p", name=f"u{i}") for i in range(up)]
                + [Node(id=f"d{i}", project_id="p", name=f"d{i}", state="FAIL", lost_at=1.0) for i in range(down)])

    assert limiter.rate(zone(1, 2)) == 0.1  # 67% down but only 2 nodes
    assert limiter.rate(zone(2, 3)) == 0.0  # 60% of a small zone: held
    assert limiter.rate(zone(3, 3)) == 0.1  # 50%: normal
    assert limiter.rate(zone(20, 31)) == 0.01  # 61% of 51 nodes: the secondary rate
    assert limiter.rate(zone(0, 4)) == 0.0  # full disruption
