"""Every operation of the official SDK, called once through the SDK over a real socket.

edgesim routes exactly the operations listed in ``SERVED``; every other one answers 404
``IEF.011002`` ("no such API"), and none answers 5xx or anything the SDK cannot read. A family
that lands adds its operation names here. The count is printed (``pytest -s``) and by
``python -m edgesim.testing.sdk_coverage``.
"""

from __future__ import annotations

import asyncio

from edgesim.testing.sdk_coverage import UNROUTED, operations, walk

SERVED = {
    # v2 edge nodes and groups, quotas
    "create_edge_node", "list_edge_nodes", "show_edge_node_detail", "update_edge_node",
    "delete_edge_node", "enable_disable_edge_nodes",
    "create_edge_group", "list_edge_groups", "show_edge_group_detail", "update_edge_group",
    "delete_edge_group", "update_edge_group_node_binding", "show_quota",
    # v3 deployments and pods
    "create_deployments", "list_deployments", "show_deployment", "update_deployment",
    "delete_deployment", "list_pods", "delete_pod", "restart_deployments_pod",
    # devices, device templates, products, node-device binding
    "create_device", "list_devices", "show_device", "update_device", "delete_device",
    "create_device_template", "list_device_templates", "show_device_template",
    "update_device_template_by_id", "delete_device_template",
    "create_product", "list_products", "show_product_detail", "delete_product",
    "update_edge_node_device", "update_node_by_device_id", "show_device_twin", "update_device_twin",
    # app templates and versions
    "create_app", "list_apps", "show_app_detail", "update_app", "delete_app",
    "create_app_versions", "list_app_versions", "show_app_version_detail", "update_app_version",
    "delete_app_version",
    # config maps and secrets
    "create_config_map", "list_config_maps", "show_config_map", "update_config_map", "delete_config_map",
    "create_secret", "list_secrets", "show_secret", "update_secret", "delete_secret",
    # tags
    "batch_add_delete_tags", "create_tag", "delete_resource_tag", "list_tags",
    "list_tags_by_resource_type", "list_resource_by_tags",
    # node and group certificates, encrypted data and its distribution to nodes
    "create_edge_node_certs", "list_edge_node_certs", "delete_edge_node_certs",
    "create_edge_group_cert", "list_edge_group_certs", "show_edge_group_cert_detail", "delete_edge_group_cert",
    "create_encryptdatas", "list_encryptdatas", "show_encryptdatas", "update_encryptdatas", "delete_encryptdatas",
    "create_node_encryptdatas", "list_node_encryptdatas", "delete_node_encryptdatas", "list_encryptdata_nodes",
    # message routing: endpoints and rules
    "create_endpoint", "list_endpoints", "show_end_point_detail", "delete_end_point",
    "create_rule", "list_rules", "show_rule_detail", "delete_rule", "start_rule", "stop_rule", "list_rule_errors",
    # system event subscriptions
    "create_system_event", "list_system_events", "show_system_event_detail", "delete_system_event",
    "start_system_event", "stop_system_event",
    # edge services
    "create_service", "list_services", "show_service_detail", "update_service", "delete_service",
    # batch jobs and node upgrade
    "create_batch_job", "list_batch_job", "show_batch_job", "stop_batch_job", "restore_batch_job",
    "retry_batch_job", "delete_batch_job", "upgrade_edge_node",
}


async def test_the_sdk_reaches_exactly_the_served_operations(api):
    before = len(await api.events())
    outcomes = await asyncio.to_thread(walk, api.url)

    assert len(outcomes) == len(operations()) == 111
    broken = [outcome for outcome in outcomes if outcome.broken]
    assert not broken, broken
    served = {outcome.operation for outcome in outcomes if outcome.served}
    print(f"\nserved {len(served)} of {len(outcomes)} SDK operations")
    assert served == SERVED
    assert all(outcome.status == 404 and outcome.error_code == UNROUTED
               for outcome in outcomes if outcome.operation not in SERVED)
    # Empty requests are refused or only read: the walk changed nothing.
    assert len(await api.events()) == before
