"""The official SDK's affinity models (``Affinity``, ``AffinityNodeAffinity``, ``MatchExpression``,
``AffinityPodAntiAffinity``, ``PodAffinityTerm`` ...) build a v3 body that edgesim accepts with
AK/SK signing, honours in placement and gives back in the SDK's own shape.

Reference: Kubernetes docs, "Assigning Pods to Nodes"; the SDK's v3 ``PodRequest.affinity``.
"""

from __future__ import annotations

from huaweicloudsdkief.v1 import (
    Affinity,
    AffinityNodeAffinity,
    AffinityPodAntiAffinity,
    ContainerDef,
    CreateAppsInDeploymentV3,
    CreateDeploymentsRequest,
    Deployment,
    MatchExpression,
    MatchExpressions,
    PodAffinityTerm,
    PodAffinityTermLabelSelector,
    PodConfigs,
    PodRequest,
    PreferredSchedulingTerm,
    PreferredSchedulingTermPreference,
    RequiredDuringScheduling,
    ShowDeploymentRequest,
)
from test_sdk_e2e import _no_proxy, call, pods_of, sdk  # noqa: F401  (the fixture applies here too)

from conftest import site_group


async def test_sdk_built_affinity_places_one_replica_per_zone_b_node_and_the_third_waits(api):
    group_id, nodes = await site_group(api, 3)
    for node, zone in zip(nodes, "abb", strict=True):
        reply = await api.put(api.v2(f"nodes/{node}"), {"node": {"attributes": [{"key": "zone", "value": zone}]}})
        assert reply.status == 200
    affinity = Affinity(
        node_affinity=AffinityNodeAffinity(
            required_during_scheduling_ignored_during_execution=RequiredDuringScheduling(node_selector_terms=[
                MatchExpressions(match_expressions=[MatchExpression(key="zone", operator="In", values=["b"])])]),
            preferred_during_scheduling_ignored_during_execution=[PreferredSchedulingTerm(
                weight=10, preference=PreferredSchedulingTermPreference(
                    match_expressions=[MatchExpression(key="zone", operator="Exists")]))],
        ),
        pod_anti_affinity=AffinityPodAntiAffinity(required_during_scheduling_ignored_during_execution=[PodAffinityTerm(
            label_selector=PodAffinityTermLabelSelector(match_labels={"app": "spread"}),
            topology_key="kubernetes.io/hostname")]),
    )
    template = PodRequest(configs=PodConfigs(restart_policy="Always"), affinity=affinity,
                          containers=[ContainerDef(name="c", image_url="nginx:1.25")])
    client = sdk(api.url)
    created = await call(client, "create_deployments", CreateDeploymentsRequest(body=Deployment(
        name="spread", group_id=group_id, deployment=CreateAppsInDeploymentV3(replicas=3, template=template))))
    assert created.status_code == 201
    await api.advance(5)
    pods = await pods_of(client, created.id)
    assert sorted(p.node_id for p in pods if p.node_id) == nodes[1:]
    [waiting] = [p for p in pods if not p.node_id]
    assert (waiting.state, waiting.reason) == ("PENDING", "PodAntiAffinity")
    assert waiting.message == ("0/3 nodes are available: 1 node(s) didn't match Pod's node affinity/selector, "
                               "2 node(s) didn't match pod anti-affinity rules.")
    shown = await call(client, "show_deployment", ShowDeploymentRequest(deployment_id=created.id))
    terms = shown.template.affinity.node_affinity.required_during_scheduling_ignored_during_execution.node_selector_terms
    assert terms[0].match_expressions[0].values == ["b"]
    assert shown.template.affinity.pod_anti_affinity.required_during_scheduling_ignored_during_execution[0].topology_key == (
        "kubernetes.io/hostname")
