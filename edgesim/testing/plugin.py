"""pytest plugin: an ``edgesim`` fixture that runs a simulator for one test.

The server runs on 127.0.0.1 with a free port, a virtual clock and a fresh in-memory store, in
a background thread with its own event loop, so synchronous and asyncio tests use it alike.
Its public face (kept stable):

    edgesim.url, .project_id, .token, .ak, .sk
    edgesim.advance(seconds)                 move the virtual clock; returns the new time
    edgesim.wait_for(condition, within=60)   advance in steps until condition() is truthy
    edgesim.inject(fault) -> fault id        a chaos fault (the POST /edgesim/chaos/faults body)
    edgesim.events(**filters) -> [event]     the event log (kind=, deployment_id=, since=, ...)
    edgesim.reset()                          a fresh world (same url)

Choose the seed and the fleet size per test with ``@pytest.mark.edgesim(seed=7, nodes=20)``
or for the run with ``--edgesim-seed`` / ``--edgesim-nodes``.
"""

from __future__ import annotations

import asyncio
import json
import threading
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable
from typing import Any

import pytest

from edgesim.server import Server, ServerOptions
from edgesim.settings import Settings, load_settings


class EdgesimError(AssertionError):
    """The simulator answered an error to a fixture helper."""


class Edgesim:
    """A running edgesim for one test (see the module docstring)."""

    def __init__(self, settings: Settings, seed: int) -> None:
        self._settings = settings
        self._seed = seed
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, name="edgesim-fixture", daemon=True)
        self._thread.start()
        self._server: Server | None = None
        self._port = 0
        self._start()
        account = settings.account(settings.fleet.project_id) or settings.accounts[0]
        self.project_id: str = account.project_id
        self.token: str | None = account.tokens[0] if account.tokens else None
        self.ak: str = account.access_key
        self.sk: str = account.secret_key
        self._admin = getattr(getattr(settings, "admin", None), "token", None)

    # --- lifecycle ------------------------------------------------------------------------------

    def _run(self, coroutine) -> Any:
        return asyncio.run_coroutine_threadsafe(coroutine, self._loop).result(timeout=120)

    def _start(self) -> None:
        options = ServerOptions(host="127.0.0.1", port=self._port, db=":memory:", clock="virtual", seed=self._seed)
        self._server = Server(self._settings, options)
        self._run(self._server.start())
        self._port = self._server.port
        self.url = self._server.url

    def reset(self) -> None:
        """Throw the world away and start a fresh one on the same url."""
        if self._server is not None:
            self._run(self._server.stop())
        self._start()

    def close(self) -> None:
        if self._server is not None:
            self._run(self._server.stop())
            self._server = None
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(timeout=10)
        self._loop.close()

    # --- helpers --------------------------------------------------------------------------------

    def _call(self, method: str, path: str, body: Any = None) -> Any:
        headers = {"Content-Type": "application/json"}
        if self._admin:
            headers["X-Admin-Token"] = self._admin
        data = None if body is None else json.dumps(body).encode()
        request = urllib.request.Request(self.url + path, data=data, method=method, headers=headers)
        try:
            with urllib.request.urlopen(request, timeout=120) as response:
                raw = response.read()
                return json.loads(raw) if raw else None
        except urllib.error.HTTPError as exc:
            raise EdgesimError(f"{method} {path} answered {exc.code}: {exc.read().decode(errors='replace')}") from None

    def now(self) -> float:
        return self._call("GET", "/edgesim/clock")["now"]

    def advance(self, seconds: float) -> float:
        """Run everything due in the next ``seconds`` simulated seconds; returns the new time."""
        return self._call("POST", "/edgesim/clock/advance", {"seconds": seconds})["now"]

    def wait_for(self, condition: Callable[[], Any], within: float = 60.0, step: float = 1.0) -> Any:
        """Advance the clock ``step`` seconds at a time until ``condition()`` is truthy; fail the
        test if it is not within ``within`` simulated seconds. Returns the condition's value."""
        waited = 0.0
        while True:
            value = condition()
            if value:
                return value
            if waited >= within:
                name = getattr(condition, "__name__", repr(condition))
                pytest.fail(f"edgesim: {name} still false after {within:g} simulated seconds (now t={self.now():g})")
            self.advance(min(step, within - waited))
            waited += step

    def inject(self, fault: dict[str, Any]) -> str:
        """Add a chaos fault; returns its id."""
        return self._call("POST", "/edgesim/chaos/faults", fault)["id"]

    def events(self, **filters: Any) -> list[dict[str, Any]]:
        query = urllib.parse.urlencode({"limit": 100_000, **filters})
        return self._call("GET", f"/edgesim/events?{query}")["events"]


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("edgesim")
    group.addoption("--edgesim-seed", type=int, default=0, help="seed of the edgesim fixture (default 0)")
    group.addoption("--edgesim-nodes", type=int, default=None, help="fleet size of the edgesim fixture (default: the config's)")


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "edgesim(seed=None, nodes=None): seed and fleet size of the edgesim fixture")


@pytest.fixture
def edgesim(request: pytest.FixtureRequest):
    """A running edgesim on a virtual clock with a fresh in-memory store."""
    mark = request.node.get_closest_marker("edgesim")
    options = mark.kwargs if mark else {}
    seed = options.get("seed", request.config.getoption("--edgesim-seed"))
    nodes = options.get("nodes", request.config.getoption("--edgesim-nodes"))
    settings = load_settings()
    if nodes is not None:
        settings = settings.model_copy(update={"fleet": settings.fleet.model_copy(update={"nodes": nodes})})
    sim = Edgesim(settings, seed)
    try:
        yield sim
    finally:
        sim.close()
