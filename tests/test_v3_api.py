"""The v3 deployment and pod API: shapes, validation, one engine shared with v2, replicas on
groups, pod restart and pod delete; on the virtual clock."""

from __future__ import annotations

import pytest

from conftest import PROJECT_ID

DEPLOYMENT_KEYS = {
    "id", "name", "replicas", "ready_replicas", "description", "group_id", "node_ids", "tags", "api_version",
    "source", "project_id", "created_at", "updated_at", "template", "state", "source_id", "annotations",
}
POD_KEYS = {"id", "name", "configs", "containers", "init_containers", "node_id", "deployment_id", "project_id",
            "reason", "message", "created_at", "state"}
CONTAINER_KEYS = {"name", "image_url", "version", "command", "args", "envs", "ports", "privileged", "run_as_user",
                  "readiness_probe", "liveness_probe", "volumes", "resources", "npu_type"}


def v3(path: str) -> str:
    return f"/v3/{PROJECT_ID}/edgemgr/{path.lstrip('/')}"


def container(**fields) -> dict:
    return {"name": "web", "image_url": "nginx:1.25", **fields}


def body(name: str = "web", *, node_id: str | None = None, group_id: str | None = None, replicas: int = 1,
         configs: dict | None = None, **container_fields) -> dict:
    target = {"group_id": group_id} if group_id else {"node_ids": [node_id]}
    return {
        "name": name,
        **target,
        "deployment": {
            "replicas": replicas,
            "template": {"configs": configs or {"restart_policy": "Always"}, "containers": [container(**container_fields)]},
        },
    }


async def create(api, name: str = "web", **kw) -> dict:
    if "group_id" not in kw and "node_id" not in kw:
        kw["node_id"] = (await api.node_ids())[0]
    reply = await api.post(v3("deployments"), body(name, **kw))
    assert reply.status == 201, reply.body
    return reply.body


async def pods(api, **query) -> list[dict]:
    qs = "&".join(f"{k}={v}" for k, v in query.items())
    reply = await api.get(v3(f"pods?{qs}"))
    assert reply.status == 200, reply.body
    return reply.body["pods"]


async def make_group(api, name: str, count: int) -> str:
    node_ids = (await api.node_ids())[:count]
    reply = await api.post(api.v2("groups"), {"name": name, "node_ids": node_ids})
    assert reply.status == 201, reply.body
    return reply.body["id"]


# --- shapes and the shared engine -----------------------------------------------------------------


async def test_create_answers_201_with_the_v3_shape(api):
    node_id = (await api.node_ids())[0]
    request = body(
        "shop", node_id=node_id,
        resources={"limits": {"cpu": "0.5", "memory": "256"}, "requests": {"cpu": "0.25"}},
        liveness_probe={"exec": {"command": "cat /tmp/healthy"}},
        ports=[{"container_port": 80, "host_port": 8080, "host_port_range": {"min_port": 8080, "max_port": 8090}}],
        envs=[{"name": "MODE", "value": "prod"}], npu_type="D310",
    )
    request.update(description="v3 shop", source="userdefined", tags=[{"key": "app", "value": "shop"}])
    request["deployment"]["annotations"] = {"ring_controller": "ascend-1980"}
    request["deployment"]["template"]["init_containers"] = [container(
        name="init", image_url="busybox", resources={"limits": {"cpu": "0.1", "memory": "64"}})]
    reply = await api.post(v3("deployments"), request)
    assert reply.status == 201, reply.body
    dep = reply.body
    assert set(dep) == DEPLOYMENT_KEYS
    assert (dep["api_version"], dep["replicas"], dep["ready_replicas"], dep["state"]) == ("v3", 1, 0, None)
    assert (dep["group_id"], dep["node_ids"], dep["tags"]) == ("", [node_id], [{"key": "app", "value": "shop"}])
    assert dep["created_at"] == "2026-01-01T00:00:00.000Z" and dep["updated_at"] is None
    assert dep["annotations"] == {"ring_controller": "ascend-1980"}
    template = dep["template"]
    assert template["configs"] == {"host_network": False, "host_pid": False, "migration": False,
                                   "restart_policy": "Always", "toleration_seconds": 300, "dns_policy": None}
    [c] = template["containers"]
    assert set(c) == CONTAINER_KEYS
    assert c["resources"] == {"limits": {"cpu": "0.5", "memory": "256"}, "requests": {"cpu": "0.25"}}
    assert c["liveness_probe"]["exec"] == {"command": "cat /tmp/healthy"}
    assert c["ports"][0]["host_port_range"] == {"min_port": 8080, "max_port": 8090}
    assert c["envs"] == [{"name": "MODE", "value": "prod"}] and c["npu_type"] == "D310"
    assert [i["name"] for i in template["init_containers"]] == ["init"]
    # amounts are strings in init containers as in the main one (the SDK's ContainerDef)
    assert template["init_containers"][0]["resources"] == {"limits": {"cpu": "0.1", "memory": "64"}, "requests": {}}
    got = await api.get(v3(f"deployments/{dep['id']}"))
    assert got.status == 200 and got.body == dep


