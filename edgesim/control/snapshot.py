"""POST /edgesim/snapshot: the whole world as one file, as ``kwokctl snapshot save`` gives;
PUT /edgesim/snapshot: that file back into the running server, as ``kwokctl snapshot restore``.

The file is the store itself (a SQLite file: every record kind of domain/kinds.py, the event
log, and the meta: clock, seed, id counters), so loading it is starting a server on it
(``edgesim snapshot load FILE --db DB`` then ``edgesim serve --db DB``, or ``serve --db FILE``):
the records come back and their timers are re-armed exactly as after a restart, and the same
further requests give the same event log as on the world that was saved.

A PUT takes the file as its body (streamed to a temporary file: a snapshot may be larger than
the API's body limit), checks it as a start would (engine/snapshots.py) and only then replaces
the world, clock, seed and event log included (``Engine.load_snapshot``): a bad file answers
400 EDGESIM.0400 naming what is wrong, and nothing changed.
"""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

from aiohttp import web

from edgesim.api.errors import control_invalid, json_response
from edgesim.api.routing import CONTROL, ENGINE, RawBody, Route
from edgesim.control.routes import clock_body
from edgesim.engine.snapshots import SnapshotError, check

SNAPSHOT_TYPE = "application/vnd.sqlite3"
# the PUT reads the bytes whatever the Content-Type says; these are the ones clients send
SNAPSHOT_BODY = RawBody((SNAPSHOT_TYPE, "application/octet-stream"),
                        "a snapshot file, as POST /edgesim/snapshot or `edgesim snapshot save` wrote it")


async def save(request: web.Request) -> web.Response:
    data = await request.app[ENGINE].store.snapshot()
    return web.Response(body=data, content_type=SNAPSHOT_TYPE,
                        headers={"Content-Disposition": 'attachment; filename="edgesim-snapshot.db"'})


CHUNK = 1 << 20


async def load(request: web.Request) -> web.Response:
    engine = request.app[ENGINE]
    folder = tempfile.mkdtemp(prefix="edgesim-load-")
    path = str(Path(folder) / "snapshot.db")
    try:
        size = await _body_to(request, path)
        if size == 0:
            raise control_invalid("the body must be a snapshot file (from POST /edgesim/snapshot or "
                                  "`edgesim snapshot save`), got an empty body")
        try:
            meta = await check(engine.settings, path)
        except SnapshotError as exc:
            raise control_invalid(f"snapshot: {exc}") from None
        with engine.clock.unpinned():  # the world's time is the snapshot's from here on
            await engine.load_snapshot(path, meta)
            return json_response({**clock_body(engine), "seed": engine.seed, "events": engine.events.seq})
    finally:
        shutil.rmtree(folder, ignore_errors=True)


async def _body_to(request: web.Request, path: str) -> int:
    """Write the request body to ``path``; its size in bytes."""
    size = 0
    with open(path, "wb") as file:
        while chunk := await request.content.read(CHUNK):
            file.write(chunk)
            size += len(chunk)
    return size


ROUTES = (
    Route("POST", "/edgesim/snapshot", save, "The whole world (a store file) to restore later", CONTROL,
          content=SNAPSHOT_TYPE, answer="the snapshot file (a SQLite store: records, event log, clock, seed)"),
    Route("PUT", "/edgesim/snapshot", load, "Replace the world (clock included) with a saved snapshot", CONTROL,
          SNAPSHOT_BODY, answer="the clock after the load (now, mode, scale, time), its seed and event count"),
)
