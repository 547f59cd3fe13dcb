"""Batch node upgrade jobs and single node upgrades, on the virtual clock, over real HTTP."""

from __future__ import annotations

import gc

import pytest

from edgesim.engine.draws import Draws

from conftest import start_api, stop_api

JOBS = "/v2/{p}/productmgr/jobs"
OLD, NEW = "2.52.0", "2.53.0"
TEN_SECONDS = {"seconds": 10.0, "reconnect_seconds": 0.0, "failure_probability": 0.05, "concurrency": 10}



@pytest.fixture(autouse=True)
def _collect_garbage():
    """These tests build 100-node worlds; collecting their cycles here keeps a full collection
    from landing in a later timing-sensitive test (test_reliability_loop)."""
    yield
    gc.collect()

def jobs_path(api, tail: str = "") -> str:
    return JOBS.format(p=api.project_id) + tail


async def profile(api, **changes) -> None:
    reply = await api.put("/edgesim/upgrade-behavior", {**TEN_SECONDS, **changes}, token=None)
    assert reply.status == 200, reply.body


async def fleet(api, count: int) -> list[str]:
    reply = await api.post("/edgesim/fleet", {"nodes": count, "name_prefix": "up"}, token=None)
    assert reply.status == 201, reply.body
    return reply.body["node_ids"]


def job_body(node_ids: list[str], name: str = "upgrade-all", **extra) -> dict:
    return {"job_name": name, "job_type": "node_upgrade", **extra,
            "job_content": {"target_type": "node", "targets": [{"target_id": n} for n in node_ids]}}


async def create_job(api, node_ids: list[str], name: str = "upgrade-all") -> str:
    reply = await api.post(jobs_path(api), job_body(node_ids, name))
    assert reply.status == 201, reply.body
    return reply.body["job_id"]


async def show(api, job_id: str) -> dict:
    reply = await api.get(jobs_path(api, f"/{job_id}"))
    assert reply.status == 200, reply.body
    return reply.body


async def node(api, node_id: str) -> dict:
    return (await api.get(api.v2(f"nodes/{node_id}"))).body["node"]


def counts(job: dict) -> tuple[int, int, int]:
    return job["task_success_count"], job["task_failed_count"], job["task_running_count"]


def seeded_failures(job_id: str, node_ids: list[str], attempt: int = 0, p: float = 0.05, seed: int = 0) -> set[str]:
    """The same keyed draw as the engine: seed + job id + node + attempt."""
    return {n for n in node_ids if Draws(seed).rng(job_id, n, attempt, "fail").random() < p}


# --- the 100-node upgrade -------------------------------------------------------------------------


async def test_100_nodes_10_at_a_time_finish_after_10_waves_with_the_seeded_failures(api):
    await profile(api)
    nodes = await fleet(api, 100)
    job_id = await create_job(api, nodes)
    expected_failed = seeded_failures(job_id, nodes)
    assert 0 < len(expected_failed) < 20

    job = await show(api, job_id)
    assert job["status"] == "running" and counts(job) == (0, 0, 10)
    assert [t["status"] for t in job["tasks"][:11]] == ["running"] * 10 + ["queued"]
    assert (await node(api, nodes[0]))["state"] == "UPGRADING"

    await api.advance(55)  # five waves done, the sixth half-way
    job = await show(api, job_id)
    assert job["task_success_count"] + job["task_failed_count"] == 50 and job["task_running_count"] == 10
    listed = (await api.get(jobs_path(api))).body["jobs"][0]
    assert (listed["task_success_count"], listed["task_failed_count"]) == counts(job)[:2]

    await api.advance(44.999)
    assert (await show(api, job_id))["status"] == "running"
    await api.advance(0.001)  # 10 waves x 10 s
    job = await show(api, job_id)
    assert job["status"] == "partial_success"
    assert counts(job) == (100 - len(expected_failed), len(expected_failed), 0)
    failed = {t["target_id"] for t in job["tasks"] if t["status"] == "failed"}
    assert failed == expected_failed
    assert all("rolled back to 2.52.0" in t["reason"] for t in job["tasks"] if t["status"] == "failed")

    ok = next(n for n in nodes if n not in failed)
    answer = await node(api, ok)
    assert (answer["state"], answer["edged_version"], answer["ief_node_version"]) == ("RUNNING", NEW, NEW)
    assert answer["upgrade_flag"] is False
    [entry] = answer["upgrade_history"]
    assert (entry["from_version"], entry["to_version"], entry["result"], entry["dur_time"]) == (OLD, NEW, "upgrade_success", 10)
    bad = await node(api, sorted(failed)[0])
    assert (bad["state"], bad["edged_version"], bad["upgrade_flag"]) == ("RUNNING", OLD, True)
    assert bad["upgrade_history"][0]["result"] == "upgrade_failed_rollback_success"


