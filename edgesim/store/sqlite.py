"""Durable state in SQLite (aiosqlite, WAL), written by one writer task with group commit.

The engine keeps everything in memory and hands the store *operations*: put a document, delete
a document, append an event. ``commit(ops)`` resolves once those ops are on disk; a request
handler awaits it before it answers. ``submit(ops)`` queues ops without waiting; the simulation
uses it for state changes, which then share the next commit. Every op waiting when the writer
wakes goes into one transaction, so many concurrent requests cost one commit.

The ``meta`` table holds values the engine needs to resume (simulated time, id sequence); the
writer stores the latest of them with every commit, through ``meta_provider``.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

import aiosqlite
import orjson

log = logging.getLogger(__name__)

SCHEMA_VERSION = 1

SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS documents (
    kind TEXT NOT NULL,
    id   TEXT NOT NULL,
    body TEXT NOT NULL,
    PRIMARY KEY (kind, id)
);
CREATE TABLE IF NOT EXISTS events (seq INTEGER PRIMARY KEY, body TEXT NOT NULL);
"""


class StoreError(Exception):
    """The database refused a write; the caller's change must not be acknowledged."""


@dataclass(frozen=True, slots=True)
class Put:
    kind: str
    id: str
    body: dict[str, Any]


@dataclass(frozen=True, slots=True)
class Delete:
    kind: str
    id: str


@dataclass(frozen=True, slots=True)
class AppendEvent:
    seq: int
    body: dict[str, Any]


Op = Put | Delete | AppendEvent


class Store:
    def __init__(self, path: str, meta_provider: Callable[[], dict[str, Any]] | None = None) -> None:
        self.path = path
        self.meta_provider = meta_provider or dict
        self._db: aiosqlite.Connection | None = None
        self._queue: asyncio.Queue[tuple[list[Op], asyncio.Future | None]] = asyncio.Queue()
        self._writer: asyncio.Task | None = None
        self.commits = 0  # number of transactions written, for tests and metrics

    async def open(self) -> None:
        self._db = await aiosqlite.connect(self.path)
        await self._db.execute("PRAGMA journal_mode=WAL")
        # NORMAL in WAL mode survives a crash of this process (SIGKILL included); only an OS
        # crash or power loss can take back the last commits.
        await self._db.execute("PRAGMA synchronous=NORMAL")
        await self._db.executescript(SCHEMA)
        async with self._db.execute("PRAGMA user_version") as cur:
            (version,) = await cur.fetchone()
        if version == 0:
            await self._db.execute(f"PRAGMA user_version={SCHEMA_VERSION}")
        elif version > SCHEMA_VERSION:
            raise StoreError(
                f"{self.path} was written by a newer edgesim (schema {version} > {SCHEMA_VERSION})"
            )
        await self._db.commit()
        self._writer = asyncio.create_task(self._write_forever(), name="edgesim-store-writer")

    async def close(self) -> None:
        """Write everything still queued, then close the database."""
        if self._writer is not None:
            await self._queue.join()
            self._writer.cancel()
            try:
                await self._writer
            except asyncio.CancelledError:
                pass
            self._writer = None
        if self._db is not None:
            await self._write_batch([])
            await self._db.close()
            self._db = None

    # --- writing -------------------------------------------------------------------------

    def submit(self, ops: Iterable[Op]) -> None:
        """Queue ops for the next commit without waiting for it."""
        self._queue.put_nowait((list(ops), None))

    async def commit(self, ops: Iterable[Op]) -> None:
        """Queue ops and return once they are committed; raises StoreError if they are not."""
        future = asyncio.get_running_loop().create_future()
        self._queue.put_nowait((list(ops), future))
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
            await self._db.rollback()
        except Exception:  # the connection may be gone; nothing more to do
            log.exception("store rollback failed")

    async def _write_batch(self, ops: list[Op]) -> None:
        """One transaction: the ops (an empty list still records the latest meta)."""
        db = self._db
        # The last op on a document wins; order between different documents does not matter.
        latest: dict[tuple[str, str], Op] = {}
        events: list[AppendEvent] = []
        for op in ops:
            if isinstance(op, AppendEvent):
                events.append(op)
            else:
                latest[(op.kind, op.id)] = op
        puts = [(o.kind, o.id, orjson.dumps(o.body).decode()) for o in latest.values() if isinstance(o, Put)]
        deletes = [(o.kind, o.id) for o in latest.values() if isinstance(o, Delete)]
        if puts:
            await db.executemany(
                "INSERT INTO documents(kind, id, body) VALUES (?, ?, ?) "
                "ON CONFLICT(kind, id) DO UPDATE SET body = excluded.body",
                puts,
            )
        if deletes:
            await db.executemany("DELETE FROM documents WHERE kind = ? AND id = ?", deletes)
        if events:
            await db.executemany(
                "INSERT OR REPLACE INTO events(seq, body) VALUES (?, ?)",
                [(e.seq, orjson.dumps(e.body).decode()) for e in events],
            )
        meta = self.meta_provider()
        if meta:
            await db.executemany(
                "INSERT INTO meta(key, value) VALUES (?, ?) "
                "ON CONFLICT(key) DO UPDATE SET value = excluded.value",
                [(k, orjson.dumps(v).decode()) for k, v in meta.items()],
            )
        await db.commit()
        self.commits += 1

    # --- reading (start-up only) ------------------------------------------------------------

    async def load_meta(self) -> dict[str, Any]:
        async with self._db.execute("SELECT key, value FROM meta") as cur:
            return {key: orjson.loads(value) async for key, value in cur}

    async def load_documents(self, kind: str) -> list[dict[str, Any]]:
        async with self._db.execute("SELECT body FROM documents WHERE kind = ?", (kind,)) as cur:
            return [orjson.loads(body) for (body,) in await cur.fetchall()]

    async def load_events(self) -> list[dict[str, Any]]:
        async with self._db.execute("SELECT body FROM events ORDER BY seq") as cur:
            return [orjson.loads(body) for (body,) in await cur.fetchall()]
