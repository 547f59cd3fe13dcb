"""``edgesim serve --record FILE``: write every mutating call and every event, as JSON lines.

The file starts with a header (seed, clock, epoch), then, in order:
``{"call": {"t", "method", "path", "body", "status"}}`` for each mutating IEF call
(POST/PUT/DELETE under /v2|v3/{project_id}/) and control call (under /edgesim/; a clock
advance is written as ``{"advance_to": t}``), ``{"event": {...}}`` for each event, and
``{"end": t}`` when the server stops. Each line is flushed, so a crash loses nothing written.
``edgesim replay`` plays it back; ``edgesim convert`` turns it into a scenario.
"""

from __future__ import annotations

from typing import IO

import orjson
from aiohttp import web

from edgesim.api import paths
from edgesim.engine.engine import Engine

MUTATING = {"POST", "PUT", "DELETE", "PATCH"}
ADVANCE = "/edgesim/clock/advance"


SNAPSHOT = "/edgesim/snapshot"  # a save changes nothing; a load's file is not copied into a recording


def _recorded(path: str) -> bool:
    """What a recording replays: IEF calls and control calls, not the IAM login nor snapshots."""
    return paths.is_ief(path) or (paths.is_control(path) and path != SNAPSHOT)


class Recorder:
    def __init__(self, path: str, engine: Engine, *, fresh: bool) -> None:
        self.engine = engine
        self._file: IO[bytes] = open(path, "ab")  # noqa: SIM115 - open for the server's lifetime
        clock = engine.clock
        self._write({"edgesim_recording": 1, "seed": engine.seed, "clock": clock.mode, "scale": clock.scale,
                     "epoch": clock.epoch.isoformat(), "start": clock.now(), "fresh_store": fresh})
        for event in engine.events.events:  # what happened at start-up (a fresh store's fleet)
            self._write({"event": event})
        engine.events.listeners.append(lambda event: self._write({"event": event}))

    def _write(self, entry: dict) -> None:
        self._file.write(orjson.dumps(entry) + b"\n")
        self._file.flush()

    @web.middleware
    async def middleware(self, request: web.Request, handler) -> web.StreamResponse:
        if request.method not in MUTATING or not _recorded(request.path):
            return await handler(request)
        started = self.engine.clock.now()
        raw = await request.read()
        response = await handler(request)
        if request.path == ADVANCE:
            if response.status == 200:
                self._write({"advance_to": self.engine.clock.now()})
            return response
        try:
            body = orjson.loads(raw) if raw else None
        except orjson.JSONDecodeError:
            body = {"__raw__": raw.decode(errors="replace")}
        self._write({"call": {"t": started, "method": request.method, "path": request.path_qs, "body": body,
                              "status": response.status}})
        return response

    def close(self) -> None:
        self._write({"end": self.engine.clock.now()})
        self._file.close()
