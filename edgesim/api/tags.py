"""Resource tags: /v2/{project_id}/{resource_type}/... (contract ief-api-more.md section 3).

Routes are declared for each known resource type, so an unknown type is an unrouted path
(404 IEF.011002, contract 0.5).
"""

from __future__ import annotations

from aiohttp import web

from edgesim.api.errors import json_response
from edgesim.api.paths import TAG_RESOURCE_TYPES
from edgesim.api.routing import ENGINE, IEF, Route
from edgesim.api.tag_models import TagQuery, batch_body, create_tag_body, tag_query_body
from edgesim.engine.tags import TAGGABLE, Taggable

assert tuple(TAGGABLE) == TAG_RESOURCE_TYPES, "engine.tags.TAGGABLE and api.paths.TAG_RESOURCE_TYPES must agree"


def _where(request: web.Request) -> tuple[str, str]:
    return request.match_info["project_id"], request.path.split("/")[3]


async def create(request: web.Request) -> web.Response:
    project_id, resource_type = _where(request)
    tags, resource_id = request.app[ENGINE].tags, request.match_info["resource_id"]
    tags.resource(project_id, resource_type, resource_id)  # an unknown resource is 404 before any body rule
    key, value = create_tag_body(await request.read())
    await tags.add(project_id, resource_type, resource_id, [(key, value)])
    return web.Response(status=201)


async def batch(request: web.Request) -> web.Response:
    project_id, resource_type = _where(request)
    tags = request.app[ENGINE].tags
    resource_id = request.match_info["resource_id"]
    tags.resource(project_id, resource_type, resource_id)  # an unknown resource is 404 before any body rule
    action, items = batch_body(await request.read())
    if action == "create":
        await tags.add(project_id, resource_type, resource_id, [(k, v or "") for k, v in items])
    else:
        await tags.remove(project_id, resource_type, resource_id, items)
    return web.Response(status=200)


async def delete(request: web.Request) -> web.Response:
    project_id, resource_type = _where(request)
    # aiohttp hands the path segment over URL-decoded (clients encodeURI the key)
    key = request.match_info["key"].strip()
    await request.app[ENGINE].tags.remove_key(project_id, resource_type, request.match_info["resource_id"], key)
    return web.Response(status=204)


async def list_(request: web.Request) -> web.Response:
    project_id, resource_type = _where(request)
    record = request.app[ENGINE].tags.resource(project_id, resource_type, request.match_info["resource_id"])
    tags = [{"key": t["key"], "value": t["value"]} for t in record.tags]
    return json_response({"tags": tags, "count": len(tags)})


async def list_by_type(request: web.Request) -> web.Response:
    """Every key used on the project's resources of the type, with its values (sorted, no repeats)."""
    project_id, resource_type = _where(request)
    values: dict[str, set[str]] = {}
    for record in request.app[ENGINE].tags.resources(project_id, resource_type):
        for tag in record.tags:
            values.setdefault(tag["key"], set()).add(tag["value"])
    tags = [{"key": key, "values": sorted(values[key])} for key in sorted(values)]
    return json_response({"tags": tags, "count": len(tags)})


def _has(record: Taggable, key: str, values: list[str]) -> bool:
    return any(t["key"] == key and (not values or t["value"] in values) for t in record.tags)


def _selected(record: Taggable, query: TagQuery) -> bool:
    lists = query.lists

    def every(name: str) -> bool:
        return all(_has(record, k, v) for k, v in lists[name])

    def some(name: str) -> bool:
        return any(_has(record, k, v) for k, v in lists[name])

    positive = [every("tags")] if "tags" in lists else []
    positive += [some("tags_any")] if "tags_any" in lists else []
    if positive and not any(positive):  # tags and tags_any together: the union of both
        return False
    if "not_tags" in lists and lists["not_tags"] and every("not_tags"):
        return False
    if "not_tags_any" in lists and some("not_tags_any"):
        return False
    name = record.name.lower()
    # each match is a case-insensitive substring of the name; an empty value matches nothing
    return all(m and m.lower() in name for m in query.name_matches)


async def by_tags(request: web.Request) -> web.Response:
    project_id, resource_type = _where(request)
    query = tag_query_body(await request.read())
    found = [r for r in request.app[ENGINE].tags.resources(project_id, resource_type) if _selected(r, query)]
    if query.action == "count":
        return json_response({"total_count": len(found)})
    if query.sort_key == "resource_name":
        found.sort(key=lambda r: (r.name, r.id), reverse=query.reverse)
    elif query.reverse:  # resources() already come in creation order
        found.reverse()
    page = found[query.offset:query.offset + query.limit]
    resources = [{
        "resource_id": r.id,
        "resource_name": r.name or "",
        "tags": [{"key": t["key"], "value": t["value"]} for t in r.tags],
    } for r in page]
    return json_response({"resources": resources, "total_count": len(found)})


def _routes(resource_type: str) -> tuple[Route, ...]:
    base = f"/v2/{{project_id}}/{resource_type}"
    one = base + "/{resource_id}/tags"
    return (
        Route("POST", one, create, f"Create a tag on a {resource_type}", IEF, ok=(201,)),
        Route("POST", one + "/action", batch, f"Add or delete tags of a {resource_type}", IEF),
        Route("DELETE", one + "/{key}", delete, f"Delete a tag of a {resource_type}", IEF, ok=(204,)),
        Route("GET", one, list_, f"List the tags of a {resource_type}", IEF),
        Route("GET", base + "/tags", list_by_type, f"List the tags used on {resource_type} resources", IEF),
        Route("POST", base + "/resource_instances/action", by_tags, f"Query {resource_type} resources by tags", IEF),
    )


ROUTES = tuple(route for resource_type in TAG_RESOURCE_TYPES for route in _routes(resource_type))
