"""Child processes of a benchmark: servers that print ``ready at URL``."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
from pathlib import Path

READY = re.compile(r"ready at (http://\S+)")
ROOT = Path(__file__).resolve().parent.parent


class Served:
    """A server process (``edgesim serve`` or the baseline app); ``url`` once it is ready."""

    def __init__(self, *argv: str, timeout: float = 30.0) -> None:
        self.started = time.perf_counter()
        self.proc = subprocess.Popen([sys.executable, *argv], cwd=ROOT, stdout=subprocess.PIPE,
                                     stderr=subprocess.DEVNULL, text=True)
        deadline = self.started + timeout
        while time.perf_counter() < deadline:
            line = self.proc.stdout.readline()
            if not line:
                raise RuntimeError(f"{argv} exited before it was ready")
            if (match := READY.search(line)) is not None:
                self.url = match.group(1)
                return
        self.stop()
        raise RuntimeError(f"{argv} was not ready within {timeout} s")

    def cpu_seconds(self) -> float:
        """CPU time the process (all its threads) has used so far: on a shared machine, the cost
        per request that other work does not inflate as it does wall-clock rates."""
        fields = Path(f"/proc/{self.proc.pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")  # utime + stime

    def stop(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(15)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        self.proc.stdout.close()

    def __enter__(self) -> Served:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


def serve_edgesim(db: Path, *args: str) -> Served:
    return Served("-m", "edgesim", "serve", "--port", "0", "--db", str(db), *args)
