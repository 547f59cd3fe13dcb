"""Nodes and instances use cpu and memory over time as their behaviour profiles say; the use is
in GET /edgesim/usage and /edgesim/metrics (per node and per deployment, never per instance);
a node whose containers' memory reaches its eviction threshold evicts as the kubelet does.

References: Kubernetes docs, "Node-pressure Eviction" (hard threshold memory.available<100Mi,
pods using more than their request evicted first, ranked by use above the request, no grace
period for a hard threshold, the eviction manager's 10 s monitoring period), "Resource
Management for Pods and Containers" (a cpu limit throttles, a memory limit OOM-kills).

Pull 2 s and start 1 s: a container created at t=0 runs from t=3.
"""

from __future__ import annotations

from conftest import PROJECT_ID, Api, advance_to, instances, start_api, stop_api

SMALL = {"cpu": [2, 2], "memory_mb": [1024, 1024]}  # threshold 1024 - 100 = 924 MB


async def fleet(api: Api, profiles: list[dict], nodes: int = 1) -> tuple[str, list[str]]:
    profiles = [*profiles, {"match": "*", "pull": {"seconds": 2}, "start": {"seconds": 1}}]
    assert (await api.put("/edgesim/behaviors", profiles, token=None)).status == 200
    reply = await api.post("/edgesim/fleet", {"nodes": nodes, "groups": {"small": nodes}, "profile": SMALL,
                                              "name_prefix": "small"}, token=None)
    group = reply.body["groups"][0]
    return group["id"], sorted(group["node_ids"])


def profile(match: str, **use) -> dict:
    return {"match": match, "pull": {"seconds": 2}, "start": {"seconds": 1}, **use}


async def usage(api: Api, **query: str) -> dict:
    qs = "&".join(f"{k}={v}" for k, v in query.items())
    reply = await api.get(f"/edgesim/usage?{qs}", token=None)
    assert reply.status == 200, reply.body
    return reply.body


async def metrics(api: Api) -> str:
    async with api.session.get(api.url + "/edgesim/metrics") as resp:
        return await resp.text()


def evictions(api: Api, dep: str | None = None) -> list[tuple[float, float]]:
    filters = {"deployment_id": dep} if dep else {}
    return [(e["time"], e["memory_mb"]) for e in api.engine.events.query(kind="instance.evicted", **filters)]


async def test_instances_use_cpu_and_memory_as_their_profile_grows_them(api):
    """cores 0.2 + 0.1/min, memory 100 MB + 10 MB/min, from t=3: at t=63, 0.3 cores and 110 MB;
    nothing before the container runs."""
    _, [node] = await fleet(api, [profile("*/app:*", cpu={"cores": 0.2, "grow_cores_per_min": 0.1},
                                          memory={"mb": 100, "grow_mb_per_min": 10})])
    dep = (await api.create("app", node_id=node, image_url="registry/app:1")).body["deployment"]["id"]
    await advance_to(api, 2)
    assert [(i["cpu_cores"], i["memory_mb"]) for i in (await usage(api))["instances"]] == [(0, 0)]
    await advance_to(api, 63)
    body = await usage(api, deployment_id=dep)
    assert [(i["cpu_cores"], i["memory_mb"]) for i in body["instances"]] == [(0.3, 110)]
    [row] = body["nodes"]
    assert (row["node_id"], row["cpu_cores"], row["memory_mb"], row["memory_capacity_mb"], row["memory_pressure"]) == (
        node, 0.3, 110, 1024, False)


async def test_a_cpu_limit_throttles_and_the_node_shares_its_cores(api):
    _, [node] = await fleet(api, [profile("*/busy:*", cpu={"cores": 1.5, "grow_cores_per_min": 0})])
    await api.create("capped", node_id=node, image_url="registry/busy:1", resources={"limits": {"cpu": 0.5, "memory": 512}})
    await api.create("free", node_id=node, image_url="registry/busy:1")
    await api.create("free2", node_id=node, image_url="registry/busy:1")
    await advance_to(api, 10)
    body = await usage(api, node_id=node)
    assert sorted(i["cpu_cores"] for i in body["instances"]) == [0.5, 1.5, 1.5]
    assert body["nodes"][0]["cpu_cores"] == 2  # 3.5 cores asked of 2: the node has 2


