"""A small HTTP load generator: N keep-alive connections, bounded in time and in count.

Run as its own process so it does not share the server's event loop:

    python -m benchmarks.loadgen --url http://127.0.0.1:8080 --method POST \
        --path /v2/P/edgemgr/deployments --body-file body.json --duration 5

``@N@`` in the body is replaced by a request number unique to this run (unique names), and
``--pick KEY=a,b,c`` replaces ``@KEY@`` by the values in turn (spread requests over nodes);
``--paths-file`` gives paths to request round-robin instead of one ``--path``. Prints one JSON
line: requests, errors, requests/s and latency percentiles (ms) of the measured window.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import json
import sys
import time

import aiohttp


async def run(args: argparse.Namespace) -> dict:
    paths = [args.path] if args.paths_file is None else open(args.paths_file).read().split()
    body = None if args.body_file is None else open(args.body_file).read()
    picks = [(f"@{key}@", values.split(",")) for key, values in (p.split("=", 1) for p in args.pick)]
    headers = {"Content-Type": "application/json", "X-Auth-Token": args.token}
    numbers = itertools.count(args.first)
    latencies: list[float] = []
    errors = 0
    start = time.perf_counter()
    measure_from = start + args.warmup
    stop_at = measure_from + args.duration
    connector = aiohttp.TCPConnector(limit=args.connections)

    async with aiohttp.ClientSession(args.url, connector=connector) as session:

        async def worker() -> None:
            nonlocal errors
            while (n := next(numbers)) < args.first + args.max_requests:
                t0 = time.perf_counter()
                if t0 >= stop_at:
                    return
                data = None if body is None else body.replace("@N@", str(n))
                for marker, values in picks:
                    data = data.replace(marker, values[n % len(values)])
                async with session.request(args.method, paths[n % len(paths)], data=data, headers=headers) as resp:
                    await resp.read()
                    ok = resp.status == args.expect
                t1 = time.perf_counter()
                if t0 >= measure_from:
                    latencies.append(t1 - t0)
                    errors += not ok

        await asyncio.gather(*(worker() for _ in range(args.connections)))
    window = min(time.perf_counter(), stop_at) - measure_from
    latencies.sort()

    def pct(p: float) -> float:
        return round(latencies[min(len(latencies) - 1, int(p * len(latencies)))] * 1000, 3) if latencies else 0.0

    return {"requests": len(latencies), "errors": errors, "rps": round(len(latencies) / window, 1) if window > 0 else 0,
            "p50_ms": pct(0.50), "p99_ms": pct(0.99)}


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--url", required=True)
    p.add_argument("--method", default="GET")
    p.add_argument("--path", default="/")
    p.add_argument("--paths-file")
    p.add_argument("--body-file")
    p.add_argument("--pick", action="append", default=[], help="KEY=a,b,c: @KEY@ in the body takes these in turn")
    p.add_argument("--token", default="edgesim-dev-token")
    p.add_argument("--expect", type=int, default=200, help="status that counts as a success")
    p.add_argument("--first", type=int, default=0, help="first request number (unique names across runs)")
    p.add_argument("--connections", type=int, default=64)
    p.add_argument("--warmup", type=float, default=1.0, help="seconds before measuring")
    p.add_argument("--duration", type=float, default=5.0, help="seconds measured")
    p.add_argument("--max-requests", type=int, default=200_000)
    args = p.parse_args()
    if not args.url.startswith(("http://127.", "http://localhost")):
        sys.exit("loadgen: loopback URLs only")
    print(json.dumps(asyncio.run(run(args))))


if __name__ == "__main__":
    main()
