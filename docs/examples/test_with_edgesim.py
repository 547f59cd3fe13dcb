"""Copy me: testing code that talks to IEF, with edgesim as the backend.

`pip install edgesim` registers the `edgesim` pytest fixture. Each test gets its own simulator
(virtual clock, in-memory store, a default fleet of 5 nodes) at `edgesim.url`.
"""

import json
import urllib.request

import pytest


def ief(edgesim, method, path, body=None):
    """The client under test would do this; here a few lines of urllib."""
    request = urllib.request.Request(
        f"{edgesim.url}/v2/{edgesim.project_id}/edgemgr/{path}",
        data=None if body is None else json.dumps(body).encode(),
        method=method,
        headers={"X-Auth-Token": edgesim.token, "Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request) as response:
        raw = response.read()
        return json.loads(raw) if raw else None


def test_a_deployment_comes_up(edgesim):
    node_id = ief(edgesim, "GET", "nodes")["nodes"][0]["id"]
    created = ief(edgesim, "POST", "deployments", {"deployment": {
        "name": "web", "node_ids": [node_id], "app": {"name": "web", "image_url": "nginx:1.25"}}})
    dep_id = created["deployment"]["id"]

    def running():
        return ief(edgesim, "GET", f"deployments/{dep_id}")["deployment"]["instances"][0]["state"] == "RUNNING"

    edgesim.wait_for(running, within=30)  # simulated seconds: this takes milliseconds


@pytest.mark.edgesim(seed=7, nodes=3)
def test_a_node_crash_is_survived(edgesim):
    nodes = [n["id"] for n in ief(edgesim, "GET", "nodes")["nodes"]]
    assert len(nodes) == 3
    edgesim.inject({"kind": "node_crash", "target": {"node_ids": [nodes[0]]}, "duration": 120})
    edgesim.advance(60)
    assert ief(edgesim, "GET", f"nodes/{nodes[0]}")["node"]["state"] == "FAIL"
    edgesim.advance(120)
    assert ief(edgesim, "GET", f"nodes/{nodes[0]}")["node"]["state"] == "RUNNING"
    assert [e["to"] for e in edgesim.events(kind="node.state", node_id=nodes[0])] == ["FAIL", "RUNNING"]
