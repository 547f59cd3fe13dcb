"""Is this file a world the running server can take? (PUT /edgesim/snapshot, before anything
changes.)

A snapshot is a store file (control/snapshot.py). It is checked the way a server start checks
its store, on a copy: the tables are edgesim's, the meta holds a world (a clock) of the right
types, and a scratch engine loads every record and re-arms its timers. Only a file that passes
is handed to ``Engine.load_snapshot``, so a bad one changes nothing.
"""

from __future__ import annotations

import contextlib
import shutil
import sqlite3
from datetime import datetime
from pathlib import Path
from typing import Any

import orjson

from edgesim.engine.clock import MAX_SECONDS, VirtualClock
from edgesim.engine.engine import Engine, check_meta
from edgesim.settings import Settings
from edgesim.store.sqlite import EDGESIM_TABLES, Store, StoreError


class SnapshotError(ValueError):
    """The file is no world this server can load; the message says what is wrong in it."""


def read_meta(path: str) -> dict[str, Any]:
    """The meta of the snapshot file at ``path``, once it is an edgesim store holding a world."""
    try:
        with contextlib.closing(sqlite3.connect(f"file:{path}?mode=ro", uri=True)) as db:
            tables = {name for (name,) in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
            foreign = sorted(tables - EDGESIM_TABLES - {"sqlite_sequence"})
            if foreign:
                raise SnapshotError(f"not an edgesim snapshot (tables: {', '.join(foreign)})")
            rows = list(db.execute("SELECT key, value FROM meta")) if "meta" in tables else []
    except sqlite3.Error as exc:
        raise SnapshotError(f"not an edgesim snapshot ({exc})") from None
    meta: dict[str, Any] = {}
    for key, value in rows:
        try:
            meta[key] = orjson.loads(value)
        except orjson.JSONDecodeError:
            raise SnapshotError(f"stored meta {key} is not valid JSON") from None
    if "clock_now" not in meta or "documents" not in tables or "events" not in tables:
        raise SnapshotError("not an edgesim snapshot (no edgesim world in it: no clock in its meta)")
    try:
        check_meta(meta)
        if meta.get("epoch") is not None:
            datetime.fromisoformat(meta["epoch"])
    except ValueError as exc:
        raise SnapshotError(str(exc) if "stored meta" in str(exc) else f"stored meta epoch is {meta['epoch']!r}, not a timestamp") from None
    if not 0 <= meta["clock_now"] <= MAX_SECONDS:
        raise SnapshotError(f"stored meta clock_now is {meta['clock_now']!r}, not a time from 0 to {MAX_SECONDS:g} s")
    return meta


async def check(settings: Settings, path: str) -> dict[str, Any]:
    """The snapshot's meta, once a scratch engine has loaded a copy of it as a start would;
    raises SnapshotError naming what is wrong (the meta key, the stored record)."""
    meta = read_meta(path)
    scratch = str(Path(path).with_name("check.db"))
    shutil.copyfile(path, scratch)
    store = Store(scratch)
    try:
        await store.open()
        clock = VirtualClock(start=float(meta["clock_now"]))  # the records' timers go nowhere
        await Engine(settings, clock, store, seed=int(meta.get("seed", 0))).start()
    except StoreError as exc:
        raise SnapshotError(str(exc).removeprefix(f"{scratch}: ")) from None
    except Exception as exc:  # whatever a start would refuse the file for, named as a start names it
        raise SnapshotError(f"cannot load the stored world: {_reason(exc)}") from None
    finally:
        await store.close(flush=False)
    return meta


def _reason(exc: Exception) -> str:
    return str(exc) if isinstance(exc, ValueError) else f"{type(exc).__name__}: {exc}"
