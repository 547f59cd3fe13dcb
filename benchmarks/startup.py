"""Benchmark 4: ``edgesim serve`` on a fresh store to its first successful create (wall
seconds, a new process each time; the median of ``ROUNDS``), and the test suite's wall time
(information only; ``BENCH_SKIP_TESTS=1`` leaves it out)."""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import aiohttp

from benchmarks.procs import ROOT, serve_edgesim
from benchmarks.results import Result

PROJECT = "0605767a3300d5762fb7c0186d2a0a1f"
HEADERS = {"X-Auth-Token": "edgesim-dev-token"}
ROUNDS = 3


async def _first_create(db: Path) -> float:
    began = time.perf_counter()
    with serve_edgesim(db) as server:
        async with aiohttp.ClientSession(server.url, headers=HEADERS) as session:
            async with session.get(f"/v2/{PROJECT}/edgemgr/nodes") as resp:
                node = (await resp.json())["nodes"][0]["id"]
            body = {"deployment": {"name": "first", "node_ids": [node], "app": {"name": "web", "image_url": "nginx:1.25"}}}
            async with session.post(f"/v2/{PROJECT}/edgemgr/deployments", data=json.dumps(body)) as resp:
                assert resp.status == 201, await resp.text()
        return time.perf_counter() - began


async def run() -> list[Result]:
    times = []
    for i in range(ROUNDS):
        with tempfile.TemporaryDirectory(prefix="edgesim-bench-") as tmp:
            times.append(await _first_create(Path(tmp) / f"start-{i}.db"))
    results = [Result.check("startup.first_create_seconds", statistics.median(times), "s", "<", 5)]
    if os.environ.get("BENCH_SKIP_TESTS") != "1":
        began = time.perf_counter()
        done = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "tests", "docs/examples"],
                              cwd=ROOT, capture_output=True, text=True, timeout=1200)
        passed = done.returncode == 0
        results.append(Result("startup.test_suite_seconds", time.perf_counter() - began, "s" if passed else "s (failures)"))
    return results
