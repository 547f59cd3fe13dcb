"""The simulation never depends on PYTHONHASHSEED: a restart re-arms timers and rebuilds its
indexes in an order that comes from the data, not from how Python hashes strings.

The same world (group deployments with migration, a node lost, the store restarted, then
``advance 600``) runs in two processes with different hash seeds; their event logs must be
the same bytes.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

WORLD = r'''
import asyncio, sys
import orjson
from conftest import advance_to, site_group, start_api, stop_api

async def main(db):
    api = await start_api(db)
    group_id, (n1, n2, n3) = await site_group(api, nodes=3)
    for n in range(12):  # most land on n1: it is the first of equally free nodes
        body = {"deployment": {"name": f"app-{n}", "group_id": group_id, "app": {
            "name": f"app-{n}", "image_url": "nginx", "migration": True, "toleration_seconds": 60,
            "resources": {"requests": {"cpu": 0.25}}}}}
        assert (await api.post(api.v2("deployments"), body)).status == 201
    await advance_to(api, 100)
    for node in (n1, n2):
        assert (await api.post(f"/edgesim/nodes/{node}/disconnect", token=None)).status == 200
    await advance_to(api, 150)  # lost at 140; the copies are due at 200
    await stop_api(api)
    api = await start_api(db)
    await api.advance(600)
    sys.stdout.buffer.write(orjson.dumps(api.engine.events.events))
    await stop_api(api)

asyncio.run(main(sys.argv[1]))
'''


def event_log(tmp_path: Path, hash_seed: str) -> bytes:
    env = {**os.environ, "PYTHONHASHSEED": hash_seed, "PYTHONPATH": str(Path(__file__).parent)}
    db = tmp_path / f"world-{hash_seed}.db"
    done = subprocess.run([sys.executable, "-c", WORLD, str(db)], env=env, capture_output=True, timeout=120)
    assert done.returncode == 0, done.stderr.decode()
    return done.stdout


def test_a_restarted_world_gives_the_same_log_whatever_the_hash_seed(tmp_path):
    first, second = event_log(tmp_path, "1"), event_log(tmp_path, "2")
    assert b"instance.migrated" in first
    assert first == second
