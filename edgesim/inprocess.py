"""edgesim in the same Python process, without HTTP plumbing: for unittest, scripts, notebooks.

    with edgesim.run_server(seed=7, nodes=20) as sim:
        sim.url, sim.project_id, sim.token, sim.ak, sim.sk      # point any client at it
        sim.advance(30)                                          # move the virtual clock
        sim.wait_for(lambda: ..., timeout=60)                    # advance until true, or fail
        sim.inject(kind="node_crash", target={...})              # a chaos fault; returns its id
        sim.events(kind="instance.state")                        # the event log, filtered

The server runs on 127.0.0.1 on a free port, with a virtual clock and a fresh in-memory store,
on a background thread with its own event loop, so synchronous and asyncio callers use it
alike (an asyncio caller must not block its loop on these helpers for long: they are
synchronous HTTP calls). The pytest fixture (``edgesim.testing.plugin``) is this class.
"""

from __future__ import annotations

import asyncio
import threading
import urllib.parse
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from edgesim.http_client import Client, EdgesimHTTPError
from edgesim.server import Server, ServerOptions
from edgesim.settings import Settings, load_settings
from edgesim.store.sqlite import EVENT_FILTERS

EVENT_QUERY = (*EVENT_FILTERS, "since", "limit", "offset")


class EdgesimError(AssertionError):
    """The simulator answered an error to a helper, or a wait ran out of time."""


