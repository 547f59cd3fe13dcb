"""Benchmark 3: a simulated day on a virtual clock, as fast as it goes.

1,000 nodes in 10 groups of 100; 100 group deployments of 100 replicas (10,000 instances)
with migration on (toleration 60 s); 1% of them crash-loop. Every simulated minute a chaos
``node_crash`` takes one node (drawn from a seeded generator) down for 10 minutes: it is FAIL
after the 40 s grace, its instances are recreated elsewhere after 60 s, and the stale copies
are cleaned up when it returns. Target: 24 simulated hours in under 8 s of wall time.
"""

from __future__ import annotations

import os
import random
import tempfile
import time
from pathlib import Path

from benchmarks import world
from benchmarks.results import Result
from edgesim import gc_policy
from edgesim.engine.faults import FaultSpec
from edgesim.settings import FleetProfile

HOURS = float(os.environ.get("BENCH_HOURS", "24"))
GROUPS, NODES_PER_GROUP, DEPLOYMENTS_PER_GROUP, REPLICAS = 10, 100, 10, 100


async def run() -> list[Result]:
    gc_policy.tune()
    with tempfile.TemporaryDirectory(prefix="edgesim-bench-") as tmp:
        server = await world.start(Path(tmp) / "day.db", clock="virtual")
        engine, clock = server.engine, server.engine.clock
        try:
            await world.add_crashloop_profile(engine)
            groups = {f"zone-{g}": NODES_PER_GROUP for g in range(GROUPS)}
            nodes, made = await engine.fleet.create(world.PROJECT, count=GROUPS * NODES_PER_GROUP, groups=groups,
                                                          profile=FleetProfile(), name_prefix="bench")
            healthy = world.app("bench/web:1", migration=True, toleration_seconds=60)
            crashing = world.app(world.CRASHLOOP_IMAGE, migration=True, toleration_seconds=60)
            specs = [{"name": f"{g.name}-app-{d}", "group_id": g.id, "replicas": REPLICAS,
                      "app": crashing if (gi, d) == (0, 0) else healthy}
                     for gi, g in enumerate(made) for d in range(DEPLOYMENTS_PER_GROUP)]
            await world.create_all(engine, specs, concurrency=50)
            gc_policy.settle()
            instances = len(engine.world.instances)

            rng = random.Random(7)
            events_before, timers = engine.events.seq, 0
            began = time.perf_counter()
            for _ in range(int(HOURS * 60)):
                victim = rng.choice(nodes).id
                await engine.chaos.add(FaultSpec.model_validate(
                    {"kind": "node_crash", "target": {"node_ids": [victim]}, "duration": 600}))
                timers += await clock.advance(60)
                await engine.checkpoint()  # the store keeps up, as a server's would
            wall = time.perf_counter() - began
            events = engine.events.seq - events_before
        finally:
            await server.stop()
    simulated = HOURS * 3600
    return [
        Result("virtual.instances", instances, "instances"),
        Result.check("virtual.day_wall_seconds", wall * 24 / HOURS, "s", "<", 8),
        Result("virtual.speedup", simulated / wall, "x real time"),
        Result("virtual.timers_per_second", timers / wall, "timers/s"),
        Result("virtual.events_per_second", events / wall, "events/s"),
        Result("virtual.events", events, "events"),
    ]
