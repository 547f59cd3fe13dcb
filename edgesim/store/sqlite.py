"""Durable state in SQLite (WAL), written by one writer task with group commit.

The engine keeps everything in memory and hands the store *operations*: put a document, delete
a document, append an event. ``commit(ops)`` resolves once those ops are on disk; a request
handler awaits it before it answers. ``submit(ops)`` queues ops without waiting; the simulation
uses it for state changes, which then share the next commit. Every op waiting when the writer
wakes goes into one transaction, so many concurrent requests cost one commit.

The ``meta`` table holds values the engine needs to resume (simulated time, id sequence); the
writer stores the latest of them with every commit, through ``meta_provider``.

Every database call goes through aiosqlite to its worker thread, so the event loop never waits
for the disk. Each call is a hop to that thread and back (DESIGN.md: 75-130 us, 7-10 ms per
transaction of 4-5 calls under load), so a group commit is one hop: documents arrive already
encoded, and one function queued on aiosqlite's thread (``Connection._execute``, the queue
every aiosqlite call goes through) runs one ``executemany`` per statement and the commit.
"""

from __future__ import annotations

import asyncio
import contextlib
import fcntl
import logging
import os
import re
import shutil
import sqlite3
import tempfile
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

import aiosqlite
import orjson

from edgesim.domain.kinds import BY_NAME

log = logging.getLogger(__name__)

SCHEMA_VERSION = 2  # 2: indexes for event queries by kind and time (added to version 1 files on open)

SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS documents (
    kind TEXT NOT NULL,
    id   TEXT NOT NULL,
    body TEXT NOT NULL,
    PRIMARY KEY (kind, id)
);
CREATE TABLE IF NOT EXISTS events (seq INTEGER PRIMARY KEY, body TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS events_by_kind ON events(json_extract(body, '$.kind'), seq);
CREATE INDEX IF NOT EXISTS events_by_time ON events(json_extract(body, '$.time'));
"""
EDGESIM_TABLES = frozenset(re.findall(r"CREATE TABLE IF NOT EXISTS (\w+)", SCHEMA))
IN_MEMORY = ("", ":memory:")  # SQLite names that are no file: nothing to lock

# Event fields an event query may filter on (each a JSON path of the event's body).
EVENT_FILTERS = ("kind", "deployment_id", "instance_id", "node_id", "group_id", "device_id")


class StoreError(Exception):
    """The database refused a write (the caller's change must not be acknowledged), or the
    file cannot be opened or read as an edgesim store."""


@dataclass(frozen=True, slots=True)
class Put:
    kind: str
    id: str
    body: dict[str, Any] | bytes  # bytes: the document already encoded as JSON


@dataclass(frozen=True, slots=True)
class Delete:
    kind: str
    id: str


@dataclass(frozen=True, slots=True)
class AppendEvent:
    seq: int
    body: dict[str, Any]


@dataclass(frozen=True, slots=True)
class Wipe:
    """Forget everything written before this op (a reset to a fresh world)."""


@dataclass(frozen=True, slots=True)
class CopyTo:
    """Once the batch is committed, copy the whole store (meta, clock included) to ``path``:
    a snapshot, taken by the writer so that it never lands inside another transaction."""

    path: str


@dataclass(frozen=True, slots=True)
class Restore:
    """Replace everything written before this op (meta included) with the store file at
    ``path``, in the same transaction: a snapshot loaded into the running server."""

    path: str


Op = Put | Delete | AppendEvent | Wipe | CopyTo | Restore

UPSERT_DOCUMENT = (
    "INSERT INTO documents(kind, id, body) VALUES (?, ?, ?) ON CONFLICT(kind, id) DO UPDATE SET body = excluded.body"
)
UPSERT_META = "INSERT INTO meta(key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value"


class Store:
    def __init__(self, path: str, meta_provider: Callable[[], dict[str, Any]] | None = None) -> None:
        self.path = path
        self.meta_provider = meta_provider or dict
        self._db: aiosqlite.Connection | None = None
        self._queue: asyncio.Queue[tuple[list[Op], asyncio.Future | None]] = asyncio.Queue()
        self._writer: asyncio.Task | None = None
        self._lock: int | None = None  # descriptor of the lock file, held while open
        self.commits = 0  # number of transactions written, for tests and metrics
        self.events_written = 0  # the highest event seq committed: older ones may leave memory

    async def open(self) -> None:
        """Take the file for this process and open it; raises StoreError naming the file. A
        failed open leaves nothing behind: no connection (its worker thread would keep the
        process alive), no lock, and the file as it was."""
        self._lock = _lock_beside(self.path)
        try:
            self._db = await aiosqlite.connect(self.path)
            await self._refuse_unless_ours()  # before anything below writes to the file
            await self._db.execute("PRAGMA journal_mode=WAL")
            # NORMAL in WAL mode survives a crash of this process (SIGKILL included); only an
            # OS crash or power loss can take back the last commits.
            await self._db.execute("PRAGMA synchronous=NORMAL")
            await self._db.executescript(SCHEMA)
            if await self._user_version() < SCHEMA_VERSION:
                await self._db.execute(f"PRAGMA user_version={SCHEMA_VERSION}")
            await self._db.commit()
        except BaseException as exc:
            await self._disconnect()
            if isinstance(exc, aiosqlite.Error):
                raise StoreError(f"{self.path}: {exc}") from exc
            raise
        self._writer = asyncio.create_task(self._write_forever(), name="edgesim-store-writer")

    @property
    def _open_db(self) -> aiosqlite.Connection:
        """The connection, which only exists between ``open`` and ``close``."""
        if self._db is None:
            raise StoreError(f"{self.path}: the store is not open")
        return self._db

    async def _refuse_unless_ours(self) -> None:
        """An empty file, or one holding only edgesim's tables at a schema we know."""
        rows = await self._open_db.execute_fetchall("SELECT name FROM sqlite_master WHERE type = 'table'")
        foreign = sorted({name for (name,) in rows if not name.startswith("sqlite_")} - EDGESIM_TABLES)
        if foreign:
            raise StoreError(f"{self.path}: a SQLite database but not an edgesim store (tables: {', '.join(foreign)}); not touching it")
        version = await self._user_version()
        if version > SCHEMA_VERSION:
            raise StoreError(f"{self.path}: written by a newer edgesim (schema {version} > {SCHEMA_VERSION})")

    async def _user_version(self) -> int:
        async with self._open_db.execute("PRAGMA user_version") as cur:
            row = await cur.fetchone()
        assert row is not None  # a PRAGMA always answers one row
        return int(row[0])

    async def close(self, flush: bool = True) -> None:
        """Write everything still queued, then close the database and let go of the file.
        ``flush=False`` writes nothing more: a start that failed leaves the file as it was."""
        try:
            if self._writer is not None:
                if flush:
                    await self._queue.join()
                self._writer.cancel()
                try:
                    await self._writer
                except asyncio.CancelledError:
                    pass
                self._writer = None
            if self._db is not None and flush:
                await self._write_batch([])
        finally:
            await self._disconnect()

    async def _disconnect(self) -> None:
        if self._db is not None:
            db, self._db = self._db, None
            try:
                await db.close()
            except aiosqlite.Error:  # a corrupt file can fail its last checkpoint; it is closed anyway
                log.debug("closing %s", self.path, exc_info=True)
        if self._lock is not None:
            os.close(self._lock)  # releases the lock
            self._lock = None

    # --- writing -------------------------------------------------------------------------

    def submit(self, ops: Iterable[Op]) -> None:
        """Queue ops for the next commit without waiting for it."""
        self._queue.put_nowait((_registered(ops), None))

    async def commit(self, ops: Iterable[Op]) -> None:
        """Queue ops and return once they are committed; raises StoreError if they are not."""
        batch = _registered(ops)
        future = asyncio.get_running_loop().create_future()
        self._queue.put_nowait((batch, future))
        await future

    async def _write_forever(self) -> None:
        while True:
            first = await self._queue.get()
            batch = [first]
            while not self._queue.empty():
                batch.append(self._queue.get_nowait())
            ops = [op for ops, _ in batch for op in ops]
            error: Exception | None = None
            try:
                await self._write_batch(ops)
            except Exception as exc:  # report to every waiter; the writer keeps going
                log.exception("store commit failed")
                error = StoreError(str(exc))
                await self._rollback()
            for _, future in batch:
                if future is not None and not future.done():
                    if error is None:
                        future.set_result(None)
                    else:
                        future.set_exception(error)
                self._queue.task_done()

    async def _rollback(self) -> None:
        try:
            await self._open_db.rollback()
        except Exception:  # the connection may be gone; nothing more to do
            log.exception("store rollback failed")

    async def _write_batch(self, ops: list[Op]) -> None:
        """One transaction: the ops (an empty list still records the latest meta)."""
        # The last op on a document wins; order between different documents does not matter.
        latest: dict[tuple[str, str], Op] = {}
        events: list[AppendEvent] = []
        wipe = False
        restore: str | None = None
        copies = [op.path for op in ops if isinstance(op, CopyTo)]
        for op in ops:
            if isinstance(op, CopyTo):
                continue
            if isinstance(op, AppendEvent):
                events.append(op)
            elif isinstance(op, Wipe | Restore):  # what came before it in the batch goes too
                wipe = True
                restore = op.path if isinstance(op, Restore) else None
                latest.clear()
                events.clear()
            else:
                latest[(op.kind, op.id)] = op
        puts = [(o.kind, o.id, _json(o.body)) for o in latest.values() if isinstance(o, Put)]
        deletes = [(o.kind, o.id) for o in latest.values() if isinstance(o, Delete)]
        rows = [(e.seq, orjson.dumps(e.body).decode()) for e in events]
        # read here: it reads the clock; a restored store keeps the meta it came with
        meta = [] if restore else [(k, orjson.dumps(v).decode()) for k, v in self.meta_provider().items()]
        # One hop to aiosqlite's worker thread for the whole transaction: every statement and
        # the commit run there in one queued call (each await of the loop would be a hop of its
        # own, 7-10 ms apiece under load). A failure rolls back there too, before it is raised.
        await self._open_db._execute(_write_transaction, self._open_db._conn, wipe, restore, puts, deletes, rows, meta, copies)
        self.commits += 1
        if wipe:
            self.events_written = 0
        if events:
            self.events_written = max(self.events_written, max(e.seq for e in events))

    async def snapshot(self) -> bytes:
        """The whole store as a SQLite file's bytes: what is committed once everything queued
        now is, with the meta of that moment (clock, seed, id counters)."""
        folder = tempfile.mkdtemp(prefix="edgesim-snapshot-")
        path = os.path.join(folder, "snapshot.db")
        try:
            await self.commit([CopyTo(path)])
            with open(path, "rb") as file:
                return file.read()
        finally:
            shutil.rmtree(folder, ignore_errors=True)

    # --- reading ------------------------------------------------------------------------------

    async def load_meta(self) -> dict[str, Any]:
        rows = await self._open_db.execute_fetchall("SELECT key, value FROM meta")
        return {key: self._decode(f"meta {key}", value) for key, value in rows}

    async def load_documents(self, kind: str) -> list[dict[str, Any]]:
        rows = await self._open_db.execute_fetchall("SELECT id, body FROM documents WHERE kind = ?", (kind,))
        return [self._decode(f"{kind} {doc_id}", body) for doc_id, body in rows]

    async def load_recent_events(self, count: int) -> list[dict[str, Any]]:
        """The last ``count`` events, oldest first."""
        rows = await self._open_db.execute_fetchall(
            "SELECT seq, body FROM (SELECT seq, body FROM events ORDER BY seq DESC LIMIT ?) ORDER BY seq", (count,)
        )
        return [self._decode(f"event {seq}", body) for seq, body in rows]

    async def events_after(self, seq: int, count: int) -> list[dict[str, Any]]:
        """Up to ``count`` events numbered above ``seq``, oldest first: a log read in slices."""
        rows = await self._open_db.execute_fetchall(
            "SELECT body FROM events WHERE seq > ? ORDER BY seq LIMIT ?", (seq, count)
        )
        return [orjson.loads(body) for (body,) in rows]

    async def count_events(self, before: int, since: float | None, filters: dict[str, str]) -> int:
        """How many events numbered below ``before`` match (see ``find_events``)."""
        where, params = _event_match(before, since, filters)
        rows = await self._open_db.execute_fetchall(f"SELECT COUNT(*) FROM events WHERE {where}", params)  # noqa: S608 - built from fixed clauses
        return int(next(iter(rows))[0])

    async def find_events(
        self, before: int, since: float | None, filters: dict[str, str], offset: int, limit: int
    ) -> list[dict[str, Any]]:
        """Events numbered below ``before``, oldest first, whose time is >= ``since`` and whose
        fields equal every filter (names from ``EVENT_FILTERS``); ``limit`` of them from ``offset``."""
        where, params = _event_match(before, since, filters)
        rows = await self._open_db.execute_fetchall(
            f"SELECT body FROM events WHERE {where} ORDER BY seq LIMIT ? OFFSET ?",  # noqa: S608 - fixed clauses
            (*params, limit, offset),
        )
        return [orjson.loads(body) for (body,) in rows]

    def _decode(self, what: str, text: str) -> Any:
        """A stored JSON value; one that is not JSON (an edited or damaged file) names itself."""
        try:
            return orjson.loads(text)
        except orjson.JSONDecodeError as exc:
            raise StoreError(f"{self.path}: stored {what} is not valid JSON ({exc})") from None


def _event_match(before: int, since: float | None, filters: dict[str, str]) -> tuple[str, list[Any]]:
    """The WHERE clause of an event query and its parameters. Kind and time are written as the
    indexes are, so SQLite uses them; values only ever travel as parameters."""
    clauses: list[str] = ["seq < ?"]
    params: list[Any] = [before]
    if since is not None:
        clauses.append("json_extract(body, '$.time') >= ?")
        params.append(since)
    for name, value in filters.items():
        if name not in EVENT_FILTERS:
            raise ValueError(f"events cannot be filtered on {name!r}")
        clauses.append("json_extract(body, '$.kind') = ?" if name == "kind" else "json_extract(body, ?) = ?")
        params.extend([value] if name == "kind" else [f"$.{name}", value])
    return " AND ".join(clauses), params


def _registered(ops: Iterable[Op]) -> list[Op]:
    """The ops as a list, once every document's kind is one the registry declares: a kind the
    engine cannot reload must never reach the disk."""
    batch = list(ops)
    for op in batch:
        if isinstance(op, Put | Delete) and op.kind not in BY_NAME:
            raise StoreError(f"{op.kind!r} is not a registered record kind (edgesim.domain.kinds)")
    return batch


def _lock_beside(path: str) -> int | None:
    """An exclusive OS lock on ``<db>.lock`` beside the (real) file, so that a second server
    on a file in use refuses to start instead of handing out the same ids. The kernel drops it
    when the process ends, however it ends; the lock file itself stays (removing it would let
    two servers lock two different files of the same name)."""
    if path in IN_MEMORY:
        return None
    lock_path = os.path.realpath(path) + ".lock"
    try:
        fd = os.open(lock_path, os.O_RDWR | os.O_CREAT, 0o644)
    except OSError as exc:
        raise StoreError(f"{path}: cannot create its lock file {lock_path}: {exc.strerror}") from None
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        os.close(fd)
        raise StoreError(f"{path}: in use by another edgesim (it holds {lock_path})") from None
    return fd


def _write_transaction(
    db: sqlite3.Connection, wipe: bool, restore: str | None, puts: list[tuple[str, str, str]],
    deletes: list[tuple[str, str]], rows: list[tuple[int, str]], meta: list[tuple[str, str]], copies: list[str],
) -> None:
    """A batch's transaction, run on the store's worker thread; rolled back there if it fails.
    ``restore``: a store file whose every row replaces ours in the same transaction (SQLite
    attaches and detaches only outside a transaction: before the first write, after the end)."""
    if restore is not None:
        db.execute("ATTACH DATABASE ? AS restored", (restore,))
    try:
        if wipe:
            for table in ("documents", "events", "meta"):
                db.execute(f"DELETE FROM {table}")  # noqa: S608 - fixed table names
        if restore is not None:
            for table, columns in (("documents", "kind, id, body"), ("events", "seq, body"), ("meta", "key, value")):
                db.execute(f"INSERT INTO main.{table}({columns}) SELECT {columns} FROM restored.{table}")  # noqa: S608 - fixed names
        if puts:
            db.executemany(UPSERT_DOCUMENT, puts)
        if deletes:
            db.executemany("DELETE FROM documents WHERE kind = ? AND id = ?", deletes)
        if rows:
            db.executemany("INSERT OR REPLACE INTO events(seq, body) VALUES (?, ?)", rows)
        if meta:
            db.executemany(UPSERT_META, meta)
        db.commit()
    except BaseException:
        db.rollback()
        raise
    finally:
        if restore is not None:
            db.execute("DETACH DATABASE restored")
    for path in copies:
        db.execute("VACUUM INTO ?", (path,))


def _json(body: dict[str, Any] | bytes) -> str:
    return (body if isinstance(body, bytes) else orjson.dumps(body)).decode()


def install_snapshot(source: str, target: str) -> dict[str, Any]:
    """Put the snapshot file ``source`` in place as the store ``target`` (replacing it) and
    return its meta; raises StoreError naming the file that is not right, or a target a
    running server holds. Checked first: a refused snapshot leaves the target as it was."""
    if target in IN_MEMORY:
        raise StoreError(f"{target or '<empty>'}: a snapshot is loaded into a store file, not memory")
    try:
        with contextlib.closing(sqlite3.connect(f"file:{source}?mode=ro", uri=True)) as db:
            tables = {name for (name,) in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
            meta = dict(db.execute("SELECT key, value FROM meta")) if "meta" in tables else {}
    except sqlite3.Error as exc:
        raise StoreError(f"{source}: not an edgesim snapshot ({exc})") from None
    if tables - EDGESIM_TABLES or "clock_now" not in meta:
        raise StoreError(f"{source}: not an edgesim snapshot (no edgesim world in it)")
    lock = _lock_beside(target)  # refuses a store a server has open
    try:
        for leftover in (f"{target}-wal", f"{target}-shm"):  # the old store's journal is not the new one's
            with contextlib.suppress(FileNotFoundError):
                os.remove(leftover)
        shutil.copyfile(source, target)
    finally:
        if lock is not None:
            os.close(lock)
    return {k: orjson.loads(v) for k, v in meta.items()}
