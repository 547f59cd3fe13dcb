"""Shared fixtures: a real edgesim server on a free port, a real SQLite file, a virtual clock."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from edgesim.server import Server, ServerOptions
from edgesim.settings import Settings, load_settings

PROJECT_ID = "0605767a3300d5762fb7c0186d2a0a1f"
TOKEN = "edgesim-dev-token"


@dataclass
class Reply:
    status: int
    body: Any


class Api:
    """A thin HTTP client for tests: real requests over a socket, JSON in and out."""

    def __init__(self, url: str, session: aiohttp.ClientSession, server: Server | None = None) -> None:
        self.server = server  # set when the server runs in this process
        self.session = session
        self.url = url
        self.project_id = PROJECT_ID
        self.token = TOKEN

    @property
    def engine(self):
        return self.server.engine

    def v2(self, path: str) -> str:
        return f"/v2/{self.project_id}/edgemgr/{path.lstrip('/')}"

    async def call(self, method: str, path: str, json: Any = None, data: Any = None, token: str | None = TOKEN, headers: dict | None = None) -> Reply:
        hdrs = {"Content-Type": "application/json", **(headers or {})}
        if token is not None:
            hdrs["X-Auth-Token"] = token
        async with self.session.request(method, self.url + path, json=json, data=data, headers=hdrs) as resp:
            raw = await resp.read()
            body = await resp.json(content_type=None) if raw else None
            return Reply(resp.status, body)

    async def get(self, path: str, **kw) -> Reply:
        return await self.call("GET", path, **kw)

    async def post(self, path: str, json: Any = None, **kw) -> Reply:
        return await self.call("POST", path, json=json, **kw)

    async def put(self, path: str, json: Any = None, **kw) -> Reply:
        return await self.call("PUT", path, json=json, **kw)

    async def delete(self, path: str, **kw) -> Reply:
        return await self.call("DELETE", path, **kw)

    async def advance(self, seconds: float) -> dict:
        reply = await self.post("/edgesim/clock/advance", {"seconds": seconds}, token=None)
        assert reply.status == 200, reply.body
        return reply.body

    async def events(self, **filters: str) -> list[dict]:
        query = "&".join(f"{k}={v}" for k, v in filters.items())
        reply = await self.get(f"/edgesim/events?{query}", token=None)
        return reply.body["events"]

    async def node_ids(self) -> list[str]:
        reply = await self.get(self.v2("nodes") + "?sort=created_at:asc")
        return [n["id"] for n in reply.body["nodes"]]

    async def create(self, name: str = "web", node_id: str | None = None, **app: Any) -> Reply:
        node_id = node_id or (await self.node_ids())[0]
        body = {"deployment": {"name": name, "node_ids": [node_id],
                               "app": {"name": name, "image_url": "nginx:1.25", **app}}}
        return await self.post(self.v2("deployments"), body)


async def start_api(db: Path | str, seed: int | None = 0, settings: Settings | None = None):
    server = Server(settings or load_settings(), ServerOptions(port=0, db=str(db), clock="virtual", seed=seed))
    await server.start()
    return Api(server.url, aiohttp.ClientSession(), server)


async def stop_api(api: Api) -> None:
    await api.session.close()
    if api.server is not None:
        await api.server.stop()


@pytest.fixture
async def api(tmp_path):
    client = await start_api(tmp_path / "edgesim.db")
    yield client
    await stop_api(client)


# --- helpers shared by the timeline tests (fixed pull 2 s and start 1 s, uniform nodes) -------

FAST = [{"match": "*", "pull": {"seconds": 2}, "start": {"seconds": 1}}]
UNIFORM = {"cpu": [4, 4], "memory_mb": [8192, 8192]}


async def site_group(api: Api, nodes: int = 2) -> tuple[str, list[str]]:
    """FAST behaviours and a group "site" of uniform nodes; returns its id and node ids, sorted."""
    assert (await api.put("/edgesim/behaviors", FAST, token=None)).status == 200
    reply = await api.post("/edgesim/fleet", {"nodes": nodes, "groups": {"site": nodes}, "profile": UNIFORM, "name_prefix": "site"}, token=None)
    group = reply.body["groups"][0]
    return group["id"], sorted(group["node_ids"])


async def advance_to(api: Api, t: float) -> None:
    await api.advance(t - api.engine.clock.now())


async def instances(api: Api, dep_id: str) -> list[dict]:
    return (await api.get(api.v2(f"deployments/{dep_id}"))).body["deployment"]["instances"]


async def node_state(api: Api, node_id: str) -> str:
    return (await api.get(api.v2(f"nodes/{node_id}"))).body["node"]["state"]
