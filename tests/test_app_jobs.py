"""Batch jobs that deploy apps (``deployment_deploy``) and upgrade them (``deployment_upgrade``),
on the virtual clock, over real HTTP: exact timelines, the 300 s task timeout, the rules on
``task_data``, retry, a restart, and the same event log for the same seed."""

from __future__ import annotations

import json

import orjson
import pytest

from conftest import FAST, UNIFORM, start_api, stop_api

JOBS = "/v2/{p}/productmgr/jobs"
# image behaviours: pull 2 s and start 1 s (RUNNING 3 s after placement), unless the image says
BEHAVIORS = [
    {"match": "*/missing:*", "pull": {"seconds": 2, "result": "not_found"}},
    {"match": "*/slow:*", "pull": {"seconds": 400}, "start": {"seconds": 1}},
    {"match": "*/crash:*", "pull": {"seconds": 2}, "start": {"seconds": 1}, "exit": {"after": 5, "code": 1}},
    *FAST,
]


def template(image: str = "nginx:1.25", **container) -> dict:
    return {"configs": {"restart_policy": "Always"}, "containers": [{"name": "web", "image_url": image, **container}]}


def task_data(image: str = "nginx:1.25", replicas: int = 1, **container) -> str:
    return json.dumps({"replicas": replicas, "template": template(image, **container)})


def upgrade_data(image: str, **container) -> str:
    """An upgrade's task_data: a new template, the replicas left as they are."""
    return json.dumps({"template": template(image, **container)})


def jobs_path(api, tail: str = "") -> str:
    return JOBS.format(p=api.project_id) + tail


def job_body(name: str, job_type: str, target_type: str, targets: list[str], data: str | None) -> dict:
    content: dict = {"target_type": target_type, "targets": [{"target_id": t} for t in targets]}
    if data is not None:
        content["task_data"] = data
    return {"job_name": name, "job_type": job_type, "job_content": content}


async def world(api, nodes: int = 3, concurrency: int = 10) -> tuple[str, list[str]]:
    """The image behaviours, the upgrade profile's concurrency, and a group "site" of nodes."""
    assert (await api.put("/edgesim/behaviors", BEHAVIORS, token=None)).status == 200
    assert (await api.put("/edgesim/upgrade-behavior", {"concurrency": concurrency}, token=None)).status == 200
    reply = await api.post("/edgesim/fleet", {"nodes": nodes, "groups": {"site": nodes}, "profile": UNIFORM,
                                              "name_prefix": "site"}, token=None)
    group = reply.body["groups"][0]
    return group["id"], sorted(group["node_ids"])


async def create_job(api, body: dict) -> str:
    reply = await api.post(jobs_path(api), body)
    assert reply.status == 201, reply.body
    return reply.body["job_id"]


async def show(api, job_id: str) -> dict:
    reply = await api.get(jobs_path(api, f"/{job_id}"))
    assert reply.status == 200, reply.body
    return reply.body


async def deployment(api, dep_id: str) -> dict:
    reply = await api.get(f"/v3/{api.project_id}/edgemgr/deployments/{dep_id}")
    assert reply.status == 200, reply.body
    return reply.body


async def v3_deployment(api, name: str, node_id: str | None = None, group_id: str | None = None,
                        replicas: int = 1, image: str = "nginx:1.25") -> str:
    target = {"node_ids": [node_id]} if node_id else {"group_id": group_id}
    body = {"name": name, **target, "deployment": {"replicas": replicas, "template": template(image)}}
    reply = await api.post(f"/v3/{api.project_id}/edgemgr/deployments", body)
    assert reply.status == 201, reply.body
    return reply.body["id"]


def statuses(job: dict) -> list[str]:
    return [t["status"] for t in job["tasks"]]


# --- deploy -----------------------------------------------------------------------------------------


async def test_a_deploy_job_of_3_nodes_finishes_when_the_instances_are_running(api):
    _, nodes = await world(api)
    job_id = await create_job(api, job_body("roll-out", "deployment_deploy", "node", nodes, task_data()))
    job = await show(api, job_id)
    assert job["status"] == "running" and statuses(job) == ["running"] * 3  # concurrency 10: all at once
    await api.advance(2.999)
    assert (await show(api, job_id))["status"] == "running"
    await api.advance(0.001)  # pull 2 s + start 1 s
    job = await show(api, job_id)
    assert (job["status"], job["task_success_count"], job["task_failed_count"]) == ("success", 3, 0)
    for task, node_id in zip(job["tasks"], nodes, strict=True):
        dep = await deployment(api, task["deployment_id"])
        assert dep["name"].startswith("roll-out-") and len(dep["name"]) == len("roll-out-") + 8
        int(dep["name"][-8:], 16)  # 8 hex digits
        assert dep["node_ids"] == [node_id]
    listed = (await api.get(f"/v3/{api.project_id}/edgemgr/deployments")).body
    assert listed["count"] == 3


