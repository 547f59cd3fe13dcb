"""Issue 19 leftovers: what happens to a silent node's instances, node pressure, and scoring.

Pull 2 s and start 1 s are fixed, heartbeats every 10 s from the node's creation at 0, a silent
node is FAIL 40 s after its last heartbeat (cut off at 50: FAIL at 90). Each test cites the rule
it pins; docs/behaviors.md has them with their sources.
"""

from __future__ import annotations

import orjson

from edgesim.settings import load_settings

from conftest import FAST, PROJECT_ID, Api, advance_to, instances, site_group, start_api, stop_api

V3 = f"/v3/{PROJECT_ID}/edgemgr"


def exits(api: Api, dep: str) -> list[tuple[float, float | None, int, str]]:
    return [(e["time"], e.get("edge_time"), e["code"], e["reason"])
            for e in api.engine.events.query(kind="instance.exited", deployment_id=dep)]


async def fault(api: Api, **spec) -> dict:
    reply = await api.post("/edgesim/chaos/faults", spec, token=None)
    assert reply.status == 201, reply.body
    return reply.body


async def pinned(api: Api, node: str, name: str = "app") -> str:
    return (await api.create(name, node_id=node)).body["deployment"]["id"]


# --- 1. instance faults on a silent node act at the edge ----------------------------------------


async def test_instance_faults_on_a_silent_node_act_at_the_edge_and_are_learned_on_reconnect(api):
    """KubeEdge edge autonomy: while the cloud cannot see the node its containers live there,
    so a crash (at 70, in the grace window) and an OOM kill (at 120, the node FAIL) happen at
    the edge; the cloud learns both at 200, dated when they happened (``edge_time``). The
    kubelet restarts at once the first time, then after 10 s (doBackOff): running again at 70
    and 130, 2 restarts. Before, the crash at 70 hit the instance live in the cloud view."""
    _, (n1, _) = await site_group(api)
    dep = await pinned(api, n1)
    await advance_to(api, 50)
    await api.post(f"/edgesim/nodes/{n1}/disconnect", token=None)
    await fault(api, kind="instance_crash", target={"node_ids": [n1]}, start=70, exit_code=3)
    await fault(api, kind="oom_kill", target={"node_ids": [n1]}, start=120)
    await advance_to(api, 199)
    [seen] = await instances(api, dep)
    assert (seen["state"], seen["restarts"]) == ("UNKNOWN", 0)
    assert exits(api, dep) == [] and api.engine.events.query(kind="fault.hit") == []
    await advance_to(api, 200)
    await api.post(f"/edgesim/nodes/{n1}/connect", token=None)
    assert exits(api, dep) == [(200, 70, 3, "Error"), (200, 120, 137, "OOMKilled")]
    assert [(e["time"], e["edge_time"]) for e in api.engine.events.query(kind="fault.hit")] == [(200, 70), (200, 120)]
    [back] = await instances(api, dep)
    assert (back["state"], back["restarts"]) == ("RUNNING", 2)
    assert api.engine.world.instances[back["id"]].started_at == 130


async def test_a_fault_on_a_crashed_node_hits_nothing(api):
    """A powered-off node runs no container: a crash fault aimed at it finds nothing."""
    _, (n1, _) = await site_group(api)
    dep = await pinned(api, n1)
    await fault(api, kind="node_crash", target={"node_ids": [n1]}, start=50, duration=150)
    await fault(api, kind="instance_crash", target={"node_ids": [n1]}, start=100)
    await advance_to(api, 250)
    assert api.engine.events.query(kind="fault.hit") == []
    assert [e[1:] for e in exits(api, dep)] == [(50, 255, "Unknown")]  # the crash itself, item 8


# --- 2. an instance placed on a silent node starts when the node hears of it --------------------


