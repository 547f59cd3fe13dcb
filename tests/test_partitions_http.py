"""The world's partitions as a user sees them (GET /edgesim/partitions, docs/scale-out.md):
groups join their nodes, a node in two groups joins the groups, devices join their node;
unbinding and deleting split again; keys are the oldest member's birth, the same after a
restart, after a failed command, and for a store written before births existed."""

from __future__ import annotations

import sqlite3
from urllib.parse import urlencode

import orjson
from test_failed_commands import fail_on_call

from conftest import start_api, stop_api


def path(**query: str) -> str:
    return "/edgesim/partitions" + (f"?{urlencode(query)}" if query else "")


async def partitions(api, **query: str) -> dict:
    reply = await api.get(path(**query), token=None)
    assert reply.status == 200, reply.body
    return reply.body


async def shape(api) -> list[tuple[int, list[str], list[str], list[str]]]:
    return [(p["key"], p["nodes"], p["groups"], p["devices"]) for p in (await partitions(api))["partitions"]]


async def make_group(api, name: str, node_ids: list[str]) -> str:
    reply = await api.post(api.v2("groups"), {"name": name, "node_ids": node_ids})
    assert reply.status == 201, reply.body
    return reply.body["id"]


async def bind(api, group_id: str, add: list[str] = (), remove: list[str] = ()) -> None:
    reply = await api.put(api.v2(f"groups/{group_id}/nodes"), {"add_node_ids": list(add), "remove_node_ids": list(remove)})
    assert reply.status == 200, reply.body


async def fleet_nodes(api) -> list[str]:
    """The configured fleet's five nodes in the order they were made (births 1 to 5)."""
    by_birth = sorted(api.engine.world.nodes.values(), key=lambda n: n.birth)
    assert [n.birth for n in by_birth] == [1, 2, 3, 4, 5]
    return [n.id for n in by_birth]


async def test_every_fleet_node_starts_as_a_partition_of_its_own_keyed_by_its_birth(api):
    n = await fleet_nodes(api)
    assert await shape(api) == [(i + 1, [n[i]], [], []) for i in range(5)]
    assert (await partitions(api))["count"] == 5


async def test_a_group_joins_its_nodes_and_a_shared_node_joins_two_groups(api):
    n = await fleet_nodes(api)
    a = await make_group(api, "site-a", [n[1], n[2]])  # birth 6
    b = await make_group(api, "site-b", [n[3]])  # birth 7
    assert await shape(api) == [(1, [n[0]], [], []), (2, [n[1], n[2]], [a], []), (4, [n[3]], [b], []), (5, [n[4]], [], [])]
    await bind(api, b, add=[n[2]])  # n3 is in both groups now: one partition, the oldest key
    assert await shape(api) == [(1, [n[0]], [], []), (2, [n[1], n[2], n[3]], [a, b], []), (5, [n[4]], [], [])]
    await bind(api, b, remove=[n[2]])  # and apart again, with the keys they had
    assert await shape(api) == [(1, [n[0]], [], []), (2, [n[1], n[2]], [a], []), (4, [n[3]], [b], []), (5, [n[4]], [], [])]
    assert (await api.delete(api.v2(f"groups/{a}"))).status == 204
    assert await shape(api) == [(1, [n[0]], [], []), (2, [n[1]], [], []), (3, [n[2]], [], []), (4, [n[3]], [b], []),
                                (5, [n[4]], [], [])]


async def test_a_bound_device_joins_its_node_and_an_unbound_one_is_alone(api):
    n = await fleet_nodes(api)
    reply = await api.post(api.v2("devices"), {"device": {"name": "sensor"}})
    assert reply.status == 201, reply.body
    device = reply.body["device"]["id"]
    assert (await partitions(api, member=device))["partitions"] == [{"key": 6, "nodes": [], "groups": [], "devices": [device]}]
    body = {"devices": {"added": {"device_ids": [device]}, "removed": []}}
    assert (await api.put(api.v2(f"nodes/{n[0]}/devices"), body)).status == 200
    assert (await partitions(api, member=device))["partitions"] == [{"key": 1, "nodes": [n[0]], "groups": [], "devices": [device]}]
    body = {"devices": {"added": {"device_ids": []}, "removed": [device]}}
    assert (await api.put(api.v2(f"nodes/{n[0]}/devices"), body)).status == 200
    assert (await partitions(api, member=device))["partitions"][0]["key"] == 6


