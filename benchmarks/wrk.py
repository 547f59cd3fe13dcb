"""The load generator: ``wrk`` (Debian package ``wrk``), driven with the Lua scripts in
``benchmarks/lua/``, each prepended with ``report.lua`` (thread numbering, a clock, and a
``done()`` hook printing one JSON line).

``ensure_installed`` installs the package through apt-get where it is missing (as root,
non-interactive) and otherwise says plainly why it cannot.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import tempfile
from pathlib import Path

LUA = Path(__file__).with_name("lua")
THREADS = 1  # one generator thread: on 2 shared cores the servers need the other one


class WrkMissing(RuntimeError):
    pass


def ensure_installed() -> str:
    """The path of ``wrk``, installing the Debian package first where it is missing."""
    found = shutil.which("wrk")
    if found:
        return found
    if os.geteuid() != 0 or shutil.which("apt-get") is None:
        raise WrkMissing("wrk is not installed and cannot be installed here (needs root and apt-get): "
                         "install the Debian package `wrk` (apt-get install wrk) and run again")
    print("wrk is missing: installing the Debian package through apt-get", flush=True)
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    for argv in (["apt-get", "update", "-q"], ["apt-get", "install", "-y", "-q", "wrk"]):
        done = subprocess.run(argv, env=env, capture_output=True, text=True)
        if done.returncode != 0:
            raise WrkMissing(f"`{' '.join(argv)}` failed ({done.returncode}): {done.stderr.strip()[-500:]}")
    found = shutil.which("wrk")
    if not found:
        raise WrkMissing("apt-get installed wrk but it is not on PATH")
    return found


def run(url: str, script: str, *args: str, connections: int, seconds: float) -> dict:
    """One wrk run of ``lua/<script>.lua`` against ``url``; the summary its ``done()`` printed
    plus ``rps`` (requests over the measured seconds). Raises if wrk fails or says nothing."""
    if not url.startswith(("http://127.", "http://localhost")):
        raise ValueError("benchmarks talk to loopback only")
    wrk = ensure_installed()
    source = (LUA / "report.lua").read_text() + "\n" + (LUA / f"{script}.lua").read_text()
    with tempfile.NamedTemporaryFile("w", suffix=".lua", prefix=f"edgesim-{script}-") as lua:
        lua.write(source)
        lua.flush()
        argv = [wrk, "-t", str(THREADS), "-c", str(connections), "-d", f"{seconds:g}s", "--timeout", "10s",
                "-s", lua.name, url, "--", *args]
        done = subprocess.run(argv, capture_output=True, text=True, timeout=seconds + 60)
    lines = [line for line in done.stdout.splitlines() if line.startswith("{")]
    if done.returncode != 0 or not lines:
        raise RuntimeError(f"wrk {script} failed ({done.returncode}): {done.stderr.strip() or done.stdout.strip()}")
    out = json.loads(lines[-1])
    out["rps"] = out["requests"] / out["seconds"] if out["seconds"] > 0 else 0.0
    return out