async def test_stopped_half_way_the_rest_is_untouched_and_restore_finishes_it(api):
    await profile(api, failure_probability=0.0)
    nodes = await fleet(api, 100)
    job_id = await create_job(api, nodes)
    await api.advance(45)
    assert (await api.post(jobs_path(api, f"/{job_id}/pause"))).status == 200
    job = await show(api, job_id)
    assert job["status"] == "stopping" and counts(job) == (40, 0, 10)
    assert [t["status"] for t in job["tasks"][50:]] == ["stopped"] * 50
    await api.advance(5)
    job = await show(api, job_id)
    assert job["status"] == "stopped" and counts(job) == (50, 0, 0)
    await api.advance(100)
    for n in nodes[50:]:
        answer = await node(api, n)
        assert (answer["state"], answer["edged_version"], answer["upgrade_history"]) == ("RUNNING", OLD, [])
    assert (await api.post(jobs_path(api, f"/{job_id}/restore"))).status == 200
    assert (await show(api, job_id))["status"] == "running"
    await api.advance(50)
    assert counts(await show(api, job_id)) == (100, 0, 0)
    assert (await show(api, job_id))["status"] == "success"


async def test_retry_upgrades_the_failed_ones(api):
    await profile(api)
    nodes = await fleet(api, 100)
    job_id = await create_job(api, nodes)
    await api.advance(100)
    failed = seeded_failures(job_id, nodes)
    await profile(api, failure_probability=0.0)
    assert (await api.post(jobs_path(api, f"/{job_id}/retry"))).status == 200
    job = await show(api, job_id)
    assert job["status"] == "running" and counts(job) == (100 - len(failed), 0, len(failed))
    await api.advance(10)  # the failed ones fit in one wave
    job = await show(api, job_id)
    assert job["status"] == "success" and counts(job) == (100, 0, 0)
    answer = await node(api, sorted(failed)[0])
    assert answer["edged_version"] == NEW
    assert [h["result"] for h in answer["upgrade_history"]] == ["upgrade_failed_rollback_success", "upgrade_success"]


async def test_a_node_partitioned_during_its_upgrade_fails_it_and_keeps_its_version(api):
    await profile(api, failure_probability=0.0)
    nodes = await fleet(api, 2)
    job_id = await create_job(api, nodes)
    await api.advance(3)
    assert (await api.post(f"/edgesim/nodes/{nodes[0]}/disconnect", token=None)).status == 200
    await api.advance(7)  # when its upgrade was due
    job = await show(api, job_id)
    assert job["status"] == "partial_success" and counts(job) == (1, 1, 0)
    assert job["tasks"][0]["reason"] == f"node {(await node(api, nodes[0]))['name']} stopped reporting during the upgrade"
    cut = await node(api, nodes[0])
    assert cut["edged_version"] == OLD and cut["upgrade_history"][0]["result"] == "upgrade_failed"
    # it comes back; the failed upgrade can be retried
    assert (await api.post(f"/edgesim/nodes/{nodes[0]}/connect", token=None)).status == 200
    assert (await api.post(jobs_path(api, f"/{job_id}/retry"))).status == 200
    await api.advance(10)
    assert (await show(api, job_id))["status"] == "success"
    assert (await node(api, nodes[0]))["edged_version"] == NEW


async def test_a_node_that_comes_back_before_its_upgrade_ends_fails_it_at_once(api):
    await profile(api, failure_probability=0.0)
    [n] = await fleet(api, 1)
    assert (await api.post(api.v2(f"nodes/{n}/upgrade"))).status == 202
    await api.post(f"/edgesim/nodes/{n}/disconnect", token=None)
    await api.advance(2)
    await api.post(f"/edgesim/nodes/{n}/connect", token=None)
    answer = await node(api, n)
    assert (answer["state"], answer["edged_version"]) == ("RUNNING", OLD)
    assert answer["upgrade_history"][0]["result"] == "upgrade_failed"
    assert answer["upgrade_history"][0]["dur_time"] == 2


