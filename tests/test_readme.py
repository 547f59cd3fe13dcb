"""The README's two opening commands work as written on a fresh checkout and a fresh venv."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import time
import urllib.request
from pathlib import Path

import pytest

from processes import fresh_checkout

ROOT = Path(__file__).resolve().parent.parent
pytestmark = pytest.mark.slow


def readme_commands() -> list[str]:
    return re.findall(r"```sh\n(.+?)\n```", (ROOT / "README.md").read_text())[:2]


def test_readme_opens_with_serve_and_test_commands_and_ci_runs_the_second():
    serve, tests = readme_commands()
    assert "edgesim serve" in serve
    assert "pytest" in tests
    assert tests in (ROOT / ".ci" / "run").read_text()


def test_serve_command_runs_as_written_on_a_fresh_venv(tmp_path):
    serve, _ = readme_commands()
    checkout = fresh_checkout(tmp_path / "edgesim")
    proc = subprocess.Popen(
        ["bash", "-c", serve], cwd=checkout, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        text=True, start_new_session=True,
    )
    try:
        deadline = time.monotonic() + 300  # the install fetches packages
        ready = None
        while time.monotonic() < deadline and ready is None:
            line = proc.stdout.readline()
            if not line:
                pytest.fail(f"the serve command ended early: {proc.stderr.read()[-3000:]}")
            ready = re.search(r"ready at (http://\S+)", line)
        assert ready, "no banner within 5 minutes"
        with urllib.request.urlopen(ready.group(1) + "/edgesim/health") as resp:
            assert resp.status == 200
        assert (checkout / "edgesim.db").exists()  # the embedded SQLite default
    finally:
        os.killpg(proc.pid, signal.SIGINT)
        proc.wait(30)
    assert proc.returncode == 0
