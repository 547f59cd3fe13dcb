"""Assemble and run one edgesim: settings + store + clock + engine + HTTP server.

Used by ``edgesim serve`` and by tests that want a real server on a real socket.

A start that fails part-way undoes what it did without writing to the store, and says what
failed in one line (``StartupError``: the file or the address, and why). A stop lets the
requests already taken in finish (``Drain``) before the store writes its last commit.
"""

from __future__ import annotations

import asyncio
import logging
import os
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime

from aiohttp import hdrs, web

from edgesim.api.app import build_app
from edgesim.engine.clock import Clock, RealClock, VirtualClock
from edgesim.engine.engine import Engine, check_meta
from edgesim.scenario.recorder import Recorder
from edgesim.settings import Settings
from edgesim.store.sqlite import Store, StoreError

log = logging.getLogger(__name__)

DRAIN_SECONDS = 10.0  # the longest a stop waits for requests in flight
QUIET_SECONDS = 0.25  # no request started for this long: every client has heard "Connection: close"
POLL_SECONDS = 0.02


class StartupError(Exception):
    """The server cannot start; the message is ``<file or address>: <cause>``, one line."""

    def __init__(self, where: str, cause: str) -> None:
        super().__init__(f"{where}: {' '.join(cause.split())}")


class Drain:
    """Stopping without cutting requests. Once draining, every response says
    ``Connection: close``, so a client sends nothing more on its connection and its next
    connect is refused (nothing sent, nothing lost); the drain is over once no request has
    started for ``QUIET_SECONDS`` (or no connection is left, or the bound is reached). The
    runner's cleanup then waits for the handlers still running."""

    def __init__(self) -> None:
        self.draining = False
        self._last_start = 0.0  # loop time a request last reached the app

    @web.middleware
    async def middleware(self, request: web.Request, handler) -> web.StreamResponse:
        self._last_start = asyncio.get_running_loop().time()
        return await handler(request)

    async def on_response_prepare(self, request: web.Request, response: web.StreamResponse) -> None:
        if self.draining:
            response.force_close()  # the server closes the connection after this response...
            response.headers[hdrs.CONNECTION] = "close"  # ...and the client knows (the hook runs after aiohttp set its headers)

    async def wait(self, runner: web.AppRunner, timeout: float) -> None:
        """Stop accepting connections, then wait (at most ``timeout`` s) for the clients to stop."""
        self.draining = True
        for site in list(runner.sites):
            await site.stop()
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while runner.server is not None and runner.server.connections and loop.time() < deadline:
            if loop.time() - self._last_start >= QUIET_SECONDS:
                return
            await asyncio.sleep(POLL_SECONDS)


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
    strict: bool = False  # refuse request bodies with unknown fields (see api.unknown_fields)


class Server:
    def __init__(self, settings: Settings, options: ServerOptions) -> None:
        self.settings = settings
        self.options = options
        self.store = Store(options.db)
        self._engine: Engine | None = None
        self._runner: web.AppRunner | None = None
        self.port = 0  # the port it listens on, once started
        self.seed_note: str | None = None  # set when the store's seed overrides --seed
        self.recorder: Recorder | None = None
        self._drain = Drain()
        self.fresh_store = True  # the store held no world when it was opened
        self.init_skipped = False  # --init files not run: the store held a world
        self.record_warning: str | None = None  # set when --record starts on a store that holds a world

    @property
    def engine(self) -> Engine:
        """The engine on the store's world; it exists once ``start`` has loaded that world."""
        if self._engine is None:
            raise RuntimeError("the server has not loaded its world yet (call start)")
        return self._engine

    @property
    def url(self) -> str:
        return f"http://{self.options.host}:{self.port}"

    async def start(self, init: Callable[[str], Awaitable[None]] | None = None) -> None:
        """Open the store, load the world, listen; raises StartupError (or StoreError) naming
        the file or the address, after undoing whatever had started.

        ``init`` (given the URL of a private loopback port) runs once the world is loaded and
        before the server listens on its own address: ``serve --init``. It runs only on a new
        store; a store that holds a world already keeps it as it is (``init_skipped``)."""
        try:
            app = await self._load()
            if init is not None and not self.fresh_store:
                self.init_skipped = True
                init = None
            await self._listen(app, init)
        except BaseException:
            await self._close(flush=False)
            raise

    async def _load(self) -> web.Application:
        """The engine on the store's world, and its app. Anything in the file that cannot be
        loaded (damaged, edited, from elsewhere) is reported against the file."""
        await self.store.open()
        try:
            meta = await self.store.load_meta()
            self.fresh_store = not meta
            check_meta(meta)
            seed, clock = self._seed(meta), self._clock(meta)
            self._engine = Engine(self.settings, clock, self.store, seed=seed)
            await self._engine.start()
        except StoreError:
            raise
        except Exception as exc:
            log.debug("loading %s", self.options.db, exc_info=True)
            raise StartupError(self.options.db, f"cannot load the stored world: {_reason(exc)}") from exc
        app = build_app(self.engine, strict=self.options.strict)
        if self.options.record:
            self.recorder = Recorder(self.options.record, self.engine, fresh=not meta)
            if meta:  # a replay starts from an empty store: it cannot give this world's events
                self.record_warning = (
                    f"--record on {self.options.db}, which holds a world already (t={self.engine.clock.now():g} s): "
                    "the recording starts part-way, and `edgesim replay` of it, which starts from an empty store, "
                    "will not give the same events; record on a new --db (or :memory:) to replay it")
            app.middlewares.insert(1, self.recorder.middleware)  # inside pin_time: calls dated on arrival
        app.middlewares.insert(0, self._drain.middleware)
        app.on_response_prepare.append(self._drain.on_response_prepare)
        return app

    async def _listen(self, app: web.Application, init: Callable[[str], Awaitable[None]] | None = None) -> None:
        await self.engine.clock.start()
        self._runner = web.AppRunner(app, access_log=None, handle_signals=False, shutdown_timeout=DRAIN_SECONDS)
        await self._runner.setup()
        if init is not None:  # on a private port: nobody reaches the world before it is ready
            private = web.TCPSite(self._runner, "127.0.0.1", 0)
            await private.start()
            try:
                await init(f"http://127.0.0.1:{self._runner.addresses[0][1]}")
            finally:
                await private.stop()
        site = web.TCPSite(self._runner, self.options.host, self.options.port)
        try:
            await site.start()
        except OSError as exc:
            cause = os.strerror(exc.errno) if exc.errno else str(exc)
            raise StartupError(f"{self.options.host}:{self.options.port}", cause) from exc
        self.port = self._runner.addresses[0][1]  # the real port when 0 was asked

    async def stop(self, drain_seconds: float = DRAIN_SECONDS) -> None:
        """Stop accepting, let the requests in flight finish (bounded), write the last commit."""
        if self._runner is not None:
            await self._drain.wait(self._runner, drain_seconds)
        await self._close(flush=True)

    async def _close(self, flush: bool) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None
        if self._engine is not None:
            await self._engine.clock.stop()
        if self.recorder is not None:
            self.recorder.close()
            self.recorder = None
        await self.store.close(flush=flush)

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


def _reason(exc: Exception) -> str:
    """An exception as a cause: its own words when it has them (ValueError and its kin say
    what is wrong), else its type too (a bare KeyError says only ``'name'``)."""
    return str(exc) if isinstance(exc, ValueError) else f"{type(exc).__name__}: {exc}"
