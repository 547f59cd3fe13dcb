"""edgesim/ type-checks clean with mypy, configured by [tool.mypy] in pyproject.toml, so the
suite the README runs (and CI with it) fails on a type error as it does on a failing test."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_mypy_finds_no_type_errors_in_edgesim():
    # no arguments: the packages, the Python version and the strictness come from pyproject.toml
    run = subprocess.run([sys.executable, "-m", "mypy"], cwd=ROOT, capture_output=True, text=True, timeout=600)
    assert run.returncode == 0, f"mypy found type errors:\n{run.stdout}{run.stderr}"