async def test_metrics_show_use_per_node_and_per_deployment_without_instance_labels(api):
    _, [node] = await fleet(api, [profile("*/app:*", cpu={"cores": 0.25}, memory={"mb": 100})])
    group = (await api.get(api.v2("groups"))).body["edge_groups"][0]["id"]
    reply = await api.post(f"/v3/{PROJECT_ID}/edgemgr/deployments", {
        "name": "two", "group_id": group, "deployment": {"replicas": 2, "template": {
            "configs": {"restart_policy": "Always"}, "containers": [{"name": "c", "image_url": "registry/app:1"}]}}})
    dep = reply.body["id"]
    await advance_to(api, 10)
    text = await metrics(api)
    assert f'edgesim_node_cpu_usage_cores{{node_id="{node}"}} 0.5' in text
    assert f'edgesim_node_memory_usage_mb{{node_id="{node}"}} 200.0' in text
    assert f'edgesim_deployment_cpu_usage_cores{{deployment_id="{dep}"}} 0.5' in text
    assert f'edgesim_deployment_memory_usage_mb{{deployment_id="{dep}"}} 200.0' in text
    assert f'edgesim_node_memory_pressure{{node_id="{node}"}} 0.0' in text
    assert "instance_id" not in text


async def test_a_node_reaching_its_memory_threshold_evicts_and_the_deployment_replaces(api):
    """200 MB + 100 MB/min from t=3 on a 1024 MB node: 924 MB at t = 3 + 724/100*60 = 437.4:
    evicted then (FAILED, Evicted), removed, a new instance created on the node at once; it
    runs from 440.4 and reaches the threshold again at 874.8."""
    _, [node] = await fleet(api, [profile("*/leaky:*", memory={"mb": 200, "grow_mb_per_min": 100})])
    dep = (await api.create("leaky", node_id=node, image_url="registry/leaky:1")).body["deployment"]["id"]
    [first] = await instances(api, dep)
    await advance_to(api, 437.3)
    assert evictions(api) == []
    assert (await usage(api, node_id=node))["nodes"][0]["memory_pressure"] is False
    await advance_to(api, 437.4)
    assert evictions(api, dep) == [(437.4, 924.0)]
    states = [(e["time"], e["instance_id"], e["to"], e["reason"]) for e in api.engine.events.query(kind="instance.state", deployment_id=dep)]
    assert states[-1] == (437.4, first["id"], "FAILED", "Evicted")
    [second] = await instances(api, dep)
    assert second["id"] != first["id"] and (second["state"], second["node_id"]) == ("PENDING_CREATE", node)
    await advance_to(api, 440.4)
    assert (await instances(api, dep))[0]["state"] == "RUNNING"
    await advance_to(api, 880)
    assert [t for t, _ in evictions(api, dep)] == [437.4, 874.8]
    text = await metrics(api)
    assert "edgesim_evictions_total 2.0" in text


async def test_the_pod_most_above_its_request_goes_first_and_one_at_a_time(api):
    """Two leaky deployments on one node (300 MB each at start, +60 and +30 MB/min, from t=3):
    924 MB at t = 3 + 324/90*60 = 219; "big" (request 512 MB) is below its request, "small"
    (request 0) above it: small is evicted, big is not."""
    _, [node] = await fleet(api, [profile("*/big:*", memory={"mb": 300, "grow_mb_per_min": 60}),
                                  profile("*/small:*", memory={"mb": 300, "grow_mb_per_min": 30})])
    big = (await api.create("big", node_id=node, image_url="registry/big:1",
                            resources={"requests": {"memory": 512}})).body["deployment"]["id"]
    small = (await api.create("small", node_id=node, image_url="registry/small:1")).body["deployment"]["id"]
    await advance_to(api, 219.5)
    assert evictions(api, small) == [(219, 408.0)] and evictions(api, big) == []


async def test_one_pod_at_a_time_a_monitoring_period_apart(api):
    """Two 600 MB pods (no growth) on a 1024 MB node are over the threshold as soon as both run
    (t=3): one is evicted at 3; its replacement runs at 6, over again, but the kubelet looks
    again only at 13; and so on every 10 s, the two deployments' pods in turn (the larger use
    above the request first; equal: the smaller instance id)."""
    _, [node] = await fleet(api, [profile("*/hog:*", memory={"mb": 600})])
    for name in ("a", "b"):
        await api.create(name, node_id=node, image_url="registry/hog:1")
    await advance_to(api, 40)
    assert [t for t, _ in evictions(api)] == [3, 13, 23, 33]


