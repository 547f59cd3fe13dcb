"""The OpenAPI 3 document at GET /edgesim/openapi.json.

Request bodies are the JSON schemas of the very pydantic models that validate them, so the
document cannot drift from what the server accepts. The route list is checked against the
application's router by a test, so a route cannot be added without being documented.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from aiohttp import web
from pydantic import BaseModel, TypeAdapter
from pydantic.json_schema import models_json_schema

from edgesim import __version__
from edgesim.api import deployment_models as v2
from edgesim.api import iam
from edgesim.api import node_models as nodes
from edgesim.api import v3_models as v3
from edgesim.api.errors import json_response
from edgesim.control.fleet import FleetRequest
from edgesim.control.routes import AdvanceBody, ScaleBody
from edgesim.engine.behaviors import Profile
from edgesim.engine.faults import FaultSpec


@dataclass(frozen=True)
class Query:
    name: str
    type: str = "string"
    description: str = ""
    minimum: int | None = None


@dataclass(frozen=True)
class Route:
    method: str
    path: str
    summary: str
    tag: str
    body: Any = None  # a pydantic model, or a TypeAdapter for a non-object body
    query: tuple[Query, ...] = ()
    ok: tuple[int, ...] = (200,)
    content: str = "application/json"


PAGE = (Query("limit", "integer", "page size", 1), Query("offset", "integer", "first item", 0),
        Query("sort", description="created_at:desc (default) or created_at:asc"))
DEP_FILTERS = (Query("name", description="substring of the name"), Query("node_id"), Query("group_id"),
               Query("tags", description="k1.v1,k2.v2"))
EVENT_FILTERS = (Query("kind"), Query("deployment_id"), Query("instance_id"), Query("node_id"), Query("group_id"))
V2, V3 = "/v2/{project_id}/edgemgr", "/v3/{project_id}/edgemgr"
IEF, CONTROL = "IEF", "edgesim control"
PROFILES = TypeAdapter(list[Profile])

ROUTES: tuple[Route, ...] = (
    Route("POST", "/v3/auth/tokens", "Log in (simulated IAM): a token in X-Subject-Token", "IAM", iam.LoginBody, ok=(201,)),
    Route("POST", f"{V2}/deployments", "Create a deployment (v2)", IEF, v2.CreateBody, ok=(201,)),
    Route("GET", f"{V2}/deployments", "List deployments (v2)", IEF, query=DEP_FILTERS + PAGE),
    Route("GET", f"{V2}/deployments/{{deployment_id}}", "Show a deployment (v2)", IEF),
    Route("PUT", f"{V2}/deployments/{{deployment_id}}", "Update a deployment (v2)", IEF, v2.UpdateBody),
    Route("DELETE", f"{V2}/deployments/{{deployment_id}}", "Delete a deployment (v2)", IEF,
          query=(Query("force_delete", description="true or false"),), ok=(204,)),
    Route("POST", f"{V2}/nodes", "Register an edge node", IEF, nodes.RegisterNodeBody, ok=(201,)),
    Route("GET", f"{V2}/nodes", "List edge nodes", IEF,
          query=(Query("name"), Query("state"), Query("group_id"), Query("tags")) + PAGE),
    Route("GET", f"{V2}/nodes/{{node_id}}", "Show an edge node", IEF),
    Route("PUT", f"{V2}/nodes/{{node_id}}", "Update an edge node", IEF, nodes.UpdateNodeBody),
    Route("DELETE", f"{V2}/nodes/{{node_id}}", "Delete an edge node", IEF, ok=(204,)),
    Route("POST", f"{V2}/nodes/{{node_id}}/action", "Start or stop an edge node", IEF, nodes.NodeActionBody),
    Route("POST", f"{V2}/groups", "Create a node group", IEF, nodes.GroupCreateBody, ok=(201,)),
    Route("GET", f"{V2}/groups", "List node groups", IEF, query=(Query("name"),) + PAGE),
    Route("GET", f"{V2}/groups/{{group_id}}", "Show a node group", IEF),
    Route("PUT", f"{V2}/groups/{{group_id}}", "Update a node group", IEF, nodes.GroupUpdateBody),
    Route("DELETE", f"{V2}/groups/{{group_id}}", "Delete a node group", IEF, ok=(204,)),
    Route("PUT", f"{V2}/groups/{{group_id}}/nodes", "Bind and unbind nodes", IEF, nodes.GroupBindingBody),
    Route("GET", f"{V2}/quotas", "Show quotas", IEF, query=(Query("types", description="edge_node,edge_group,deployment"),)),
    Route("POST", f"{V3}/deployments", "Create a deployment (v3)", IEF, v3.CreateBody, ok=(201,)),
    Route("GET", f"{V3}/deployments", "List deployments (v3)", IEF, query=DEP_FILTERS + PAGE),
    Route("GET", f"{V3}/deployments/{{deployment_id}}", "Show a deployment (v3)", IEF),
    Route("PUT", f"{V3}/deployments/{{deployment_id}}", "Update a deployment (v3)", IEF, v3.UpdateBody),
    Route("DELETE", f"{V3}/deployments/{{deployment_id}}", "Delete a deployment (v3)", IEF,
          query=(Query("force_delete", description="true or false"),), ok=(204,)),
    Route("GET", f"{V3}/pods", "List pods", IEF,
          query=(Query("node_id"), Query("group_id"), Query("deployment_id"), Query("deployment_ids"),
                 Query("limit", "integer", minimum=1), Query("offset", "integer", minimum=0))),
    Route("POST", f"{V3}/deployments/{{deployment_id}}/pods/{{pod_name}}/restart", "Restart a pod", IEF, ok=(202,)),
    Route("DELETE", f"{V3}/deployments/{{deployment_id}}/pods/{{pod_name}}", "Delete a pod (it is recreated)", IEF, ok=(204,)),
    Route("GET", "/edgesim/health", "Health", CONTROL),
    Route("GET", "/edgesim/clock", "The simulation clock", CONTROL),
    Route("POST", "/edgesim/clock/advance", "Advance a virtual clock", CONTROL, AdvanceBody),
    Route("POST", "/edgesim/clock/scale", "Change a real clock's speed", CONTROL, ScaleBody),
    Route("POST", "/edgesim/reset", "A fresh world on the same server", CONTROL),
    Route("GET", "/edgesim/events", "The event log, oldest first", CONTROL,
          query=EVENT_FILTERS + (Query("since", "number"), Query("limit", "integer", minimum=1), Query("offset", "integer", minimum=0))),
    Route("GET", "/edgesim/events/stream", "The event log live (server-sent events)", CONTROL,
          query=EVENT_FILTERS + (Query("after", "integer", minimum=0),), content="text/event-stream"),
    Route("POST", "/edgesim/fleet", "Create many nodes and groups", CONTROL, FleetRequest, ok=(201,)),
    Route("GET", "/edgesim/behaviors", "Behaviour profiles in force", CONTROL),
    Route("PUT", "/edgesim/behaviors", "Replace the behaviour profiles", CONTROL, PROFILES),
    Route("GET", "/edgesim/nodes/{node_id}", "A node's agent: heartbeats and silence", CONTROL),
    Route("POST", "/edgesim/nodes/{node_id}/disconnect", "Cut a node off", CONTROL),
    Route("POST", "/edgesim/nodes/{node_id}/connect", "Let a node report again", CONTROL),
    Route("POST", "/edgesim/chaos/faults", "Add a chaos fault", CONTROL, FaultSpec, ok=(201,)),
    Route("GET", "/edgesim/chaos/faults", "List chaos faults", CONTROL),
    Route("GET", "/edgesim/chaos/faults/{fault_id}", "Show a chaos fault", CONTROL),
    Route("DELETE", "/edgesim/chaos/faults/{fault_id}", "Remove a chaos fault (it ends now)", CONTROL, ok=(204,)),
    Route("GET", "/edgesim/report", "The experiment report", CONTROL,
          query=(Query("from", "number"), Query("to", "number"))),
    Route("GET", "/edgesim/report.html", "The experiment timeline page", CONTROL,
          query=(Query("from", "number"), Query("to", "number")), content="text/html"),
    Route("GET", "/edgesim/state", "A snapshot of the fleet for the dashboard", CONTROL),
    Route("GET", "/edgesim/metrics", "Prometheus metrics", CONTROL, content="text/plain"),
    Route("GET", "/edgesim/openapi.json", "This document", CONTROL),
    Route("GET", "/edgesim/ui", "The dashboard", CONTROL, content="text/html"),
    Route("GET", "/edgesim/ui/", "The dashboard", CONTROL, content="text/html"),
    Route("GET", "/edgesim/ui/{name}", "A dashboard asset", CONTROL, content="*/*"),
)

KEYSTONE_ERROR_SCHEMA = {  # the simulated IAM answers errors like Keystone does
    "type": "object",
    "required": ["error"],
    "properties": {"error": {"type": "object", "properties": {
        "code": {"type": "integer"}, "message": {"type": "string"}, "title": {"type": "string"}}}},
}
ERROR_SCHEMA = {
    "type": "object",
    "required": ["error_code", "error_msg"],
    "properties": {"error_code": {"type": "string"}, "error_msg": {"type": "string"}},
}


def _parameters(route: Route, project_ids: list[str]) -> list[dict]:
    params = []
    for name in [p.strip("{}") for p in route.path.split("/") if p.startswith("{")]:
        schema: dict[str, Any] = {"type": "string"}
        if name == "project_id":
            schema["enum"] = project_ids  # only configured projects exist
        params.append({"name": name, "in": "path", "required": True, "schema": schema})
    for q in route.query:
        schema = {"type": q.type}
        if q.minimum is not None:
            schema["minimum"] = q.minimum
        params.append({"name": q.name, "in": "query", "required": False, "schema": schema, "description": q.description})
    return params


def build(project_ids: list[str]) -> dict[str, Any]:
    models = sorted({r.body for r in ROUTES if isinstance(r.body, type) and issubclass(r.body, BaseModel)}, key=lambda m: m.__module__ + m.__name__)
    refs, definitions = models_json_schema([(m, "validation") for m in models], ref_template="#/components/schemas/{model}")
    schemas = dict(definitions.get("$defs", {}))
    schemas["Error"] = ERROR_SCHEMA
    schemas["KeystoneError"] = KEYSTONE_ERROR_SCHEMA
    paths: dict[str, dict] = {}
    for route in ROUTES:
        op: dict[str, Any] = {
            "summary": route.summary,
            "tags": [route.tag],
            "operationId": f"{route.method.lower()}_{route.path.strip('/').replace('/', '_').replace('{', '').replace('}', '').replace('.', '_')}",
            "parameters": _parameters(route, project_ids),
            "responses": {
                **{str(code): ({"description": "success"} if code in (202, 204) else
                               {"description": "success", "content": {route.content: {"schema": {}}}}) for code in route.ok},
                "default": {"description": "an error", "content": {"application/json": {"schema": {
                    "$ref": "#/components/schemas/" + ("KeystoneError" if route.tag == "IAM" else "Error")}}}},
            },
        }
        if route.body is not None:
            if isinstance(route.body, TypeAdapter):
                schema = route.body.json_schema(ref_template="#/components/schemas/{model}")
                schemas.update(schema.pop("$defs", {}))
            else:
                schema = refs[(route.body, "validation")]
            op["requestBody"] = {"required": True, "content": {"application/json": {"schema": schema}}}
        if route.path.startswith(("/v2/", "/v3/{")):
            op["security"] = [{"token": []}, {"aksk": []}]
        paths.setdefault(route.path, {})[route.method.lower()] = op
    return {
        "openapi": "3.1.0",  # pydantic writes JSON Schema 2020-12, which is what 3.1 speaks
        "info": {"title": "edgesim: the Huawei Cloud IEF API, simulated", "version": __version__,
                 "description": "IEF routes as the real service serves them, and edgesim's own control routes under /edgesim/."},
        "paths": paths,
        "components": {
            "schemas": schemas,
            "securitySchemes": {
                "token": {"type": "apiKey", "in": "header", "name": "X-Auth-Token"},
                "aksk": {"type": "apiKey", "in": "header", "name": "Authorization",
                         "description": "SDK-HMAC-SHA256 Access=AK, SignedHeaders=..., Signature=... with X-Sdk-Date"},
            },
        },
    }


def routes(project_ids: list[str]) -> list[web.RouteDef]:
    document = build(project_ids)

    async def openapi(request: web.Request) -> web.Response:
        return json_response(document)

    return [web.get("/edgesim/openapi.json", openapi, allow_head=False)]
