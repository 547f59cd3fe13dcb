"""Chaos for fleet operations, on the virtual clock over real HTTP: an upgrade that fails on a
share of the nodes (``upgrade_failure``), an upgrade that hangs (``upgrade_hang``) until the
fault ends while the job's 10-minute timeout applies, and group certificates that expire early
(``cert_expiry`` on a group)."""

from __future__ import annotations

import pytest

from conftest import start_api, stop_api

JOBS = "/v2/{p}/productmgr/jobs"
FAULTS = "/edgesim/chaos/faults"
OLD, NEW = "2.52.0", "2.53.0"
TEN_SECONDS = {"seconds": 10.0, "reconnect_seconds": 0.0, "failure_probability": 0.0, "concurrency": 10}


async def group_fleet(api, count: int) -> tuple[str, list[str]]:
    assert (await api.put("/edgesim/upgrade-behavior", TEN_SECONDS, token=None)).status == 200
    reply = await api.post("/edgesim/fleet", {"nodes": count, "groups": {"fleet": count}, "name_prefix": "up"}, token=None)
    assert reply.status == 201, reply.body
    group = reply.body["groups"][0]
    return group["id"], sorted(group["node_ids"])


async def add_fault(api, **fault) -> dict:
    reply = await api.post(FAULTS, fault, token=None)
    assert reply.status == 201, reply.body
    return reply.body


async def upgrade_job(api, node_ids: list[str]) -> str:
    body = {"job_name": "fleet-upgrade", "job_type": "node_upgrade",
            "job_content": {"target_type": "node", "targets": [{"target_id": n} for n in node_ids]}}
    reply = await api.post(JOBS.format(p=api.project_id), body)
    assert reply.status == 201, reply.body
    return reply.body["job_id"]


async def show(api, job_id: str) -> dict:
    return (await api.get(JOBS.format(p=api.project_id) + f"/{job_id}")).body


async def node(api, node_id: str) -> dict:
    return (await api.get(api.v2(f"nodes/{node_id}"))).body["node"]


# --- upgrade_failure -------------------------------------------------------------------------------


async def test_upgrade_failure_fails_the_upgrades_of_the_drawn_share_and_a_retry_after_it_succeeds(api):
    group, nodes = await group_fleet(api, 20)
    fault = await add_fault(api, kind="upgrade_failure", target={"group_id": group}, probability=0.3, duration=30)
    hit = set(fault["nodes"])
    assert 0 < len(hit) < 20  # a share, drawn from the seed
    job_id = await upgrade_job(api, nodes)
    await api.advance(20)  # two waves, both ending while the fault is in force
    job = await show(api, job_id)
    assert job["status"] == "partial_success"
    failed = {t["target_id"] for t in job["tasks"] if t["status"] == "failed"}
    assert failed == hit
    reason = next(t["reason"] for t in job["tasks"] if t["status"] == "failed")
    assert f"(fault {fault['id']})" in reason and reason.endswith(f"rolled back to {OLD}")
    bad = await node(api, sorted(hit)[0])
    assert (bad["state"], bad["edged_version"]) == ("RUNNING", OLD)
    assert bad["upgrade_history"][0]["result"] == "upgrade_failed_rollback_success"
    await api.advance(10)  # the fault ends at 30
    assert (await api.post(JOBS.format(p=api.project_id) + f"/{job_id}/retry")).status == 200
    await api.advance(10)
    assert (await show(api, job_id))["status"] == "success"
    assert (await node(api, sorted(hit)[0]))["edged_version"] == NEW


async def test_upgrade_failure_with_probability_0_hits_no_node(api):
    group, nodes = await group_fleet(api, 5)
    fault = await add_fault(api, kind="upgrade_failure", target={"group_id": group}, probability=0.0)
    assert fault["nodes"] == []
    job_id = await upgrade_job(api, nodes)
    await api.advance(10)
    assert (await show(api, job_id))["status"] == "success"


# --- upgrade_hang ---------------------------------------------------------------------------------


async def test_a_hung_upgrade_times_the_job_out_at_10_minutes_and_ends_with_the_fault(api):
    group, nodes = await group_fleet(api, 3)
    fault = await add_fault(api, kind="upgrade_hang", target={"node_ids": nodes[:2]}, duration=900)
    job_id = await upgrade_job(api, nodes)
    await api.advance(10)  # the upgrades are due: two hang, one ends
    job = await show(api, job_id)
    assert [t["status"] for t in job["tasks"]] == ["running", "running", "success"]
    assert [(await node(api, n))["state"] for n in nodes] == ["UPGRADING", "UPGRADING", "RUNNING"]
    hung = await api.events(kind="node.upgrade_hung")
    assert [(e["node_id"], e["fault_id"], e["time"]) for e in hung] == [(n, fault["id"], 10) for n in nodes[:2]]
    await api.advance(589.999)
    assert (await show(api, job_id))["status"] == "running"
    await api.advance(0.001)  # 600 s: the job's timeout (UG: 10 min)
    job = await show(api, job_id)
    assert job["status"] == "timeout" and job["task_running_count"] == 2
    await api.advance(300)  # the fault ends at 900: the hung upgrades end, as drawn
    job = await show(api, job_id)
    assert job["status"] == "timeout" and (job["task_success_count"], job["task_running_count"]) == (3, 0)
    upgraded = await node(api, nodes[0])
    assert (upgraded["state"], upgraded["edged_version"]) == ("RUNNING", NEW)
    assert upgraded["upgrade_history"][0]["dur_time"] == 900