async def test_concurrency_bounds_the_tasks_running_at_once(api):
    _, nodes = await world(api, concurrency=2)
    job_id = await create_job(api, job_body("two-at-a-time", "deployment_deploy", "node", nodes, task_data()))
    assert statuses(await show(api, job_id)) == ["running", "running", "queued"]
    await api.advance(3)
    assert statuses(await show(api, job_id)) == ["success", "success", "running"]
    await api.advance(3)
    assert (await show(api, job_id))["status"] == "success"


async def test_a_deploy_to_a_group_waits_for_every_replica(api):
    group, _ = await world(api)
    job_id = await create_job(api, job_body("group-deploy", "deployment_deploy", "node_group", [group],
                                            task_data(replicas=3)))
    await api.advance(3)
    job = await show(api, job_id)
    assert job["status"] == "success"
    dep = await deployment(api, job["tasks"][0]["deployment_id"])
    assert dep["group_id"] == group and dep["replicas"] == 3


async def test_a_missing_image_fails_the_task_at_create_fail(api):
    _, nodes = await world(api)
    job_id = await create_job(api, job_body("broken", "deployment_deploy", "node", nodes[:2],
                                            task_data("registry.example/missing:1")))
    await api.advance(2)  # the pull ends: the image does not exist
    job = await show(api, job_id)
    assert (job["status"], job["task_failed_count"]) == ("failed", 2)
    assert "is CREATE_FAIL: image registry.example/missing:1 not found" in job["tasks"][0]["reason"]


async def test_a_deploy_not_running_after_300_s_fails_and_a_retry_waits_for_the_same_deployment(api):
    _, nodes = await world(api)
    job_id = await create_job(api, job_body("slow", "deployment_deploy", "node", nodes[:1],
                                            task_data("registry.example/slow:1")))
    await api.advance(299.999)
    assert (await show(api, job_id))["status"] == "running"
    await api.advance(0.001)
    job = await show(api, job_id)
    assert job["status"] == "failed"
    assert job["tasks"][0]["reason"] == "not deployed within 300 s: 0 of 1 instances of deployment " \
        f"{(await deployment(api, job['tasks'][0]['deployment_id']))['name']} RUNNING"
    first = job["tasks"][0]["deployment_id"]
    assert (await api.post(jobs_path(api, f"/{job_id}/retry"))).status == 200
    await api.advance(101)  # the pull (400 s) ends at 400, RUNNING at 401
    job = await show(api, job_id)
    assert job["status"] == "success" and job["tasks"][0]["deployment_id"] == first
    assert (await api.get(f"/v3/{api.project_id}/edgemgr/deployments")).body["count"] == 1


async def test_a_retry_after_the_deployment_was_deleted_makes_a_new_one(api):
    _, nodes = await world(api)
    job_id = await create_job(api, job_body("redo", "deployment_deploy", "node", nodes[:1],
                                            task_data("registry.example/missing:1")))
    await api.advance(2)
    first = (await show(api, job_id))["tasks"][0]["deployment_id"]
    delete = await api.delete(f"/v3/{api.project_id}/edgemgr/deployments/{first}?force_delete=true")
    assert delete.status == 204, delete.body
    # the image exists now: the new deployment runs
    assert (await api.put("/edgesim/behaviors", FAST, token=None)).status == 200
    assert (await api.post(jobs_path(api, f"/{job_id}/retry"))).status == 200
    await api.advance(3)
    job = await show(api, job_id)
    assert job["status"] == "success" and job["tasks"][0]["deployment_id"] != first


async def test_a_deployment_deleted_while_its_task_runs_fails_the_task(api):
    _, nodes = await world(api)
    job_id = await create_job(api, job_body("gone", "deployment_deploy", "node", nodes[:1],
                                            task_data("registry.example/slow:1")))
    dep_id = (await show(api, job_id))["tasks"][0]["deployment_id"]
    assert (await api.delete(f"/v3/{api.project_id}/edgemgr/deployments/{dep_id}?force_delete=true")).status == 204
    job = await show(api, job_id)
    assert job["status"] == "failed" and job["tasks"][0]["reason"] == f"deployment {dep_id} was deleted"


# --- upgrade ----------------------------------------------------------------------------------------


