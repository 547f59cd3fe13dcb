"""GET /edgesim/partitions: the partitions of the world (docs/scale-out.md, section 1).

A partition is a connected component of the node-group membership graph (devices join their
node's); its key is the smallest birth among its members. The list is read from the world's
incremental table, so a test or an operator sees what a sharded run would place together.
"""

from __future__ import annotations

from typing import Any

from aiohttp import web

from edgesim.api.errors import control_not_found, json_response
from edgesim.api.routing import CONTROL, ENGINE, Query, Route
from edgesim.control.routes import _count
from edgesim.engine.world import World


def _partition(world: World, key: int) -> dict[str, Any]:
    members = world.partitions.members(key)  # in birth order
    return {
        "key": key,
        "nodes": [m for m in members if m in world.nodes],
        "groups": [m for m in members if m in world.groups],
        "devices": [m for m in members if m in world.devices],
    }


async def partitions(request: web.Request) -> web.Response:
    world = request.app[ENGINE].world
    query = request.query
    limit = _count(query, "limit", minimum=1, default=1000)
    offset = _count(query, "offset", minimum=0, default=0)
    if "member" in query:
        member = query["member"]
        if member not in world.partitions:
            raise control_not_found(f"no node, group or device {member!r} in any partition")
        keys = [world.partitions.key_of(member)]
    else:
        keys = world.partitions.keys()
    return json_response({"count": len(keys), "partitions": [_partition(world, k) for k in keys[offset:offset + limit]]})


ROUTES = (
    Route("GET", "/edgesim/partitions", partitions, "The partitions of the node-group graph, by key", CONTROL,
          query=(Query("member", description="the partition holding this node, group or device id"),
                 Query("limit", "integer", minimum=1), Query("offset", "integer", minimum=0)), answer='{"count", "partitions": [...]}: the partitions, a page of them'),
)
