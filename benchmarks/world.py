"""In-process edgesim for the scale benchmarks: a server on a temp SQLite file, and helpers
to build a fleet, behaviour profiles and deployments through the engine (the API's costs are
benchmark 1's subject)."""

from __future__ import annotations

import asyncio
from pathlib import Path

import orjson

from edgesim.api.deployment_models import CreateBody, app_spec
from edgesim.engine.behaviors import Exit, Profile
from edgesim.engine.engine import Engine
from edgesim.server import Server, ServerOptions
from edgesim.settings import load_settings

PROJECT = "0605767a3300d5762fb7c0186d2a0a1f"
CRASHLOOP_IMAGE = "bench/crashloop:1"  # exits with code 1 thirty seconds after each start


async def start(db: Path, clock: str) -> Server:
    server = Server(load_settings(), ServerOptions(port=0, db=str(db), clock=clock, seed=7))
    await server.start()
    return server


def app(image: str, **extra) -> dict:
    """A validated, defaulted app spec, as the v2 API would store it."""
    body = {"deployment": {"name": "x", "node_ids": ["x"], "app": {"name": "app", "image_url": image, **extra}}}
    return app_spec(CreateBody.model_validate(orjson.loads(orjson.dumps(body))).deployment.app)


async def add_crashloop_profile(engine: Engine) -> None:
    crash = Profile(match=CRASHLOOP_IMAGE, exit=Exit(after=30, code=1))
    await engine.set_behaviors([crash, *engine.behaviors.profiles])


async def create_all(engine: Engine, specs: list[dict], concurrency: int = 256) -> None:
    """Create deployments (keyword arguments of ``Deployments.create``), many at a time so they
    share commits."""
    for start_at in range(0, len(specs), concurrency):
        await asyncio.gather(*(engine.deployments.create(PROJECT, **s) for s in specs[start_at : start_at + concurrency]))


def rss_mb() -> tuple[float, float]:
    """(resident, peak resident) memory of this process in MB."""
    fields = dict(line.split(":", 1) for line in Path("/proc/self/status").read_text().splitlines() if ":" in line)
    return int(fields["VmRSS"].split()[0]) / 1024, int(fields["VmHWM"].split()[0]) / 1024
