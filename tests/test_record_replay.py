"""Record a live session with ``edgesim serve --record``, replay it, convert it to a scenario."""

from __future__ import annotations

import json
import subprocess
import sys
import time
import urllib.request

import pytest

from processes import ServeProcess

pytestmark = pytest.mark.slow
TOKEN = {"X-Auth-Token": "edgesim-dev-token", "Content-Type": "application/json"}


def call(url, method, path, body=None):
    request = urllib.request.Request(url + path, data=None if body is None else json.dumps(body).encode(), method=method, headers=TOKEN)
    try:
        with urllib.request.urlopen(request) as response:
            raw = response.read()
            return response.status, json.loads(raw) if raw else None
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read())


def edgesim(*args):
    return subprocess.run([sys.executable, "-m", "edgesim", *args], capture_output=True, text=True, timeout=120)


def session(url: str, advance) -> None:
    """A user's session: deployments, a bad request, an update, a fault, a delete."""
    project = "/v2/0605767a3300d5762fb7c0186d2a0a1f/edgemgr"
    nodes = [n["id"] for n in call(url, "GET", project + "/nodes")[1]["nodes"]]
    status, created = call(url, "POST", project + "/deployments", {"deployment": {
        "name": "web", "node_ids": [nodes[0]], "app": {"name": "web", "image_url": "nginx", "liveness_probe": {"exec_command": "ok"}}}})
    assert status == 201
    dep = created["deployment"]["id"]
    assert call(url, "POST", project + "/deployments", {"deployment": {"name": "BAD"}})[0] == 400
    advance(30)
    assert call(url, "PUT", project + f"/deployments/{dep}", {"deployment": {"image_url": "nginx:2"}})[0] == 200
    call(url, "POST", "/edgesim/chaos/faults", {"kind": "probe_failure", "target": {"deployment_id": dep}, "duration": 60})
    call(url, "POST", "/edgesim/chaos/faults", {"kind": "node_partition", "target": {"node_ids": [nodes[1]]}, "duration": 100})
    advance(200)
    call(url, "POST", project + "/deployments", {"deployment": {
        "name": "worker", "node_ids": [nodes[1]], "app": {"name": "worker", "image_url": "busybox"}}})
    advance(20)
    assert call(url, "DELETE", project + f"/deployments/{dep}")[0] == 204
    advance(10)


def test_a_virtual_clock_session_replays_to_an_identical_event_log(tmp_path):
    recording = tmp_path / "session.jsonl"
    server = ServeProcess("--db", str(tmp_path / "s.db"), "--clock", "virtual", "--seed", "9", "--record", str(recording))
    session(server.url, lambda s: call(server.url, "POST", "/edgesim/clock/advance", {"seconds": s}))
    code, _ = server.interrupt()
    assert code == 0
    result = edgesim("replay", str(recording))
    assert result.returncode == 0, result.stdout + result.stderr
    assert "replay matches" in result.stdout
    events = sum(1 for line in recording.read_text().splitlines() if '"event"' in line)
    assert f"{events} events identical" in result.stdout

    scenario = tmp_path / "session.yaml"
    assert edgesim("convert", str(recording), "-o", str(scenario)).returncode == 0
    ran = edgesim("run", str(scenario))
    assert ran.returncode == 0, ran.stdout + ran.stderr
    assert "0 failed" in ran.stdout


def test_a_real_clock_session_replays_on_a_virtual_clock(tmp_path):
    recording = tmp_path / "real.jsonl"
    server = ServeProcess("--db", str(tmp_path / "r.db"), "--time-scale", "200", "--record", str(recording))

    def wait(seconds):  # simulated seconds at 200x: 0.15 s of wall time for 30
        time.sleep(seconds / 200)

    session(server.url, wait)
    server.interrupt()
    result = edgesim("replay", str(recording))
    assert result.returncode == 0, result.stdout + result.stderr
    assert "replay matches" in result.stdout


def test_a_tampered_recording_is_caught(tmp_path):
    recording = tmp_path / "t.jsonl"
    server = ServeProcess("--db", str(tmp_path / "t.db"), "--clock", "virtual", "--record", str(recording))
    session(server.url, lambda s: call(server.url, "POST", "/edgesim/clock/advance", {"seconds": s}))
    server.interrupt()
    lines = recording.read_text().splitlines()
    tampered = [line.replace('"to":"RUNNING"', '"to":"FAILED"', 1) if '"to":"RUNNING"' in line else line for line in lines]
    recording.write_text("\n".join(tampered) + "\n")
    result = edgesim("replay", str(recording))
    assert result.returncode == 1 and "event logs differ" in result.stdout
    (tmp_path / "bad.jsonl").write_text("not json\n")
    bad = edgesim("replay", str(tmp_path / "bad.jsonl"))
    assert bad.returncode != 0 and "bad.jsonl:1" in bad.stderr