async def test_an_upgrade_job_rolls_each_deployment_and_succeeds_when_the_new_instances_are_ready(api):
    group, nodes = await world(api)
    on_node = await v3_deployment(api, "on-node", node_id=nodes[0])
    on_group = await v3_deployment(api, "on-group", group_id=group, replicas=2)
    await api.advance(3)
    job_id = await create_job(api, job_body("new-web", "deployment_upgrade", "deployment", [on_node, on_group],
                                            upgrade_data("nginx:1.27")))
    await api.advance(2.999)
    assert (await show(api, job_id))["status"] == "running"
    await api.advance(0.001)  # the node's instance is replaced in place: RUNNING and ready 3 s later
    assert statuses(await show(api, job_id)) == ["success", "running"]
    await api.advance(60)  # the group rolls within the Kubernetes budgets
    job = await show(api, job_id)
    assert job["status"] == "success"
    for dep_id in (on_node, on_group):
        dep = await deployment(api, dep_id)
        assert dep["template"]["containers"][0]["image_url"] == "nginx:1.27"
        assert dep["replicas"] == (1 if dep_id == on_node else 2)


async def test_an_upgrade_whose_new_instance_crash_loops_fails_after_300_s(api):
    _, nodes = await world(api)
    dep_id = await v3_deployment(api, "web", node_id=nodes[0])
    await api.advance(3)
    probe = {"exec": {"command": "true"}, "initial_delay_seconds": 10}  # it never lives that long
    job_id = await create_job(api, job_body("crashing", "deployment_upgrade", "deployment", [dep_id],
                                            upgrade_data("registry.example/crash:2", readiness_probe=probe)))
    await api.advance(299.999)
    assert (await show(api, job_id))["status"] == "running"
    await api.advance(0.001)
    job = await show(api, job_id)
    assert job["status"] == "failed"
    assert job["tasks"][0]["reason"] == "not upgraded within 300 s: 0 of 1 instances of deployment web RUNNING and ready"
    assert (await deployment(api, dep_id))["template"]["containers"][0]["image_url"] == "registry.example/crash:2"


async def test_an_upgrade_to_the_same_template_succeeds_at_once(api):
    _, nodes = await world(api)
    dep_id = await v3_deployment(api, "web", node_id=nodes[0])
    await api.advance(3)
    job_id = await create_job(api, job_body("same", "deployment_upgrade", "deployment", [dep_id], upgrade_data("nginx:1.25")))
    assert (await show(api, job_id))["status"] == "success"


# --- the rules ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(("job_type", "target_type", "data", "code", "field"), [
    ("deployment_deploy", "node", None, "IEF.100002", "job_content.task_data"),
    ("deployment_upgrade", "deployment", "", "IEF.100002", "job_content.task_data"),
    ("deployment_deploy", "node", "{not json", "IEF.100002", "job_content.task_data"),
    ("deployment_deploy", "node", "[1]", "IEF.100002", "job_content.task_data"),
    ("deployment_deploy", "node", json.dumps({"replicas": 1}), "IEF.100002", "job_content.task_data.template"),
    ("deployment_deploy", "node", task_data(image=""), "IEF.100002",
     "job_content.task_data.template.containers[0].image_url"),
    ("deployment_deploy", "node", task_data(envs=[{"name": "1bad", "value": "x"}]), "IEF.100013",
     "job_content.task_data.template.containers[0].envs[0].name"),
    ("deployment_deploy", "node", task_data(replicas=2), "IEF.100002", "job_content.task_data.replicas"),
    ("deployment_upgrade", "deployment", json.dumps({"replicas": 2}), "IEF.100002", "job_content.task_data.template"),
    ("node_upgrade", "node", task_data(), "IEF.100002", "job_content.task_data"),
    ("deployment_deploy", "deployment", task_data(), "IEF.100002", "job_content.target_type"),
    ("deployment_upgrade", "node", task_data(), "IEF.100002", "job_content.target_type"),
    ("deployment_deploy", "node_group", task_data(), "IEF.100003", "job_content.targets[0].target_id"),
    ("deployment_upgrade", "deployment", task_data(), "IEF.100003", "job_content.targets[0].target_id"),
])
async def test_create_refuses_bad_task_data_and_targets_naming_the_field(api, job_type, target_type, data, code, field):
    _, nodes = await world(api)
    # a node id is no group or deployment id: those targets are unknown
    reply = await api.post(jobs_path(api), job_body("bad", job_type, target_type, nodes[:1], data))
    assert reply.status == 400, reply.body
    assert reply.body["error_code"] == code and field in reply.body["error_msg"], reply.body
    assert (await api.get(jobs_path(api))).body["job_count"] == 0
    assert (await api.get(f"/v3/{api.project_id}/edgemgr/deployments")).body["count"] == 0


