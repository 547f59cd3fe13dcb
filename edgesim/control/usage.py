"""GET /edgesim/usage: what nodes and instances use now (cpu cores, memory MB), from their
behaviour profiles (``engine.usage``). IEF's node answers carry capacity only (the SDK's
``EdgeNodeResp`` has ``cpu`` and ``memory``, no usage): the simulated use is shown here and in
/edgesim/metrics.
"""

from __future__ import annotations

from typing import Any

from aiohttp import web

from edgesim.api.errors import control_invalid, json_response
from edgesim.api.routing import CONTROL, ENGINE, Query, Route
from edgesim.engine.usage import MEMORY_PRESSURE_TAINT, instance_use

FILTERS = ("node_id", "deployment_id")


async def get(request: web.Request) -> web.Response:
    engine = request.app[ENGINE]
    unknown = sorted(set(request.query) - set(FILTERS))
    if unknown:  # a filter that is not honoured is refused, not ignored
        raise control_invalid(f"unknown query parameter {unknown[0]}; filters: {', '.join(FILTERS)}")
    node_id, deployment_id = (request.query.get(k) for k in FILTERS)
    world, now = engine.world, engine.clock.now()
    use = engine.memory_pressure.use
    nodes: list[dict[str, Any]] = []
    for node in sorted(world.nodes.values(), key=lambda n: n.name):
        if node_id is not None and node.id != node_id:
            continue
        total, capacity = use.of_node(node), world.capacity(node)
        nodes.append({
            "node_id": node.id, "name": node.name,
            "cpu_cores": round(total.cpu, 6), "cpu_capacity": capacity.cpu,
            "memory_mb": round(total.memory, 6), "memory_capacity_mb": capacity.memory,
            "memory_pressure": use.under_pressure(node),
            # the MemoryPressure condition's taint: it outlasts the pressure (transition period)
            "taints": [MEMORY_PRESSURE_TAINT] if node.pressure_since is not None else [],
        })
    instances = []
    for inst in world.instances.values():
        if (node_id is not None and inst.node_id != node_id) or (deployment_id is not None and inst.deployment_id != deployment_id):
            continue
        used = instance_use(inst, now)
        instances.append({"instance_id": inst.id, "deployment_id": inst.deployment_id, "node_id": inst.node_id,
                          "cpu_cores": round(used.cpu, 6), "memory_mb": round(used.memory, 6)})
    if deployment_id is not None and node_id is None:
        nodes = [n for n in nodes if any(i["node_id"] == n["node_id"] for i in instances)]
    return json_response({"time": now, "nodes": nodes, "instances": instances})


ROUTES = (
    Route("GET", "/edgesim/usage", get, "CPU and memory use of nodes and instances now", CONTROL,
          query=(Query("node_id", description="only this node and its instances"),
                 Query("deployment_id", description="only this deployment's instances (and their nodes)")),
          answer='{"time", "nodes": [...], "instances": [...]}: CPU and memory use now, memory pressure and taints per node'),
)
