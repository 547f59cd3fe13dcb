"""Every family's route table, in the order the router tries them.

A new family is a module ending with ``ROUTES`` (see ``api/routing.py``), added here; the
router (``api/app.py``) and the OpenAPI document (``api/openapi.py``) follow.
"""

from __future__ import annotations

from edgesim.api import (
    device_templates,
    devices,
    iam,
    products,
    tags,
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
from edgesim.control import behaviors, chaos, dashboard, fleet, instance_config, metrics, nodes, snapshot, state, stream
from edgesim.control import routes as control

FAMILIES = (
    iam, v2_deployments, v2_nodes, v2_groups, v2_quotas, v3_deployments, v3_pods,
    v2_apps, devices, device_templates, products, tags, v2_configs,
    control, fleet, behaviors, nodes, chaos, state, dashboard, stream, metrics, instance_config,
    snapshot,
)
ROUTES: tuple[Route, ...] = tuple(route for family in FAMILIES for route in family.ROUTES)
