"""``edgesim chaos add|list|rm`` and ``edgesim report`` against a running server."""

from __future__ import annotations

import json
import subprocess
import sys
import urllib.request

import pytest

from processes import ServeProcess

pytestmark = pytest.mark.slow


def edgesim(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "edgesim", *args], capture_output=True, text=True, timeout=60)


def post(url: str, body: dict) -> dict:
    request = urllib.request.Request(url, data=json.dumps(body).encode(), method="POST", headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request) as response:
        return json.loads(response.read())


def test_chaos_commands_and_report(tmp_path):
    server = ServeProcess("--db", str(tmp_path / "c.db"), "--clock", "virtual")
    try:
        node_id = post(server.url + "/edgesim/fleet", {"nodes": 1})["node_ids"][0]
        fault = json.dumps({"kind": "node_partition", "target": {"node_ids": [node_id]}, "start": 10, "duration": 100})
        added = edgesim("chaos", "add", fault, "--url", server.url)
        assert added.returncode == 0, added.stderr
        assert "node_partition" in added.stdout and "from 10s to 110s" in added.stdout
        fault_id = added.stdout.split()[1]
        listed = edgesim("chaos", "list", "--url", server.url)
        assert fault_id in listed.stdout and "scheduled" in listed.stdout
        post(server.url + "/edgesim/clock/advance", {"seconds": 200})
        report = edgesim("report", "--url", server.url)
        assert report.returncode == 0, report.stderr
        assert "down (s)" in report.stdout and "node-001" in report.stdout  # FAIL from 50 to 110
        as_json = json.loads(edgesim("report", "--url", server.url, "--json").stdout)
        assert as_json["nodes"][0]["id"] == node_id and as_json["nodes"][0]["down_seconds"] == 60
        assert edgesim("chaos", "rm", fault_id, "--url", server.url).returncode == 0
        assert fault_id not in edgesim("chaos", "list", "--url", server.url).stdout
        bad = edgesim("chaos", "add", '{"kind": "volcano"}', "--url", server.url)
        assert bad.returncode != 0 and "EDGESIM.0400" in bad.stderr
        not_json = edgesim("chaos", "add", "{oops", "--url", server.url)
        assert not_json.returncode != 0 and "not JSON" in not_json.stderr
    finally:
        server.kill()
