"""Run ``edgesim serve`` as a real process, the way a user does, and find its port."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def fresh_checkout(dest: Path) -> Path:
    """Copy the repository's files (tracked and not ignored) to ``dest``, as a clean checkout has them."""
    files = subprocess.run(
        ["git", "ls-files", "--cached", "--others", "--exclude-standard"],
        cwd=ROOT, capture_output=True, text=True, check=True,
    ).stdout.split()
    for name in files:
        if (ROOT / name).is_file():
            (dest / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(ROOT / name, dest / name)
    return dest


READY = re.compile(r"ready at (http://\S+)")


class ServeProcess:
    def __init__(self, *args: str, cwd: Path | None = None) -> None:
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "edgesim", "serve", "--port", "0", *args],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            cwd=cwd,
        )
        self.banner: list[str] = []
        self.url = self._wait_ready()

    def _wait_ready(self, timeout: float = 20.0) -> str:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            line = self.proc.stdout.readline()
            if not line:
                raise RuntimeError(f"edgesim exited early: {self.proc.stderr.read()}")
            self.banner.append(line.rstrip("\n"))
            if (match := READY.search(line)) is not None:
                for _ in range(3):  # the rest of the banner
                    self.banner.append(self.proc.stdout.readline().rstrip("\n"))
                return match.group(1)
        raise RuntimeError("edgesim did not print its banner in time")

    def kill(self) -> str:
        """SIGKILL; returns what the process printed to stderr."""
        self.proc.kill()
        self.proc.wait(10)
        err = self.proc.stderr.read()
        self.proc.stdout.close()
        self.proc.stderr.close()
        return err

    def interrupt(self) -> tuple[int, str]:
        """Ctrl-C; returns the exit status and what the process printed to stderr."""
        self.proc.send_signal(2)
        code = self.proc.wait(15)
        err = self.proc.stderr.read()
        self.proc.stdout.close()
        self.proc.stderr.close()
        return code, err


def run_serve(*args: str, timeout: float = 20.0) -> subprocess.CompletedProcess:
    """``edgesim serve`` that is expected to fail at start; a process still running after
    ``timeout`` seconds (it hangs instead of exiting) fails the test."""
    command = [sys.executable, "-m", "edgesim", "serve", *args]
    try:
        return subprocess.run(command, capture_output=True, text=True, timeout=timeout)
    except subprocess.TimeoutExpired as exc:
        raise AssertionError(f"edgesim serve {' '.join(args)} still running after {timeout} s: {exc.stderr!r}") from None
