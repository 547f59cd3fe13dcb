"""The store: acknowledged means committed, concurrent writes share commits, failures undo."""

from __future__ import annotations

import asyncio
import sqlite3

import orjson
import pytest

from edgesim.store.sqlite import StoreError

from conftest import start_api, stop_api


async def test_acknowledged_create_is_already_in_the_sqlite_file(api, tmp_path):
    dep = (await api.create("web")).body["deployment"]
    # read the file with a separate plain sqlite3 connection, as another process would
    with sqlite3.connect(tmp_path / "edgesim.db") as db:
        rows = dict(db.execute("SELECT kind || ':' || id, body FROM documents").fetchall())
        mode = db.execute("PRAGMA journal_mode").fetchone()[0]
    assert mode == "wal"
    assert orjson.loads(rows[f"deployment:{dep['id']}"])["name"] == "web"
    assert f"instance:{dep['instances'][0]['id']}" in rows


async def test_concurrent_creates_share_commits(api):
    store = api.server.store
    node = (await api.node_ids())[0]
    before = store.commits
    replies = await asyncio.gather(*(api.create(f"app-{i}", node_id=node) for i in range(40)))
    assert all(r.status == 201 for r in replies)
    assert store.commits - before < 40  # group commit: fewer transactions than requests
    assert (await api.get(api.v2("deployments"))).body["count"] == 40


async def test_a_failed_commit_answers_500_and_changes_nothing(api, monkeypatch):
    store = api.server.store
    existing = (await api.create("kept")).body["deployment"]
    real_write = store._write_batch

    async def broken(ops):
        raise sqlite3.OperationalError("disk I/O error")

    monkeypatch.setattr(store, "_write_batch", broken)
    created = await api.create("lost")
    updated = await api.put(api.v2(f"deployments/{existing['id']}"), {"deployment": {"image_url": "nginx:9"}})
    deleted = await api.delete(api.v2(f"deployments/{existing['id']}"))
    monkeypatch.setattr(store, "_write_batch", real_write)

    for reply in (created, updated, deleted):
        assert (reply.status, reply.body["error_code"]) == (500, "IEF.120001")
    listed = (await api.get(api.v2("deployments"))).body
    assert [d["name"] for d in listed["deployments"]] == ["kept"]
    kept = listed["deployments"][0]
    assert kept["state"] is None and kept["updated_at"] is None
    assert [(i["id"], i["image_url"], i["state"]) for i in kept["instances"]] == [
        (existing["instances"][0]["id"], "nginx:1.25", "PENDING_CREATE")
    ]
    assert api.engine.events.query(kind="deployment.updated") == []
    # the simulation carries on normally afterwards
    await api.advance(10)
    assert (await api.get(api.v2(f"deployments/{existing['id']}"))).body["deployment"]["instances"][0]["state"] == "RUNNING"
    assert (await api.create("lost")).status == 201


# --- whose file it is -------------------------------------------------------------------------


async def test_a_file_in_use_is_refused_until_its_server_stops(api, tmp_path):
    db = tmp_path / "edgesim.db"
    with pytest.raises(StoreError, match="in use by another edgesim"):
        await start_api(db)
    assert (await api.create("still-mine")).status == 201  # the first server is untouched
    await stop_api(api)
    api.server = None  # stopped here; the fixture must not stop it again
    again = await start_api(db)  # the lock went with the first server
    assert "still-mine" in [d["name"] for d in (await again.get(again.v2("deployments"))).body["deployments"]]
    await stop_api(again)


def _schema(db) -> tuple[list, str]:
    with sqlite3.connect(db) as conn:
        tables = conn.execute("SELECT type, name, sql FROM sqlite_master ORDER BY name").fetchall()
        mode = conn.execute("PRAGMA journal_mode").fetchone()[0]
    conn.close()
    return tables, mode


async def test_another_programs_database_is_refused_and_left_as_it_was(tmp_path):
    db = tmp_path / "shop.db"
    with sqlite3.connect(db) as conn:
        conn.execute("CREATE TABLE customers (id INTEGER PRIMARY KEY, name TEXT)")
        conn.execute("INSERT INTO customers(name) VALUES ('Ada')")
    conn.close()
    before = _schema(db)
    with pytest.raises(StoreError, match=f"{db}: a SQLite database but not an edgesim store .tables: customers"):
        await start_api(db)
    assert _schema(db) == before  # no edgesim tables, still in its own journal mode


async def test_an_empty_sqlite_file_becomes_a_store(tmp_path):
    db = tmp_path / "empty.db"
    sqlite3.connect(db).close()  # a database with no tables
    api = await start_api(db)
    assert (await api.create("web")).status == 201
    await stop_api(api)


async def test_a_group_commit_is_one_call_to_the_database_thread(api, monkeypatch):
    """The whole transaction (documents, events, meta, commit) is one hop to aiosqlite's
    thread: under load each hop waits its turn, so 4-5 of them made commits slow."""
    db = api.server.store._open_db
    calls = []
    real = db._execute

    async def counted(fn, *args, **kwargs):
        calls.append(getattr(fn, "__name__", fn))
        return await real(fn, *args, **kwargs)

    monkeypatch.setattr(db, "_execute", counted)
    assert (await api.create("one-hop")).status == 201
    assert calls == ["_write_transaction"]


async def test_a_statement_failing_mid_transaction_leaves_nothing_of_it(api, tmp_path, monkeypatch):
    """Documents written before a later statement of the same transaction failed are rolled
    back with it: the file holds nothing of the refused create."""
    import edgesim.store.sqlite as sqlite_module

    monkeypatch.setattr(sqlite_module, "UPSERT_META", "INSERT INTO no_such_table(key, value) VALUES (?, ?)")
    refused = await api.create("half-written")
    monkeypatch.undo()
    assert (refused.status, refused.body["error_code"]) == (500, "IEF.120001")
    assert (await api.create("whole")).status == 201
    with sqlite3.connect(tmp_path / "edgesim.db") as db:
        names = [orjson.loads(body)["name"] for (body,) in db.execute("SELECT body FROM documents WHERE kind = 'deployment'")]
    assert names == ["whole"]