async def test_an_instance_placed_during_the_grace_window_pulls_when_the_node_hears_of_it(api):
    """The cloud still shows the node RUNNING at 60 (it fails at 90), so the instance is bound
    to it; the node learns of it only when it reports again (KubeEdge: the cloud's pod reaches
    edgecore through the cloud-edge channel), at 80: pulled 82, RUNNING 83 - not caught up as
    if pulled from 60."""
    _, (n1, _) = await site_group(api)
    await advance_to(api, 50)
    await api.post(f"/edgesim/nodes/{n1}/disconnect", token=None)
    await advance_to(api, 60)
    dep = await pinned(api, n1)
    [waiting] = await instances(api, dep)
    assert (waiting["state"], waiting["node_id"]) == ("PENDING_CREATE", n1)
    await advance_to(api, 80)
    await api.post(f"/edgesim/nodes/{n1}/connect", token=None)
    assert (await instances(api, dep))[0]["state"] == "PENDING_CREATE"
    await advance_to(api, 82.9)
    pulled = api.engine.events.query(kind="instance.pulled", deployment_id=dep)
    assert [(e["time"], e.get("edge_time")) for e in pulled] == [(82, None)]
    assert (await instances(api, dep))[0]["state"] == "PENDING_CREATE"
    await advance_to(api, 83)
    assert (await instances(api, dep))[0]["state"] == "RUNNING"


async def test_one_placed_before_the_node_failed_starts_at_its_return_even_after_a_restart(tmp_path):
    """Placed at 60, the node FAIL at 90 (the instance UNKNOWN), back at 300: pulled 302, RUNNING 303."""
    db = tmp_path / "e.db"
    api = await start_api(db)
    try:
        _, (n1, _) = await site_group(api)
        await advance_to(api, 50)
        await api.post(f"/edgesim/nodes/{n1}/disconnect", token=None)
        await advance_to(api, 60)
        dep = await pinned(api, n1)
        await advance_to(api, 150)
        assert (await instances(api, dep))[0]["state"] == "UNKNOWN"
        await stop_api(api)
        api = await start_api(db)
        await advance_to(api, 300)
        await api.post(f"/edgesim/nodes/{n1}/connect", token=None)
        await advance_to(api, 303)
        assert (await instances(api, dep))[0]["state"] == "RUNNING"
        assert [e["time"] for e in api.engine.events.query(kind="instance.pulled", deployment_id=dep)] == [302]
    finally:
        await stop_api(api)


# --- 3. a pod restart accepted while the node is silent ------------------------------------------


async def v3_pod(api: Api, node: str) -> tuple[str, str]:
    reply = await api.post(f"{V3}/deployments", {
        "name": "web", "node_ids": [node], "deployment": {"replicas": 1, "template": {
            "configs": {"restart_policy": "Always"}, "containers": [{"name": "web", "image_url": "nginx:1.25"}]}}})
    assert reply.status == 201, reply.body
    dep = reply.body["id"]
    await api.advance(3)
    pod = (await api.get(f"{V3}/pods?deployment_id={dep}")).body["pods"][0]
    return dep, pod["name"]


async def test_a_pod_restart_accepted_in_the_grace_window_is_done_when_the_node_reports(api):
    """Kubernetes: the API server accepts the request; the kubelet acts on it when it syncs,
    which a cut-off node does on reconnect (KubeEdge edgecore gets it through the cloud-edge
    channel). Accepted at 60 (202, the pod unchanged), done at 80: Restarting until 81."""
    _, (n1, _) = await site_group(api)
    dep, pod = await v3_pod(api, n1)
    await advance_to(api, 50)
    await api.post(f"/edgesim/nodes/{n1}/disconnect", token=None)
    await advance_to(api, 60)
    assert (await api.post(f"{V3}/deployments/{dep}/pods/{pod}/restart")).status == 202
    [requested] = api.engine.events.query(kind="instance.restart_requested")
    assert requested["time"] == 60
    await advance_to(api, 79)
    [still] = (await api.get(f"{V3}/pods?deployment_id={dep}")).body["pods"]
    assert (still["state"], still["reason"], still["containers"][0]["restarts"]) == ("RUNNING", None, 0)
    await advance_to(api, 80)
    await api.post(f"/edgesim/nodes/{n1}/connect", token=None)
    [restarting] = (await api.get(f"{V3}/pods?deployment_id={dep}")).body["pods"]
    assert (restarting["state"], restarting["reason"]) == ("RUNNING", "Restarting")
    assert [(e["time"], e.get("edge_time")) for e in api.engine.events.query(kind="instance.restarting")] == [(80, None)]
    await advance_to(api, 81)
    [again] = (await api.get(f"{V3}/pods?deployment_id={dep}")).body["pods"]
    assert (again["reason"], again["containers"][0]["restarts"]) == (None, 1)


