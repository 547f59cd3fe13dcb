"""Benchmark 5: devices reporting on a virtual clock; the cost follows the reports made.

1,000 and then 10,000 end devices (100 per node, made from one template) report a temperature
(a sine) every 10 s, each report a twin change and a ``device.reported`` event committed to the
store. Each device has ONE timer on the clock's heap, re-armed by its report; nothing polls,
so the timers run equal the reports made, and the wall time grows with the reports: the two
runs' wall time per report stay within 1.5x of each other.

Each run covers ``BENCH_DEVICE_HOURS`` simulated hours (default 1). The issue's figure, 10,000
devices for 24 hours, is 86.4 million reports (and as many events in the store): set
``BENCH_DEVICE_HOURS=24`` for it; at the measured cost per report it is 24 times the 1-hour
run's wall time, which is why it is not the default of ``python -m benchmarks``.
"""

from __future__ import annotations

import asyncio
import os
import tempfile
import time
from pathlib import Path

from benchmarks import world
from benchmarks.results import Result
from edgesim import gc_policy
from edgesim.engine.device_behaviors import DeviceProfile
from edgesim.engine.engine import Engine

HOURS = float(os.environ.get("BENCH_DEVICE_HOURS", "1"))
SIZES = tuple(int(n) for n in os.environ.get("BENCH_DEVICES", "1000,10000").split(","))
PER_NODE = 100
REPORT_EVERY = 10.0
PROFILE = {"match": "*", "report_every": REPORT_EVERY,
           "properties": {"temperature": {"kind": "sine", "value": 4, "amplitude": 0.5, "period": 600}}}


async def _make_devices(engine: Engine, count: int) -> None:
    """``count`` devices from one template, bound ``PER_NODE`` to a node, made through the engine
    (the API's costs are benchmark 1's subject)."""
    nodes, _ = await engine.fleet.create(world.PROJECT, count=max(1, count // PER_NODE), groups={},
                                         profile=engine.settings.fleet.profile, name_prefix="bench")
    await engine.set_device_behaviors([DeviceProfile.model_validate(PROFILE)])
    template = await engine.device_templates.create(
        world.PROJECT, name="thermo", access_protocol="userdefine", description="", attributes={},
        twin={"temperature": {"optional": True, "metadata": {"type": "float"}}}, property_visitors={}, tags=None,
    )
    for start in range(0, count, PER_NODE):
        made = await asyncio.gather(*(
            engine.devices.create(
                world.PROJECT, name=f"thermo-{i:05d}", device_id=None, access_protocol=None, connection_type="edge",
                description="", attributes={}, twin={}, access_config={}, property_visitors={}, template_id=template.id,
            )
            for i in range(start, min(count, start + PER_NODE))
        ))
        node = nodes[start // PER_NODE % len(nodes)]
        await engine.devices.bind_on_node(world.PROJECT, node.id, added=[d.id for d in made], removed=[], relation="", comment="")


async def _day(count: int) -> dict[str, float]:
    """One run: ``count`` devices for ``HOURS``; timers run, reports made, wall time."""
    with tempfile.TemporaryDirectory(prefix="edgesim-bench-") as tmp:
        server = await world.start(Path(tmp) / "devices.db", clock="virtual")
        engine, clock = server.engine, server.engine.clock
        reports = 0

        def count_report(event: dict) -> None:
            nonlocal reports
            reports += event["kind"] == "device.reported"

        try:
            await _make_devices(engine, count)
            gc_policy.settle()
            engine.events.listeners.append(count_report)
            pending_before, timers = clock.pending, 0
            began = time.perf_counter()
            for _ in range(int(HOURS * 60)):
                timers += await clock.advance(60)
                await engine.checkpoint()  # the store keeps up, as a server's would
            wall = time.perf_counter() - began
            pending_after = clock.pending
        finally:
            await server.stop()
    return {"devices": count, "timers": timers, "scheduled": timers + pending_after - pending_before,
            "pending": pending_after, "reports": reports, "wall": wall}


async def run() -> list[Result]:
    gc_policy.tune()
    runs = [await _day(n) for n in SIZES]
    results: list[Result] = []
    for r in runs:
        name = f"devices.{r['devices']}"
        results += [
            Result(f"{name}.timers_pending", r["pending"], "timers"),
            Result(f"{name}.timers_scheduled", r["scheduled"], "timers"),
            Result(f"{name}.timers_run", r["timers"], "timers"),
            Result(f"{name}.reports", r["reports"], "reports"),
            Result(f"{name}.wall_seconds", r["wall"], "s"),
            Result(f"{name}.us_per_report", r["wall"] / max(1, r["reports"]) * 1e6, "us"),
            Result.check(f"{name}.timers_per_report", r["timers"] / max(1, r["reports"]), "timers", "<", 1.01),
        ]
    if len(runs) >= 2:
        small, large = runs[0], runs[-1]
        per_report = (large["wall"] / max(1, large["reports"])) / (small["wall"] / max(1, small["reports"]))
        results += [
            Result("devices.wall_ratio", large["wall"] / small["wall"], f"x ({large['devices']} vs {small['devices']} devices)"),
            Result.check("devices.per_report_ratio", per_report, "x (wall per report, large / small)", "<", 1.5),
        ]
    return results
