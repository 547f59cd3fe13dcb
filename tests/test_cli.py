"""``edgesim serve`` as a user runs it: the banner, its curl line, Ctrl-C, bad flags."""

from __future__ import annotations

import json
import shlex
import shutil
import subprocess
import sys
import urllib.error
import urllib.request

import pytest

from conftest import PROJECT_ID, TOKEN
from processes import ServeProcess

pytestmark = pytest.mark.slow


def test_banner_curl_line_works_and_ctrl_c_stops_cleanly(tmp_path):
    server = ServeProcess("--db", str(tmp_path / "e.db"))
    try:
        text = "\n".join(server.banner)
        assert PROJECT_ID in text and TOKEN in text and server.url in text
        [curl_line] = [line for line in server.banner if "try:" in line]
        command = shlex.split(curl_line.split("try:", 1)[1])
        if shutil.which("curl"):
            out = subprocess.run(command, capture_output=True, text=True, timeout=10, check=True).stdout
        else:  # same request without curl
            headers = dict([command[command.index("-H") + 1].split(": ", 1)])
            out = urllib.request.urlopen(urllib.request.Request(command[-1], headers=headers)).read()
        assert json.loads(out)["count"] == 5
    finally:
        code, err = server.interrupt()
    assert code == 0
    assert "edgesim stopped" in err
    assert "Traceback" not in err


def _request(url: str, method: str = "GET", body: dict | None = None) -> tuple[int, dict]:
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request(url, data=data, method=method, headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(req) as resp:
            return resp.status, json.loads(resp.read())
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read())


def test_real_clock_runs_scaled_and_refuses_advance():
    server = ServeProcess("--db", ":memory:", "--time-scale", "3600")
    try:
        status, clock = _request(server.url + "/edgesim/clock")
        assert status == 200 and clock["mode"] == "real" and clock["scale"] == 3600
        status, body = _request(server.url + "/edgesim/clock/advance", "POST", {"seconds": 5})
        assert (status, body["error_code"]) == (409, "EDGESIM.0409")
    finally:
        server.kill()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--config", "/no/such/dir"], "does not exist"),
        (["--clock", "sundial"], "Invalid value for '--clock'"),
        (["--time-scale", "0"], "Invalid value for '--time-scale'"),
    ],
)
def test_bad_flags_fail_with_a_clear_message(args, message):
    result = subprocess.run([sys.executable, "-m", "edgesim", "serve", *args], capture_output=True, text=True, timeout=30)
    assert result.returncode != 0
    assert message in result.stderr
    assert "Traceback" not in result.stderr


def test_broken_config_names_the_file_and_field(tmp_path):
    (tmp_path / "fleet.toml").write_text('[fleet]\nproject_id = "0605767a3300d5762fb7c0186d2a0a1f"\nnodes = -1\n')
    result = subprocess.run([sys.executable, "-m", "edgesim", "serve", "--config", str(tmp_path)], capture_output=True, text=True, timeout=30)
    assert result.returncode != 0
    assert "fleet.nodes" in result.stderr


def test_a_real_clock_can_be_sped_up_at_run_time():
    server = ServeProcess("--db", ":memory:")
    try:
        status, body = _request(server.url + "/edgesim/clock/scale", "POST", {"scale": 600})
        assert (status, body["scale"], body["mode"]) == (200, 600, "real")
        status, body = _request(server.url + "/edgesim/clock/scale", "POST", {"scale": 0})
        assert (status, body["error_code"]) == (400, "EDGESIM.0400")
    finally:
        server.kill()
    virtual = ServeProcess("--db", ":memory:", "--clock", "virtual")
    try:
        status, body = _request(virtual.url + "/edgesim/clock/scale", "POST", {"scale": 2})
        assert (status, body["error_code"]) == (409, "EDGESIM.0409")
    finally:
        virtual.kill()
