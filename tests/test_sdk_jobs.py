"""The official SDK drives batch jobs (7 operations) and the node upgrade with AK/SK signing,
error cases included; the virtual clock moves through POST /edgesim/clock/advance."""

from __future__ import annotations

import gc
import json

import pytest
from huaweicloudsdkcore.exceptions.exceptions import ClientRequestException
from huaweicloudsdkief.v1 import (
    BatchJobRequest,
    CreateBatchJobRequest,
    DeleteBatchJobRequest,
    Extension,
    JobContentInfo,
    ListBatchJobRequest,
    RestoreBatchJobRequest,
    RetryBatchJobRequest,
    ShowBatchJobRequest,
    ShowDeploymentRequest,
    ShowEdgeNodeDetailRequest,
    StopBatchJobRequest,
    Target,
    UpgradeEdgeNodeRequest,
)
from test_sdk_e2e import _no_proxy, call, sdk  # noqa: F401  (_no_proxy: an autouse fixture)


@pytest.fixture(autouse=True)
def _collect_garbage():
    """These tests build 100-node worlds; collecting their cycles here keeps a full collection
    from landing in a later timing-sensitive test (test_reliability_loop)."""
    yield
    gc.collect()

def job_request(name: str, node_ids: list[str], job_type: str = "node_upgrade") -> CreateBatchJobRequest:
    return CreateBatchJobRequest(body=BatchJobRequest(
        job_name=name, job_type=job_type, description="fleet upgrade",
        job_content=JobContentInfo(target_type="node", targets=[
            Target(target_id=n, extension_info=[Extension(key="node_name", value=f"n{i}")]) for i, n in enumerate(node_ids)]),
    ))


async def refused(client, method: str, request) -> tuple[int, str]:
    with pytest.raises(ClientRequestException) as error:
        await call(client, method, request)
    return error.value.status_code, error.value.error_code


async def test_the_sdk_drives_a_batch_upgrade_through_stop_restore_retry_and_delete(api):
    profile = {"seconds": 10.0, "failure_probability": 0.0, "concurrency": 2}
    assert (await api.put("/edgesim/upgrade-behavior", profile, token=None)).status == 200
    nodes = (await api.post("/edgesim/fleet", {"nodes": 4, "name_prefix": "sdk"}, token=None)).body["node_ids"]
    client = sdk(api.url)

    created = await call(client, "create_batch_job", job_request("sdk-upgrade", nodes))
    assert created.status_code == 201 and created.job_name == "sdk-upgrade" and isinstance(created.created_at, int)
    shown = await call(client, "show_batch_job", ShowBatchJobRequest(job_id=created.job_id))
    assert (shown.status, shown.task_total_count, shown.target_type) == ("running", 4, "node")
    assert [t.status for t in shown.tasks] == ["running", "running", "queued", "queued"]
    assert shown.tasks[0].extension_info[0].value == "n0"

    assert (await call(client, "stop_batch_job", StopBatchJobRequest(job_id=created.job_id))).status_code == 200
    await api.advance(10)
    shown = await call(client, "show_batch_job", ShowBatchJobRequest(job_id=created.job_id))
    assert (shown.status, shown.task_success_count, shown.task_failed_count) == ("stopped", 2, 0)
    assert await refused(client, "stop_batch_job", StopBatchJobRequest(job_id=created.job_id)) == (409, "IEF.100007")

    assert (await call(client, "restore_batch_job", RestoreBatchJobRequest(job_id=created.job_id))).status_code == 200
    await api.advance(10)
    shown = await call(client, "show_batch_job", ShowBatchJobRequest(job_id=created.job_id))
    assert (shown.status, shown.task_success_count) == ("success", 4)
    assert await refused(client, "retry_batch_job", RetryBatchJobRequest(job_id=created.job_id)) == (409, "IEF.100007")

    listed = await call(client, "list_batch_job", ListBatchJobRequest(job_type="node_upgrade", limit=10, offset=0,
                                                                      sort="created_at:desc"))
    assert listed.job_count == 1 and listed.jobs[0].job_id == created.job_id and listed.jobs[0].status == "success"

    assert (await call(client, "delete_batch_job", DeleteBatchJobRequest(job_id=created.job_id))).status_code == 204
    assert await refused(client, "show_batch_job", ShowBatchJobRequest(job_id=created.job_id)) == (404, "IEF.100003")


async def test_the_sdk_retries_failed_tasks_and_upgrades_one_node(api):
    failing = {"seconds": 10.0, "failure_probability": 1.0}
    assert (await api.put("/edgesim/upgrade-behavior", failing, token=None)).status == 200
    nodes = (await api.post("/edgesim/fleet", {"nodes": 2, "name_prefix": "sdk"}, token=None)).body["node_ids"]
    client = sdk(api.url)
    job = await call(client, "create_batch_job", job_request("always-fails", nodes[:1]))
    await api.advance(10)
    shown = await call(client, "show_batch_job", ShowBatchJobRequest(job_id=job.job_id))
    assert (shown.status, shown.task_failed_count) == ("failed", 1) and "rolled back" in shown.tasks[0].reason
    assert (await api.put("/edgesim/upgrade-behavior", {**failing, "failure_probability": 0.0}, token=None)).status == 200
    assert (await call(client, "retry_batch_job", RetryBatchJobRequest(job_id=job.job_id))).status_code == 200
    await api.advance(10)
    assert (await call(client, "show_batch_job", ShowBatchJobRequest(job_id=job.job_id))).status == "success"

    upgraded = await call(client, "upgrade_edge_node", UpgradeEdgeNodeRequest(node_id=nodes[1]))
    assert upgraded.status_code == 202
    node = (await call(client, "show_edge_node_detail", ShowEdgeNodeDetailRequest(node_id=nodes[1]))).node
    assert node.state == "UPGRADING"
    assert await refused(client, "upgrade_edge_node", UpgradeEdgeNodeRequest(node_id=nodes[1])) == (409, "IEF.100007")
    await api.advance(10)
    node = (await call(client, "show_edge_node_detail", ShowEdgeNodeDetailRequest(node_id=nodes[1]))).node
    assert (node.state, node.edged_version, node.upgrade_flag) == ("RUNNING", "2.53.0", False)
    assert node.upgrade_history[0].result == "upgrade_success" and node.upgrade_history[0].dur_time == 10


