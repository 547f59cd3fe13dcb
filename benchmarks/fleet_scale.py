"""Benchmark 2: 10,000 nodes and 100,000 instances on a real clock (scale 1).

Creates the fleet, then 10,000 deployments of 10 nodes each (1% of them run an image that
crash-loops), waits until every instance runs (a crash-looping one: has started), and
reports the time that took, the resident memory and what each instance added to it (the
resident memory after convergence less that of the fleet alone, over the instances). Then 1% of the nodes flap (chaos
``node_flap``: 50 s down, past the 40 s grace, then 30 s up) and the clock's lag is sampled
every 10 ms for ``SAMPLE_SECONDS``: its p99 must stay under 100 ms.
"""

from __future__ import annotations

import asyncio
import os
import random
import statistics
import tempfile
import time
from pathlib import Path

from benchmarks import world
from benchmarks.results import Result
from edgesim import gc_policy
from edgesim.domain.states import InstanceState
from edgesim.engine.faults import FaultSpec
from edgesim.settings import FleetProfile

NODES = int(os.environ.get("BENCH_NODES", "10000"))
PER_DEPLOYMENT = 10
INSTANCES = int(os.environ.get("BENCH_INSTANCES", "100000"))
SAMPLE_SECONDS = float(os.environ.get("BENCH_SAMPLE_SECONDS", "60"))
CONVERGE_LIMIT = 600.0


def _converged(engine) -> bool:
    crash = world.CRASHLOOP_IMAGE
    return all(i.state == InstanceState.RUNNING or (i.app["image_url"] == crash and i.attempt > 0)
               for i in engine.world.instances.values())


async def run() -> list[Result]:
    gc_policy.tune()
    with tempfile.TemporaryDirectory(prefix="edgesim-bench-") as tmp:
        server = await world.start(Path(tmp) / "fleet.db", clock="real")
        engine = server.engine
        try:
            await world.add_crashloop_profile(engine)
            began = time.perf_counter()
            nodes, _ = await engine.fleet.create(world.PROJECT, count=NODES, groups={},
                                                       profile=FleetProfile(), name_prefix="bench")
            gc_policy.settle()
            before_instances, _ = world.rss_mb()  # the fleet alone: the baseline of the per-instance figure
            rng = random.Random(7)
            healthy, crashing = world.app("bench/web:1"), world.app(world.CRASHLOOP_IMAGE)
            count = INSTANCES // PER_DEPLOYMENT
            specs = [{"name": f"app-{d}", "app": crashing if d % 100 == 0 else healthy,
                      "node_ids": [n.id for n in rng.sample(nodes, PER_DEPLOYMENT)]} for d in range(count)]
            await world.create_all(engine, specs)
            created = time.perf_counter()
            while not _converged(engine):
                if time.perf_counter() - began > CONVERGE_LIMIT:
                    raise RuntimeError("the fleet did not converge in time")
                await asyncio.sleep(0.5)
            converged = time.perf_counter()
            gc_policy.settle()  # what `edgesim serve` does after loading a world
            rss, _ = world.rss_mb()

            flapping = [n.id for n in rng.sample(nodes, NODES // 100)]
            await engine.chaos.add(FaultSpec.model_validate(
                {"kind": "node_flap", "target": {"node_ids": flapping}, "down": 50, "up": 30}))
            lags, stalls = [], []
            until = time.perf_counter() + SAMPLE_SECONDS
            while (t0 := time.perf_counter()) < until:
                await asyncio.sleep(0.01)
                stalls.append(max(0.0, time.perf_counter() - t0 - 0.01))  # how late the loop woke us
                lags.append(engine.clock.lag())
            _, peak = world.rss_mb()
            instances = len(engine.world.instances)
        finally:
            await server.stop()

    def p99(values: list[float]) -> float:
        return statistics.quantiles(values, n=100)[98] * 1000

    return [
        Result("fleet.instances", instances, "instances"),
        Result("fleet.create_seconds", created - began, "s"),
        Result("fleet.converge_seconds", converged - began, "s"),
        Result.check("fleet.rss", rss, "MB", "<", 2048),
        # what each running instance (and its share of its deployment) adds, once created
        Result.check("fleet.memory_per_instance", (rss - before_instances) * 1024 / instances, "KB", "<=", 6),
        Result("fleet.peak_rss", peak, "MB"),
        Result.check("fleet.clock_lag_p99", p99(lags), "ms", "<", 100),
        Result("fleet.loop_stall_p99", p99(stalls), "ms"),
    ]