# --- 4. held evictions go on when a node registers in a zone that was down ----------------------


def no_fleet():
    settings = load_settings()
    return settings.model_copy(update={"fleet": settings.fleet.model_copy(update={"nodes": 0})})


async def test_a_node_registering_in_a_zone_all_down_lets_the_held_evictions_go_on(tmp_path):
    """Node lifecycle controller, handleDisruption: a zone with no ready node evicts nothing;
    when it leaves FullDisruption its limiter is reset and the lost nodes are tainted at
    --node-eviction-rate 0.1 from then. Two nodes lost at 140 (held, across a restart), a new
    node registers at 500 and connects at T: the two are evicted at T and T + 10."""
    db = tmp_path / "e.db"
    api = await start_api(db, settings=no_fleet())
    try:
        _, nodes = await site_group(api)
        await advance_to(api, 100)
        for node in nodes:
            await api.post(f"/edgesim/nodes/{node}/disconnect", token=None)
        await advance_to(api, 400)
        assert api.engine.events.query(kind="node.evicting") == []
        await stop_api(api)
        api = await start_api(db, settings=no_fleet())
        await advance_to(api, 500)
        reply = await api.post(api.v2("nodes"), {"node": {"name": "edge-new"}})
        assert reply.status == 201, reply.body
        new = reply.body["node"]["id"]
        await advance_to(api, 600)
        [ready] = [e["time"] for e in api.engine.events.query(kind="node.state", node_id=new) if e["to"] == "RUNNING"]
        assert [(e["time"], e["node_id"]) for e in api.engine.events.query(kind="node.evicting")] == [
            (ready, nodes[0]), (round(ready + 10, 6), nodes[1])]
    finally:
        await stop_api(api)


# --- 5 and 7. memory pressure: the NoSchedule taint, and the eviction wait kept -----------------

SMALL = {"cpu": [2, 2], "memory_mb": [1024, 1024]}  # eviction threshold 1024 - 100 = 924 MB
LEAKY = {"match": "*/leaky:*", "pull": {"seconds": 2}, "start": {"seconds": 1},
         "memory": {"mb": 200, "grow_mb_per_min": 100}}


async def small_group(api: Api, nodes: int, profiles: list[dict]) -> tuple[str, list[str]]:
    assert (await api.put("/edgesim/behaviors", [*profiles, *FAST], token=None)).status == 200
    reply = await api.post("/edgesim/fleet", {"nodes": nodes, "groups": {"small": nodes}, "profile": SMALL,
                                              "name_prefix": "small"}, token=None)
    group = reply.body["groups"][0]
    return group["id"], sorted(group["node_ids"])


async def leaky_group_deployment(api: Api, group_id: str) -> str:
    reply = await api.post(f"{V3}/deployments", {"name": "leaky", "group_id": group_id, "deployment": {
        "replicas": 1, "template": {"configs": {"restart_policy": "Always"},
                                    "containers": [{"name": "c", "image_url": "registry/leaky:1"}]}}})
    assert reply.status == 201, reply.body
    return reply.body["id"]


