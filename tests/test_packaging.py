"""The package as pip installs it: every module shipped, the default settings of config/ found."""

from __future__ import annotations

import json
import subprocess
import sys
import tomllib
import urllib.request
from pathlib import Path

import pytest

from processes import READY, fresh_checkout

ROOT = Path(__file__).resolve().parent.parent


def test_every_package_under_edgesim_is_listed_in_pyproject():
    listed = set(tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]["packages"])
    on_disk = {".".join(p.parent.relative_to(ROOT).parts) for p in (ROOT / "edgesim").rglob("__init__.py")}
    assert on_disk | {"edgesim.config"} == listed


@pytest.mark.slow
def test_a_non_editable_install_serves_with_the_defaults_of_config(tmp_path):
    checkout = fresh_checkout(tmp_path / "checkout")
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    subprocess.run([str(venv / "bin" / "pip"), "install", "-q", str(checkout)], check=True, timeout=600)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    proc = subprocess.Popen(
        [str(venv / "bin" / "edgesim"), "serve", "--port", "0", "--db", ":memory:"],
        cwd=elsewhere, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )
    try:
        url = None
        while url is None:
            line = proc.stdout.readline()
            if not line:
                pytest.fail(f"edgesim serve ended early: {proc.stderr.read()[-3000:]}")
            if match := READY.search(line):
                url = match.group(1)
        defaults = tomllib.loads((ROOT / "config" / "accounts.toml").read_text())
        account = defaults["accounts"][0]
        fleet = tomllib.loads((ROOT / "config" / "fleet.toml").read_text())
        request = urllib.request.Request(
            f"{url}/v2/{account['project_id']}/edgemgr/nodes", headers={"X-Auth-Token": account["tokens"][0]},
        )
        with urllib.request.urlopen(request) as resp:
            assert json.load(resp)["count"] == fleet["fleet"]["nodes"]
        installed = subprocess.run(
            [str(venv / "bin" / "python"), "-c", "import edgesim.settings as s; print(s.packaged_config_dir())"],
            capture_output=True, text=True, check=True, cwd=elsewhere,
        ).stdout
        assert str(venv) in installed  # the installed copy, not the checkout's
    finally:
        proc.terminate()
        proc.wait(30)
