"""The OpenAPI 3 document at GET /edgesim/openapi.json, built from the route declarations.

The router is built from the same declarations (``api/families.py``), so a route cannot be
served without being documented. Request bodies are the JSON schemas of the very pydantic
models that validate them, so the document cannot drift from what the server accepts.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, TypeAdapter
from pydantic.json_schema import models_json_schema

from edgesim import __version__
from edgesim.api import paths
from edgesim.api.families import ROUTES
from edgesim.api.routing import IAM, RawBody, Route
from edgesim.domain.kinds import KINDS

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


# what a success answer's schema is, by media type: JSON answers vary by route (any JSON value)
ANSWER_SCHEMAS = {"text/html": {"type": "string"}, "text/plain": {"type": "string"},
                  "text/event-stream": {"type": "string"}}
BINARY = {"type": "string", "format": "binary"}


def _responses(route: Route) -> dict[str, Any]:
    success: dict[str, Any] = {}
    for code in route.ok:
        if code in (202, 204):
            success[str(code)] = {"description": route.answer if route.answer != "success" else "success, no body"}
        else:
            schema = ANSWER_SCHEMAS.get(route.content, {} if route.content == "application/json" else BINARY)
            success[str(code)] = {"description": route.answer, "content": {route.content: {"schema": schema}}}
    return {**success, "default": {"description": "an error", "content": {"application/json": {"schema": {
        "$ref": "#/components/schemas/" + ("KeystoneError" if route.tag == IAM else "Error")}}}}}


def _request_body(route: Route, refs: dict, schemas: dict[str, Any]) -> dict[str, Any]:
    if isinstance(route.body, RawBody):
        return {"required": True, "description": route.body.description,
                "content": {content_type: {"schema": BINARY} for content_type in route.body.content_types}}
    if isinstance(route.body, TypeAdapter):
        schema = route.body.json_schema(ref_template="#/components/schemas/{model}")
        schemas.update(schema.pop("$defs", {}))
    else:
        schema = refs[(route.body, "validation")]
    return {"required": True, "content": {"application/json": {"schema": schema}}}


def record_schemas() -> dict[str, Any]:
    """The schema of every record kind the registry declares, as the store keeps it (what
    ``GET /edgesim/state`` counts and a store file holds), named ``Record.<kind>``."""
    schemas = {}
    for kind in KINDS:
        schema = TypeAdapter(kind.record).json_schema(ref_template="#/components/schemas/{model}")
        schema["description"] = f"an edgesim {kind.name} record, as stored (kind {kind.name!r})"
        schemas[f"Record.{kind.name}"] = schema
    return schemas


def build(project_ids: list[str]) -> dict[str, Any]:
    models = sorted({r.body for r in ROUTES if isinstance(r.body, type) and issubclass(r.body, BaseModel)}, key=lambda m: m.__module__ + m.__name__)
    refs, definitions = models_json_schema([(m, "validation") for m in models], ref_template="#/components/schemas/{model}")
    schemas = dict(definitions.get("$defs", {}))
    schemas["Error"] = ERROR_SCHEMA
    schemas["KeystoneError"] = KEYSTONE_ERROR_SCHEMA
    schemas.update(record_schemas())
    operations: dict[str, dict] = {}
    for route in ROUTES:
        op: dict[str, Any] = {
            "summary": route.summary,
            "tags": [route.tag],
            "operationId": f"{route.method.lower()}_{route.path.strip('/').replace('/', '_').replace('{', '').replace('}', '').replace('.', '_')}",
            "parameters": _parameters(route, project_ids),
            "responses": _responses(route),
        }
        if route.body is not None:
            op["requestBody"] = _request_body(route, refs, schemas)
        if paths.is_ief(route.path):
            op["security"] = [{"token": []}, {"aksk": []}]
        operations.setdefault(route.path, {})[route.method.lower()] = op
    return {
        "openapi": "3.1.0",  # pydantic writes JSON Schema 2020-12, which is what 3.1 speaks
        "info": {"title": "edgesim: the Huawei Cloud IEF API, simulated", "version": __version__,
                 "description": "IEF routes as the real service serves them, and edgesim's own control routes under /edgesim/."},
        "paths": operations,
        "components": {
            "schemas": schemas,
            "securitySchemes": {
                "token": {"type": "apiKey", "in": "header", "name": "X-Auth-Token"},
                "aksk": {"type": "apiKey", "in": "header", "name": "Authorization",
                         "description": "SDK-HMAC-SHA256 Access=AK, SignedHeaders=..., Signature=... with X-Sdk-Date"},
            },
        },
    }

