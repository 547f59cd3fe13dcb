"""The official ``huaweicloudsdkief`` SDK drives edgesim over a real socket, changing only the
endpoint: AK/SK signing, v2 nodes and groups, v3 deployments and pods.

The SDK is synchronous, so its calls run in a thread while the in-process server (virtual
clock) answers on the test's event loop; the clock moves through POST /edgesim/clock/advance.
"""

from __future__ import annotations

import asyncio

import pytest
from huaweicloudsdkcore.auth.credentials import BasicCredentials
from huaweicloudsdkcore.exceptions.exceptions import ClientRequestException
from huaweicloudsdkief.v1 import (
    Attributes,
    ContainerDef,
    CreateAppsInDeploymentV3,
    CreateDeploymentsRequest,
    CreateEdgeGroupRequest,
    CreateEdgeNodeRequest,
    DeleteDeploymentRequest,
    DeletePodRequest,
    Deployment,
    DeploymentResources,
    EdgeGroupRequest,
    EdgeNode,
    HttpGetDetail,
    IefClient,
    ListDeploymentsRequest,
    ListPodsRequest,
    Node,
    PodConfigs,
    PodRequest,
    Probe,
    RestartDeploymentsPodRequest,
    ShowDeploymentRequest,
    ShowEdgeNodeDetailRequest,
    UpdateDeployment,
    UpdateDeploymentRequest,
    UpdatePodDeployment,
)

from conftest import PROJECT_ID

AK, SK = "EDGESIMDEMOAK0000001", "EdgesimDemoSecretKey0000000000000000000001"


@pytest.fixture(autouse=True)
def _no_proxy(monkeypatch):
    monkeypatch.setenv("NO_PROXY", "127.0.0.1,localhost")


def sdk(url: str, sk: str = SK) -> IefClient:
    return IefClient.new_builder().with_credentials(BasicCredentials(AK, sk, PROJECT_ID)).with_endpoints([url]).build()


def template(image: str) -> PodRequest:
    return PodRequest(
        configs=PodConfigs(restart_policy="Always", migration=True, toleration_seconds=60),
        containers=[ContainerDef(
            name="web",
            image_url=image,
            resources=DeploymentResources(limits={"cpu": "0.5", "memory": "256"}, requests={"cpu": "0.25"}),
            readiness_probe=Probe(http_get=HttpGetDetail(path="/healthz", port=80), initial_delay_seconds=5),
        )],
    )


async def call(client: IefClient, method: str, request):
    return await asyncio.to_thread(getattr(client, method), request)


async def refused(client: IefClient, method: str, request, status: int, code: str) -> str:
    """Call through the SDK, expecting the service to refuse with ``status`` and the IEF ``code``;
    returns the error message (the other test_sdk_* modules use it too)."""
    with pytest.raises(ClientRequestException) as caught:
        await call(client, method, request)
    assert (caught.value.status_code, caught.value.error_code) == (status, code), (method, caught.value.error_msg)
    return caught.value.error_msg


async def pods_of(client: IefClient, deployment_id: str) -> list:
    return (await call(client, "list_pods", ListPodsRequest(deployment_id=deployment_id))).pods


async def wait_until(api, client, deployment_id: str, done, step: float = 5.0, limit: float = 120.0) -> list:
    """Advance the virtual clock until ``done(pods)``; no sleeping."""
    waited = 0.0
    while True:
        pods = await pods_of(client, deployment_id)
        if done(pods):
            return pods
        assert waited < limit, [(p.name, p.state, p.containers[0].reason) for p in pods]
        await api.advance(step)
        waited += step


def all_running(image: str, count: int):
    def check(pods) -> bool:
        live = [p for p in pods if p.state != "TERMINATING"]
        return len(live) == count and all(
            p.state == "RUNNING" and p.containers[0].image_url == image and p.containers[0].is_ready == "true"
            for p in live
        ) and len(pods) == count
    return check


