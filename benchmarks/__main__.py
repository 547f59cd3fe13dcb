"""``python -m benchmarks [name ...]``: run the benchmarks (all by default), print the table,
write ``benchmarks/results.json``. Names: api, fleet, virtual, startup, devices."""

from __future__ import annotations

import asyncio
import importlib
import sys
import time

from benchmarks.results import machine, save, table
from benchmarks.wrk import WrkMissing

BENCHMARKS = {
    "api": "benchmarks.api_throughput",
    "fleet": "benchmarks.fleet_scale",
    "virtual": "benchmarks.virtual_time",
    "startup": "benchmarks.startup",
    "devices": "benchmarks.devices",
}


def main(argv: list[str]) -> int:
    names = argv or list(BENCHMARKS)
    unknown = [n for n in names if n not in BENCHMARKS]
    if unknown:
        print(f"unknown benchmark(s): {', '.join(unknown)}; choose from {', '.join(BENCHMARKS)}", file=sys.stderr)
        return 2
    results = []
    for name in names:
        began = time.perf_counter()
        print(f"running {name} ...", file=sys.stderr, flush=True)
        try:
            found = asyncio.run(importlib.import_module(BENCHMARKS[name]).run())
        except WrkMissing as exc:
            print(f"FAILED: {exc}", file=sys.stderr)
            return 3
        print(f"  {name} took {time.perf_counter() - began:.1f} s", file=sys.stderr, flush=True)
        results.extend(found)
    save(results)
    print(machine())
    print(table(results))
    slow = [r for r in results if r.name.endswith(".generator_headroom") and not r.met]
    if slow:
        print("\nFAILED: the load generator does not outrun the baseline by the margin required "
              f"({', '.join(f'{r.name} = {r.value:g}' for r in slow)}): these ratios measure the generator, "
              "not the servers. Run on a quieter machine.", file=sys.stderr)
        return 3
    return 0 if all(r.met for r in results) else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
