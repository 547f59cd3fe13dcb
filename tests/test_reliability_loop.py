"""The event loop stays responsive, and memory stays bounded, on a busy world.

A loop-lag probe (a task that measures how late ``call_later(0.01)`` fires) and requests made
while long operations run give the measurements as counts and ratios, not wall-clock limits.
"""

from __future__ import annotations

import asyncio
import time

from tests.conftest import Api

CRASH_LOOP = [{"match": "*", "pull": {"seconds": 1}, "start": {"seconds": 1}, "exit": {"after": 1, "code": 1}}]


class LoopLag:
    """Records the longest delay of a 10 ms ``call_later`` while it runs: the longest stall."""

    def __init__(self) -> None:
        self.longest = 0.0
        self._task: asyncio.Task | None = None

    async def _probe(self) -> None:
        loop = asyncio.get_running_loop()
        while True:
            asked = loop.time()
            await asyncio.sleep(0.01)  # a call_later(0.01) underneath
            self.longest = max(self.longest, loop.time() - asked - 0.01)

    def __enter__(self) -> LoopLag:
        self._task = asyncio.get_running_loop().create_task(self._probe())
        return self

    def __exit__(self, *exc: object) -> None:
        self._task.cancel()


async def crash_looping_world(api: Api, deployments: int) -> None:
    """``deployments`` single-instance deployments that crash a second after they start."""
    assert (await api.put("/edgesim/behaviors", CRASH_LOOP, token=None)).status == 200
    nodes = await api.node_ids()
    for n in range(deployments):
        reply = await api.create(f"crash-{n}", node_id=nodes[n % len(nodes)])
        assert reply.status == 201, reply.body


async def test_health_and_reads_answer_while_a_long_advance_runs(api):
    await crash_looping_world(api, 40)
    with LoopLag() as lag:
        started = time.perf_counter()
        advance = asyncio.create_task(api.advance(24 * 3600))
        answered = 0
        while not advance.done():
            health = await api.get("/edgesim/health", token=None)
            clock = await api.get("/edgesim/clock", token=None)
            assert health.status == 200 and clock.status == 200
            answered += 1
        await advance
        took = time.perf_counter() - started
    assert advance.result()["timers_run"] > 5_000
    print(f"answered {answered}, longest stall {lag.longest:.3f}s of {took:.3f}s")
    assert answered >= 20
    assert lag.longest < took / 5  # before: a quarter to all of it


async def test_a_write_during_an_advance_waits_and_applies_at_the_advanced_time(api):
    await crash_looping_world(api, 25)
    start = api.engine.clock.now()
    advance = asyncio.create_task(api.advance(6 * 3600))
    while api.engine.clock.now() == start:  # the advance has begun
        await asyncio.sleep(0)
    created = await api.create("late")
    assert created.status == 201
    assert advance.done()
    dep_id = created.body["deployment"]["id"]
    [event] = await api.events(kind="deployment.created", deployment_id=dep_id)
    assert event["time"] == start + 6 * 3600
