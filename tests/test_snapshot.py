"""Snapshots: POST /edgesim/snapshot saves the whole world (clock, timers, event log) and a
server started on it goes on exactly as the saved one does (kwokctl snapshot save/restore)."""

from __future__ import annotations

import sqlite3

import pytest

from edgesim.store.sqlite import StoreError, install_snapshot

from conftest import Api, site_group, start_api, stop_api


async def snapshot(api: Api) -> bytes:
    async with api.session.post(api.url + "/edgesim/snapshot") as resp:
        assert resp.status == 200
        assert resp.content_type == "application/vnd.sqlite3"
        return await resp.read()


async def busy_world(api: Api) -> None:
    """Instances starting, a fault scheduled to end later, a crash-looping app: timers pending."""
    _, nodes = await site_group(api, nodes=3)
    assert (await api.create("web", nodes[0])).status == 201
    await api.advance(1.5)  # mid-pull: the instance waits for a timer
    reply = await api.post("/edgesim/chaos/faults", {"kind": "node_partition", "target": {"node_ids": [nodes[1]]},
                                                     "start": 10, "duration": 120}, token=None)
    assert reply.status == 201, reply.body


async def go_on(api: Api) -> list[dict]:
    """The same further requests on either world; the whole event log after them."""
    nodes = await api.node_ids()
    await api.advance(30)
    assert (await api.create("api", nodes[-1])).status == 201
    await api.advance(600)
    return await api.events(limit="100000")


async def test_a_loaded_snapshot_goes_on_as_the_saved_world_does(tmp_path):
    saved = await start_api(tmp_path / "a.db", seed=5)
    try:
        await busy_world(saved)
        data = await snapshot(saved)
        clock_at_save = saved.engine.clock.now()
        events_at_save = await saved.events(limit="100000")
        expected = await go_on(saved)
    finally:
        await stop_api(saved)
    (tmp_path / "snap.db").write_bytes(data)
    meta = install_snapshot(str(tmp_path / "snap.db"), str(tmp_path / "b.db"))
    assert meta["clock_now"] == clock_at_save

    loaded = await start_api(tmp_path / "b.db", seed=5)
    try:
        assert loaded.engine.clock.now() == clock_at_save  # the clock comes back too
        assert await loaded.events(limit="100000") == events_at_save
        assert await go_on(loaded) == expected  # byte for byte the same history from here on
    finally:
        await stop_api(loaded)
    assert any(e["kind"] == "fault.ended" for e in expected)  # the fault's timer was re-armed


async def test_a_snapshot_holds_every_record_kind_that_exists(api):
    await busy_world(api)
    path = api.server.store.path + ".snap"
    with open(path, "wb") as file:
        file.write(await snapshot(api))
    with sqlite3.connect(path) as db:
        kinds = {k for (k,) in db.execute("SELECT DISTINCT kind FROM documents")}
    assert {"node", "group", "deployment", "instance", "fault", "config"} <= kinds


def test_load_refuses_a_file_that_is_no_snapshot(tmp_path):
    junk = tmp_path / "junk.db"
    junk.write_text("not a database at all")
    target = tmp_path / "edgesim.db"
    with pytest.raises(StoreError, match="junk.db: not an edgesim snapshot"):
        install_snapshot(str(junk), str(target))
    empty = tmp_path / "empty.db"
    sqlite3.connect(empty).close()
    with pytest.raises(StoreError, match="empty.db: not an edgesim snapshot"):
        install_snapshot(str(empty), str(target))
    assert not target.exists()  # nothing was put in place


async def test_load_refuses_a_store_a_server_has_open(api, tmp_path):
    snap = tmp_path / "snap.db"
    snap.write_bytes(await snapshot(api))
    with pytest.raises(StoreError, match="in use by another edgesim"):
        install_snapshot(str(snap), api.server.store.path)
    with pytest.raises(StoreError, match="not memory"):
        install_snapshot(str(snap), ":memory:")
