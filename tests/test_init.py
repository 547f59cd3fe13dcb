"""``edgesim serve`` started like LocalStack: --init scenario files before the banner, every
flag from an EDGESIM_* variable, and ``edgesim snapshot save/load`` around a real process."""

from __future__ import annotations

import json
import re
import subprocess
import sys
import urllib.error
import urllib.request
from pathlib import Path

import click
import pytest

from conftest import PROJECT_ID, TOKEN
from processes import ROOT, ServeProcess, run_serve

pytestmark = pytest.mark.slow

FLEET = """\
name: a small site
behaviors:
  - {match: "*", pull: {seconds: 2}, start: {seconds: 1}}
fleet: {nodes: 3, groups: {site: 3}, name_prefix: site}
steps:
  - call: POST /v2/${project_id}/edgemgr/deployments
    body:
      deployment:
        name: web
        node_ids: ["${group_nodes.site[0]}"]
        app: {name: web, image_url: swr.example.com/shop/web:1.0}
    save: {web: deployment.id}
  - expect: {deployment: "${web}", state: RUNNING, within: 1m}
"""

SECOND = """\
name: a second deployment
steps:
  - call: POST /v2/${project_id}/edgemgr/deployments
    body:
      deployment:
        name: api
        node_ids: ["${group_nodes.site[1]}"]
        app: {name: api, image_url: swr.example.com/shop/api:1.0}
"""

FAILING = """\
name: a step that fails
steps:
  - call: GET /v2/${project_id}/edgemgr/nodes
  - call: GET /v2/${project_id}/edgemgr/deployments/no-such-id
"""


def get(url: str, path: str) -> dict:
    request = urllib.request.Request(url + path, headers={"X-Auth-Token": TOKEN})
    with urllib.request.urlopen(request, timeout=10) as response:
        return json.loads(response.read())


def deployments(url: str) -> dict[str, dict]:
    answer = get(url, f"/v2/{PROJECT_ID}/edgemgr/deployments")
    return {d["name"]: d for d in answer["deployments"]}


def write(tmp_path: Path, name: str, text: str) -> str:
    path = tmp_path / name
    path.write_text(text)
    return str(path)


def test_init_files_run_in_order_before_the_banner(tmp_path):
    first, second = write(tmp_path, "fleet.yaml", FLEET), write(tmp_path, "second.yaml", SECOND)
    server = ServeProcess("--db", ":memory:", "--clock", "virtual", "--init", first, "--init", second)
    try:
        found = deployments(server.url)  # the banner came after both files: the world is ready
        assert sorted(found) == ["api", "web"]
        nodes = get(server.url, f"/v2/{PROJECT_ID}/edgemgr/nodes")["nodes"]
        assert sum(n["name"].startswith("site") for n in nodes) == 3
        web = get(server.url, f"/v2/{PROJECT_ID}/edgemgr/deployments/{found['web']['id']}")["deployment"]
        assert [i["state"] for i in web["instances"]] == ["RUNNING"]
    finally:
        code, err = server.interrupt()
    assert code == 0 and "Traceback" not in err


def test_a_failing_init_step_stops_the_start_naming_file_and_step(tmp_path):
    failing = write(tmp_path, "failing.yaml", FAILING)
    result = run_serve("--port", "0", "--db", ":memory:", "--clock", "virtual", "--init", failing)
    assert result.returncode == 1
    assert "ready at" not in result.stdout  # no banner: it never listened
    line = result.stderr.strip()
    assert line.startswith(f"edgesim: --init {failing}:4: GET /v2/${{project_id}}/edgemgr/deployments/no-such-id: ")
    assert "answered 404" in line and "Traceback" not in result.stderr


def test_a_broken_init_file_stops_the_start_before_anything_runs(tmp_path):
    broken = write(tmp_path, "broken.yaml", "name: x\nsteps:\n  - call: FETCH /v2\n")
    result = run_serve("--port", "0", "--db", ":memory:", "--init", broken, "--init", str(tmp_path / "missing.yaml"))
    assert result.returncode == 1
    assert result.stderr.startswith(f"edgesim: --init {broken}:3: ")
    missing = run_serve("--port", "0", "--db", ":memory:", "--init", str(tmp_path / "missing.yaml"))
    assert missing.returncode == 1 and "missing.yaml" in missing.stderr