async def test_a_v3_deployment_is_a_v2_deployment_too(api):
    dep = await create(api, "both", resources={"limits": {"cpu": "1", "memory": "512"}},
                       readiness_probe={"exec": {"command": "true"}})
    v2 = (await api.get(api.v2(f"deployments/{dep['id']}"))).body["deployment"]
    [inst] = v2["instances"]
    assert inst["image_url"] == "nginx:1.25"
    assert inst["resources"] == {"requests": {}, "limits": {"cpu": 1.0, "memory": 512.0}}
    assert inst["readiness_probe"]["exec_command"] == "true"
    assert inst["configs"]["host_network"] is False  # v3's default, not v2's
    assert [d["id"] for d in (await api.get(api.v2("deployments"))).body["deployments"]] == [dep["id"]]
    # changed through v2, seen through v3
    await api.put(api.v2(f"deployments/{dep['id']}"), {"deployment": {"image_url": "nginx:1.27"}})
    again = (await api.get(v3(f"deployments/{dep['id']}"))).body
    assert again["template"]["containers"][0]["image_url"] == "nginx:1.27"
    assert again["updated_at"] is not None


async def test_a_v2_deployment_is_a_v3_deployment_too(api):
    v2 = (await api.create("old", resources={"limits": {"cpu": 0.5, "memory": 128}},
                           liveness_probe={"exec_command": "check"})).body["deployment"]
    dep = (await api.get(v3(f"deployments/{v2['id']}"))).body
    assert (dep["api_version"], dep["replicas"], dep["node_ids"]) == ("v2", 1, v2["node_ids"])
    [c] = dep["template"]["containers"]
    assert c["resources"] == {"limits": {"cpu": "0.5", "memory": "128"}, "requests": {}}
    assert c["liveness_probe"]["exec"] == {"command": "check"}
    assert dep["template"]["configs"]["host_network"] is True  # v2's default
    listed = (await api.get(v3("deployments"))).body
    assert listed["count"] == 1 and listed["deployments"][0]["id"] == v2["id"]
    # a v3 update with the template as read back changes nothing; a new image rolls
    template = dep["template"]
    same = await api.put(v3(f"deployments/{v2['id']}"), {"deployment": {"template": template}})
    assert same.status == 200 and same.body["updated_at"] is None
    template["containers"][0]["image_url"] = "nginx:1.27"
    rolled = await api.put(v3(f"deployments/{v2['id']}"), {"deployment": {"template": template}})
    assert rolled.status == 200
    v2_again = (await api.get(api.v2(f"deployments/{v2['id']}"))).body["deployment"]
    assert {i["image_url"]: i["state"] for i in v2_again["instances"]} == {"nginx:1.25": "TERMINATING",
                                                                          "nginx:1.27": "PENDING_CREATE"}


