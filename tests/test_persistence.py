"""Nothing acknowledged is lost: SIGKILL the server, start it on the same SQLite file.

Every acknowledged deployment and instance is back, the clock resumes where it was, and
instances that were mid-way finish at exactly the times an uninterrupted run gives them.
"""

from __future__ import annotations

import aiohttp
import pytest

from conftest import Api
from processes import ServeProcess

pytestmark = pytest.mark.slow


async def _drive_until_kill(api: Api) -> dict:
    """Create, roll and delete deployments, leaving timers in flight; returns what was acked."""
    nodes = await api.node_ids()
    acked = {}

    async def create(name: str, node: int) -> str:
        reply = await api.create(name, node_id=nodes[node])
        assert reply.status == 201
        acked[name] = reply.body["deployment"]["id"]
        return acked[name]

    await create("steady", 0)
    rolled = await create("rolled", 1)
    await api.advance(9)
    assert (await api.put(api.v2(f"deployments/{rolled}"), {"deployment": {"image_url": "nginx:2"}})).status == 200
    deleted = await create("deleted", 2)
    await api.advance(4)
    assert (await api.delete(api.v2(f"deployments/{deleted}"))).status == 204
    await create("late", 3)
    return acked


async def _run(tmp_path, name: str, kill: bool):
    db = tmp_path / f"{name}.db"
    server = ServeProcess("--db", str(db), "--clock", "virtual", "--seed", "11")
    async with aiohttp.ClientSession() as session:
        api = Api(server.url, session)
        acked = await _drive_until_kill(api)
        before = {n: (await api.get(api.v2(f"deployments/{i}"))).body for n, i in acked.items()}
        now_before = (await api.get("/edgesim/clock", token=None)).body["now"]
        if kill:
            server.kill()
            server = ServeProcess("--db", str(db), "--clock", "virtual")
            api = Api(server.url, session)
        after = {n: (await api.get(api.v2(f"deployments/{i}"))).body for n, i in acked.items()}
        now_after = (await api.get("/edgesim/clock", token=None)).body["now"]
        await api.advance(30)
        final = (await api.get(api.v2("deployments?sort=created_at:asc"))).body
        events = [(e["time"], e["kind"], e.get("instance_id"), e.get("to")) for e in await api.events()]
    server.kill()
    return before, after, (now_before, now_after), final, events


async def test_sigkill_and_restart_loses_nothing(tmp_path):
    before, after, (now_before, now_after), final, events = await _run(tmp_path, "killed", kill=True)
    assert after == before  # every acknowledged deployment and instance, exactly as it was
    assert now_after == now_before == 13
    assert after["deleted"]["deployment"]["state"] == "PENDING_DELETE"
    assert any(i["state"] == "PENDING_CREATE" for d in after.values() for i in d["deployment"]["instances"])
    # the timers resumed: everything converged, the deleted one is gone
    assert [d["name"] for d in final["deployments"]] == ["steady", "rolled", "late"]
    assert all(i["state"] == "RUNNING" for d in final["deployments"] for i in d["instances"])
    # ...at the same simulated times as a run that was never interrupted
    _, _, _, final_ref, events_ref = await _run(tmp_path, "reference", kill=False)
    assert final == final_ref
    assert events == events_ref


async def test_a_new_store_keeps_the_seed_it_was_created_with(tmp_path):
    db = tmp_path / "seeded.db"
    first = ServeProcess("--db", str(db), "--seed", "5")
    async with aiohttp.ClientSession() as session:
        nodes = await Api(first.url, session).node_ids()
        first.kill()
        second = ServeProcess("--db", str(db), "--seed", "6")
        assert await Api(second.url, session).node_ids() == nodes
        assert "created with seed 5; keeping it" in second.kill()


async def test_pending_node_connects_and_waiting_instances_start_after_a_restart(tmp_path):
    db = tmp_path / "nodes.db"
    server = ServeProcess("--db", str(db), "--clock", "virtual")
    async with aiohttp.ClientSession() as session:
        api = Api(server.url, session)
        node = (await api.post(api.v2("nodes"), {"node": {"name": "late-node"}})).body["node"]
        fleet = await api.post("/edgesim/fleet", {"nodes": 1, "groups": {"g": 1}, "profile": {"cpu": [2, 2]}}, token=None)
        [full_node] = fleet.body["node_ids"]
        blocker = (await api.create("blocker", node_id=full_node, resources={"requests": {"cpu": 2}})).body["deployment"]
        waiter = (await api.create("waiter", node_id=full_node, resources={"requests": {"cpu": 1}})).body["deployment"]
        assert waiter["instances"][0]["reason"] == "Insufficient cpu"
        server.kill()
        server = ServeProcess("--db", str(db), "--clock", "virtual")
        api = Api(server.url, session)
        assert (await api.get(api.v2(f"nodes/{node['id']}"))).body["node"]["state"] == "UNCONNECTED"
        await api.advance(15)
        assert (await api.get(api.v2(f"nodes/{node['id']}"))).body["node"]["state"] == "RUNNING"
        await api.delete(api.v2(f"deployments/{blocker['id']}"))
        await api.advance(15)
        inst = (await api.get(api.v2(f"deployments/{waiter['id']}"))).body["deployment"]["instances"][0]
        assert inst["state"] == "RUNNING"
    server.kill()
