"""POST /edgesim/snapshot: the whole world as one file, as ``kwokctl snapshot save`` gives.

The file is the store itself (a SQLite file: every record kind of domain/kinds.py, the event
log, and the meta: clock, seed, id counters), so loading it is starting a server on it
(``edgesim snapshot load FILE --db DB`` then ``edgesim serve --db DB``, or ``serve --db FILE``):
the records come back and their timers are re-armed exactly as after a restart, and the same
further requests give the same event log as on the world that was saved.
"""

from __future__ import annotations

from aiohttp import web

from edgesim.api.routing import CONTROL, ENGINE, Route

SNAPSHOT_TYPE = "application/vnd.sqlite3"


async def save(request: web.Request) -> web.Response:
    data = await request.app[ENGINE].store.snapshot()
    return web.Response(body=data, content_type=SNAPSHOT_TYPE,
                        headers={"Content-Disposition": 'attachment; filename="edgesim-snapshot.db"'})


ROUTES = (
    Route("POST", "/edgesim/snapshot", save, "The whole world (a store file) to restore later", CONTROL,
          content=SNAPSHOT_TYPE),
)
