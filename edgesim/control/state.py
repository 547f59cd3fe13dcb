"""GET /edgesim/state: the whole fleet in one compact answer, for the dashboard.

One call instead of paging through nodes, groups and deployments: the dashboard loads it once,
then follows the event stream from ``seq`` and reloads it only when the fleet's shape changes.
Instances are nested in the node they are bound to; group instances still waiting for a node
are listed under ``unplaced``. ``?at=T`` answers the fleet as it was at T (``state_at``); the
dashboard's panels read one node or deployment, and the rules and jobs, from the routes below.
"""

from __future__ import annotations

from typing import Any, cast

from aiohttp import web

from edgesim.api import serializers
from edgesim.api.errors import control_invalid, control_not_found, json_response
from edgesim.api.routing import CONTROL, ENGINE, Query, Route
from edgesim.control.routes import _number, clock_body
from edgesim.control.state_at import state_at
from edgesim.domain.models import BatchJob, Instance, Rule
from edgesim.domain.states import InstanceState
from edgesim.engine.engine import Engine
from edgesim.engine.rule_counts import counts

LIVE_FAULTS = ("scheduled", "active")
CRASH_LOOP = "CrashLoopBackOff"


def _instance(inst: Instance) -> dict[str, Any]:
    body: dict[str, Any] = {"id": inst.id, "deployment_id": inst.deployment_id, "state": inst.state, "ready": bool(inst.is_ready)}
    if inst.replaced_by:
        body["stale"] = True  # migrated away; removed when its node returns
    # only when there is something to say: a crash-looping instance shows as one on the map
    if inst.restarts:
        body["restarts"] = inst.restarts
    if inst.reason == CRASH_LOOP:
        body["reason"] = inst.reason
    return body


def devices_of(engine: Engine, node_id: str) -> list[dict[str, Any]]:
    """The node's devices in binding order, online or offline as the API shows them."""
    return [{"id": d.id, "name": d.name, "state": engine.devices.state(d)} for d in engine.world.devices_on(node_id)]


def operations(engine: Engine) -> dict[str, Any]:
    """Message rules (state and counts as of now) and batch jobs (progress), for the dashboard."""
    now = engine.clock.now()
    tables = engine.world.tables
    routes = engine.message_routes
    rules = []
    for r in sorted(cast(dict[str, Rule], tables["rule"]).values(), key=lambda r: (r.created_at, r.id)):
        delivered, failed = counts(r, now)
        cause = r.timeline[-1][1] if r.timeline else ""  # "" delivers; else why messages fail now
        rules.append({"id": r.id, "name": r.name, "in_using": r.in_using,
                      "source": routes.endpoint(r.project_id, r.source).name,
                      "target": routes.endpoint(r.project_id, r.target).name,
                      "success_messages": delivered, "fail_messages": failed, "failing": cause})
    jobs = []
    for j in sorted(cast(dict[str, BatchJob], tables["batch_job"]).values(), key=lambda j: (j.created_at, j.id)):
        statuses = [t["status"] for t in j.tasks]
        jobs.append({"id": j.id, "name": j.name, "job_type": j.job_type, "status": j.status, "total": len(statuses),
                     "success": statuses.count("success"), "failed": statuses.count("failed"),
                     "running": statuses.count("running")})
    return {"rules": rules, "jobs": jobs}


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
             "instances": placed.get(n.id, []), "devices": devices_of(engine, n.id)}
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
        **operations(engine),
    }


async def state(request: web.Request) -> web.Response:
    engine = request.app[ENGINE]
    if "at" not in request.query:
        return json_response(snapshot(engine))
    now = engine.clock.now()
    at = _number(request.query, "at", minimum=0)
    assert at is not None
    if at > now:
        raise control_invalid(f"at must be a simulated time between 0 and now ({now:g}), got {request.query['at']!r}")
    return json_response({**await state_at(engine, at), "clock": clock_body(engine)})


HISTORY = 200  # the newest state changes a node's panel lists
DEPLOYMENT_EVENTS = 100  # the newest events a deployment's panel lists


async def _newest(engine: Engine, limit: int, **filters: str) -> list[dict[str, Any]]:
    find: Any = engine.events.find  # filters are event fields, never find's own arguments
    count, _ = await find(limit=1, **filters)
    _, page = await find(offset=max(0, count - limit), limit=limit, **filters)
    return page[::-1]


async def node_detail(request: web.Request) -> web.Response:
    engine = request.app[ENGINE]
    node = engine.world.nodes.get(request.match_info["node_id"])
    if node is None:
        raise control_not_found(f"edge node {request.match_info['node_id']} not found")
    deployments = engine.world.deployments
    instances = []
    for inst in sorted(engine.world.instances_on(node.id), key=lambda i: (i.created_at, i.id)):
        dep = deployments.get(inst.deployment_id)
        instances.append({**serializers.v2_instance(engine, inst), "deployment_id": inst.deployment_id,
                          "deployment_name": dep.name if dep else "", "stale": inst.replaced_by is not None})
    history = [{"time": e["time"], "from": e["from"], "to": e["to"]}
               for e in await _newest(engine, HISTORY, kind="node.state", node_id=node.id)]
    return json_response({
        "node": serializers.node(engine, node), "silent_since": node.silent_since,
        "instances": instances, "devices": devices_of(engine, node.id), "history": history,
    })


async def deployment_detail(request: web.Request) -> web.Response:
    engine = request.app[ENGINE]
    dep = engine.world.deployments.get(request.match_info["deployment_id"])
    if dep is None:
        raise control_not_found(f"deployment {request.match_info['deployment_id']} not found")
    return json_response({
        "deployment": serializers.v2_deployment(engine, dep),
        "rollout": dict(dep.rollout) if dep.rollout else None,
        "revision": dep.revision,
        "events": await _newest(engine, DEPLOYMENT_EVENTS, deployment_id=dep.id),
    })


async def operations_now(request: web.Request) -> web.Response:
    return json_response(operations(request.app[ENGINE]))


ROUTES = (
    Route("GET", "/edgesim/state", state, "A snapshot of the fleet for the dashboard (?at=T: as it was at T)", CONTROL,
          query=(Query("at", "number", "simulated seconds, 0 to now: the fleet as it was then", minimum=0),), answer="the fleet for the dashboard (now, or as it was at ?at=T), with the clock"),
    Route("GET", "/edgesim/state/nodes/{node_id}", node_detail, "One node for the dashboard's panel", CONTROL, answer="one node: resources, IPs, instances, history of states"),
    Route("GET", "/edgesim/state/deployments/{deployment_id}", deployment_detail,
          "One deployment for the dashboard's panel", CONTROL, answer="one deployment: instances, events, rollout"),
    Route("GET", "/edgesim/state/operations", operations_now, "Message rules and batch jobs, now", CONTROL, answer="message rules and batch jobs as they are now"),
)