async def test_pods_show_the_lifecycle_in_v3_words(api):
    dep = await create(api, "web")
    [pod] = await pods(api, deployment_id=dep["id"])
    assert set(pod) == POD_KEYS
    assert pod["state"] == "PENDING" and pod["name"].startswith("web-") and len(pod["name"]) == 9
    assert pod["created_at"] == "2026-01-01T00:00:00.000Z"
    [c] = pod["containers"]
    assert (c["state"], c["restarts"], c["is_ready"], c["container_id"]) == ("PENDING", 0, "false", "")
    await api.advance(10)
    [pod] = await pods(api, deployment_id=dep["id"])
    assert pod["state"] == "RUNNING" and pod["containers"][0]["is_ready"] == "true"
    assert len(pod["containers"][0]["container_id"]) == 64
    assert (await api.get(v3(f"deployments/{dep['id']}"))).body["ready_replicas"] == 1


async def test_delete_and_force_delete(api):
    dep = await create(api, "gone")
    assert (await api.delete(v3(f"deployments/{dep['id']}"))).status == 204
    assert (await api.get(v3(f"deployments/{dep['id']}"))).body["state"] == "PENDING_DELETE"
    await api.advance(5)
    assert (await api.get(v3(f"deployments/{dep['id']}"))).status == 404
    other = await create(api, "forced")
    assert (await api.delete(v3(f"deployments/{other['id']}?force_delete=true"))).status == 204
    assert (await api.get(v3(f"deployments/{other['id']}"))).status == 404
    bad = await api.delete(v3(f"deployments/{other['id']}?force_delete=maybe"))
    assert bad.status in (400, 404)


async def test_update_of_a_deployment_being_deleted_is_409(api):
    dep = await create(api, "web")
    await api.delete(v3(f"deployments/{dep['id']}"))
    reply = await api.put(v3(f"deployments/{dep['id']}"), {"description": "late"})
    assert (reply.status, reply.body["error_code"]) == (409, "IEF.100007")


# --- replicas on groups -----------------------------------------------------------------------------


async def test_group_replicas_are_placed_and_scaled(api):
    group_id = await make_group(api, "line-1", 3)
    dep = await create(api, "fleet-app", group_id=group_id, replicas=3, configs={"restart_policy": "Always"})
    assert (dep["replicas"], dep["group_id"], dep["node_ids"]) == (3, group_id, [])
    await api.advance(10)
    running = await pods(api, deployment_id=dep["id"])
    assert [p["state"] for p in running] == ["RUNNING"] * 3
    members = {n["id"] for n in (await api.get(api.v2(f"groups/{group_id}"))).body["nodes"]}
    assert {p["node_id"] for p in running} <= members
    assert (await api.get(v3(f"deployments/{dep['id']}"))).body["ready_replicas"] == 3
    assert len(await pods(api, group_id=group_id)) == 3

    scaled = await api.put(v3(f"deployments/{dep['id']}"), {"deployment": {"replicas": 1}})
    assert scaled.status == 200 and scaled.body["replicas"] == 1
    assert sorted(p["state"] for p in await pods(api, deployment_id=dep["id"])) == ["RUNNING", "TERMINATING", "TERMINATING"]
    await api.advance(5)
    assert [p["state"] for p in await pods(api, deployment_id=dep["id"])] == ["RUNNING"]
    await api.put(v3(f"deployments/{dep['id']}"), {"deployment": {"replicas": 2}})
    await api.advance(10)
    assert [p["state"] for p in await pods(api, deployment_id=dep["id"])] == ["RUNNING", "RUNNING"]
    v2 = (await api.get(api.v2(f"deployments/{dep['id']}"))).body["deployment"]
    assert v2["replicas"] == 2 and len(v2["instances"]) == 2
    events = [e["kind"] for e in await api.events(deployment_id=dep["id"], kind="deployment.scaled")]
    assert events == ["deployment.scaled", "deployment.scaled"]


