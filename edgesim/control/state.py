"""GET /edgesim/state: the whole fleet in one compact answer, for the dashboard.

One call instead of paging through nodes, groups and deployments: the dashboard loads it once,
then follows the event stream from ``seq`` and reloads it only when the fleet's shape changes.
Instances are nested in the node they are bound to; group instances still waiting for a node
are listed under ``unplaced``.
"""

from __future__ import annotations

from typing import Any

from aiohttp import web

from edgesim.api.errors import json_response
from edgesim.api.routing import CONTROL, ENGINE, Route
from edgesim.control.routes import clock_body
from edgesim.domain.models import Instance
from edgesim.domain.states import InstanceState
from edgesim.engine.engine import Engine

LIVE_FAULTS = ("scheduled", "active")


def _instance(inst: Instance) -> dict[str, Any]:
    body = {"id": inst.id, "deployment_id": inst.deployment_id, "state": inst.state, "ready": bool(inst.is_ready)}
    if inst.replaced_by:
        body["stale"] = True  # migrated away; removed when its node returns
    return body


def snapshot(engine: Engine) -> dict[str, Any]:
    world = engine.world
    placed: dict[str, list[dict]] = {}
    unplaced = []
    ready: dict[str, int] = {}
    for inst in world.instances.values():
        row = _instance(inst)
        if inst.node_id is None:
            unplaced.append(row)
        else:
            placed.setdefault(inst.node_id, []).append(row)
        if inst.state == InstanceState.RUNNING and inst.is_ready:
            ready[inst.deployment_id] = ready.get(inst.deployment_id, 0) + 1
    return {
        "seq": engine.events.released,  # follow the stream from here (?after=seq)
        "clock": clock_body(engine),
        # how many records of each kind the world holds (the registry's kinds, domain.kinds);
        # kinds with none are left out, so a family a fleet does not use adds nothing here
        "records": {kind: len(table) for kind, table in world.tables.items() if table},
        "groups": [
            {"id": g.id, "name": g.name, "node_ids": g.node_ids}
            for g in sorted(world.groups.values(), key=lambda g: g.name)
        ],
        "nodes": [
            {"id": n.id, "name": n.name, "state": n.state, "silent": n.silent_since is not None,
             "instances": placed.get(n.id, [])}
            for n in sorted(world.nodes.values(), key=lambda n: n.name)
        ],
        "unplaced": unplaced,
        "deployments": [
            {
                "id": d.id, "name": d.name, "replicas": d.replicas, "ready": ready.get(d.id, 0),
                "instances": len(d.instance_ids), "group_id": d.group_id, "state": d.state,
            }
            for d in sorted(world.deployments.values(), key=lambda d: d.seq)
        ],
        "faults": [
            {"id": f.id, "kind": f.spec.get("kind"), "state": f.state, "nodes": f.nodes}
            for f in engine.chaos.faults.values() if f.state in LIVE_FAULTS
        ],
    }


async def state(request: web.Request) -> web.Response:
    return json_response(snapshot(request.app[ENGINE]))


ROUTES = (
    Route("GET", "/edgesim/state", state, "A snapshot of the fleet for the dashboard", CONTROL),
)