class Simulation:
    """A running edgesim (see the module docstring)."""

    def __init__(self, settings: Settings, seed: int = 0) -> None:
        self._settings = settings
        self._seed = seed
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, name="edgesim-server", daemon=True)
        self._thread.start()
        self._server: Server | None = None
        self._port = 0
        self._start()
        account = settings.account(settings.fleet.project_id) or settings.accounts[0]
        self.project_id: str = account.project_id
        self.token: str | None = account.tokens[0] if account.tokens else None
        self.ak: str = account.access_key
        self.sk: str = account.secret_key
        self._admin = settings.admin.token

    # --- lifecycle ------------------------------------------------------------------------------

    def _run(self, coroutine) -> Any:
        return asyncio.run_coroutine_threadsafe(coroutine, self._loop).result(timeout=120)

    def _start(self) -> None:
        options = ServerOptions(host="127.0.0.1", port=self._port, db=":memory:", clock="virtual", seed=self._seed)
        self._server = Server(self._settings, options)
        self._run(self._server.start())
        self._port = self._server.port or 0
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
        if self._loop.is_running():
            self._loop.call_soon_threadsafe(self._loop.stop)
            self._thread.join(timeout=10)
            self._loop.close()

    def __enter__(self) -> Simulation:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    # --- calls ----------------------------------------------------------------------------------

    def _fail(self, message: str) -> None:
        """How a wait that ran out of time fails (the pytest fixture fails the test instead)."""
        raise EdgesimError(message)

    @property
    def client(self) -> Client:
        """An HTTP client of this server with its credentials (``.ief(...)``, ``.control(...)``)."""
        return Client(self.url, token=self.token, ak=self.ak, sk=self.sk, admin_token=self._admin, project_id=self.project_id)

    def _control(self, method: str, path: str, body: Any = None) -> Any:
        try:
            return self.client.control(method, path, body)
        except EdgesimHTTPError as exc:
            raise EdgesimError(str(exc)) from None

    def _ief(self, method: str, path: str, body: Any = None) -> Any:
        try:
            return self.client.ief(method, path, body)
        except EdgesimHTTPError as exc:
            raise EdgesimError(str(exc)) from None

    # --- helpers --------------------------------------------------------------------------------

    def now(self) -> float:
        return self._control("GET", "clock")["now"]

    def advance(self, seconds: float) -> float:
        """Run everything due in the next ``seconds`` simulated seconds; returns the new time."""
        return self._control("POST", "clock/advance", {"seconds": seconds})["now"]

    def wait_for(self, condition: Callable[[], Any], timeout: float | None = None, step: float = 1.0,
                 within: float | None = None) -> Any:
        """Advance the clock ``step`` seconds at a time until ``condition()`` is truthy; fail if
        it is not within ``timeout`` simulated seconds (``within`` is the fixture's older name;
        default 60), saying the time and the state of the world then. Returns the value."""
        limit = timeout if timeout is not None else within if within is not None else 60.0
        waited = 0.0
        while True:
            value = condition()
            if value:
                return value
            if waited >= limit:
                name = getattr(condition, "__name__", repr(condition))
                self._fail(f"edgesim: {name} still false after {limit:g} simulated seconds "
                           f"(now t={self.now():g}; last value {value!r}); {self.describe()}")
            self.advance(min(step, limit - waited))
            waited += step

    def describe(self) -> str:
        """The world in one line: nodes by state, each deployment's ready/replicas, faults in force."""
        state = self._control("GET", "state")
        nodes: dict[str, int] = {}
        for node in state["nodes"]:
            nodes[node["state"]] = nodes.get(node["state"], 0) + 1
        deployments = ", ".join(f"{d['name']} {d['ready']}/{d['replicas']} ready" for d in state["deployments"]) or "none"
        faults = ", ".join(f"{f['kind']} {f['state']}" for f in state["faults"]) or "none"
        node_text = ", ".join(f"{n} {s}" for s, n in sorted(nodes.items())) or "none"
        return f"nodes: {node_text}; deployments: {deployments}; faults: {faults}"

    def inject(self, fault: dict[str, Any] | None = None, **fields: Any) -> str:
        """Add a chaos fault (the POST /edgesim/chaos/faults body, as a dict or as keywords);
        returns its id."""
        return self._control("POST", "chaos/faults", {**(fault or {}), **fields})["id"]

    def events(self, **filters: Any) -> list[dict[str, Any]]:
        """The event log, oldest first: ``kind``, ``deployment_id``, ``instance_id``, ``node_id``,
        ``group_id``, ``since``, ``limit`` (default all), ``offset``. Another name is refused
        (the server would ignore it, and the test would read every event)."""
        unknown = sorted(set(filters) - set(EVENT_QUERY))
        if unknown:
            raise TypeError(f"events() got unknown filter(s) {', '.join(unknown)}; known: {', '.join(EVENT_QUERY)}")
        query = urllib.parse.urlencode({"limit": 100_000, **filters})
        return self._control("GET", f"events?{query}")["events"]

    def create_fleet(self, nodes: int, groups: dict[str, int] | None = None, profile: dict[str, Any] | None = None,
                     name_prefix: str = "node") -> dict[str, Any]:
        """``nodes`` new RUNNING nodes, ``groups`` {name: count} of them (POST /edgesim/fleet);
        returns ``{project_id, nodes, node_ids, groups: [{id, name, node_ids}]}``."""
        body: dict[str, Any] = {"nodes": nodes, "groups": groups or {}, "name_prefix": name_prefix}
        if profile is not None:
            body["profile"] = profile
        return self._control("POST", "fleet", body)

    def create_group(self, name: str, node_ids: list[str] | None = None, nodes: int | None = None) -> dict[str, Any]:
        """An edge group (POST /v2/{project_id}/edgemgr/groups) of ``node_ids``, or of ``nodes``
        new nodes made for it; returns the IEF group."""
        if nodes is not None:
            if node_ids is not None:
                raise TypeError("create_group takes node_ids or nodes, not both")
            node_ids = self.create_fleet(nodes, name_prefix=name)["node_ids"]
        return self._ief("POST", "groups", {"name": name, "node_ids": node_ids or []})


@contextmanager
def run_server(seed: int = 0, nodes: int | None = None, settings: Settings | None = None) -> Iterator[Simulation]:
    """A running edgesim for the ``with`` block: ``seed`` drives every random choice, ``nodes``
    sizes the configured fleet (default: the config's), ``settings`` replaces the packaged config."""
    sim = start_server(seed, nodes, settings)
    try:
        yield sim
    finally:
        sim.close()


def start_server(seed: int = 0, nodes: int | None = None, settings: Settings | None = None,
                 factory: type[Simulation] = Simulation) -> Simulation:
    """The same without a ``with`` (a notebook cell); call ``close()`` when done."""
    settings = settings or load_settings()
    if nodes is not None:
        settings = settings.model_copy(update={"fleet": settings.fleet.model_copy(update={"nodes": nodes})})
    return factory(settings, seed)
