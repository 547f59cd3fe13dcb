"""Products, batch node registration jobs (ief-api-more.md 4.4): create, list, show, delete,
and edgesim's ``POST /edgesim/products/{product_id}/register``, where a simulated pre-installed
node presents the product's credential and becomes a node of its project."""

from __future__ import annotations

from typing import Any

from aiohttp import web

from edgesim.api.devices import PAGE
from edgesim.api.errors import CONTROL_INVALID, IEFError, control_invalid, json_response
from edgesim.api.paging import page_params, paged, sort_descending
from edgesim.api.paths import V2_PRODUCTMGR
from edgesim.api.product_models import CreateProductBody, ProductRegistration
from edgesim.api.routing import CONTROL, ENGINE, IEF, Query, Route
from edgesim.api.serializers import epoch_seconds, registered_node
from edgesim.api.validation import parse
from edgesim.domain.errors import DomainError
from edgesim.domain.models import Product
from edgesim.engine.engine import Engine
from edgesim.engine.products import BadCredential, key_material

BASE = V2_PRODUCTMGR + "/products"


def product(engine: Engine, p: Product) -> dict[str, Any]:
    """The product as list and show answer it: no key material, no identifier (SDK ``Product``)."""
    return {
        "id": p.id,
        "name": p.name,
        "description": p.description,
        "attributes": p.attributes,
        "project_id": p.project_id,
        # an integer, epoch seconds (the SDK types it int)
        "created_at": epoch_seconds(engine, p.created_at),
        "tags": list(p.tags),
    }


async def create(request: web.Request) -> web.Response:
    engine = request.app[ENGINE]
    body = parse(CreateProductBody, await request.read()).product
    p = await engine.products.create(
        request.match_info["project_id"], name=body.name, description=body.description or "",
        attributes={k: v.model_dump() for k, v in body.attributes.items()}, tags=[t.model_dump() for t in body.tags],
    )
    answer = {**product(engine, p), **key_material(p), "identifier": p.identifier}
    return json_response({"product": answer}, status=201)


async def list_(request: web.Request) -> web.Response:
    engine = request.app[ENGINE]
    limit, offset = page_params(request, default_limit=1000, max_limit=1000)
    descending = sort_descending(request)
    matches = engine.products.of_project(request.match_info["project_id"])
    page = paged(matches, lambda p: p.created_at, descending, limit, offset, tiebreak=lambda p: p.name)
    return json_response({"count": len(matches), "products": [product(engine, p) for p in page]})


async def show(request: web.Request) -> web.Response:
    engine = request.app[ENGINE]
    p = engine.products.get(request.match_info["project_id"], request.match_info["product_id"])
    return json_response({"product": product(engine, p)})


async def delete(request: web.Request) -> web.Response:
    engine = request.app[ENGINE]
    await engine.products.delete(request.match_info["project_id"], request.match_info["product_id"])
    return web.Response(status=204)


async def register(request: web.Request) -> web.Response:
    engine = request.app[ENGINE]
    body = parse(ProductRegistration, await request.read(), code=CONTROL_INVALID)
    try:
        n = await engine.products.register(
            request.match_info["product_id"], body.identifier, body.name, body.description or "",
        )
    except BadCredential as exc:
        raise IEFError(401, "EDGESIM.0401", str(exc)) from None
    except DomainError as exc:  # the node's name taken, the node quota used up
        raise control_invalid(f"{exc.field}: {exc.message}" if exc.field else exc.message) from None
    return json_response({"node": registered_node(engine, n)}, status=201)


ROUTES = (
    Route("POST", BASE, create, "Create a product (batch node registration)", IEF, CreateProductBody, ok=(201,)),
    Route("GET", BASE, list_, "List products", IEF, query=PAGE + (Query("sort", description="created_at:desc (default) or created_at:asc"),)),
    Route("GET", BASE + "/{product_id}", show, "Show a product", IEF),
    Route("DELETE", BASE + "/{product_id}", delete, "Delete a product", IEF, ok=(204,)),
    Route("POST", "/edgesim/products/{product_id}/register", register,
          "Register a node with a product's credential", CONTROL, ProductRegistration, ok=(201,), answer='{"node": the node registered with the product\'s credential}'),
)
