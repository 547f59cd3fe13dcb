"""v2 application deployments: POST/GET .../edgemgr/deployments, GET/PUT/DELETE .../{id}."""

from __future__ import annotations

from aiohttp import web

from edgesim.api.deployment_models import CreateBody, UpdateBody, app_changes, app_spec
from edgesim.api.deployment_queries import delete_deployment, listed_deployments
from edgesim.api.errors import json_response
from edgesim.api.serializers import v2_deployment
from edgesim.api.validation import parse
from edgesim.engine.engine import Engine

BASE = "/v2/{project_id}/edgemgr/deployments"


def routes(engine: Engine) -> list[web.RouteDef]:
    async def create(request: web.Request) -> web.Response:
        body = parse(CreateBody, await request.read())
        d = body.deployment
        dep = await engine.deployments.create(
            request.match_info["project_id"],
            name=d.name,
            app=app_spec(d.app),
            node_ids=d.node_ids,
            group_id=d.group_id,
            description=d.description or "",
            visibility=d.visibility,
        )
        return json_response({"deployment": v2_deployment(engine, dep)}, status=201)

    async def list_(request: web.Request) -> web.Response:
        count, page = listed_deployments(engine, request)
        return json_response({"count": count, "deployments": [v2_deployment(engine, d) for d in page]})

    async def get(request: web.Request) -> web.Response:
        dep = engine.deployments.get(request.match_info["project_id"], request.match_info["deployment_id"])
        return json_response({"deployment": v2_deployment(engine, dep)})

    async def update(request: web.Request) -> web.Response:
        project_id, deployment_id = request.match_info["project_id"], request.match_info["deployment_id"]
        engine.deployments.get(project_id, deployment_id)  # 404 before judging the body
        body = parse(UpdateBody, await request.read())
        dep = await engine.deployments.update(
            project_id,
            deployment_id,
            description=body.description,
            app_changes=app_changes(body.deployment) if body.deployment else None,
        )
        return json_response({"deployment": v2_deployment(engine, dep), "upgrade_ret": "success", "reason": None})

    async def delete(request: web.Request) -> web.Response:
        return await delete_deployment(engine, request)

    return [
        web.post(BASE, create),
        web.get(BASE, list_, allow_head=False),
        web.get(BASE + "/{deployment_id}", get, allow_head=False),
        web.put(BASE + "/{deployment_id}", update),
        web.delete(BASE + "/{deployment_id}", delete),
    ]
