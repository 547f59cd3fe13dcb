"""Assemble and run one edgesim: settings + store + clock + engine + HTTP server.

Used by ``edgesim serve`` and by tests that want a real server on a real socket.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime

from aiohttp import web

from edgesim.api.app import build_app
from edgesim.engine.clock import Clock, RealClock, VirtualClock
from edgesim.engine.engine import Engine
from edgesim.scenario.recorder import Recorder
from edgesim.settings import Settings
from edgesim.store.sqlite import Store

log = logging.getLogger(__name__)


@dataclass
class ServerOptions:
    host: str = "127.0.0.1"
    port: int = 8080
    db: str = "edgesim.db"
    clock: str = "real"  # real | virtual
    time_scale: float = 1.0
    seed: int | None = None  # None: the stored seed, or 0 on a new store
    epoch: datetime | None = None  # a new store's clock epoch (default: config, or now on a real clock)
    record: str | None = None  # write calls and events to this file (see scenario.recorder)


class Server:
    def __init__(self, settings: Settings, options: ServerOptions) -> None:
        self.settings = settings
        self.options = options
        self.store = Store(options.db)
        self.engine: Engine | None = None
        self._runner: web.AppRunner | None = None
        self.port: int | None = None
        self.seed_note: str | None = None  # set when the store's seed overrides --seed
        self.recorder: Recorder | None = None

    @property
    def url(self) -> str:
        return f"http://{self.options.host}:{self.port}"

    async def start(self) -> None:
        await self.store.open()
        meta = await self.store.load_meta()
        seed = self._seed(meta)
        clock = self._clock(meta)
        self.engine = Engine(self.settings, clock, self.store, seed=seed)
        await self.engine.start()
        app = build_app(self.engine)
        if self.options.record:
            self.recorder = Recorder(self.options.record, self.engine, fresh=not meta)
            app.middlewares.insert(1, self.recorder.middleware)  # inside pin_time: calls dated on arrival
        await clock.start()
        self._runner = web.AppRunner(app, access_log=None, handle_signals=False)
        await self._runner.setup()
        site = web.TCPSite(self._runner, self.options.host, self.options.port)
        await site.start()
        self.port = self._runner.addresses[0][1]  # the real port when 0 was asked

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None
        if self.engine is not None:
            await self.engine.clock.stop()
        if self.recorder is not None:
            self.recorder.close()
            self.recorder = None
        await self.store.close()

    def _seed(self, meta: dict) -> int:
        stored = meta.get("seed")
        wanted = self.options.seed
        if stored is not None and wanted is not None and stored != wanted:
            self.seed_note = f"the store was created with seed {stored}; keeping it (ignoring --seed {wanted})"
        if stored is not None:
            return stored
        return wanted if wanted is not None else 0

    def _clock(self, meta: dict) -> Clock:
        start = float(meta.get("clock_now", 0.0))
        stored_epoch = meta.get("epoch")
        epoch = datetime.fromisoformat(stored_epoch) if stored_epoch else self.options.epoch
        if self.options.clock == "virtual":
            return VirtualClock(start=start, epoch=epoch or self.settings.simulation.clock.epoch)
        return RealClock(scale=self.options.time_scale, start=start, epoch=epoch)
