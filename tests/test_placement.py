"""Resource-aware placement: instances need their requests free; they wait until room appears."""

from __future__ import annotations

from conftest import Api

UNIFORM = {"cpu": [4, 4], "memory_mb": [8192, 8192]}  # every node: 4 cores, 8 GB


async def make_group(api: Api, name: str = "site", nodes: int = 3) -> tuple[str, list[str]]:
    reply = await api.post("/edgesim/fleet", {"nodes": nodes, "groups": {name: nodes}, "profile": UNIFORM, "name_prefix": name}, token=None)
    assert reply.status == 201, reply.body
    group = reply.body["groups"][0]
    return group["id"], group["node_ids"]


async def create_on_group(api: Api, name: str, group_id: str, cpu: float = 1, memory: float = 512, **app):
    body = {"deployment": {"name": name, "group_id": group_id, "app": {
        "name": name, "image_url": "nginx", "resources": {"requests": {"cpu": cpu, "memory": memory}}, **app}}}
    return await api.post(api.v2("deployments"), body)


async def instance(api: Api, dep_id: str) -> dict:
    insts = (await api.get(api.v2(f"deployments/{dep_id}"))).body["deployment"]["instances"]
    live = [i for i in insts if i["state"] != "TERMINATING"]
    return live[0]


async def test_node_deployment_waits_for_cpu_and_starts_when_room_appears(api):
    _, [node] = await make_group(api, nodes=1)
    big = (await api.create("big", node_id=node, resources={"requests": {"cpu": 3}})).body["deployment"]
    small = (await api.create("small", node_id=node, resources={"requests": {"cpu": 2}})).body["deployment"]
    await api.advance(60)
    assert (await instance(api, big["id"]))["state"] == "RUNNING"
    waiting = await instance(api, small["id"])
    assert (waiting["state"], waiting["reason"]) == ("PENDING_CREATE", "Insufficient cpu")
    assert "not enough free cpu" in waiting["message"]
    await api.delete(api.v2(f"deployments/{big['id']}"))
    await api.advance(2)  # termination takes 1-2 s, then the waiting instance is placed
    assert (await instance(api, small["id"]))["reason"] == "ContainerCreating"
    await api.advance(10)
    assert (await instance(api, small["id"]))["state"] == "RUNNING"
    [freed] = api.engine.events.query(kind="instance.removed")
    [started] = [e for e in api.engine.events.query(kind="instance.state", deployment_id=small["id"]) if e["to"] == "RUNNING"]
    assert started["time"] > freed["time"]


async def test_memory_gpu_and_limits_count_too(api):
    _, [node] = await make_group(api, nodes=1)
    memory = (await api.create("mem", node_id=node, resources={"limits": {"memory": 9000}})).body["deployment"]
    gpu = (await api.create("gpu", node_id=node, resources={"requests": {"gpu": 1024}})).body["deployment"]
    await api.advance(30)
    # a limit without a request reserves the limit
    assert (await instance(api, memory["id"]))["reason"] == "Insufficient memory"
    assert (await instance(api, gpu["id"]))["reason"] == "Insufficient gpu"


async def test_waiting_instances_start_first_come_first_served(api):
    _, [node] = await make_group(api, nodes=1)
    blocker = (await api.create("blocker", node_id=node, resources={"requests": {"cpu": 4}})).body["deployment"]
    first = (await api.create("first", node_id=node, resources={"requests": {"cpu": 3}})).body["deployment"]
    second = (await api.create("second", node_id=node, resources={"requests": {"cpu": 3}})).body["deployment"]
    await api.advance(30)
    await api.delete(api.v2(f"deployments/{blocker['id']}"))
    await api.advance(30)
    assert (await instance(api, first["id"]))["state"] == "RUNNING"
    assert (await instance(api, second["id"]))["reason"] == "Insufficient cpu"


async def test_group_deployment_goes_to_the_node_with_most_room(api):
    group_id, nodes = await make_group(api)
    by_id = sorted(nodes)
    a = (await create_on_group(api, "a", group_id, cpu=2)).body["deployment"]
    assert a["instances"][0]["node_id"] == by_id[0]  # all equal: the smallest id
    assert a["instances"][0]["group_id"] == group_id and a["instances"][0]["group_name"] == "site"
    b = (await create_on_group(api, "b", group_id, cpu=1)).body["deployment"]
    assert b["instances"][0]["node_id"] == by_id[1]
    c = (await create_on_group(api, "c", group_id, cpu=3)).body["deployment"]
    assert c["instances"][0]["node_id"] == by_id[2]
    # free cpu now 2, 3, 1: d fits the first two and takes the one with more room left
    d = (await create_on_group(api, "d", group_id, cpu=2)).body["deployment"]
    assert d["instances"][0]["node_id"] == by_id[1]
    # nothing left anywhere for 2 more cores
    e = await create_on_group(api, "e", group_id, cpu=2.5)
    assert (e.status, e.body["error_code"]) == (400, "IEF.100126")