async def test_the_query_refuses_what_it_cannot_answer(api):
    n = await fleet_nodes(api)
    page = await partitions(api, limit="2", offset="1")
    assert page["count"] == 5 and [p["key"] for p in page["partitions"]] == [2, 3]
    assert (await partitions(api, member=n[4]))["partitions"][0]["key"] == 5
    for query, status, code, word in (({"limit": "0"}, 400, "EDGESIM.0400", "limit"),
                                      ({"offset": "-1"}, 400, "EDGESIM.0400", "offset"),
                                      ({"member": "nobody"}, 404, "EDGESIM.0404", "nobody")):
        reply = await api.get(path(**query), token=None)
        assert (reply.status, reply.body["error_code"]) == (status, code), reply.body
        assert word in reply.body["error_msg"]


async def test_a_failed_command_takes_no_birth_and_changes_no_partition(api, monkeypatch):
    n = await fleet_nodes(api)
    before = await shape(api)
    with monkeypatch.context() as patch:  # the group is made, then its event fails
        fail_on_call(patch, api.engine.events, "record", 1)
        reply = await api.post(api.v2("groups"), {"name": "doomed", "node_ids": [n[0], n[1]]})
        assert reply.status == 500, reply.body
    assert await shape(api) == before
    group = await make_group(api, "kept", [n[0]])
    assert api.engine.world.groups[group].birth == 6  # the failed one's birth was given back


async def test_partitions_and_births_survive_a_restart(tmp_path):
    db = tmp_path / "p.db"
    api = await start_api(db)
    n = await fleet_nodes(api)
    b = await make_group(api, "b", [n[3], n[4]])
    await make_group(api, "a", [n[0]])
    await bind(api, b, add=[n[0]])
    before = await shape(api)
    await stop_api(api)
    api = await start_api(db)
    try:
        assert await shape(api) == before
        c = await make_group(api, "c", [])
        assert api.engine.world.groups[c].birth == 8  # births go on from where they were
    finally:
        await stop_api(api)


async def test_a_store_written_before_births_gets_them_once_in_load_order(tmp_path):
    db = tmp_path / "old.db"
    api = await start_api(db)
    n = await fleet_nodes(api)
    await make_group(api, "site", [n[1], n[2]])
    await stop_api(api)
    with sqlite3.connect(db) as conn:  # what a store of an older edgesim holds: no births
        for kind, doc_id, body in conn.execute("SELECT kind, id, body FROM documents WHERE kind IN ('node', 'group')").fetchall():
            record = orjson.loads(body)
            del record["birth"]
            conn.execute("UPDATE documents SET body = ? WHERE kind = ? AND id = ?", (orjson.dumps(record).decode(), kind, doc_id))
        conn.execute("DELETE FROM meta WHERE key = 'births'")
    api = await start_api(db)
    try:
        world = api.engine.world
        loaded = sorted(world.nodes)  # the store gives nodes in id order, then the group
        assert [world.nodes[i].birth for i in loaded] == [1, 2, 3, 4, 5]
        first = await shape(api)
        assert len(first) == 4 and any(p[2] for p in first)
    finally:
        await stop_api(api)
    api = await start_api(db)
    try:
        assert await shape(api) == first  # given once, and kept
    finally:
        await stop_api(api)


async def test_a_reset_gives_the_configured_fleet_its_births_again(api):
    await make_group(api, "gone", (await fleet_nodes(api))[:3])
    assert (await api.post("/edgesim/reset", token=None)).status == 200
    await fleet_nodes(api)
    assert len(await shape(api)) == 5
