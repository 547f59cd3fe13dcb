"""The world's per-node reservation index (``World.allocated_on``) equals summing the node's
placed instances, through every way an instance gains or loses its hold on a node."""

from __future__ import annotations

import sqlite3

from test_placement import create_on_group, make_group

from edgesim.domain.resources import Amounts, requests_of
from edgesim.engine.world import HOLDS_NOTHING

from conftest import Api


def summed(api: Api, node_id: str) -> Amounts:
    total = Amounts()
    for inst in api.engine.world.instances_on(node_id):
        if inst.phase not in HOLDS_NOTHING:
            total += requests_of(inst.spec)
    return total


def assert_index_exact(api: Api) -> None:
    world = api.engine.world
    for node_id in world.nodes:
        assert world.allocated_on(node_id) == summed(api, node_id), node_id


async def test_create_wait_delete_and_finish(api):
    _, [node] = await make_group(api, nodes=1)
    big = (await api.create("big", node_id=node, resources={"requests": {"cpu": 3, "memory": 100.5}})).body["deployment"]
    await api.create("small", node_id=node, resources={"requests": {"cpu": 2}})  # waits for room
    await api.create("once", node_id=node, image_url="registry/edgesim-demo/crashloop:1",
                     configs={"restart_policy": "Never"}, resources={"requests": {"cpu": 0.25}})
    assert_index_exact(api)
    assert api.engine.world.allocated_on(node) == Amounts(cpu=3.25, memory=100.5)
    await api.advance(60)  # "once" exits for good: it holds nothing any more
    assert_index_exact(api)
    await api.delete(api.v2(f"deployments/{big['id']}"))
    assert_index_exact(api)  # terminating still holds its room
    await api.advance(5)
    assert_index_exact(api)
    assert api.engine.world.allocated_on(node).cpu == 2


async def test_a_failed_commit_puts_the_reservations_back(api, monkeypatch):
    _, [node] = await make_group(api, nodes=1)
    kept = (await api.create("kept", node_id=node, resources={"requests": {"cpu": 1}})).body["deployment"]
    before = api.engine.world.allocated_on(node)

    async def broken(ops):
        raise sqlite3.OperationalError("disk I/O error")

    monkeypatch.setattr(api.server.store, "_write_batch", broken)
    assert (await api.create("lost", node_id=node, resources={"requests": {"cpu": 2}})).status == 500
    assert (await api.delete(api.v2(f"deployments/{kept['id']}"))).status == 500
    monkeypatch.undo()
    assert api.engine.world.allocated_on(node) == before
    assert_index_exact(api)


async def test_node_loss_migration_and_return(api):
    group_id, nodes = await make_group(api, nodes=3)
    for i in range(4):
        reply = await create_on_group(api, f"app-{i}", group_id, cpu=1, migration=True, toleration_seconds=0)
        assert reply.status == 201, reply.body
    await api.advance(30)
    victim = next(n for n in nodes if api.engine.world.instances_on(n))
    await api.post(f"/edgesim/nodes/{victim}/disconnect", token=None)
    await api.advance(60)  # lost, then recreated elsewhere; the stale copy holds nothing
    assert_index_exact(api)
    await api.post(f"/edgesim/nodes/{victim}/connect", token=None)
    await api.advance(30)
    assert_index_exact(api)
