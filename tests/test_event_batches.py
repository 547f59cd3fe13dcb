"""The event log's batch order (docs/scale-out.md, section 2), as a reader of /edgesim/events
sees it: every event names its partition (0 for the front) and that partition's local
sequence; within one batch (a command, or one simulated instant) events come by (partition,
pseq) whatever order the timers ran in; ``seq`` stays dense. The local sequences survive a
restart and a failed command gives back what it drew."""

from __future__ import annotations

from test_failed_commands import fail_on_call

from conftest import FAST, start_api, stop_api


async def fleet_nodes(api) -> list[str]:
    """The configured fleet's five nodes by birth (partition keys 1 to 5)."""
    return [n.id for n in sorted(api.engine.world.nodes.values(), key=lambda n: n.birth)]


async def deploy(api, name: str, node_id: str) -> str:
    reply = await api.create(name, node_id=node_id)
    assert reply.status == 201, reply.body
    return reply.body["deployment"]["id"]


def last_pseq(events: list[dict], partition: int) -> int:
    return max(e["pseq"] for e in events if e["partition"] == partition)


async def test_every_event_names_its_partition_and_seq_stays_dense(api):
    n = await fleet_nodes(api)
    reply = await api.post(api.v2("groups"), {"name": "site", "node_ids": [n[1], n[2]]})
    assert reply.status == 201, reply.body
    await deploy(api, "web", n[2])
    await api.advance(60)
    events = await api.events()
    assert [e["seq"] for e in events] == list(range(1, len(events) + 1))
    by_kind = {e["kind"]: e for e in events}
    assert by_kind["fleet.created"]["partition"] == 0  # the front's
    assert by_kind["group.created"]["partition"] == 2  # n2 (birth 2) is its oldest member
    assert by_kind["deployment.created"]["partition"] == 2  # on n3, which the group joined to n2
    assert {e["partition"] for e in events if e.get("instance_id")} == {2}
    for key in {e["partition"] for e in events}:  # causal within a partition: pseq 1, 2, 3...
        mine = [e["pseq"] for e in events if e["partition"] == key]
        assert mine == sorted(mine) and len(set(mine)) == len(mine)


async def test_an_instant_lists_its_partitions_by_key_not_by_timer_order(api):
    assert (await api.put("/edgesim/behaviors", FAST, token=None)).status == 200  # pull 2 s, start 1 s
    n = await fleet_nodes(api)
    late = await deploy(api, "on-five", n[4])  # its pull timer is set first...
    early = await deploy(api, "on-two", n[1])
    await api.advance(2)
    pulled = [e for e in await api.events(kind="instance.pulled")]
    assert [e["deployment_id"] for e in pulled] == [early, late]  # ...but partition 2 comes before 5
    assert [e["partition"] for e in pulled] == [2, 5] and pulled[0]["seq"] + 1 == pulled[1]["seq"]


async def test_the_local_sequences_go_on_after_a_restart(tmp_path):
    db = tmp_path / "pseq.db"
    api = await start_api(db)
    n = await fleet_nodes(api)
    await deploy(api, "web", n[0])
    await api.advance(30)
    before = await api.events()
    await stop_api(api)
    api = await start_api(db)
    try:
        await deploy(api, "again", n[0])
        assert (await api.post("/edgesim/chaos/faults", {"kind": "node_crash", "target": {"node_ids": [n[3]]}},
                               token=None)).status == 201
        after = (await api.events())[len(before):]
        created = next(e for e in after if e["kind"] == "deployment.created")
        drawn = last_pseq(before, 1)  # partition 1 goes on, no number twice: its id, then its event
        assert created["deployment_id"] == api.engine.core.ids.in_partition(1, drawn + 1)
        assert created["pseq"] == drawn + 2
        added = next(e for e in after if e["kind"] == "fault.added")
        assert added["partition"] == 0 and added["pseq"] == last_pseq(before, 0) + 1
        assert after[0]["seq"] == before[-1]["seq"] + 1
    finally:
        await stop_api(api)


async def test_a_failed_command_gives_back_the_sequence_it_drew(api, monkeypatch):
    n = await fleet_nodes(api)
    reply = await api.post(api.v2("groups"), {"name": "site", "node_ids": [n[1]]})
    assert reply.status == 201, reply.body
    group = reply.body["id"]
    drawn = last_pseq(await api.events(), 2)
    with monkeypatch.context() as patch:  # the bind joins n3's partition to the group's, then fails to commit
        fail_on_call(patch, api.engine.store, "commit", 1)
        body = {"add_node_ids": [n[2]], "remove_node_ids": []}
        assert (await api.put(api.v2(f"groups/{group}/nodes"), body)).status == 500
    assert (await api.put(api.v2(f"groups/{group}/nodes"), body)).status == 200
    joined = (await api.events())[-1]
    assert (joined["partition"], joined["pseq"]) == (2, drawn + 1)  # not drawn + 2, nor restarted at 1