async def test_an_upgrade_job_scales_as_its_task_data_says_but_never_a_node_deployment(api):
    group, nodes = await world(api)
    on_node = await v3_deployment(api, "on-node", node_id=nodes[0])
    on_group = await v3_deployment(api, "on-group", group_id=group)
    await api.advance(3)
    three = json.dumps({"replicas": 3, "template": template("nginx:1.27")})
    refused = await api.post(jobs_path(api), job_body("scale", "deployment_upgrade", "deployment", [on_group, on_node], three))
    assert (refused.status, refused.body["error_code"]) == (400, "IEF.100002")
    assert "job_content.task_data.replicas" in refused.body["error_msg"]
    assert (await deployment(api, on_node))["template"]["containers"][0]["image_url"] == "nginx:1.25"
    job_id = await create_job(api, job_body("scale", "deployment_upgrade", "deployment", [on_group], three))
    await api.advance(30)
    assert (await show(api, job_id))["status"] == "success"
    assert (await deployment(api, on_group))["ready_replicas"] == 3


async def test_a_deploy_target_with_no_room_fails_its_task_at_once(api):
    group, _ = await world(api, nodes=1)
    huge = task_data(resources={"requests": {"cpu": "64"}, "limits": {"cpu": "64"}})
    job_id = await create_job(api, job_body("too-big", "deployment_deploy", "node_group", [group], huge))
    job = await show(api, job_id)
    assert job["status"] == "failed" and "has room" in job["tasks"][0]["reason"]
    assert (await api.get(f"/v3/{api.project_id}/edgemgr/deployments")).body["count"] == 0


async def test_a_deploy_job_that_fails_half_way_changes_nothing(api, monkeypatch):
    _, nodes = await world(api)
    before = await api.events(limit="100000")
    containers = api.engine.instances.containers
    real, calls = containers.begin_pull, [0]

    def second_pull_fails(*args, **kwargs):
        calls[0] += 1
        if calls[0] == 2:
            raise RuntimeError("injected")
        return real(*args, **kwargs)

    with monkeypatch.context() as patch:
        patch.setattr(containers, "begin_pull", second_pull_fails)
        reply = await api.post(jobs_path(api), job_body("half", "deployment_deploy", "node", nodes, task_data()))
    assert reply.status == 500
    assert (await api.get(jobs_path(api))).body["job_count"] == 0
    assert (await api.get(f"/v3/{api.project_id}/edgemgr/deployments")).body["count"] == 0
    assert await api.events(limit="100000") == before
    job_id = await create_job(api, job_body("half", "deployment_deploy", "node", nodes, task_data()))
    await api.advance(3)
    assert (await show(api, job_id))["status"] == "success"


# --- restart and determinism --------------------------------------------------------------------------


async def test_a_restart_mid_task_keeps_its_deadline_and_its_watch(tmp_path):
    db = tmp_path / "jobs.db"
    api = await start_api(db)
    try:
        _, nodes = await world(api)
        slow = await create_job(api, job_body("slow", "deployment_deploy", "node", nodes[:1],
                                              task_data("registry.example/slow:1")))
        await api.advance(1)
        quick = await create_job(api, job_body("quick", "deployment_deploy", "node", nodes[1:2], task_data()))
        await api.advance(1)
    finally:
        await stop_api(api)
    api = await start_api(db)
    try:
        await api.advance(1.999)
        assert (await show(api, quick))["status"] == "running"
        await api.advance(0.001)  # RUNNING 3 s after it was created at t=1
        assert (await show(api, quick))["status"] == "success"
        await api.advance(296)  # t=300
        assert (await show(api, slow))["status"] == "failed"
    finally:
        await stop_api(api)


async def _run_jobs(db) -> bytes:
    api = await start_api(db, seed=7)
    try:
        _, nodes = await world(api)
        await create_job(api, job_body("a", "deployment_deploy", "node", nodes, task_data()))
        await api.advance(5)
        dep_id = (await api.get(f"/v3/{api.project_id}/edgemgr/deployments")).body["deployments"][0]["id"]
        await create_job(api, job_body("b", "deployment_upgrade", "deployment", [dep_id], upgrade_data("nginx:1.27")))
        await api.advance(10)
        return orjson.dumps(await api.events(limit="100000"))
    finally:
        await stop_api(api)


async def test_the_same_seed_gives_the_same_event_log(tmp_path):
    first, second = await _run_jobs(tmp_path / "a.db"), await _run_jobs(tmp_path / "b.db")
    assert b'"job.task"' in first
    assert first == second
