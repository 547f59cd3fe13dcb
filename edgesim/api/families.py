"""Every family's route table, in the order the router tries them.

A new family is a module ending with ``ROUTES`` (see ``api/routing.py``), added here; the
router (``api/app.py``) and the OpenAPI document (``api/openapi.py``) follow.
"""

from __future__ import annotations

from edgesim.api import (
    certs,
    device_templates,
    devices,
    edge_services,
    encryptdatas,
    iam,
    jobs,
    products,
    routemgr,
    system_events,
    tags,
    twins,
    v2_apps,
    v2_configs,
    v2_deployments,
    v2_groups,
    v2_nodes,
    v2_quotas,
    v3_deployments,
    v3_pods,
)
from edgesim.api.routing import Route
from edgesim.control import (
    behaviors,
    chaos,
    dashboard,
    device_behaviors,
    fleet,
    instance_config,
    metrics,
    nodes,
    partitions,
    snapshot,
    state,
    stream,
    usage,
)
from edgesim.control import routes as control

FAMILIES = (
    iam, v2_deployments, v2_nodes, v2_groups, v2_quotas, v3_deployments, v3_pods,
    v2_apps, devices, twins, device_templates, products, tags, v2_configs, certs, encryptdatas,
    routemgr, system_events, edge_services, jobs,
    control, fleet, behaviors, device_behaviors, nodes, chaos, state, dashboard, stream, metrics, instance_config,
    snapshot, partitions, usage,
)
ROUTES: tuple[Route, ...] = tuple(route for family in FAMILIES for route in family.ROUTES)