def test_init_files_run_on_a_new_store_only(tmp_path):
    second = write(tmp_path, "second.yaml", SECOND.replace("${group_nodes.site[1]}", "${nodes[0]}"))
    db = str(tmp_path / "e.db")
    server = ServeProcess("--db", db, "--clock", "virtual", "--init", second)
    server.interrupt()
    again = ServeProcess("--db", db, "--clock", "virtual", "--init", second)
    try:
        assert list(deployments(again.url)) == ["api"]  # not made a second time
    finally:
        _, err = again.interrupt()
    assert "holds a world already; --init files not run" in err


def test_every_serve_flag_is_read_from_its_environment_variable(tmp_path, monkeypatch):
    monkeypatch.setenv("EDGESIM_CLOCK", "virtual")
    monkeypatch.setenv("EDGESIM_DB", ":memory:")
    monkeypatch.setenv("EDGESIM_INIT", write(tmp_path, "fleet.yaml", FLEET))
    monkeypatch.setenv("EDGESIM_STRICT", "true")
    server = ServeProcess()
    try:
        assert "clock: virtual" in server.banner[0] and "db: :memory:" in server.banner[0]
        assert list(deployments(server.url)) == ["web"]
        body = json.dumps({"seconds": 1, "second": 1}).encode()
        request = urllib.request.Request(server.url + "/edgesim/clock/advance", data=body, method="POST")
        with pytest.raises(urllib.error.HTTPError) as refused:  # strict from EDGESIM_STRICT
            urllib.request.urlopen(request, timeout=10)
        assert refused.value.code == 400
    finally:
        server.interrupt()


def test_a_flag_beats_its_environment_variable(monkeypatch):
    monkeypatch.setenv("EDGESIM_CLOCK", "real")
    monkeypatch.setenv("EDGESIM_DB", "/nonexistent/dir/e.db")
    server = ServeProcess("--clock", "virtual", "--db", ":memory:")
    try:
        assert "clock: virtual" in server.banner[0] and "db: :memory:" in server.banner[0]
    finally:
        server.interrupt()


@pytest.mark.parametrize(("variable", "value"), [("EDGESIM_PORT", "eighty"), ("EDGESIM_CLOCK", "sundial"),
                                                 ("EDGESIM_STRICT", "maybe"), ("EDGESIM_TIME_SCALE", "-1")])
def test_a_bad_environment_value_is_an_error_naming_the_variable(monkeypatch, variable, value):
    monkeypatch.setenv(variable, value)
    result = run_serve("--db", ":memory:")
    assert result.returncode == 2
    assert variable in result.stderr and value in result.stderr


def test_the_environment_table_in_the_readme_lists_every_serve_flag():
    from edgesim.cli import serve

    readme = (ROOT / "README.md").read_text()
    rows = {env: flag for flag, env in re.findall(r"^\| `(--[\w-]+)(?:\\\||[^|])*\| `(EDGESIM_\w+)`", readme, re.MULTILINE)}
    wanted = {p.envvar: p.opts[0] for p in serve.params if isinstance(p, click.Option)}
    assert rows == wanted


def test_snapshot_save_and_load_with_the_cli(tmp_path):
    fleet = write(tmp_path, "fleet.yaml", FLEET)
    server = ServeProcess("--db", ":memory:", "--clock", "virtual", "--init", fleet)
    try:
        advance = urllib.request.Request(server.url + "/edgesim/clock/advance", data=b'{"seconds": 100}', method="POST")
        urllib.request.urlopen(advance, timeout=10).read()
        before = deployments(server.url)
        clock = get(server.url, "/edgesim/clock")["now"]
        saved = edgesim("snapshot", "save", "--url", server.url, str(tmp_path / "world.snap"))
        assert saved.returncode == 0, saved.stderr
    finally:
        server.interrupt()
    db = str(tmp_path / "restored.db")
    loaded = edgesim("snapshot", "load", "--db", db, str(tmp_path / "world.snap"))
    assert loaded.returncode == 0, loaded.stderr
    assert f"clock at {clock:g} s" in loaded.stdout
    restored = ServeProcess("--db", db, "--clock", "virtual")
    try:
        assert deployments(restored.url) == before
        assert get(restored.url, "/edgesim/clock")["now"] == clock
    finally:
        restored.interrupt()
    refused = edgesim("snapshot", "load", "--db", db, fleet)
    assert refused.returncode == 1 and "not an edgesim snapshot" in refused.stderr


def edgesim(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "edgesim", *args], capture_output=True, text=True, timeout=30)
