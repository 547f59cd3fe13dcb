"""Drive node faults by hand: POST /edgesim/nodes/{node_id}/disconnect and /connect.

``disconnect`` cuts the node off (its agent stops reporting; the containers run on at the
edge): it turns FAIL after the grace period and its instances UNKNOWN. ``connect`` lets it
report again: it turns RUNNING and its instances carry on (or, if they were recreated
elsewhere meanwhile, are cleaned up). ``GET /edgesim/nodes/{node_id}`` shows the agent's view.
"""

from __future__ import annotations

from aiohttp import web

from edgesim.api.errors import control_not_found, json_response
from edgesim.api.routing import CONTROL, ENGINE, Route
from edgesim.domain.models import Node
from edgesim.engine.engine import Engine


def agent_view(engine: Engine, node: Node) -> dict:
    heartbeat = engine.failover.last_heartbeat(node)
    return {
        "node_id": node.id,
        "name": node.name,
        "state": node.state,
        "silent_since": node.silent_since,
        "lost_at": node.lost_at,
        "last_heartbeat": heartbeat,
        "last_heartbeat_at": None if heartbeat is None else engine.clock.timestamp(heartbeat).isoformat().replace("+00:00", "Z"),
    }


def _node_of(engine: Engine, request: web.Request) -> Node:
    node = engine.world.nodes.get(request.match_info["node_id"])
    if node is None:
        raise control_not_found(f"edge node {request.match_info['node_id']} not found")
    return node


async def show(request: web.Request) -> web.Response:
    engine = request.app[ENGINE]
    return json_response(agent_view(engine, _node_of(engine, request)))


async def disconnect(request: web.Request) -> web.Response:
    engine = request.app[ENGINE]
    node = await engine.nodes.disconnect(_node_of(engine, request))
    return json_response(agent_view(engine, node))


async def connect(request: web.Request) -> web.Response:
    engine = request.app[ENGINE]
    node = await engine.nodes.connect(_node_of(engine, request))
    return json_response(agent_view(engine, node))


ROUTES = (
    Route("GET", "/edgesim/nodes/{node_id}", show, "A node's agent: heartbeats and silence", CONTROL, answer="the node's agent: heartbeats, silence, connection"),
    Route("POST", "/edgesim/nodes/{node_id}/disconnect", disconnect, "Cut a node off", CONTROL, answer="the node's agent, now cut off"),
    Route("POST", "/edgesim/nodes/{node_id}/connect", connect, "Let a node report again", CONTROL, answer="the node's agent, reporting again"),
)