async def test_a_rolling_update_of_a_group_deployment_keeps_the_replica_count(api):
    group_id = await make_group(api, "line-2", 2)
    dep = await create(api, "roll", group_id=group_id, replicas=2)
    await api.advance(10)
    template = (await api.get(v3(f"deployments/{dep['id']}"))).body["template"]
    template["containers"][0]["image_url"] = "nginx:1.27"
    await api.put(v3(f"deployments/{dep['id']}"), {"deployment": {"template": template, "replicas": 2}})
    await api.advance(15)
    now = await pods(api, deployment_id=dep["id"])
    assert [(p["state"], p["containers"][0]["image_url"]) for p in now] == [("RUNNING", "nginx:1.27")] * 2


@pytest.mark.parametrize("replicas", [2, 0])
async def test_node_ids_deployments_have_exactly_one_replica(api, replicas):
    node_id = (await api.node_ids())[0]
    reply = await api.post(v3("deployments"), body("one", node_id=node_id, replicas=replicas))
    assert (reply.status, reply.body["error_code"]) == (400, "IEF.100002")
    assert "replicas" in reply.body["error_msg"]


async def test_scaling_a_node_ids_deployment_is_refused(api):
    dep = await create(api, "single")
    reply = await api.put(v3(f"deployments/{dep['id']}"), {"deployment": {"replicas": 3}})
    assert (reply.status, reply.body["error_code"]) == (400, "IEF.100002")
    assert "deployment.replicas" in reply.body["error_msg"]


# --- pods: restart and delete -------------------------------------------------------------------------


async def test_pod_restart_starts_the_container_again_and_counts_it(api):
    dep = await create(api, "web", readiness_probe={"exec": {"command": "true"}, "initial_delay_seconds": 1})
    await api.advance(20)
    [pod] = await pods(api, deployment_id=dep["id"])
    before = pod["containers"][0]
    assert (pod["state"], before["is_ready"], before["restarts"]) == ("RUNNING", "true", 0)
    reply = await api.post(v3(f"deployments/{dep['id']}/pods/{pod['name']}/restart"))
    assert reply.status == 202
    [restarting] = await pods(api, deployment_id=dep["id"])
    assert restarting["name"] == pod["name"] and restarting["state"] == "RUNNING"
    assert (restarting["reason"], restarting["containers"][0]["is_ready"]) == ("Restarting", "false")
    await api.advance(5)
    [after] = await pods(api, deployment_id=dep["id"])
    assert after["containers"][0]["restarts"] == 1 and after["reason"] is None
    assert after["containers"][0]["container_id"] != before["container_id"]
    await api.advance(15)
    [ready] = await pods(api, deployment_id=dep["id"])
    assert ready["containers"][0]["is_ready"] == "true"
    v2 = (await api.get(api.v2(f"deployments/{dep['id']}"))).body["deployment"]
    assert v2["instances"][0]["restarts"] == 1


async def test_restarting_a_crash_looping_pod_skips_its_back_off(api):
    dep = await create(api, "crash", image_url="swr.example/edgesim-demo/crashloop:1")
    await api.advance(70)  # started at X (3-9 s), exited at X+30, restarted at once, exited at X+60: back-off 10 s
    [pod] = await pods(api, deployment_id=dep["id"])
    assert (pod["state"], pod["reason"]) == ("FAILED", "CrashLoopBackOff")
    await api.post(v3(f"deployments/{dep['id']}/pods/{pod['name']}/restart"))
    await api.advance(3.01)
    [pod] = await pods(api, deployment_id=dep["id"])
    assert (pod["state"], pod["containers"][0]["restarts"]) == ("RUNNING", 2)


