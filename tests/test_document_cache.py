"""The v2 deployment documents that get and list answer from the encoded-document cache are
byte for byte what a fresh serialization gives, through every kind of change: the simulation's
own steps, chaos, updates, a group's change, deletes, a refused command and a restart."""

from __future__ import annotations

import orjson

from edgesim.api.serializers import v2_deployment

from conftest import Api, advance_to, site_group, start_api, stop_api


async def raw(api: Api, path: str) -> bytes:
    async with api.session.get(api.url + path, headers={"X-Auth-Token": api.token}) as resp:
        assert resp.status == 200, await resp.text()
        return await resp.read()


def fresh(api: Api, dep_id: str) -> bytes:
    return orjson.dumps({"deployment": v2_deployment(api.engine, api.engine.world.deployments[dep_id])})


def fresh_list(api: Api, listed: bytes) -> bytes:
    ids = [d["id"] for d in orjson.loads(listed)["deployments"]]
    deployments = [v2_deployment(api.engine, api.engine.world.deployments[i]) for i in ids]
    return orjson.dumps({"count": orjson.loads(listed)["count"], "deployments": deployments})


async def same_as_fresh(api: Api, *dep_ids: str) -> None:
    """Read twice (the second read is the cache's), compare both with a fresh serialization."""
    for dep_id in dep_ids:
        for _ in range(2):
            assert await raw(api, api.v2(f"deployments/{dep_id}")) == fresh(api, dep_id)
    for _ in range(2):
        listed = await raw(api, api.v2("deployments") + "?limit=100")
        assert listed == fresh_list(api, listed)


async def test_reads_equal_a_fresh_serialization_through_the_simulation_and_chaos(api):
    group_id, (n1, n2) = await site_group(api)
    pinned = (await api.create("pinned", node_id=n1)).body["deployment"]["id"]
    body = {"deployment": {"name": "spread", "group_id": group_id, "replicas": 2,
                           "app": {"name": "spread", "image_url": "nginx", "migration": True, "toleration_seconds": 30}}}
    reply = await api.post(api.v2("deployments"), body)
    assert reply.status == 201, reply.body
    spread = reply.body["deployment"]["id"]
    await same_as_fresh(api, pinned, spread)  # PENDING, just created
    await api.advance(10)  # pulled and started: RUNNING, ready
    await same_as_fresh(api, pinned, spread)
    assert orjson.loads(await raw(api, api.v2(f"deployments/{pinned}")))["deployment"]["instances"][0]["state"] == "RUNNING"

    crash = {"kind": "node_crash", "target": {"node_ids": [n1]}, "start": 20, "duration": 100}
    assert (await api.post("/edgesim/chaos/faults", crash, token=None)).status == 201
    await advance_to(api, 80)  # n1 is FAIL: its instances UNKNOWN, the group's migrated
    await same_as_fresh(api, pinned, spread)
    assert orjson.loads(await raw(api, api.v2(f"deployments/{pinned}")))["deployment"]["instances"][0]["state"] == "UNKNOWN"
    await advance_to(api, 200)  # back and restarted
    await same_as_fresh(api, pinned, spread)

    assert (await api.put(api.v2(f"groups/{group_id}"), {"description": "renamed line"})).status == 200
    await same_as_fresh(api, pinned, spread)


async def test_reads_equal_a_fresh_serialization_after_updates_refusals_and_deletes(api):
    node = (await api.node_ids())[0]
    ids = [(await api.create(f"web-{i}", node_id=node)).body["deployment"]["id"] for i in range(3)]
    await api.advance(30)
    await same_as_fresh(api, *ids)
    update = {"deployment": {"envs": [{"name": "MODE", "value": "fast"}]}, "description": "changed"}
    assert (await api.put(api.v2(f"deployments/{ids[0]}"), update)).status == 200
    await same_as_fresh(api, *ids)  # rolling to the new spec
    await api.advance(30)
    await same_as_fresh(api, *ids)
    refused = await api.put(api.v2(f"deployments/{ids[1]}"), {"description": "<b>"})
    assert refused.status == 400
    await same_as_fresh(api, *ids)
    assert (await api.delete(api.v2(f"deployments/{ids[2]}"))).status == 204
    await same_as_fresh(api, ids[0], ids[1])  # the deleted one listed while its instances stop
    await api.advance(60)
    await same_as_fresh(api, ids[0], ids[1])
    listed = orjson.loads(await raw(api, api.v2("deployments")))
    assert sorted(d["id"] for d in listed["deployments"]) == sorted(ids[:2]) and listed["count"] == 2


async def test_reads_after_a_restart_equal_those_before(tmp_path):
    api = await start_api(tmp_path / "edgesim.db")
    try:
        dep = (await api.create("kept")).body["deployment"]["id"]
        await api.advance(30)
        before = await raw(api, api.v2(f"deployments/{dep}"))
    finally:
        await stop_api(api)
    again = await start_api(tmp_path / "edgesim.db")
    try:
        assert await raw(again, again.v2(f"deployments/{dep}")) == before == fresh(again, dep)
    finally:
        await stop_api(again)


async def test_a_list_page_of_none_one_or_several_documents_is_what_orjson_gives(api):
    """The page is spliced from cached bytes around its first and last document: an empty
    page, a page of one (first and last the same) and a longer one are the plain encoding."""
    empty = await raw(api, api.v2("deployments"))
    assert empty == b'{"count":0,"deployments":[]}' == orjson.dumps({"count": 0, "deployments": []})
    for name in ("one", "two", "three"):
        await api.create(name)
    for limit in (1, 2, 3):
        for _ in range(2):  # the second read is the cache's
            listed = await raw(api, api.v2("deployments") + f"?limit={limit}")
            assert listed == fresh_list(api, listed)
            assert len(orjson.loads(listed)["deployments"]) == limit
    past_the_end = await raw(api, api.v2("deployments") + "?offset=3")
    assert orjson.loads(past_the_end) == {"count": 3, "deployments": []}
