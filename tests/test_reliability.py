"""Real ``edgesim serve`` processes under the failures a user runs into.

A second server on a file in use, a file that is not (or no longer) a readable edgesim store,
a busy port: the process says so in one line and exits 1. SIGTERM under load: every request
the server took in is answered, committed, and the process exits 0.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import socket
import sqlite3
import subprocess
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import aiohttp
import pytest

from conftest import PROJECT_ID, TOKEN, start_api, stop_api
from processes import ServeProcess, run_serve

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def world_db(tmp_path_factory) -> Path:
    """A store holding the default fleet, closed cleanly (nothing left in a -wal file)."""
    db = tmp_path_factory.mktemp("world") / "world.db"

    async def build() -> None:
        await stop_api(await start_api(db))

    asyncio.run(build())
    return db


def _assert_one_line_failure(result, *fragments: str) -> None:
    assert result.returncode == 1, result.stderr
    assert result.stdout == ""  # no banner: it never served
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr  # one line, no traceback
    assert lines[0].startswith("edgesim: ")
    for fragment in fragments:
        assert fragment in lines[0]


# --- a second server on the same file ------------------------------------------------------------


async def test_a_second_server_on_a_file_in_use_refuses_and_the_first_is_untouched(tmp_path):
    db = tmp_path / "shared.db"
    first = ServeProcess("--db", str(db), "--clock", "virtual")
    try:
        second = await asyncio.to_thread(run_serve, "--db", str(db), "--clock", "virtual")
        _assert_one_line_failure(second, str(db), "in use by another edgesim")
        async with aiohttp.ClientSession() as session:
            headers = {"X-Auth-Token": TOKEN}
            nodes_url = f"{first.url}/v2/{PROJECT_ID}/edgemgr/nodes"
            async with session.get(nodes_url, headers=headers) as reply:
                assert reply.status == 200
                node = (await reply.json())["nodes"][0]["id"]
            body = {"deployment": {"name": "after", "node_ids": [node], "app": {"name": "a", "image_url": "nginx:1"}}}
            async with session.post(f"{first.url}/v2/{PROJECT_ID}/edgemgr/deployments", json=body, headers=headers) as reply:
                assert reply.status == 201
    finally:
        first.kill()
    restarted = ServeProcess("--db", str(db), "--clock", "virtual")  # the lock went with the first
    restarted.kill()


# --- files and ports edgesim cannot start on -----------------------------------------------------


@dataclass
class Case:
    db: Path
    fragments: tuple[str, ...]  # what the one line must say besides the file or port


def _copy(world_db: Path, tmp_path: Path) -> Path:
    db = tmp_path / "copy.db"
    shutil.copyfile(world_db, db)
    return db


def _edit(db: Path, sql: str) -> None:
    with sqlite3.connect(db) as conn:
        conn.execute(sql)
    conn.close()


def _first_node(db: Path) -> str:
    with sqlite3.connect(db) as conn:
        (node_id,) = conn.execute("SELECT min(id) FROM documents WHERE kind = 'node'").fetchone()
    conn.close()
    return node_id


def random_bytes(world_db: Path, tmp_path: Path) -> Case:
    db = tmp_path / "random.db"
    db.write_bytes(os.urandom(16384))
    return Case(db, ("not a database",))


def text_file(world_db: Path, tmp_path: Path) -> Case:
    db = tmp_path / "notes.txt"
    db.write_text("shopping list\n- milk\n" * 200)
    return Case(db, ("not a database",))


def truncated_file(world_db: Path, tmp_path: Path) -> Case:
    db = _copy(world_db, tmp_path)
    with db.open("r+b") as f:
        f.truncate(db.stat().st_size // 2)
    return Case(db, ("malformed",))


def corrupt_page(world_db: Path, tmp_path: Path) -> Case:
    db = _copy(world_db, tmp_path)
    with sqlite3.connect(db) as conn:
        (page, size) = conn.execute(
            "SELECT rootpage, (SELECT page_size FROM pragma_page_size) FROM sqlite_master WHERE name = 'documents'"
        ).fetchone()
    conn.close()
    with db.open("r+b") as f:  # the page the documents start on, overwritten
        f.seek((page - 1) * size)
        f.write(b"\xa5" * size)
    return Case(db, ("malformed",))


def undecodable_document(world_db: Path, tmp_path: Path) -> Case:
    db = _copy(world_db, tmp_path)
    node_id = _first_node(db)
    _edit(db, f"UPDATE documents SET body = '{{\"id\": ' WHERE kind = 'node' AND id = '{node_id}'")
    return Case(db, (f"node {node_id}", "not valid JSON"))


def document_missing_fields(world_db: Path, tmp_path: Path) -> Case:
    db = _copy(world_db, tmp_path)
    node_id = _first_node(db)
    _edit(db, f"UPDATE documents SET body = '{{\"id\": \"{node_id}\"}}' WHERE kind = 'node' AND id = '{node_id}'")
    return Case(db, (f"node {node_id}",))


def bad_meta_value(world_db: Path, tmp_path: Path) -> Case:
    db = _copy(world_db, tmp_path)
    _edit(db, "UPDATE meta SET value = '\"soon\"' WHERE key = 'clock_now'")
    return Case(db, ("clock_now",))


def newer_schema(world_db: Path, tmp_path: Path) -> Case:
    db = _copy(world_db, tmp_path)
    _edit(db, "PRAGMA user_version = 99")
    return Case(db, ("newer edgesim",))


def unrelated_database(world_db: Path, tmp_path: Path) -> Case:
    db = tmp_path / "shop.db"
    _edit(db, "CREATE TABLE customers (id INTEGER PRIMARY KEY, name TEXT)")
    return Case(db, ("not an edgesim store",))


def read_only_directory(world_db: Path, tmp_path: Path) -> Case:
    directory = tmp_path / "read-only"
    directory.mkdir()
    _set_read_only(directory, True)
    return Case(directory / "e.db", ("cannot create its lock file",))


def _set_read_only(directory: Path, read_only: bool) -> None:
    """Permissions stop everyone but root; for root, the immutable attribute (ext4, xfs...)."""
    if os.geteuid() != 0:
        directory.chmod(0o555 if read_only else 0o755)
    elif subprocess.run(["chattr", "+i" if read_only else "-i", str(directory)], capture_output=True).returncode:
        pytest.skip("running as root on a file system without chattr +i: no read-only directory to test with")


def port_in_use(world_db: Path, tmp_path: Path) -> Case:
    return Case(_copy(world_db, tmp_path), ("Address already in use",))


CASES: list[Callable[[Path, Path], Case]] = [
    random_bytes, text_file, truncated_file, corrupt_page, undecodable_document, document_missing_fields,
    bad_meta_value, newer_schema, unrelated_database, read_only_directory, port_in_use,
]


@pytest.fixture
def busy_port() -> Iterator[int]:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen()
        yield sock.getsockname()[1]


@pytest.mark.parametrize("make", CASES, ids=[c.__name__ for c in CASES])
def test_a_failed_start_exits_1_with_one_line_naming_the_file_or_port(make, world_db, tmp_path, busy_port):
    case = make(world_db, tmp_path)
    before = case.db.read_bytes() if case.db.exists() else None
    port = ["--port", str(busy_port)] if make is port_in_use else []
    try:
        result = run_serve("--db", str(case.db), *port)
    finally:
        if make is read_only_directory:
            _set_read_only(case.db.parent, False)
    where = f"127.0.0.1:{busy_port}" if make is port_in_use else str(case.db)
    _assert_one_line_failure(result, where, *case.fragments)
    if before is not None and make is not port_in_use:
        assert case.db.read_bytes() == before  # a refused file is left exactly as it was


# --- SIGTERM under load ----------------------------------------------------------------------------

WORKERS = 48  # concurrent clients, each on its own keep-alive connection
ANSWERED_BEFORE_STOP = 300


async def _names(url: str, session: aiohttp.ClientSession) -> list[str]:
    names, offset = [], 0
    while True:
        page_url = f"{url}/v2/{PROJECT_ID}/edgemgr/deployments?limit=100&offset={offset}"
        async with session.get(page_url, headers={"X-Auth-Token": TOKEN}) as reply:
            page = (await reply.json())["deployments"]
        names += [d["name"] for d in page]
        offset += len(page)
        if not page:
            return names


async def test_sigterm_answers_every_request_it_took_in_commits_and_exits_0(tmp_path):
    db = tmp_path / "busy.db"
    server = ServeProcess("--db", str(db))  # a real clock, as a user runs it
    outcome = {"answered": 0, "cut": 0, "refused": 0}
    acknowledged: list[str] = []
    busy = asyncio.Event()
    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=WORKERS)) as session:
        url, headers = f"{server.url}/v2/{PROJECT_ID}/edgemgr", {"X-Auth-Token": TOKEN}
        async with session.get(f"{url}/nodes", headers=headers) as reply:
            node = (await reply.json())["nodes"][0]["id"]

        async def client(worker: int) -> None:
            for n in range(10**6):
                name = f"w{worker}-{n}"
                body = {"deployment": {"name": name, "node_ids": [node], "app": {"name": "a", "image_url": "nginx:1"}}}
                try:
                    async with session.post(f"{url}/deployments", json=body, headers=headers) as reply:
                        await reply.read()
                except aiohttp.ClientConnectorError:
                    outcome["refused"] += 1  # the server stopped accepting: nothing was sent
                    return
                except (aiohttp.ClientError, OSError):
                    outcome["cut"] += 1  # sent, never answered
                    continue
                outcome["answered"] += 1
                assert reply.status == 201
                acknowledged.append(name)
                if outcome["answered"] >= ANSWERED_BEFORE_STOP:
                    busy.set()

        clients = [asyncio.create_task(client(i)) for i in range(WORKERS)]
        await busy.wait()
        server.proc.terminate()
        await asyncio.gather(*clients)
        code = await asyncio.to_thread(server.proc.wait, 30)
        assert (code, outcome["cut"], outcome["refused"]) == (0, 0, WORKERS)
        server.kill()
        restarted = ServeProcess("--db", str(db))
        try:
            assert sorted(await _names(restarted.url, session)) == sorted(acknowledged)  # all committed
        finally:
            restarted.kill()
