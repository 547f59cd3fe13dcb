"""The official SDK (AK/SK signed) with offline self-healing and deletes on a lost node.

``CreateAppsInDeploymentV3.annotations`` is the SDK's ``Annotations(autonomy_edge_selector=...)``
and ``DeleteDeploymentRequest.force_delete`` its query parameter (a string). Pull 2 s, start
1 s, a node is FAIL 40 s after its last heartbeat.
"""

from __future__ import annotations

import pytest
from huaweicloudsdkcore.exceptions.exceptions import ClientRequestException
from huaweicloudsdkief.v1 import (
    Annotations,
    ContainerDef,
    CreateAppsInDeploymentV3,
    CreateDeploymentsRequest,
    DeleteDeploymentRequest,
    Deployment,
    ListPodsRequest,
    PodConfigs,
    PodRequest,
    ShowDeploymentRequest,
)
from test_sdk_e2e import _no_proxy, call, sdk  # noqa: F401 (_no_proxy: an autouse fixture)

from conftest import advance_to, site_group


def web(group_id: str, heal: bool) -> Deployment:
    return Deployment(name="web", group_id=group_id, deployment=CreateAppsInDeploymentV3(
        replicas=1,
        template=PodRequest(configs=PodConfigs(restart_policy="Always"),
                            containers=[ContainerDef(name="web", image_url="nginx:1.25")]),
        annotations=Annotations(autonomy_edge_selector=group_id) if heal else None,
    ))


async def test_the_sdk_sees_a_crashed_nodes_pod_healed_at_the_edge(api):
    client = sdk(api.url)
    group_id, nodes = await site_group(api, nodes=2)
    created = await call(client, "create_deployments", CreateDeploymentsRequest(body=web(group_id, heal=True)))
    assert created.annotations.autonomy_edge_selector == group_id
    [pod] = (await call(client, "list_pods", ListPodsRequest(deployment_id=created.id))).pods
    await api.post("/edgesim/chaos/faults", {"kind": "node_crash", "target": {"node_ids": [pod.node_id]},
                                             "start": 100, "duration": 1000}, token=None)
    await advance_to(api, 143)
    pods = (await call(client, "list_pods", ListPodsRequest(deployment_id=created.id))).pods
    healed = [p for p in pods if p.node_id != pod.node_id]
    assert [(p.node_id, p.state) for p in healed] == [(next(n for n in nodes if n != pod.node_id), "RUNNING")]
    shown = await call(client, "show_deployment", ShowDeploymentRequest(deployment_id=created.id))
    assert shown.ready_replicas == 1


async def test_the_sdk_refuses_a_selector_of_another_group(api):
    client = sdk(api.url)
    group_id, _ = await site_group(api, nodes=2)
    body = web(group_id, heal=False)
    body.deployment.annotations = Annotations(autonomy_edge_selector="another-group")
    with pytest.raises(ClientRequestException) as refused:
        await call(client, "create_deployments", CreateDeploymentsRequest(body=body))
    assert (refused.value.status_code, refused.value.error_code) == (400, "IEF.100002")
    assert "autonomy_edge_selector" in refused.value.error_msg


async def test_the_sdk_delete_waits_for_a_lost_node_and_force_delete_does_not(api):
    client = sdk(api.url)
    group_id, _ = await site_group(api, nodes=2)
    created = await call(client, "create_deployments", CreateDeploymentsRequest(body=web(group_id, heal=False)))
    [pod] = (await call(client, "list_pods", ListPodsRequest(deployment_id=created.id))).pods
    await advance_to(api, 100)
    await api.post(f"/edgesim/nodes/{pod.node_id}/disconnect", token=None)
    await advance_to(api, 200)
    await call(client, "delete_deployment", DeleteDeploymentRequest(deployment_id=created.id))
    await advance_to(api, 500)
    shown = await call(client, "show_deployment", ShowDeploymentRequest(deployment_id=created.id))
    assert shown.state == "PENDING_DELETE"
    [waiting] = (await call(client, "list_pods", ListPodsRequest(deployment_id=created.id))).pods
    assert waiting.state == "TERMINATING"
    await call(client, "delete_deployment", DeleteDeploymentRequest(deployment_id=created.id, force_delete="true"))
    with pytest.raises(ClientRequestException) as missing:
        await call(client, "show_deployment", ShowDeploymentRequest(deployment_id=created.id))
    assert missing.value.status_code == 404
