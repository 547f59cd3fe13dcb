"""Benchmark 1: the v2 deployment routes against a do-nothing aiohttp app, driven by wrk.

``edgesim serve`` (real clock, a fresh SQLite file: every 201 is committed first), the
baseline app (``baseline_app``: parses the same JSON, answers bodies of the same sizes) and
the generator's yardstick (``ceiling_app``) each run in their own process; ``wrk`` (one
thread, 64 keep-alive connections) is a fourth. Figures, in this order:

- get: GET a deployment (1,000 of them read round-robin, quiet simulation);
- list: GET ``?limit=100`` of the 1,000;
- create: POST a ~1 KB body, unique names, spread over the nodes;
- mix: 70/20/10 (6 gets and 1 list, 2 creates, 1 delete of a deployment the same wrk thread
  created, in every 10 requests); each create's latency measured by the Lua script.

Each figure is the median of ``ROUNDS`` runs alternating the servers (a warm-up second
before each); a ratio is edgesim's requests/s over the baseline's in the same run. Before any
ratio is trusted, the generator's rate against the yardstick must be at least
``HEADROOM`` x the baseline's (so also x edgesim's): the ``generator_headroom`` figures, which
``python -m benchmarks`` refuses loudly when missed (exit 3).
"""

from __future__ import annotations

import asyncio
import json
import os
import statistics
import tempfile
from pathlib import Path

import aiohttp

from benchmarks import wrk
from benchmarks.procs import Served, serve_edgesim
from benchmarks.results import Result

PROJECT = "0605767a3300d5762fb7c0186d2a0a1f"
TOKEN = {"X-Auth-Token": "edgesim-dev-token"}
DEPLOYMENTS = f"/v2/{PROJECT}/edgemgr/deployments"
LIST = f"{DEPLOYMENTS}?limit=100"
ROUNDS = int(os.environ.get("BENCH_ROUNDS", "3"))
SECONDS = float(os.environ.get("BENCH_SECONDS", "3"))
WARMUP = 1.0
CONNECTIONS = 64
PREPARED = 1_000  # deployments read by get and list
HEADROOM = 1.5
OPS = os.environ.get("BENCH_OPS", "get,list,create,mix").split(",")  # a subset, while profiling

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
TARGETS = {"get": 0.8, "list": 0.5, "create": 0.5}
MIX_CREATE_P99_MS = 50.0


async def _prepare(url: str, body: str, nodes: list[str]) -> tuple[list[str], dict[str, int]]:
    """Create the deployments get and list read; their paths and the sizes of a create, a get
    and a list answer (the baseline answers the same sizes)."""
    sizes: dict[str, int] = {}
    async with aiohttp.ClientSession(url, headers=TOKEN) as session:

        async def create(i: int) -> str:
            data = body.replace("@N@", f"prep-{i}").replace("@NODE@", nodes[i % len(nodes)])
            async with session.post(DEPLOYMENTS, data=data) as resp:
                raw = await resp.read()
                assert resp.status == 201, raw
                sizes["create"] = len(raw)
                return f"{DEPLOYMENTS}/{json.loads(raw)['deployment']['id']}"

        paths: list[str] = []
        for start in range(0, PREPARED, 50):
            paths += await asyncio.gather(*(create(i) for i in range(start, min(PREPARED, start + 50))))
        for name, path in (("get", paths[0]), ("list", LIST)):
            async with session.get(path) as resp:
                sizes[name] = len(await resp.read())
        return paths, sizes


async def _node_ids(url: str) -> list[str]:
    async with aiohttp.ClientSession(url, headers=TOKEN) as session:
        async with session.get(f"/v2/{PROJECT}/edgemgr/nodes") as resp:
            return [n["id"] for n in (await resp.json())["nodes"]]


def _measure(server: Served, script: str, args: list[str], target: str) -> dict:
    warm = [a + "w" if i == 3 else a for i, a in enumerate(args)] if script in ("create", "mix") else args
    wrk.run(server.url, script, *warm, connections=CONNECTIONS, seconds=WARMUP)  # its own names: the run prefix + w
    cpu = server.cpu_seconds()
    out = wrk.run(server.url, script, *args, connections=CONNECTIONS, seconds=SECONDS)
    out["cpu_us"] = (server.cpu_seconds() - cpu) * 1e6 / max(1, out["requests"])  # server CPU per request
    if out["errors"]:
        raise RuntimeError(f"{target} {script}: {out['errors']} failed requests of {out['requests']} ({out['statuses']})")
    return out


