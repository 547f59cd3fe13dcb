"""v3 deployments: POST/GET .../edgemgr/deployments, GET/PUT/DELETE .../{id} (ief-api.md section 4).

Same engine, same records as v2: a deployment created here is listed by v2 and the other way
round. The v3 template maps onto the app spec (``v3_models.app_spec``); a PUT with a template
replaces the whole spec and rolls the instances, a PUT with only ``replicas`` scales.
"""

from __future__ import annotations

from aiohttp import web

from edgesim.api import v3_models as models
from edgesim.api import v3_serializers as shapes
from edgesim.api.deployment_queries import DELETE_QUERY, LIST_QUERY, delete_deployment, listed_deployments
from edgesim.api.errors import bad_request, json_response
from edgesim.api.paths import V3
from edgesim.api.routing import ENGINE, IEF, Route
from edgesim.api.validation import parse
from edgesim.domain.errors import DomainError
from edgesim.engine.autonomy import SELF_HEALING

BASE = V3 + "/deployments"


async def create(request: web.Request) -> web.Response:
    engine = request.app[ENGINE]
    body = parse(models.CreateBody, await request.read())
    spec = body.deployment
    _check_self_healing(spec.annotations, body.group_id)
    dep = await engine.deployments.create(
        request.match_info["project_id"],
        name=body.name,
        app=models.app_spec(spec.template),
        node_ids=body.node_ids,
        group_id=body.group_id,
        description=body.description or "",
        tags=[t.model_dump() for t in body.tags],
        replicas=spec.replicas,
        extras={"api_version": "v3", "source": body.source, "annotations": spec.annotations,
                **models.template_extras(spec.template)},
        field_prefix="",  # the v3 body is flat: name, node_ids, group_id at the top
    )
    return json_response(shapes.deployment(engine, dep), status=201)


def _check_self_healing(annotations: dict[str, str] | None, group_id: str | None) -> None:
    """``autonomy_edge_selector`` names the group the edge reschedules in: the deployment's own
    (docs/api.md, "Offline self-healing decision"); anything else could never be honoured."""
    selector = (annotations or {}).get(SELF_HEALING)
    if selector is None:
        return
    field = f"deployment.annotations.{SELF_HEALING}"
    if group_id is None:
        raise DomainError("offline self-healing reschedules within a node group; give group_id", field=field)
    if selector != group_id:
        raise DomainError(f"must be the deployment's group_id {group_id}, got {selector!r}", field=field)


async def list_(request: web.Request) -> web.Response:
    engine = request.app[ENGINE]
    count, page = listed_deployments(engine, request)
    return json_response({"count": count, "deployments": [shapes.deployment(engine, d) for d in page]})


async def get(request: web.Request) -> web.Response:
    engine = request.app[ENGINE]
    dep = engine.deployments.get(request.match_info["project_id"], request.match_info["deployment_id"])
    return json_response(shapes.deployment(engine, dep))


async def update(request: web.Request) -> web.Response:
    engine = request.app[ENGINE]
    project_id, deployment_id = request.match_info["project_id"], request.match_info["deployment_id"]
    current = engine.deployments.get(project_id, deployment_id)  # 404 before judging the body
    body = parse(models.UpdateBody, await request.read())
    spec = body.deployment or models.UpdateSpec()
    template = spec.template
    if template is not None and current.node_ids and models.places_by_affinity(template):
        raise bad_request(f"invalid {models.NODE_IDS_AFFINITY}")
    dep = await engine.deployments.update(
        project_id,
        deployment_id,
        description=body.description,
        app=models.app_spec(template) if template is not None else None,
        replicas=spec.replicas,
        extras=models.template_extras(template) if template is not None else None,
    )
    return json_response(shapes.deployment(engine, dep))


ROUTES = (
    Route("POST", BASE, create, "Create a deployment (v3)", IEF, models.CreateBody, ok=(201,)),
    Route("GET", BASE, list_, "List deployments (v3)", IEF, query=LIST_QUERY),
    Route("GET", BASE + "/{deployment_id}", get, "Show a deployment (v3)", IEF),
    Route("PUT", BASE + "/{deployment_id}", update, "Update a deployment (v3)", IEF, models.UpdateBody),
    Route("DELETE", BASE + "/{deployment_id}", delete_deployment, "Delete a deployment (v3)", IEF,
          query=DELETE_QUERY, ok=(204,)),
)