async def test_an_offline_target_fails_at_once(api):
    await profile(api, failure_probability=0.0)
    nodes = await fleet(api, 2)
    stop = await api.post(api.v2(f"nodes/{nodes[1]}/action"), {"node": {"action": "stop"}})
    assert stop.status == 200, stop.body
    job_id = await create_job(api, nodes)
    job = await show(api, job_id)
    assert job["tasks"][1]["status"] == "failed" and job["tasks"][1]["reason"].endswith("is not running")
    assert counts(job) == (0, 1, 1)


async def test_a_restart_mid_job_carries_on(tmp_path):
    db = tmp_path / "jobs.db"
    api = await start_api(db)
    await profile(api, failure_probability=0.0)
    nodes = await fleet(api, 30)
    job_id = await create_job(api, nodes)
    await api.advance(15)
    await stop_api(api)
    api = await start_api(db)
    try:
        job = await show(api, job_id)
        assert job["status"] == "running" and counts(job) == (10, 0, 10)
        await api.advance(14.999)
        assert (await show(api, job_id))["status"] == "running"
        await api.advance(0.001)
        job = await show(api, job_id)
        assert job["status"] == "success" and counts(job) == (30, 0, 0)
    finally:
        await stop_api(api)


async def test_a_job_running_past_its_timeout_times_out_and_retry_finishes_it(api):
    await profile(api, failure_probability=0.0, job_timeout_seconds=25.0)
    nodes = await fleet(api, 40)
    job_id = await create_job(api, nodes)
    await api.advance(25)
    job = await show(api, job_id)
    assert job["status"] == "timeout"
    assert [t["status"] for t in job["tasks"][30:]] == ["stopped"] * 10
    await api.advance(5)  # the running ones still finish and count
    assert counts(await show(api, job_id)) == (30, 0, 0)
    assert (await api.post(jobs_path(api, f"/{job_id}/retry"))).status == 200
    await api.advance(10)
    assert (await show(api, job_id))["status"] == "success"


# --- the rules ------------------------------------------------------------------------------------


@pytest.mark.parametrize(("change", "code", "field"), [
    ({"job_name": "Upper"}, "IEF.100002", "job_name"),
    ({"job_name": "-dash"}, "IEF.100002", "job_name"),
    ({"job_name": "a" * 27}, "IEF.100002", "job_name"),
    ({"job_type": "node_reboot"}, "IEF.100002", "job_type"),
    ({"job_type": "deployment_deploy"}, "IEF.100002", "job_type"),
    ({"job_content": {"target_type": "deployment", "targets": [{"target_id": "x"}]}}, "IEF.100002", "target_type"),
    ({"job_content": {"target_type": "node", "targets": []}}, "IEF.100002", "targets"),
    ({"job_content": {"target_type": "node", "targets": [{"target_id": "nope"}]}}, "IEF.100003", "targets[0].target_id"),
    ({"description": "a<b"}, "IEF.100002", "description"),
])
async def test_create_refuses_a_bad_body_naming_the_field(api, change, code, field):
    nodes = await api.node_ids()
    reply = await api.post(jobs_path(api), {**job_body(nodes[:1]), **change})
    assert reply.status == 400, reply.body
    assert reply.body["error_code"] == code and field in reply.body["error_msg"]
    assert (await api.get(jobs_path(api))).body["job_count"] == 0


async def test_names_are_unique_and_targets_listed_once(api):
    nodes = await api.node_ids()
    assert (await api.post(jobs_path(api), job_body(nodes[:1], "twice", description="ok"))).status == 201
    again = await api.post(jobs_path(api), job_body(nodes[:1], "twice"))
    assert (again.status, again.body["error_code"]) == (400, "IEF.100006")
    doubled = await api.post(jobs_path(api), job_body([nodes[1], nodes[1]], "doubled"))
    assert doubled.status == 400 and "targets[1].target_id" in doubled.body["error_msg"]