async def test_restart_of_a_pending_pod_is_accepted_and_changes_nothing(api):
    dep = await create(api, "web")
    [pod] = await pods(api, deployment_id=dep["id"])
    assert (await api.post(v3(f"deployments/{dep['id']}/pods/{pod['name']}/restart"))).status == 202
    await api.advance(10)
    [pod] = await pods(api, deployment_id=dep["id"])
    assert (pod["state"], pod["containers"][0]["restarts"]) == ("RUNNING", 0)


async def test_pod_delete_makes_the_deployment_recreate_it(api):
    dep = await create(api, "web")
    await api.advance(10)
    [old] = await pods(api, deployment_id=dep["id"])
    assert (await api.delete(v3(f"deployments/{dep['id']}/pods/{old['name']}"))).status == 204
    listed = {p["name"]: p["state"] for p in await pods(api, deployment_id=dep["id"])}
    assert listed[old["name"]] == "TERMINATING" and sorted(listed.values()) == ["PENDING", "TERMINATING"]
    # a terminating pod cannot be restarted; deleting it again changes nothing
    again = await api.post(v3(f"deployments/{dep['id']}/pods/{old['name']}/restart"))
    assert (again.status, again.body["error_code"]) == (409, "IEF.100007")
    assert (await api.delete(v3(f"deployments/{dep['id']}/pods/{old['name']}"))).status == 204
    await api.advance(12)
    [new] = await pods(api, deployment_id=dep["id"])
    assert new["name"] != old["name"] and new["state"] == "RUNNING" and new["node_id"] == old["node_id"]
    kinds = [e["kind"] for e in await api.events(deployment_id=dep["id"])]
    assert "instance.deleted" in kinds and kinds.count("instance.created") == 2


async def test_unknown_pods_and_deployments_are_404(api):
    dep = await create(api, "web")
    for reply in (
        await api.post(v3(f"deployments/{dep['id']}/pods/web-zzzzz/restart")),
        await api.delete(v3(f"deployments/{dep['id']}/pods/web-zzzzz")),
        await api.post(v3("deployments/00000000-0000-4000-8000-000000000000/pods/web-zzzzz/restart")),
        await api.get(v3("deployments/00000000-0000-4000-8000-000000000000")),
    ):
        assert (reply.status, reply.body["error_code"]) == (404, "IEF.100003")


# --- lists ----------------------------------------------------------------------------------------------


async def test_pod_list_filters_and_paging(api):
    nodes = await api.node_ids()
    first = await create(api, "first", node_id=nodes[0])
    second = await create(api, "second", node_id=nodes[1])
    group_id = await make_group(api, "g", 2)
    third = await create(api, "third", group_id=group_id, replicas=2)
    everything = (await api.get(v3("pods"))).body
    assert everything["count"] == 4
    assert [p["deployment_id"] for p in everything["pods"]][:1] in ([third["id"]], [second["id"]], [first["id"]])
    assert {p["deployment_id"] for p in await pods(api, node_id=nodes[1])} >= {second["id"]}
    assert len(await pods(api, group_id=group_id)) == 2
    assert len(await pods(api, deployment_ids=f"{first['id']},{second['id']}")) == 2
    assert await pods(api, deployment_id=first["id"], deployment_ids=second["id"]) == []
    # no plugin instance is simulated: the filter is honoured by matching nothing
    assert await pods(api, plugin_instance_name="ief-plugin-1") == []
    page = (await api.get(v3("pods?limit=3&offset=2"))).body
    assert page["count"] == 4 and len(page["pods"]) == 2
    for query, code in (("limit=0", "IEF.100005"), ("limit=1001", "IEF.100005"), ("offset=-1", "IEF.100004")):
        reply = await api.get(v3(f"pods?{query}"))
        assert (reply.status, reply.body["error_code"]) == (400, code)


