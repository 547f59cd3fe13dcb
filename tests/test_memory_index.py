"""The world's memory index (``World.memory_on``: per node, the constant containers' memory
summed and the containers whose use moves with time) equals scanning the node's instances,
through every way a container starts, ends or leaves; and a node's eviction crossing read from
it is the one a scan gives (``engine.usage``)."""

from __future__ import annotations

import sqlite3

from test_placement import create_on_group, make_group
from test_resource_usage import evictions, fleet, profile

from edgesim.engine.world import USES_MEMORY

from conftest import Api, advance_to, start_api, stop_api


def scanned(api: Api, node_id: str) -> tuple[float, set[str]]:
    """What the index must hold, by brute force over every instance on the node."""
    constant, moving = 0.0, set()
    for inst in api.engine.world.instances_on(node_id):
        if inst.usage is None or inst.phase not in USES_MEMORY:
            continue
        if inst.usage["memory_per_min"] != 0 or inst.started_at is None:
            moving.add(inst.id)
            continue
        limits = inst.spec.resources.limits
        cap = limits.memory if limits is not None and limits.memory is not None else float("inf")
        constant += min(inst.usage["memory"], cap)
    return constant, moving


def assert_index_exact(api: Api) -> None:
    world = api.engine.world
    for node_id in world.nodes:
        constant, moving = world.memory_on(node_id)
        want_constant, want_moving = scanned(api, node_id)
        assert (round(constant, 6), {i.id for i in moving}) == (round(want_constant, 6), want_moving), node_id


async def test_constant_and_growing_containers_start_crash_and_go(api):
    _, [node] = await fleet(api, [profile("*/steady:*", memory={"mb": 100}),
                                  profile("*/capped:*", memory={"mb": 150}),
                                  profile("*/leaky:*", memory={"mb": 50, "grow_mb_per_min": 10}),
                                  {"match": "*/crashloop:*", "pull": {"seconds": 2}, "start": {"seconds": 1},
                                   "memory": {"mb": 70}, "exit": {"after": 5, "code": 1}}])
    steady = (await api.create("steady", node_id=node, image_url="registry/steady:1")).body["deployment"]["id"]
    await api.create("capped", node_id=node, image_url="registry/capped:1", resources={"limits": {"memory": 200}})
    await api.create("leaky", node_id=node, image_url="registry/leaky:1")
    await api.create("crashing", node_id=node, image_url="registry/crashloop:1")
    assert_index_exact(api)  # nothing runs yet
    await advance_to(api, 4)
    assert_index_exact(api)
    constant, moving = api.engine.world.memory_on(node)
    assert constant == 100 + 150 + 70 and len(moving) == 1
    await advance_to(api, 15)  # the crash-looping one exited at 13 and backs off until 23: it counts no more
    assert_index_exact(api)
    assert api.engine.world.memory_on(node)[0] == 250
    await api.delete(api.v2(f"deployments/{steady}"))  # terminating: its memory still counts
    assert_index_exact(api)
    await api.advance(60)  # gone
    assert_index_exact(api)


async def test_a_failed_commit_puts_the_index_back(api, monkeypatch):
    _, [node] = await fleet(api, [profile("*/steady:*", memory={"mb": 100})])
    kept = (await api.create("kept", node_id=node, image_url="registry/steady:1")).body["deployment"]["id"]
    await advance_to(api, 4)
    before = api.engine.world.memory_on(node)

    async def broken(ops):
        raise sqlite3.OperationalError("disk I/O error")

    monkeypatch.setattr(api.server.store, "_write_batch", broken)
    assert (await api.delete(api.v2(f"deployments/{kept}"))).status == 500
    monkeypatch.undo()
    assert api.engine.world.memory_on(node) == before == (100, [])
    assert_index_exact(api)


async def test_node_loss_migration_return_and_a_restart(tmp_path):
    db = tmp_path / "memory.db"
    api = await start_api(db)
    try:
        group_id, nodes = await make_group(api, nodes=3)
        for i in range(4):
            reply = await create_on_group(api, f"app-{i}", group_id, cpu=1, migration=True, toleration_seconds=0)
            assert reply.status == 201, reply.body
        await api.advance(30)
        assert_index_exact(api)
        victim = next(n for n in nodes if api.engine.world.instances_on(n))
        await api.post(f"/edgesim/nodes/{victim}/disconnect", token=None)
        await api.advance(60)  # lost, then recreated elsewhere
        assert_index_exact(api)
        await api.post(f"/edgesim/nodes/{victim}/connect", token=None)
        await api.advance(30)
        assert_index_exact(api)
        held = {n: api.engine.world.memory_on(n)[0] for n in nodes}
    finally:
        await stop_api(api)
    api = await start_api(db)  # rebuilt from the store as records load
    try:
        assert {n: api.engine.world.memory_on(n)[0] for n in nodes} == held
        assert_index_exact(api)
    finally:
        await stop_api(api)


async def test_evictions_come_when_the_index_says_and_at_the_times_a_scan_gave(api):
    """A 1024 MB node (threshold 924 MB): a constant 400 MB container alone never reaches it (no
    timer: a node without growth sets none); with one of 200 MB + 100 MB/min running from t=13
    they reach 924 MB at t = 13 + 324/100*60 = 207.4, and the leaky one (above its request) is
    evicted then, not the constant one (at its request)."""
    _, [node] = await fleet(api, [profile("*/steady:*", memory={"mb": 400}),
                                  profile("*/leaky:*", memory={"mb": 200, "grow_mb_per_min": 100})])
    await api.create("steady", node_id=node, image_url="registry/steady:1", resources={"requests": {"memory": 400}})
    await advance_to(api, 10)
    assert f"pressure:{node}" not in api.engine.core.timers  # nothing grows: nothing scheduled
    leaky = (await api.create("leaky", node_id=node, image_url="registry/leaky:1")).body["deployment"]["id"]
    await advance_to(api, 13.05)
    assert f"pressure:{node}" in api.engine.core.timers
    await advance_to(api, 207.3)
    assert evictions(api) == []
    await advance_to(api, 207.5)
    assert evictions(api) == evictions(api, leaky) == [(207.4, 524.0)]  # its own use: 200 + 324
    assert_index_exact(api)