def _median(runs: list[dict], key: str) -> float:
    return statistics.median(r[key] for r in runs)


async def run() -> list[Result]:
    wrk.ensure_installed()
    body = json.dumps(BODY)
    runs: dict[tuple[str, str], list[dict]] = {}
    with tempfile.TemporaryDirectory(prefix="edgesim-bench-") as tmp:
        files = Path(tmp)
        (files / "create.json").write_text(body)
        with serve_edgesim(files / "bench.db") as edgesim:
            nodes = await _node_ids(edgesim.url)
            (files / "nodes.txt").write_text("\n".join(nodes))
            paths, sizes = await _prepare(edgesim.url, body, nodes)
            (files / "paths.txt").write_text("\n".join(paths))
            (files / "list.txt").write_text(LIST)
            with Served("-m", "benchmarks.baseline_app", "--create-size", str(sizes["create"]),
                        "--get-size", str(sizes["get"]), "--list-size", str(sizes["list"])) as baseline, \
                    Served("-m", "benchmarks.ceiling_app", "--size", str(sizes["get"])) as ceiling:
                create = [DEPLOYMENTS, str(files / "create.json"), str(files / "nodes.txt")]
                for _ in range(ROUNDS):
                    runs.setdefault(("ceiling", "get"), []).append(
                        _measure(ceiling, "get", [str(files / "paths.txt")], "ceiling"))
                # Reads first, while the simulation is quiet; then writes, whose instances keep
                # the simulation busy. Rounds alternate the servers, so drifts of a shared
                # machine hit both.
                for op, script, args in (
                    ("get", "get", [str(files / "paths.txt")]),
                    ("list", "get", [str(files / "list.txt")]),
                    ("create", "create", create),
                    ("mix", "mix", create + [str(files / "paths.txt"), LIST]),
                ):
                    if op not in OPS:
                        continue
                    for round_ in range(ROUNDS):
                        for target, server in (("baseline", baseline), ("edgesim", edgesim)):
                            prefix = [f"{op}{round_}{target[0]}"] if script in ("create", "mix") else []
                            # create and mix scripts take the run prefix after the node file
                            full = args[:3] + prefix + args[3:] if prefix else args
                            runs.setdefault((target, op), []).append(_measure(server, script, full, target))
    return _results(runs)


def _results(runs: dict[tuple[str, str], list[dict]]) -> list[Result]:
    ceiling = _median(runs[("ceiling", "get")], "rps")
    results = [Result("api.generator_rps", ceiling, "req/s")]
    for op in [op for op in ("get", "list", "create", "mix") if op in OPS]:
        ours, base = _median(runs[("edgesim", op)], "rps"), _median(runs[("baseline", op)], "rps")
        if op in TARGETS:
            results.append(Result.check(f"api.{op}.ratio", ours / base, "x baseline req/s", ">=", TARGETS[op]))
        else:
            results.append(Result(f"api.{op}.ratio", round(ours / base, 4), "x baseline req/s"))
        results.append(Result(f"api.{op}.rps", ours, "req/s"))
        results.append(Result(f"api.{op}.baseline_rps", base, "req/s"))
        results.append(Result.check(f"api.{op}.generator_headroom", ceiling / base, "x baseline req/s", ">=", HEADROOM))
        # CPU per request, baseline over edgesim: the ratio a machine's other load disturbs least
        cpu_ratio = _median(runs[("baseline", op)], "cpu_us") / _median(runs[("edgesim", op)], "cpu_us")
        results.append(Result(f"api.{op}.cpu_ratio", round(cpu_ratio, 4), "x baseline CPU/request"))
        results.append(Result(f"api.{op}.cpu_us", _median(runs[("edgesim", op)], "cpu_us"), "us/request"))
        results.append(Result(f"api.{op}.p99", _median(runs[("edgesim", op)], "p99_ms"), "ms"))
        results.append(Result(f"api.{op}.baseline_p99", _median(runs[("baseline", op)], "p99_ms"), "ms"))
    if "mix" in OPS:
        mix = runs[("edgesim", "mix")]
        if not all(r["creates"] for r in mix):
            raise RuntimeError("the mix measured no create's latency (its 201s did not echo the names)")
        results.append(Result.check("api.mix.create_p99", _median(mix, "create_p99_ms"), "ms", "<", MIX_CREATE_P99_MS))
        results.append(Result("api.mix.create_p50", _median(mix, "create_p50_ms"), "ms"))
        results.append(Result("api.mix.creates", _median(mix, "creates"), "creates"))
    return results