async def test_the_sdk_sees_the_refusals(api):
    client = sdk(api.url)
    nodes = await api.node_ids()
    assert await refused(client, "create_batch_job", job_request("Bad_Name", nodes[:1])) == (400, "IEF.100002")
    assert await refused(client, "create_batch_job", job_request("deploy", nodes[:1], "deployment_deploy")) == (400, "IEF.100002")
    assert await refused(client, "create_batch_job", job_request("ghost", ["missing-node"])) == (400, "IEF.100003")
    assert await refused(client, "list_batch_job", ListBatchJobRequest(job_type="reboot")) == (400, "IEF.100002")
    for method, request in (("show_batch_job", ShowBatchJobRequest(job_id="nope")),
                            ("stop_batch_job", StopBatchJobRequest(job_id="nope")),
                            ("restore_batch_job", RestoreBatchJobRequest(job_id="nope")),
                            ("retry_batch_job", RetryBatchJobRequest(job_id="nope")),
                            ("delete_batch_job", DeleteBatchJobRequest(job_id="nope")),
                            ("upgrade_edge_node", UpgradeEdgeNodeRequest(node_id="nope"))):
        assert await refused(client, method, request) == (404, "IEF.100003"), method
    bad_key = sdk(api.url, sk="WrongSecretKey000000000000000000000000000")
    status, _ = await refused(bad_key, "list_batch_job", ListBatchJobRequest())
    assert status == 401
    assert (await api.get(f"/v2/{api.project_id}/productmgr/jobs")).body["job_count"] == 0


async def test_the_sdk_deploys_and_upgrades_apps_by_batch_job(api):
    """deployment_deploy then deployment_upgrade, task_data as the SDK documents it: the v3
    create body's ``deployment`` parameter as a JSON string; a bad one is refused naming it."""
    assert (await api.put("/edgesim/behaviors", [{"match": "*", "pull": {"seconds": 2}, "start": {"seconds": 1}}],
                          token=None)).status == 200
    nodes = (await api.post("/edgesim/fleet", {"nodes": 2, "name_prefix": "app"}, token=None)).body["node_ids"]
    client = sdk(api.url)

    def app_job(name: str, job_type: str, target_type: str, targets: list[str], data: str) -> CreateBatchJobRequest:
        return CreateBatchJobRequest(body=BatchJobRequest(job_name=name, job_type=job_type, job_content=JobContentInfo(
            target_type=target_type, targets=[Target(target_id=t) for t in targets], task_data=data)))

    def spec(image: str) -> str:
        return json.dumps({"replicas": 1, "template": {"configs": {"restart_policy": "Always"},
                                                        "containers": [{"name": "web", "image_url": image}]}})

    deploy = await call(client, "create_batch_job", app_job("sdk-deploy", "deployment_deploy", "node", nodes, spec("nginx:1.25")))
    await api.advance(3)
    shown = await call(client, "show_batch_job", ShowBatchJobRequest(job_id=deploy.job_id))
    assert (shown.status, shown.task_success_count, shown.job_type) == ("success", 2, "deployment_deploy")
    dep_ids = [d["id"] for d in (await api.get(f"/v3/{api.project_id}/edgemgr/deployments")).body["deployments"]]
    assert len(dep_ids) == 2

    upgrade = await call(client, "create_batch_job", app_job("sdk-upgrade", "deployment_upgrade", "deployment", dep_ids,
                                                             spec("nginx:1.27")))
    await api.advance(3)
    shown = await call(client, "show_batch_job", ShowBatchJobRequest(job_id=upgrade.job_id))
    assert (shown.status, shown.task_success_count) == ("success", 2)
    dep = await call(client, "show_deployment", ShowDeploymentRequest(deployment_id=dep_ids[0]))
    assert dep.template.containers[0].image_url == "nginx:1.27"
    listed = await call(client, "list_batch_job", ListBatchJobRequest(job_type="deployment_upgrade"))
    assert listed.job_count == 1 and listed.jobs[0].job_id == upgrade.job_id

    bad = app_job("sdk-bad", "deployment_deploy", "node", nodes[:1], '{"replicas": 1}')
    assert await refused(client, "create_batch_job", bad) == (400, "IEF.100002")
    unknown = app_job("sdk-ghost", "deployment_upgrade", "deployment", ["missing"], spec("nginx:1.27"))
    assert await refused(client, "create_batch_job", unknown) == (400, "IEF.100003")
