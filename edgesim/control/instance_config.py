"""GET /edgesim/instances/{instance_id}/config: what an instance's container sees of the
config maps and secrets it references (not part of IEF: the real service does not show it).

``env``: the values its container got when it last started (an update reaches them only at
the next start); ``volumes``: per config map or secret volume, the version and files mounted
now (an update reaches them after ``simulation.instance.config_sync_seconds``); ``waiting``:
what is missing while the instance waits in CreateContainerConfigError, else null."""

from __future__ import annotations

from aiohttp import web

from edgesim.api.errors import control_not_found, json_response
from edgesim.api.routing import CONTROL, ENGINE, Route
from edgesim.engine.lifecycle import CONFIG


async def show(request: web.Request) -> web.Response:
    engine = request.app[ENGINE]
    inst = engine.world.instances.get(request.match_info["instance_id"])
    if inst is None:
        raise control_not_found(f"instance {request.match_info['instance_id']} not found")
    return json_response({
        "instance_id": inst.id, "state": inst.state, "started_at": inst.started_at,
        "waiting": inst.message if inst.phase == CONFIG else None,
        "env": inst.config.get("env", {}), "volumes": inst.config.get("volumes", {}),
    })


ROUTES = (
    Route("GET", "/edgesim/instances/{instance_id}/config", show,
          "What an instance sees of its config maps and secrets", CONTROL, answer="what the instance sees of its config maps and secrets"),
)