async def test_actions_in_the_wrong_state_are_409_and_delete_needs_a_finished_job(api):
    await profile(api, failure_probability=0.0)
    nodes = await fleet(api, 1)
    job_id = await create_job(api, nodes)
    for action in ("restore", "retry"):
        reply = await api.post(jobs_path(api, f"/{job_id}/{action}"))
        assert (reply.status, reply.body["error_code"]) == (409, "IEF.100007")
    refused = await api.delete(jobs_path(api, f"/{job_id}"))
    assert (refused.status, refused.body["error_code"]) == (409, "IEF.100007")
    await api.advance(10)
    assert (await api.post(jobs_path(api, f"/{job_id}/pause"))).status == 409
    assert (await api.post(jobs_path(api, f"/{job_id}/retry"))).status == 409  # success: nothing to retry
    assert (await api.delete(jobs_path(api, f"/{job_id}"))).status == 204
    assert (await api.get(jobs_path(api, f"/{job_id}"))).status == 404


async def test_list_filters_by_job_type_and_pages(api):
    nodes = await api.node_ids()
    first = await create_job(api, nodes[:1], "first")
    await api.advance(1)
    second = await create_job(api, nodes[1:2], "second")
    listed = (await api.get(jobs_path(api, "?job_type=node_upgrade&sort=created_at:asc&limit=1&offset=1"))).body
    assert listed["job_count"] == 2 and [j["job_id"] for j in listed["jobs"]] == [second]
    assert (await api.get(jobs_path(api, "?job_type=deployment_deploy"))).body == {"job_count": 0, "jobs": []}
    assert [j["job_id"] for j in (await api.get(jobs_path(api))).body["jobs"]] == [second, first]
    bad = await api.get(jobs_path(api, "?job_type=reboot"))
    assert (bad.status, bad.body["error_code"]) == (400, "IEF.100002")


async def test_single_upgrade_202_then_refusals(api):
    await profile(api, failure_probability=0.0)
    [n] = await fleet(api, 1)
    info = (await api.get(api.v2(f"nodes/{n}/upgrade"))).body
    assert info == {"upgrade_enable": True, "reason": "", "version": NEW}
    reply = await api.post(api.v2(f"nodes/{n}/upgrade"))
    assert (reply.status, reply.body) == (202, None)
    assert (await node(api, n))["state"] == "UPGRADING"
    busy = await api.post(api.v2(f"nodes/{n}/upgrade"))
    assert (busy.status, busy.body["error_code"]) == (409, "IEF.100007")
    assert (await api.delete(api.v2(f"nodes/{n}"))).status == 409  # not while upgrading
    await api.advance(10)
    done = await api.post(api.v2(f"nodes/{n}/upgrade"))
    assert done.status == 409 and "already the latest version" in done.body["error_msg"]
    assert (await api.get(api.v2(f"nodes/{n}/upgrade"))).body["upgrade_enable"] is False
    missing = await api.post(api.v2("nodes/00000000-0000-4000-8000-000000000000/upgrade"))
    assert (missing.status, missing.body["error_code"]) == (404, "IEF.100003")


@pytest.mark.parametrize(("change", "field"), [
    ({"failure_probability": 1.5}, "failure_probability"),
    ({"seconds": [5, 1]}, "seconds"),
    ({"concurrency": 0}, "concurrency"),
    ({"job_timeout_seconds": False}, "job_timeout_seconds"),  # not read as 0 (schemathesis)
    ({"reconnect_seconds": [0, True]}, "reconnect_seconds"),
])
async def test_upgrade_profile_refuses_bad_values(api, change, field):
    reply = await api.put("/edgesim/upgrade-behavior", {**TEN_SECONDS, **change}, token=None)
    assert reply.status == 400 and field in reply.body["error_msg"]
    assert (await api.get("/edgesim/upgrade-behavior", token=None)).body["failure_probability"] == 0.05


async def test_upgrade_profile_needs_a_body(api):
    """A PUT without a body is refused (schemathesis found it answered 200), changing nothing."""
    reply = await api.call("PUT", "/edgesim/upgrade-behavior", token=None)
    assert (reply.status, reply.body["error_code"]) == (400, "EDGESIM.0400")
    assert "empty" in reply.body["error_msg"]
    assert (await api.get("/edgesim/upgrade-behavior", token=None)).body["failure_probability"] == 0.05


async def test_the_upgrade_profile_survives_a_restart(tmp_path):
    api = await start_api(tmp_path / "p.db")
    await profile(api, concurrency=3)
    await stop_api(api)
    api = await start_api(tmp_path / "p.db")
    try:
        assert (await api.get("/edgesim/upgrade-behavior", token=None)).body["concurrency"] == 3
    finally:
        await stop_api(api)