async def test_replicas_without_requests_spread_over_the_group(api):
    """Kubernetes spreads one deployment's pods over nodes by default (PodTopologySpread's
    system default on the hostname) and scores a pod without requests as 100m / 200 MB, so six
    zero-request replicas on three nodes land two per node, not six on the first."""
    group_id, nodes = await make_group(api)
    body = {"name": "web", "group_id": group_id, "deployment": {"replicas": 6, "template": {
        "configs": {"restart_policy": "Always"}, "containers": [{"name": "web", "image_url": "nginx"}]}}}
    reply = await api.post(f"/v3/{api.project_id}/edgemgr/deployments", body)
    assert reply.status == 201, reply.body
    placed = [i["node_id"] for i in (await api.get(api.v2(f"deployments/{reply.body['id']}"))).body["deployment"]["instances"]]
    assert sorted(placed) == sorted(nodes * 2)


async def test_zero_request_deployments_take_the_emptiest_node(api):
    """Different deployments without requests still count 100m / 200 MB each when nodes are
    scored (the scheduler's non-zero defaults), so they do not pile onto the first node."""
    group_id, nodes = await make_group(api)
    placed = []
    for name in ("a", "b", "c"):
        body = {"deployment": {"name": name, "group_id": group_id, "app": {"name": name, "image_url": "nginx"}}}
        placed.append((await api.post(api.v2("deployments"), body)).body["deployment"]["instances"][0]["node_id"])
    assert sorted(placed) == sorted(nodes)


async def test_group_deployment_without_room_is_refused_at_create(api):
    group_id, _ = await make_group(api)
    reply = await create_on_group(api, "huge", group_id, cpu=5)
    assert (reply.status, reply.body["error_code"]) == (400, "IEF.100126")
    assert "deployment.group_id" in reply.body["error_msg"]
    assert (await api.get(api.v2("deployments"))).body["count"] == 0


async def test_group_of_stopped_nodes_takes_nothing(api):
    group_id, nodes = await make_group(api, nodes=2)
    for node in nodes:
        await api.post(api.v2(f"nodes/{node}/action"), {"node": {"action": "stop"}})
    reply = await create_on_group(api, "app", group_id)
    assert (reply.status, reply.body["error_code"]) == (400, "IEF.100126")


async def test_unknown_group_is_a_bad_reference(api):
    reply = await create_on_group(api, "app", "00000000-0000-4000-8000-000000000000")
    assert (reply.status, reply.body["error_code"]) == (400, "IEF.100003")


async def test_rolling_a_full_group_waits_for_the_old_instance(api):
    group_id, [node] = await make_group(api, nodes=1)
    dep = (await create_on_group(api, "app", group_id, cpu=3)).body["deployment"]
    await api.advance(30)
    reply = await api.put(api.v2(f"deployments/{dep['id']}"), {"deployment": {"image_url": "nginx:2"}})
    new = [i for i in reply.body["deployment"]["instances"] if i["image_url"] == "nginx:2"][0]
    assert (new["state"], new["node_id"], new["reason"]) == ("PENDING_CREATE", "", "Insufficient cpu")
    await api.advance(30)
    # a rolling update surges (1 replica: surge 1, unavailable 0, tests/test_rolling_update.py):
    # the old instance serves on until the new one, which has no room, can run
    insts = (await api.get(api.v2(f"deployments/{dep['id']}"))).body["deployment"]["instances"]
    assert sorted((i["state"], i["node_id"], i["image_url"]) for i in insts) == [
        ("PENDING_CREATE", "", "nginx:2"), ("RUNNING", node, dep["instances"][0]["image_url"])]


async def test_deployment_num_and_group_sums_stay_exact(api):
    group_id, nodes = await make_group(api, nodes=2)
    n1 = sorted(nodes)[0]
    deps = [(await create_on_group(api, f"app-{i}", group_id, cpu=0.5)).body["deployment"] for i in range(3)]
    await api.create("pinned", node_id=n1)
    counts = {n: (await api.get(api.v2(f"nodes/{n}"))).body["node"]["deployment_num"] for n in nodes}
    assert sum(counts.values()) == 4
    group = (await api.get(api.v2(f"groups/{group_id}"))).body
    assert (group["cpu"], group["memory"]) == (8, 16384)
    assert sorted(d["name"] for d in group["deployments"]) == ["app-0", "app-1", "app-2"]
    for dep in deps:
        await api.delete(api.v2(f"deployments/{dep['id']}"))
    await api.advance(5)
    counts = {n: (await api.get(api.v2(f"nodes/{n}"))).body["node"]["deployment_num"] for n in nodes}
    assert counts == {n: (1 if n == n1 else 0) for n in nodes}
    assert (await api.get(api.v2(f"groups/{group_id}"))).body["deployments"] == []


async def test_binding_a_node_lets_a_waiting_group_instance_start(api):
    group_id, [node] = await make_group(api, nodes=1)
    dep = (await create_on_group(api, "app", group_id, cpu=3)).body["deployment"]
    await api.advance(30)
    await api.put(api.v2(f"deployments/{dep['id']}"), {"deployment": {"image_url": "nginx:2"}})
    extra = (await api.post("/edgesim/fleet", {"nodes": 1, "profile": UNIFORM, "name_prefix": "extra"}, token=None)).body["node_ids"][0]
    await api.put(api.v2(f"groups/{group_id}/nodes"), {"add_node_ids": [extra]})
    insts = (await api.get(api.v2(f"deployments/{dep['id']}"))).body["deployment"]["instances"]
    [new] = [i for i in insts if i["image_url"] == "nginx:2"]  # the old one serves on meanwhile (surge)
    assert (new["node_id"], new["reason"]) == (extra, "ContainerCreating")