async def test_without_growth_nothing_is_scheduled_and_nothing_is_evicted(api):
    _, [node] = await fleet(api, [profile("*/steady:*", memory={"mb": 400})])
    for name in ("a", "b"):
        await api.create(name, node_id=node, image_url="registry/steady:1")
    await advance_to(api, 10)
    assert f"pressure:{node}" not in api.engine.core.timers
    await advance_to(api, 86400)
    assert evictions(api) == []


async def test_a_memory_limit_oom_kills_before_the_node_is_pressed(api):
    """With a 500 MB limit, the leak OOM-kills the container at its limit (age 180 s), so the
    node never reaches its threshold."""
    _, [node] = await fleet(api, [profile("*/leaky:*", memory={"mb": 200, "grow_mb_per_min": 100})])
    dep = (await api.create("leaky", node_id=node, image_url="registry/leaky:1",
                            resources={"limits": {"memory": 500}})).body["deployment"]["id"]
    await advance_to(api, 600)
    exits = [(e["time"], e["reason"]) for e in api.engine.events.query(kind="instance.exited", deployment_id=dep)]
    assert exits[0] == (183, "OOMKilled") and evictions(api) == []


async def test_the_eviction_time_survives_a_restart(tmp_path):
    db = tmp_path / "edgesim.db"
    api = await start_api(db)
    try:
        _, [node] = await fleet(api, [profile("*/leaky:*", memory={"mb": 200, "grow_mb_per_min": 100})])
        dep = (await api.create("leaky", node_id=node, image_url="registry/leaky:1")).body["deployment"]["id"]
        await advance_to(api, 100)
        before = await usage(api)
    finally:
        await stop_api(api)
    api = await start_api(db)
    try:
        assert await usage(api) == before
        await advance_to(api, 440)
        assert evictions(api, dep) == [(437.4, 924.0)]
    finally:
        await stop_api(api)


async def test_bad_cpu_profiles_and_unknown_usage_filters_are_refused(api):
    for cpu, field in [({"cores": -1}, "[0].cpu.cores"), ({"cores": 2000}, "[0].cpu.cores"),
                       ({"grow_cores_per_min": "1"}, "[0].cpu.grow_cores_per_min"), ({"max": 1}, "[0].cpu.max")]:
        reply = await api.put("/edgesim/behaviors", [{"match": "*", "cpu": cpu}], token=None)
        assert (reply.status, reply.body["error_code"]) == (400, "EDGESIM.0400"), reply.body
        assert field in reply.body["error_msg"], reply.body
    reply = await api.get("/edgesim/usage?instance_id=x", token=None)
    assert reply.status == 400 and "instance_id" in reply.body["error_msg"]


async def test_the_same_seed_and_requests_give_the_same_event_log_twice(tmp_path):
    """Affinity, pull back-off, termination grace and eviction together, run twice: byte-identical."""
    import orjson

    async def run(db) -> bytes:
        api = await start_api(db, seed=7)
        try:
            group_id, nodes = await fleet(api, [profile("*/leaky:*", memory={"mb": 200, "grow_mb_per_min": 100},
                                                        stop={"seconds": {"uniform": [1, 40]}}),
                                                profile("*/missing:*", pull={"seconds": 2, "result": "not_found"})], nodes=3)
            affinity = {"podAntiAffinity": {"preferredDuringSchedulingIgnoredDuringExecution": [
                {"weight": 50, "podAffinityTerm": {"labelSelector": {"matchLabels": {"app": "leaky"}},
                                                   "topologyKey": "kubernetes.io/hostname"}}]}}
            reply = await api.post(f"/v3/{PROJECT_ID}/edgemgr/deployments", {
                "name": "leaky", "group_id": group_id, "deployment": {"replicas": 4, "template": {
                    "configs": {"restart_policy": "Always"}, "affinity": affinity,
                    "containers": [{"name": "c", "image_url": "registry/leaky:1"}]}}})
            assert reply.status == 201, reply.body
            await api.create("missing", node_id=nodes[0], image_url="registry/missing:1")
            await advance_to(api, 900)
            await api.delete(f"/v3/{PROJECT_ID}/edgemgr/deployments/{reply.body['id']}")
            await advance_to(api, 1000)
            _, events = await api.engine.events.find()
            return b"".join(orjson.dumps(e, option=orjson.OPT_SORT_KEYS) + b"\n" for e in events)
        finally:
            await stop_api(api)

    first, second = await run(tmp_path / "a.db"), await run(tmp_path / "b.db")
    assert first == second
    assert b"instance.evicted" in first and b"instance.pull_failed" in first