async def test_deleting_the_hang_fault_ends_the_hung_upgrade_at_once(api):
    _, nodes = await group_fleet(api, 1)
    fault = await add_fault(api, kind="upgrade_hang", target={"node_ids": nodes})
    assert (await api.post(api.v2(f"nodes/{nodes[0]}/upgrade"))).status == 202
    await api.advance(50)
    assert (await node(api, nodes[0]))["state"] == "UPGRADING"
    assert (await api.delete(f"{FAULTS}/{fault['id']}", token=None)).status == 204
    answer = await node(api, nodes[0])
    assert (answer["state"], answer["edged_version"], answer["upgrade_history"][0]["dur_time"]) == ("RUNNING", NEW, 50)


async def test_a_hung_node_that_stops_reporting_fails_its_upgrade(api):
    _, nodes = await group_fleet(api, 1)
    await add_fault(api, kind="upgrade_hang", target={"node_ids": nodes}, duration=100)
    job_id = await upgrade_job(api, nodes)
    await api.advance(20)
    assert (await api.post(f"/edgesim/nodes/{nodes[0]}/disconnect", token=None)).status == 200
    await api.advance(100)  # the fault ends while the node is silent: the upgrade fails
    job = await show(api, job_id)
    assert job["status"] == "failed" and job["tasks"][0]["reason"].endswith("stopped reporting during the upgrade")
    assert (await node(api, nodes[0]))["edged_version"] == OLD


async def test_a_hung_upgrade_survives_a_restart(tmp_path):
    db = tmp_path / "hang.db"
    api = await start_api(db)
    try:
        _, nodes = await group_fleet(api, 1)
        await add_fault(api, kind="upgrade_hang", target={"node_ids": nodes}, duration=200)
        assert (await api.post(api.v2(f"nodes/{nodes[0]}/upgrade"))).status == 202
        await api.advance(100)
    finally:
        await stop_api(api)
    api = await start_api(db)
    try:
        await api.advance(99.999)
        assert (await node(api, nodes[0]))["state"] == "UPGRADING"
        assert len(await api.events(kind="node.upgrade_hung")) == 1  # not hung again on reload
        await api.advance(0.001)
        assert (await node(api, nodes[0]))["edged_version"] == NEW
    finally:
        await stop_api(api)


# --- targets refused ------------------------------------------------------------------------------


@pytest.mark.parametrize(("fault", "field"), [
    ({"kind": "upgrade_failure", "target": {"node_ids": ["nope"]}}, "target.node_ids[0]"),
    ({"kind": "upgrade_hang", "target": {"group_id": "nope"}}, "target.group_id"),
    ({"kind": "upgrade_hang", "target": {"image": "*"}}, "targets node_ids or a group_id"),
    ({"kind": "upgrade_failure", "target": {"node_ids": []}, "probability": 1.5}, "probability"),
])
async def test_upgrade_faults_refuse_unknown_or_wrong_targets(api, fault, field):
    reply = await api.post(FAULTS, fault, token=None)
    assert (reply.status, reply.body["error_code"]) == (400, "EDGESIM.0400")
    assert field in reply.body["error_msg"], reply.body
    assert (await api.get(FAULTS, token=None)).body["faults"] == []


# --- cert_expiry on a group -----------------------------------------------------------------------


async def test_cert_expiry_on_a_group_expires_its_certificates_now_and_they_stay_expired(api):
    group, nodes = await group_fleet(api, 2)
    base = api.v2(f"groups/{group}/certs")
    certs = [(await api.post(base, {"name": name})).body["id"] for name in ("one", "two")]
    await api.advance(100)
    fault = await add_fault(api, kind="cert_expiry", target={"group_id": group}, duration=60)
    started = (await api.events(kind="fault.started"))[-1]
    assert sorted(started["certs"]) == sorted(certs) and sorted(started["nodes"]) == nodes
    expired = await api.events(kind="cert.expired")
    assert sorted((e.get("group_id"), e["time"]) for e in expired if e.get("group_id")) == [(group, 100), (group, 100)]
    shown = (await api.get(f"{base}/{certs[0]}")).body
    assert (shown["expired"], shown["cert_remaining_valid_time"]) == (True, 0)
    assert (await node(api, nodes[0]))["cert_remaining_valid_time"] == 0  # the nodes' own too
    await api.advance(60)  # the fault ends: the nodes' certificates are renewed, the group's not
    assert (await api.get(f"{base}/{certs[0]}")).body["expired"] is True
    assert (await node(api, nodes[0]))["cert_remaining_valid_time"] > 0
    assert fault["id"] in {f["id"] for f in (await api.get(FAULTS, token=None)).body["faults"]}


async def test_cert_expiry_with_probability_0_leaves_the_group_certificates_valid(api):
    group, _ = await group_fleet(api, 1)
    base = api.v2(f"groups/{group}/certs")
    cert = (await api.post(base, {"name": "one"})).body["id"]
    await add_fault(api, kind="cert_expiry", target={"group_id": group}, probability=0.0)
    await api.advance(1)
    assert (await api.get(f"{base}/{cert}")).body["expired"] is False
    assert (await api.events(kind="fault.started"))[-1]["certs"] == []
