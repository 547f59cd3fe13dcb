"""Benchmark 1: v2 create-deployment and get-deployment against a do-nothing aiohttp app.

``edgesim serve`` (real clock, a fresh SQLite file: every 201 is committed first) and the
baseline app (``baseline_app``: parses the same JSON, answers a body of the same size) each
run in their own process; the load generator (``loadgen``) is a third process with 64
keep-alive connections. Each figure is the median of ``ROUNDS`` runs; the ratio is edgesim's
requests/s over the baseline's measured in the same run.
"""

from __future__ import annotations

import json
import os
import statistics
import tempfile
from pathlib import Path

import aiohttp

from benchmarks.procs import Served, load, serve_edgesim
from benchmarks.results import Result

PROJECT = "0605767a3300d5762fb7c0186d2a0a1f"
TOKEN = {"X-Auth-Token": "edgesim-dev-token"}
DEPLOYMENTS = f"/v2/{PROJECT}/edgemgr/deployments"
ROUNDS = int(os.environ.get("BENCH_ROUNDS", "3"))
SECONDS = float(os.environ.get("BENCH_SECONDS", "4"))
CONNECTIONS = 64

# A typical create body (~1 KB): one node, a few environment variables, ports and probes.
BODY = {"deployment": {
    "name": "bench-@N@", "description": "benchmark deployment @N@", "node_ids": ["@NODE@"],
    "app": {
        "name": "web", "image_url": "swr.cn-north-4.myhuaweicloud.com/bench/nginx:1.25", "version": "v1",
        "envs": [{"name": f"SETTING_{i}", "value": f"value-{i}-of-the-benchmark"} for i in range(8)],
        "configs": {"restart_policy": "Always", "host_network": True, "privileged": False,
                    "ports": [{"container_port": 80, "host_port": 8080}]},
        "liveness_probe": {"http_get": {"path": "/healthz", "port": 80, "scheme": "HTTP"},
                           "initial_delay_seconds": 10, "timeout_seconds": 1},
        "readiness_probe": {"http_get": {"path": "/ready", "port": 80, "scheme": "HTTP"},
                            "initial_delay_seconds": 5, "timeout_seconds": 1},
    },
}}


async def _prepare(url: str, body: str, nodes: list[str], count: int) -> tuple[list[str], int, int]:
    """Create ``count`` deployments to read back; returns their paths and the sizes of a
    create and a get answer (the baseline answers the same sizes)."""
    async with aiohttp.ClientSession(url, headers=TOKEN) as session:
        paths, create_size = [], 0
        for i in range(count):
            data = body.replace("@N@", f"get-{i}").replace("@NODE@", nodes[i % len(nodes)])
            async with session.post(DEPLOYMENTS, data=data) as resp:
                raw = await resp.read()
                assert resp.status == 201, raw
                create_size = len(raw)
                paths.append(f"{DEPLOYMENTS}/{json.loads(raw)['deployment']['id']}")
        async with session.get(paths[0]) as resp:
            get_size = len(await resp.read())
        return paths, create_size, get_size


async def _node_ids(url: str) -> list[str]:
    async with aiohttp.ClientSession(url, headers=TOKEN) as session:
        async with session.get(f"/v2/{PROJECT}/edgemgr/nodes") as resp:
            return [n["id"] for n in (await resp.json())["nodes"]]


def _median(runs: list[dict], key: str) -> float:
    return statistics.median(r[key] for r in runs)


async def run() -> list[Result]:
    body = json.dumps(BODY)
    with tempfile.TemporaryDirectory(prefix="edgesim-bench-") as tmp:
        tmp_path = Path(tmp)
        (tmp_path / "create.json").write_text(body)
        with serve_edgesim(tmp_path / "bench.db") as edgesim:
            nodes = await _node_ids(edgesim.url)
            paths, create_size, get_size = await _prepare(edgesim.url, body, nodes, CONNECTIONS)
            (tmp_path / "paths.txt").write_text("\n".join(paths))
            with Served("-m", "benchmarks.baseline_app", "--create-size", str(create_size),
                        "--get-size", str(get_size)) as baseline:
                create_args = ["--method", "POST", "--path", DEPLOYMENTS, "--body-file", str(tmp_path / "create.json"),
                               "--expect", "201", "--pick", "NODE=" + ",".join(nodes)]
                get_args = ["--method", "GET", "--paths-file", str(tmp_path / "paths.txt")]
                runs: dict[tuple[str, str], list[dict]] = {}
                # Reads first, while the simulation is quiet; then writes, whose instances keep
                # the simulation busy. Rounds alternate the two servers, so drifts of a shared
                # machine hit both.
                for op, args in (("get", get_args), ("create", create_args)):
                    for round_ in range(ROUNDS):
                        for target, url in (("baseline", baseline.url), ("edgesim", edgesim.url)):
                            out = load(url, *args, "--connections", str(CONNECTIONS),
                                       "--first", str(round_ * 10_000_000), duration=SECONDS)
                            if out["errors"]:
                                raise RuntimeError(f"{target} {op}: {out['errors']} failed requests")
                            runs.setdefault((target, op), []).append(out)
    results = []
    for op, target in (("create", 0.5), ("get", 0.7)):
        ours, base = _median(runs[("edgesim", op)], "rps"), _median(runs[("baseline", op)], "rps")
        results.append(Result.check(f"api.{op}.ratio", ours / base, "x baseline req/s", ">=", target))
        results.append(Result(f"api.{op}.rps", ours, "req/s"))
        results.append(Result(f"api.{op}.baseline_rps", base, "req/s"))
        results.append(Result(f"api.{op}.p99", _median(runs[("edgesim", op)], "p99_ms"), "ms"))
        results.append(Result(f"api.{op}.baseline_p99", _median(runs[("baseline", op)], "p99_ms"), "ms"))
    return results