async def test_the_official_sdk_drives_a_v3_deployment_from_node_to_delete(api):
    client = sdk(api.url)

    # register a node; its simulated agent connects a few seconds later
    node = (await call(client, "create_edge_node", CreateEdgeNodeRequest(body=Node(node=EdgeNode(name="sdk-node"))))).node
    assert node.state == "UNCONNECTED"
    await api.advance(20)
    shown = await call(client, "show_edge_node_detail", ShowEdgeNodeDetailRequest(node_id=node.id))
    assert shown.node.state == "RUNNING"

    # a group of the new node and one of the fleet's
    fleet_node = (await api.node_ids())[0]
    group = await call(client, "create_edge_group", CreateEdgeGroupRequest(
        body=EdgeGroupRequest(name="sdk-group", node_ids=[node.id, fleet_node])))
    assert sorted(n.id for n in group.nodes) == sorted([node.id, fleet_node])

    # a v3 deployment of two replicas on the group
    created = await call(client, "create_deployments", CreateDeploymentsRequest(body=Deployment(
        name="sdk-web", description="made by the SDK", group_id=group.id, tags=[Attributes(key="app", value="web")],
        deployment=CreateAppsInDeploymentV3(replicas=2, template=template("nginx:1.25")),
    )))
    assert created.status_code == 201
    assert (created.name, created.replicas, created.api_version, created.group_id) == ("sdk-web", 2, "v3", group.id)
    assert created.template.containers[0].resources.limits == {"cpu": "0.5", "memory": "256"}
    pods = await wait_until(api, client, created.id, all_running("nginx:1.25", 2))
    assert all(p.name.startswith("sdk-web-") and len(p.name) == len("sdk-web-") + 5 for p in pods)
    assert {p.node_id for p in pods} <= {node.id, fleet_node}
    shown = await call(client, "show_deployment", ShowDeploymentRequest(deployment_id=created.id))
    assert shown.ready_replicas == 2
    listed = await call(client, "list_deployments", ListDeploymentsRequest(name="sdk-web", group_id=group.id))
    assert listed.count == 1 and listed.deployments[0].tags[0].key == "app"

    # update the image: the pods roll to it
    updated = await call(client, "update_deployment", UpdateDeploymentRequest(
        deployment_id=created.id,
        body=UpdateDeployment(description="rolled", deployment=UpdatePodDeployment(template=template("nginx:1.27"))),
    ))
    assert updated.template.containers[0].image_url == "nginx:1.27"
    assert updated.description == "rolled"
    pods = await wait_until(api, client, created.id, all_running("nginx:1.27", 2))

    # restart one pod: the same pod runs again with one restart
    target = pods[0]
    restarted = await call(client, "restart_deployments_pod", RestartDeploymentsPodRequest(
        deployment_id=created.id, pod_name=target.name))
    assert restarted.status_code == 202
    pods = await wait_until(
        api, client, created.id,
        lambda ps: any(p.name == target.name and p.containers[0].restarts == 1 and p.state == "RUNNING" for p in ps))

    # delete one pod: the deployment makes a new one
    await call(client, "delete_pod", DeletePodRequest(deployment_id=created.id, pod_name=target.name))
    pods = await wait_until(api, client, created.id, all_running("nginx:1.27", 2))
    assert target.name not in {p.name for p in pods}

    # delete the deployment: gone once its pods have terminated
    await call(client, "delete_deployment", DeleteDeploymentRequest(deployment_id=created.id))
    await api.advance(10)
    with pytest.raises(ClientRequestException) as missing:
        await call(client, "show_deployment", ShowDeploymentRequest(deployment_id=created.id))
    assert (missing.value.status_code, missing.value.error_code) == (404, "IEF.100003")
    assert await pods_of(client, created.id) == []


async def test_the_same_calls_with_a_wrong_secret_key_fail_with_the_sdks_auth_error(api):
    client = sdk(api.url, sk="not-the-secret-key")
    fleet_node = (await api.node_ids())[0]
    calls = [
        ("create_edge_node", CreateEdgeNodeRequest(body=Node(node=EdgeNode(name="sdk-node")))),
        ("create_edge_group", CreateEdgeGroupRequest(body=EdgeGroupRequest(name="sdk-group", node_ids=[fleet_node]))),
        ("create_deployments", CreateDeploymentsRequest(body=Deployment(
            name="sdk-web", node_ids=[fleet_node], deployment=CreateAppsInDeploymentV3(template=template("nginx"))))),
        ("list_pods", ListPodsRequest()),
        ("restart_deployments_pod", RestartDeploymentsPodRequest(deployment_id="d", pod_name="p")),
        ("delete_deployment", DeleteDeploymentRequest(deployment_id="d")),
    ]
    for method, request in calls:
        with pytest.raises(ClientRequestException) as refused:
            await call(client, method, request)
        assert (refused.value.status_code, refused.value.error_code) == (401, "APIGW.0301"), method
    assert len(api.engine.world.nodes) == 5 and api.engine.world.deployments == {} and api.engine.world.groups == {}
