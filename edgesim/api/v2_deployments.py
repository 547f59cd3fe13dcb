"""v2 application deployments: POST/GET .../edgemgr/deployments, GET/PUT/DELETE .../{id}."""

from __future__ import annotations

from aiohttp import web

from edgesim.api.deployment_models import CreateBody, UpdateBody, app_changes, app_spec
from edgesim.api.deployment_queries import DELETE_QUERY, LIST_QUERY, delete_deployment, listed_deployments
from edgesim.api.document_cache import encoded_deployment, encoded_deployments
from edgesim.api.errors import json_response
from edgesim.api.paths import V2
from edgesim.api.routing import ENGINE, IEF, Route
from edgesim.api.serializers import v2_deployment
from edgesim.api.validation import parse

BASE = V2 + "/deployments"


async def create(request: web.Request) -> web.Response:
    engine = request.app[ENGINE]
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
    engine = request.app[ENGINE]
    count, page = listed_deployments(engine, request)
    # spliced from cached encodings: the bytes orjson gives for {"count": ..., "deployments": [...]},
    # in one join (the page's ~150 KB copied once, not twice)
    docs = encoded_deployments(engine, page)
    head, tail = b'{"count":%d,"deployments":[' % count, b"]}"
    if docs:  # (in turn: with one document, [0] and [-1] are the same)
        docs[0] = head + docs[0]
        docs[-1] = docs[-1] + tail
        body = b",".join(docs)
    else:
        body = head + tail
    return web.Response(body=body, content_type="application/json")


async def get(request: web.Request) -> web.Response:
    engine = request.app[ENGINE]
    dep = engine.deployments.get(request.match_info["project_id"], request.match_info["deployment_id"])
    return web.Response(body=b'{"deployment":%s}' % encoded_deployment(engine, dep), content_type="application/json")


async def update(request: web.Request) -> web.Response:
    engine = request.app[ENGINE]
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


ROUTES = (
    Route("POST", BASE, create, "Create a deployment (v2)", IEF, CreateBody, ok=(201,)),
    Route("GET", BASE, list_, "List deployments (v2)", IEF, query=LIST_QUERY),
    Route("GET", BASE + "/{deployment_id}", get, "Show a deployment (v2)", IEF),
    Route("PUT", BASE + "/{deployment_id}", update, "Update a deployment (v2)", IEF, UpdateBody),
    Route("DELETE", BASE + "/{deployment_id}", delete_deployment, "Delete a deployment (v2)", IEF,
          query=DELETE_QUERY, ok=(204,)),
)
