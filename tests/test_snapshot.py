"""Snapshots: POST /edgesim/snapshot saves the whole world (clock, timers, event log) and a
server started on it goes on exactly as the saved one does (kwokctl snapshot save/restore)."""

from __future__ import annotations

import asyncio
import sqlite3

import aiohttp
import pytest
from click.testing import CliRunner

from edgesim.cli import main
from edgesim.server import Server, ServerOptions
from edgesim.settings import AdminSettings, load_settings
from edgesim.store.sqlite import StoreError, install_snapshot

from conftest import Api, advance_to, site_group, start_api, stop_api


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


# --- PUT /edgesim/snapshot: a snapshot into the running server ----------------------------------


async def load(api: Api, data: bytes, headers: dict | None = None) -> tuple[int, dict]:
    async with api.session.put(api.url + "/edgesim/snapshot", data=data,
                               headers={"Content-Type": "application/vnd.sqlite3", **(headers or {})}) as resp:
        return resp.status, await resp.json()


async def on_to_200(api: Api) -> None:
    """From t=100 on: the same requests on either world, at the same simulated times."""
    nodes = await api.node_ids()
    assert (await api.create("api", nodes[-1])).status == 201
    await advance_to(api, 150)
    reply = await api.post("/edgesim/chaos/faults", {"kind": "node_crash", "target": {"node_ids": [nodes[0]]},
                                                     "duration": 30}, token=None)
    assert reply.status == 201, reply.body
    await advance_to(api, 200)


async def test_a_snapshot_loaded_into_a_running_server_goes_on_as_the_saved_world_does(tmp_path):
    saved = await start_api(tmp_path / "a.db", seed=5)
    try:
        await busy_world(saved)
        await advance_to(saved, 100)
        data = await snapshot(saved)
        await on_to_200(saved)
        expected = await saved.events(limit="100000")
    finally:
        await stop_api(saved)

    other = await start_api(tmp_path / "b.db", seed=9)  # another seed, another world, another time
    try:
        stale = (await other.create("other")).body["deployment"]["id"]
        await other.advance(37)
        status, body = await load(other, data)
        assert status == 200, body
        assert (body["now"], body["seed"]) == (100, 5)  # the snapshot's clock and seed
        assert (await other.get(other.v2(f"deployments/{stale}"))).status == 404
        await on_to_200(other)
        events = await other.events(limit="100000")
        assert [e for e in events if e["time"] >= 100] == [e for e in expected if e["time"] >= 100]
        assert events == expected  # the history before the load is the snapshot's too
        assert any(e["kind"] == "fault.ended" for e in events if e["time"] >= 100)
    finally:
        await stop_api(other)
    again = await start_api(tmp_path / "b.db")  # the store took the loaded world: a restart keeps it
    try:
        assert again.engine.clock.now() == 200
        assert await again.events(limit="100000") == expected
    finally:
        await stop_api(again)


def edited(data: bytes, tmp_path, sql: str) -> bytes:
    path = tmp_path / "edited.db"
    path.write_bytes(data)
    with sqlite3.connect(path) as db:
        db.execute(sql)
    db.close()
    return path.read_bytes()


async def test_a_bad_snapshot_is_refused_naming_what_is_wrong_and_changes_nothing(api, tmp_path):
    await busy_world(api)
    data = await snapshot(api)
    foreign = tmp_path / "foreign.db"
    with sqlite3.connect(foreign) as db:
        db.execute("CREATE TABLE people (name TEXT)")
    db.close()
    node = (await api.node_ids())[0]
    await api.advance(20)
    before = (await api.events(limit="100000"), await api.node_ids(), api.engine.clock.now())
    cases = [
        (b"", "got an empty body"),
        (b"not a database at all" * 100, "snapshot: not an edgesim snapshot (file is not a database)"),
        (foreign.read_bytes(), "snapshot: not an edgesim snapshot (tables: people)"),
        (edited(data, tmp_path, "DELETE FROM meta"), "no edgesim world in it"),
        (edited(data, tmp_path, "UPDATE meta SET value = '\"x\"' WHERE key = 'seed'"), "stored meta seed is 'x', not an integer"),
        (edited(data, tmp_path, "UPDATE meta SET value = '-5' WHERE key = 'clock_now'"), "stored meta clock_now is -5"),
        (edited(data, tmp_path, "UPDATE meta SET value = '\"soon\"' WHERE key = 'epoch'"), "stored meta epoch is 'soon', not a timestamp"),
        (edited(data, tmp_path, f"UPDATE documents SET body = 'oops' WHERE id = '{node}'"), f"stored node {node} is not valid JSON"),
        (edited(data, tmp_path, f"UPDATE documents SET body = '{{\"id\": \"{node}\"}}' WHERE id = '{node}'"), f"stored node {node}"),
    ]
    for body, message in cases:
        status, reply = await load(api, body)
        assert (status, reply["error_code"]) == (400, "EDGESIM.0400"), reply
        assert message in reply["error_msg"], (message, reply["error_msg"])
    assert (await api.events(limit="100000"), await api.node_ids(), api.engine.clock.now()) == before
    assert (await api.advance(5))["now"] == before[2] + 5  # the clock still runs the old world
    status, reply = await load(api, data)
    assert status == 200 and reply["now"] == 1.5  # and the good file loads