async def test_deployment_list_filters_and_paging(api):
    nodes = await api.node_ids()
    for i in range(3):
        await create(api, f"app-{i}", node_id=nodes[i])
    listed = (await api.get(v3("deployments?limit=2&sort=created_at:asc"))).body
    assert listed["count"] == 3 and [d["name"] for d in listed["deployments"]] == ["app-0", "app-1"]
    assert (await api.get(v3(f"deployments?node_id={nodes[2]}"))).body["deployments"][0]["name"] == "app-2"
    assert (await api.get(v3("deployments?name=app-1"))).body["count"] == 1
    assert (await api.get(v3("deployments?limit=101"))).body["error_code"] == "IEF.100005"


# --- validation ---------------------------------------------------------------------------------------


def _with(path: str, value) -> dict:
    """A valid create body with one field set (``a.b.0.c`` paths) to ``value``."""
    request = body("valid", node_id="NODE")
    target, *rest = path.split(".")
    parent, key = request, target
    for part in rest:
        parent = parent[int(key)] if isinstance(parent, list) else parent[key]
        key = part
    if isinstance(parent, list):
        parent[int(key)] = value
    else:
        parent[key] = value
    return request


C0 = "deployment.template.containers.0"


@pytest.mark.parametrize(
    ("path", "value", "code", "field"),
    [
        ("name", "x" * 33, "IEF.100012", "name"),
        ("name", "Web", "IEF.100012", "name"),
        ("description", "a#b", "IEF.100002", "description"),
        ("tags", [{"key": "a", "value": "1"}, {"key": "a", "value": "2"}], "IEF.100002", "tags"),
        ("deployment.replicas", "2", "IEF.100002", "deployment.replicas"),
        ("deployment.template.configs", {}, "IEF.100002", "deployment.template.configs.restart_policy"),
        ("deployment.template.configs", {"restart_policy": "Sometimes"}, "IEF.100002", "deployment.template.configs.restart_policy"),
        ("deployment.template.configs", {"restart_policy": "Always", "dns_policy": "ClusterFirstWithHostNet"}, "IEF.100002", "deployment.template.configs"),
        ("deployment.template.containers", [], "IEF.100002", "deployment.template.containers"),
        ("deployment.template.containers", [container(), container(name="two")], "IEF.100002", "deployment.template.containers"),
        (f"{C0}.name", "x" * 33, "IEF.100012", f"{C0.replace('.0', '[0]')}.name"),
        (f"{C0}.image_url", "", "IEF.100002", "image_url"),
        (f"{C0}.version", "V1", "IEF.100010", "version"),
        (f"{C0}.envs", [{"name": "1BAD", "value": "x"}], "IEF.100013", "envs[0].name"),
        (f"{C0}.volumes", [{"name": "v", "type": "hostPath", "source": "rel", "destination": "/d"}], "IEF.100009", "volumes[0]"),
        (f"{C0}.resources", {"limits": {"cpu": 0.5}}, "IEF.100002", "resources.limits.cpu"),
        (f"{C0}.resources", {"limits": {"cpu": "lots"}}, "IEF.100002", "resources.limits.cpu"),
        (f"{C0}.resources", {"limits": {"cpu": "2000"}}, "IEF.100002", "resources.limits.cpu"),
        (f"{C0}.resources", {"limits": {"memory": "2"}}, "IEF.100002", "resources"),
        (f"{C0}.resources", {"limits": {"cpu": "1"}, "requests": {"cpu": "2"}}, "IEF.100002", "resources"),
        (f"{C0}.liveness_probe", {"exec": {"command": "x"}, "http_get": {"path": "/", "port": 80}}, "IEF.100002", "liveness_probe"),
        (f"{C0}.liveness_probe", {"exec_command": "x"}, "IEF.100002", "liveness_probe"),
        (f"{C0}.ports", [{"container_port": 0}], "IEF.100002", "ports[0].container_port"),
        (f"{C0}.ports", [{"container_port": 80, "host_port_range": {"min_port": 9, "max_port": 8}}], "IEF.100002", "host_port_range"),
        (f"{C0}.run_as_user", 70000, "IEF.100002", "run_as_user"),
        (f"{C0}.npu_type", "H100", "IEF.100002", "npu_type"),
    ],
)
async def test_bad_fields_answer_their_code_naming_the_field(api, path, value, code, field):
    request = _with(path, value)
    request["node_ids"] = [(await api.node_ids())[0]]
    reply = await api.post(v3("deployments"), request)
    assert (reply.status, reply.body["error_code"]) == (400, code), reply.body
    assert field in reply.body["error_msg"], reply.body["error_msg"]
    assert api.engine.world.deployments == {}