async def test_a_node_under_memory_pressure_takes_no_new_pod_until_the_condition_clears(tmp_path):
    """Kubernetes: the kubelet reports MemoryPressure when the eviction threshold is met and
    keeps it --eviction-pressure-transition-period (5 min) after it last saw it; the node
    controller taints the node node.kubernetes.io/memory-pressure:NoSchedule meanwhile
    (TaintNodesByCondition), so the scheduler places no pod there. 200 MB + 100 MB/min from
    t=3: evicted at 437.4; the replacement waits (MemoryPressure), across a restart, until
    737.4, and runs from 740.4."""
    db = tmp_path / "p.db"
    api = await start_api(db)
    try:
        group_id, [node] = await small_group(api, 1, [LEAKY])
        dep = await leaky_group_deployment(api, group_id)
        await advance_to(api, 437.4)
        pressure = [(e["time"], e["pressure"]) for e in api.engine.events.query(kind="node.memory_pressure")]
        assert pressure == [(437.4, True)]
        [waiting] = (await api.get(f"{V3}/pods?deployment_id={dep}")).body["pods"]
        assert (waiting["state"], waiting["reason"]) == ("PENDING", "MemoryPressure")
        assert waiting["message"] == ("0/1 nodes of group small can take it: 1 node(s) had untolerated taint "
                                      "{node.kubernetes.io/memory-pressure: }")
        [row] = (await api.get(f"/edgesim/usage?node_id={node}", token=None)).body["nodes"]
        assert (row["memory_pressure"], row["taints"]) == (False, ["node.kubernetes.io/memory-pressure:NoSchedule"])
        await advance_to(api, 600)
        await stop_api(api)
        api = await start_api(db)
        await advance_to(api, 737.3)
        assert (await api.get(f"{V3}/pods?deployment_id={dep}")).body["pods"][0]["state"] == "PENDING"
        await advance_to(api, 740.4)
        assert [(e["time"], e["pressure"]) for e in api.engine.events.query(kind="node.memory_pressure")] == [
            (437.4, True), (737.4, False)]
        [running] = (await api.get(f"{V3}/pods?deployment_id={dep}")).body["pods"]
        assert (running["state"], running["node_id"]) == ("RUNNING", node)
    finally:
        await stop_api(api)


async def test_the_replacement_of_an_evicted_pod_goes_to_a_node_without_the_taint(api):
    """Two nodes: the first replica is on the first (spread, then the smaller id); evicted at
    437.4, its replacement is placed on the other at once and runs from 440.4."""
    group_id, nodes = await small_group(api, 2, [LEAKY])
    dep = await leaky_group_deployment(api, group_id)
    await advance_to(api, 440.4)
    [pod] = (await api.get(f"{V3}/pods?deployment_id={dep}")).body["pods"]
    evicted = api.engine.events.query(kind="instance.evicted")
    assert [(e["time"], e["node_id"]) for e in evicted] == [(437.4, nodes[0])]
    assert (pod["state"], pod["node_id"]) == ("RUNNING", nodes[1])


async def test_the_wait_between_evictions_survives_a_restart(tmp_path):
    """The eviction manager looks again a monitoring period (10 s) after an eviction: two
    600 MB pods on a 1024 MB node lose one every 10 s (3, 13, 23, 33), a restart at 5 included
    (before, the next look came at once after a restart: 6)."""
    db = tmp_path / "w.db"
    api = await start_api(db)
    try:
        _, [node] = await small_group(api, 1, [{**LEAKY, "match": "*/hog:*", "memory": {"mb": 600}}])
        for name in ("a", "b"):
            await api.create(name, node_id=node, image_url="registry/hog:1")
        await advance_to(api, 5)
        await stop_api(api)
        api = await start_api(db)
        await advance_to(api, 40)
        assert [e["time"] for e in api.engine.events.query(kind="instance.evicted")] == [3, 13, 23, 33]
    finally:
        await stop_api(api)


# --- 6. the placed pods' preferred terms score the incoming pod ---------------------------------


def term(app: str) -> dict:
    return {"labelSelector": {"matchLabels": {"app": app}}, "topologyKey": "kubernetes.io/hostname"}


async def v3_group(api: Api, name: str, group_id: str, affinity: dict | None, replicas: int = 1) -> str:
    template: dict = {"configs": {"restart_policy": "Always"}, "containers": [{"name": "c", "image_url": f"r/{name}:1"}]}
    if affinity:
        template["affinity"] = affinity
    reply = await api.post(f"{V3}/deployments", {"name": name, "group_id": group_id,
                                                 "deployment": {"replicas": replicas, "template": template}})
    assert reply.status == 201, reply.body
    return reply.body["id"]


def on_node(node: str) -> dict:
    return {"requiredDuringSchedulingIgnoredDuringExecution": {"nodeSelectorTerms": [{"matchExpressions": [
        {"key": "kubernetes.io/hostname", "operator": "In", "values": [node]}]}]}}


