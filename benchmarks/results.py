"""One benchmark figure, the table printed after a run, and ``results.json``."""

from __future__ import annotations

import json
import platform
import subprocess
from dataclasses import asdict, dataclass
from pathlib import Path

RESULTS = Path(__file__).with_name("results.json")


@dataclass
class Result:
    name: str
    value: float
    unit: str
    target: str = ""  # e.g. ">= 0.5"; empty: a figure reported for information
    met: bool = True

    @classmethod
    def check(cls, name: str, value: float, unit: str, op: str, bound: float) -> Result:
        met = {">=": value >= bound, "<": value < bound, "<=": value <= bound}[op]
        return cls(name, round(value, 4), unit, f"{op} {bound:g}", met)


def table(results: list[Result]) -> str:
    rows = [("benchmark", "value", "unit", "target", "met")]
    for r in results:
        rows.append((r.name, f"{r.value:,.4g}" if abs(r.value) < 1e4 else f"{r.value:,.0f}", r.unit,
                     r.target or "-", ("yes" if r.met else "NO") if r.target else "-"))
    widths = [max(len(row[i]) for row in rows) for i in range(5)]
    lines = ["| " + " | ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)) + " |" for row in rows]
    lines.insert(1, "|" + "|".join("-" * (w + 2) for w in widths) + "|")
    return "\n".join(lines)


def save(results: list[Result]) -> None:
    """Write the figures, keeping earlier figures of benchmarks not run this time."""
    kept = []
    if RESULTS.exists():
        names = {r.name for r in results}
        kept = [r for r in json.loads(RESULTS.read_text()) if r["name"] not in names]
    RESULTS.write_text(json.dumps(kept + [asdict(r) for r in results], indent=2) + "\n")


def machine() -> str:
    free = subprocess.run(["free", "-h"], capture_output=True, text=True).stdout.strip()
    nproc = subprocess.run(["nproc"], capture_output=True, text=True).stdout.strip()
    return f"nproc: {nproc}   python: {platform.python_version()}   {platform.platform()}\n{free}"