async def test_target_rules(api):
    node_id = (await api.node_ids())[0]
    both = body("x", node_id=node_id)
    both["group_id"] = "g"
    none = body("x", node_id=node_id)
    del none["node_ids"]
    two = body("x", node_id=node_id)
    two["node_ids"].append(node_id)
    for request in (both, none, two):
        reply = await api.post(v3("deployments"), request)
        assert (reply.status, reply.body["error_code"]) == (400, "IEF.100002")
    unknown = await api.post(v3("deployments"), body("x", node_id="00000000-0000-4000-8000-000000000000"))
    assert (unknown.status, unknown.body["error_code"]) == (400, "IEF.100003")
    assert unknown.body["error_msg"].startswith("node_ids")  # the v3 body is flat


async def test_duplicate_names_across_versions(api):
    await api.create("taken")
    reply = await api.post(v3("deployments"), body("taken", node_id=(await api.node_ids())[0]))
    assert (reply.status, reply.body["error_code"]) == (400, "IEF.100006")
    assert reply.body["error_msg"].startswith("name")


async def test_update_validation_and_404(api):
    dep = await create(api, "web")
    missing = await api.put(v3("deployments/00000000-0000-4000-8000-000000000000"), {"description": "x"})
    assert (missing.status, missing.body["error_code"]) == (404, "IEF.100003")
    bad = await api.put(v3(f"deployments/{dep['id']}"), {"deployment": {"template": {"containers": []}}})
    assert (bad.status, bad.body["error_code"]) == (400, "IEF.100002")
    only_description = await api.put(v3(f"deployments/{dep['id']}"), {"description": "new words"})
    assert only_description.status == 200 and only_description.body["description"] == "new words"
    assert len(await pods(api, deployment_id=dep["id"])) == 1  # nothing rolled


async def test_unknown_v3_paths_are_ief_011002(api):
    reply = await api.get(v3("no-such-thing"))
    assert (reply.status, reply.body["error_code"]) == (404, "IEF.011002")


async def test_v3_fields_survive_a_restart(tmp_path):
    from conftest import start_api, stop_api

    db = tmp_path / "edgesim.db"
    api = await start_api(db)
    try:
        group_id = await make_group(api, "kept", 2)
        request = body("kept", group_id=group_id, replicas=2)
        request.update(source="userdefined", tags=[{"key": "k", "value": "v"}])
        request["deployment"]["annotations"] = {"ring_controller": "ascend-1980"}
        request["deployment"]["template"]["init_containers"] = [container(name="init", image_url="busybox")]
        request["deployment"]["template"]["affinity"] = {"nodeAffinity": {"required": []}}
        dep = (await api.post(v3("deployments"), request)).body
        await api.advance(10)
        before = (await api.get(v3(f"deployments/{dep['id']}"))).body
        pods_before = await pods(api, deployment_id=dep["id"])
    finally:
        await stop_api(api)
    api = await start_api(db)
    try:
        assert (await api.get(v3(f"deployments/{dep['id']}"))).body == before
        assert await pods(api, deployment_id=dep["id"]) == pods_before
        assert before["template"]["affinity"] == {"nodeAffinity": {"required": []}} and before["replicas"] == 2
    finally:
        await stop_api(api)