async def nodes_of(api: Api, dep: str) -> list[str]:
    pods = (await api.get(f"{V3}/pods?deployment_id={dep}")).body["pods"]
    return [p["node_id"] for p in sorted(pods, key=lambda p: p["created_at"] + p["id"])]


async def test_a_placed_pods_preferred_affinity_draws_the_pod_it_names(api):
    """kube-scheduler InterPodAffinity scores the existing pods' preferred terms that select
    the incoming pod (symmetry): "cache" on node 0 prefers app=web near it (weight 100), so
    web (no affinity of its own) goes to node 0, 200 points to 0, though node 1 has more room."""
    group_id, nodes = await site_group(api)
    await v3_group(api, "cache", group_id, {"nodeAffinity": on_node(nodes[0]), "podAffinity": {
        "preferredDuringSchedulingIgnoredDuringExecution": [{"weight": 100, "podAffinityTerm": term("web")}]}})
    web = await v3_group(api, "web", group_id, None)
    assert await nodes_of(api, web) == [nodes[0]]


async def test_a_placed_pods_preferred_anti_affinity_outweighs_the_spread(api):
    """"loner" on node 0 prefers no app=web near it (weight 100). web's 2 replicas: the first
    on node 1; for the second InterPodAffinity gives node 1 2 x 100 and node 0 0, the spread
    (2 nodes: raw 3 and 2, normalised 66 and 100) 2 x 66 and 2 x 100: node 1, 332 to 200."""
    group_id, nodes = await site_group(api)
    await v3_group(api, "loner", group_id, {"nodeAffinity": on_node(nodes[0]), "podAntiAffinity": {
        "preferredDuringSchedulingIgnoredDuringExecution": [{"weight": 100, "podAffinityTerm": term("web")}]}})
    web = await v3_group(api, "web", group_id, None, replicas=2)
    assert await nodes_of(api, web) == [nodes[1], nodes[1]]


# --- 8 and determinism ---------------------------------------------------------------------------


async def test_a_container_killed_by_a_node_crash_reports_what_the_runtime_says_after_a_reboot(api):
    """containerd's CRI answers a container whose task vanished while running (a reboot) with
    exit code 255, reason Unknown (unknownExitCode / unknownExitReason); the kubelet reports
    that as the last state. Crashed at 100, back at 200: exited (255, Unknown), dated 100."""
    _, (n1, _) = await site_group(api)
    dep = await pinned(api, n1)
    await fault(api, kind="node_crash", target={"node_ids": [n1]}, start=100, duration=100)
    await advance_to(api, 200)
    assert exits(api, dep) == [(200, 100, 255, "Unknown")]
    assert (await instances(api, dep))[0]["state"] == "RUNNING"


async def story(db, restart_at: float | None) -> bytes:
    api = await start_api(db, seed=11)
    try:
        _, (n1, n2) = await site_group(api)
        dep = await pinned(api, n1)
        await advance_to(api, 50)
        await api.post(f"/edgesim/nodes/{n1}/disconnect", token=None)
        await fault(api, kind="instance_crash", target={"deployment_id": dep}, start=70, every=25, duration=100)
        await advance_to(api, 60)
        await pinned(api, n1, "late")
        if restart_at is not None:
            await advance_to(api, restart_at)
            await stop_api(api)
            api = await start_api(db, seed=11)
        await advance_to(api, 250)
        await api.post(f"/edgesim/nodes/{n1}/connect", token=None)
        await advance_to(api, 400)
        _, events = await api.engine.events.find()
        return b"".join(orjson.dumps(e, option=orjson.OPT_SORT_KEYS) + b"\n" for e in events)
    finally:
        await stop_api(api)


async def test_the_same_seed_gives_the_same_log_twice_and_across_a_restart(tmp_path):
    first = await story(tmp_path / "a.db", None)
    second = await story(tmp_path / "b.db", None)
    restarted = await story(tmp_path / "c.db", 120)
    assert first == second == restarted
    assert b'"edge_time"' in first and b"fault.hit" in first
