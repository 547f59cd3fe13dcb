"""v3 pods (the instances of deployments): list, restart one, delete one (ief-api.md section 4).

- ``GET /v3/{project_id}/edgemgr/pods``: filters ``node_id``, ``group_id``, ``deployment_id``,
  ``deployment_ids`` (comma-separated; given filters all apply), ``limit`` (1..1000, default
  100), ``offset``; newest first (same moment: by id). Terminating pods are listed until they are gone.
- ``POST .../deployments/{id}/pods/{pod_name}/restart``: 202, no body (engine: ``Pods.restart``).
- ``DELETE .../deployments/{id}/pods/{pod_name}``: 204; the deployment creates a new pod.
"""

from __future__ import annotations

from aiohttp import web

from edgesim.api import v3_serializers as shapes
from edgesim.api.errors import json_response
from edgesim.api.paging import page_params, paged
from edgesim.api.paths import V3
from edgesim.api.routing import ENGINE, IEF, Query, Route
from edgesim.domain.errors import NotFound
from edgesim.domain.models import Deployment, Instance
from edgesim.engine.engine import Engine

POD = V3 + "/deployments/{deployment_id}/pods/{pod_name}"
DEFAULT_LIMIT, MAX_LIMIT = 100, 1000


def _find(engine: Engine, request: web.Request) -> tuple[Deployment, Instance]:
    dep = engine.deployments.get(request.match_info["project_id"], request.match_info["deployment_id"])
    name = request.match_info["pod_name"]
    for inst in engine.world.instances_of(dep):
        if shapes.pod_name(dep.name, inst.id) == name:
            return dep, inst
    raise NotFound(f"pod {name} not found in deployment {dep.id}")


async def list_(request: web.Request) -> web.Response:
    engine = request.app[ENGINE]
    limit, offset = page_params(request, default_limit=DEFAULT_LIMIT, max_limit=MAX_LIMIT)
    query = request.query
    node_id, group_id = query.get("node_id"), query.get("group_id")
    wanted = _deployment_filter(query)
    project_id = request.match_info["project_id"]
    # Plugin instances (IEF's system add-ons) are not simulated: no pod belongs to one, so a
    # plugin_instance_name filter matches nothing rather than being ignored.
    plugin_filter = query.get("plugin_instance_name") is not None
    matches = [] if plugin_filter else [
        inst
        for inst in engine.world.instances.values()
        if inst.project_id == project_id
        and inst.deployment_id in engine.world.deployments
        and (wanted is None or inst.deployment_id in wanted)
        and (node_id is None or inst.node_id == node_id)
        and (group_id is None or inst.group_id == group_id)
    ]
    # equal creation times by id: the same order before and after a restart (which loads
    # instances by (created_at, id)), and one a sharded front can merge
    page = paged(matches, lambda i: i.created_at, True, limit, offset, tiebreak=lambda i: i.id)
    pods = [shapes.pod(engine, i, engine.world.deployments[i.deployment_id]) for i in page]
    return json_response({"count": len(matches), "pods": pods})


async def restart(request: web.Request) -> web.Response:
    engine = request.app[ENGINE]
    dep, inst = _find(engine, request)
    await engine.pods.restart(dep.project_id, dep.id, inst.id, label=request.match_info["pod_name"])
    return web.Response(status=202)


async def delete(request: web.Request) -> web.Response:
    engine = request.app[ENGINE]
    dep, inst = _find(engine, request)
    await engine.pods.delete(dep.project_id, dep.id, inst.id)
    return web.Response(status=204)


def _deployment_filter(query) -> set[str] | None:
    """The deployment ids asked for (``deployment_id`` and/or ``deployment_ids``), None for any."""
    asked = []
    if "deployment_id" in query:
        asked.append({query["deployment_id"]})
    if "deployment_ids" in query:
        asked.append({i for i in query["deployment_ids"].split(",") if i})
    return set.intersection(*asked) if asked else None


ROUTES = (
    Route("GET", V3 + "/pods", list_, "List pods", IEF,
          query=(Query("node_id"), Query("group_id"), Query("deployment_id"), Query("deployment_ids"),
                 Query("plugin_instance_name", description="pods of a plugin instance (none are simulated)"),
                 Query("limit", "integer", minimum=1), Query("offset", "integer", minimum=0))),
    Route("POST", POD + "/restart", restart, "Restart a pod", IEF, ok=(202,)),
    Route("DELETE", POD, delete, "Delete a pod (it is recreated)", IEF, ok=(204,)),
)