async def test_loading_needs_the_admin_token_when_one_is_set(tmp_path):
    settings = load_settings()
    locked = settings.model_copy(update={"admin": AdminSettings(token="s3cret")})
    api = await start_api(tmp_path / "locked.db", settings=locked)
    try:
        async with api.session.post(api.url + "/edgesim/snapshot", headers={"X-Admin-Token": "s3cret"}) as resp:
            data = await resp.read()
        await api.post("/edgesim/clock/advance", {"seconds": 40}, token=None, headers={"X-Admin-Token": "s3cret"})
        for headers in ({}, {"X-Admin-Token": "wrong"}):
            status, reply = await load(api, data, headers)
            assert (status, reply["error_code"]) == (401, "EDGESIM.0401")
        assert api.engine.clock.now() == 40  # refused: nothing loaded
        status, reply = await load(api, data, {"X-Admin-Token": "s3cret"})
        assert status == 200 and reply["now"] == 0
    finally:
        await stop_api(api)


async def test_a_real_clock_goes_on_from_the_loaded_time(api, tmp_path):
    await api.advance(100)
    data = await snapshot(api)
    server = Server(load_settings(), ServerOptions(port=0, db=str(tmp_path / "real.db"), clock="real"))
    await server.start()
    real = Api(server.url, aiohttp.ClientSession(), server)
    try:
        status, reply = await load(real, data)
        assert status == 200 and reply["mode"] == "real"
        assert 100 <= server.engine.clock.now() < 110 and server.engine.clock.running
    finally:
        await stop_api(real)


async def test_snapshot_load_with_url_puts_the_file_into_the_running_server(api, tmp_path):
    await busy_world(api)
    await api.advance(98.5)
    path = tmp_path / "world.snap"
    path.write_bytes(await snapshot(api))
    await api.advance(50)
    runner = CliRunner()
    done = await asyncio.to_thread(runner.invoke, main, ["snapshot", "load", str(path), "--url", api.url])
    assert done.exit_code == 0, done.output
    assert f"loaded {path} into {api.url} (clock at 100 s" in done.output
    assert api.engine.clock.now() == 100
    both = await asyncio.to_thread(runner.invoke, main, ["snapshot", "load", str(path), "--url", api.url, "--db", "x.db"])
    assert both.exit_code == 2 and "not both" in both.output
    junk = tmp_path / "junk.snap"
    junk.write_text("junk")
    refused = await asyncio.to_thread(runner.invoke, main, ["snapshot", "load", str(junk), "--url", api.url])
    assert refused.exit_code == 1 and "HTTP 400" in refused.output and "not an edgesim snapshot" in refused.output


async def test_a_recording_server_loads_a_snapshot_and_keeps_recording_its_events(api, tmp_path):
    await api.advance(60)
    data = await snapshot(api)
    recording = tmp_path / "session.jsonl"
    server = Server(load_settings(), ServerOptions(port=0, db=str(tmp_path / "rec.db"), clock="virtual",
                                                   record=str(recording)))
    await server.start()
    recorder = Api(server.url, aiohttp.ClientSession(), server)
    try:
        status, reply = await load(recorder, data)
        assert status == 200 and reply["now"] == 60, reply  # the body reached the handler whole
        assert (await recorder.create("web")).status == 201
    finally:
        await stop_api(recorder)
    lines = recording.read_text().splitlines()
    assert not any("/edgesim/snapshot" in line for line in lines)  # no copy of the file in the recording
    assert any('"deployment.created"' in line or '"kind":"deployment.' in line for line in lines)
