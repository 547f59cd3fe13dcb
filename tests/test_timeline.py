"""The timeline page (edgesim.ui.timeline): bands, fault spans, migrations, expectations."""

from __future__ import annotations

import re

from edgesim.ui import palette
from edgesim.ui.timeline import render_timeline
from edgesim.ui.timeline_model import build


def ev(seq: int, t: float, kind: str, **fields) -> dict:
    return {"seq": seq, "time": t, "timestamp": f"2026-01-01T00:00:{int(t) % 60:02d}Z", "kind": kind, **fields}


def failover_log() -> list[dict]:
    """A deployment whose only instance loses its node and is recreated on another one."""
    return [
        ev(1, 0, "node.registered", node_id="n1", name="edge-<1>", state="RUNNING"),
        ev(2, 0, "node.registered", node_id="n2", name="edge-2", state="RUNNING"),
        ev(3, 1, "deployment.created", deployment_id="d1", name="web & co"),
        ev(4, 1, "instance.created", instance_id="i1", deployment_id="d1", node_id="n1", state="PENDING_CREATE"),
        ev(5, 4, "instance.state", instance_id="i1", deployment_id="d1", node_id="n1", **{"from": "PENDING_CREATE", "to": "RUNNING"}, ready=False),
        ev(6, 6, "instance.ready", instance_id="i1", deployment_id="d1", node_id="n1", ready=True),
        ev(7, 10, "fault.started", fault_id="f1", fault_kind="node_partition", nodes=["n1"]),
        ev(8, 50, "node.state", node_id="n1", **{"from": "RUNNING", "to": "FAIL"}),
        ev(9, 50, "instance.state", instance_id="i1", deployment_id="d1", node_id="n1", **{"from": "RUNNING", "to": "UNKNOWN"}, ready=True),
        ev(10, 110, "instance.created", instance_id="i2", deployment_id="d1", node_id="n2", state="PENDING_CREATE"),
        ev(11, 110, "instance.migrated", instance_id="i1", new_instance_id="i2", deployment_id="d1", from_node="n1", to_node="n2"),
        ev(12, 113, "instance.state", instance_id="i2", deployment_id="d1", node_id="n2", **{"from": "PENDING_CREATE", "to": "RUNNING"}, ready=True),
        ev(13, 130, "fault.ended", fault_id="f1", fault_kind="node_partition"),
        ev(14, 130, "node.state", node_id="n1", **{"from": "FAIL", "to": "RUNNING"}),
        ev(15, 130, "instance.removed", instance_id="i1", deployment_id="d1"),
        ev(16, 150, "instance.exited", instance_id="i2", deployment_id="d1", node_id="n2", code=1, reason="Error"),
    ]


def test_the_model_replays_states_faults_and_migrations():
    t = build(failover_log())
    assert (t.start, t.end) == (0, 150)
    [dep] = t.deployments
    assert dep.name == "web & co"
    first, second = dep.lanes
    assert [(b.start, b.end, b.state, b.ready) for b in first.bands] == [
        (1, 4, "PENDING_CREATE", False), (4, 6, "RUNNING", False), (6, 50, "RUNNING", True), (50, 130, "UNKNOWN", True),
    ]
    assert first.nodes == ["n1"] and first.gone_at == 130
    assert [(b.state, b.end) for b in second.bands] == [("PENDING_CREATE", 113), ("RUNNING", None)]
    [fault] = t.faults
    assert (fault.kind, fault.start, fault.end, fault.nodes) == ("node_partition", 10, 130, ["n1"])
    [m] = t.migrations
    assert (m.time, m.from_instance, m.to_instance, m.from_node, m.to_node) == (110, "i1", "i2", "n1", "n2")
    [node] = t.nodes  # n2 never changed state: no lane for it
    assert [b.state for b in node.bands] == ["RUNNING", "FAIL", "RUNNING"]
    assert [(m.kind, m.instance_id) for m in t.marks] == [("exit", "i2")]
    assert t.epoch == "2026-01-01T00:00:00+00:00"


def test_the_page_draws_bands_faults_arrows_and_expectations():
    html = render_timeline(failover_log(), title="failover <test>", expectations=[
        {"time": 20, "description": "web is up", "passed": True},
        {"time": 120, "description": "web moved <fast>", "passed": False},
    ])
    bands = re.findall(r'<rect class="band" data-state="(\w+)"[^>]* fill="(#[0-9a-f]{6})"', html)
    assert ("RUNNING", palette.RUNNING_NOT_READY) in bands
    assert ("RUNNING", palette.INSTANCE["RUNNING"]) in bands
    assert ("UNKNOWN", palette.INSTANCE["UNKNOWN"]) in bands
    assert ("FAIL", palette.NODE["FAIL"]) in bands  # the node's own lane
    assert html.count('<g class="fault"') == 1 and "node_partition" in html
    assert html.count('<g class="migration">') == 1 and 'marker-end="url(#arrow)"' in html
    assert "edge-&lt;1&gt; → edge-2" in html  # the arrow's tip names the nodes
    assert html.count('class="expectation pass"') == 1 and html.count('class="expectation fail"') == 1
    assert "1/2 expectations passed" in html
    assert "web moved &lt;fast&gt;" in html and "failover &lt;test&gt;" in html and "<test>" not in html
    assert html.count('<g class="mark exit">') == 1


def test_the_page_is_self_contained_and_deterministic():
    html = render_timeline(failover_log(), title="t")
    assert html.startswith("<!DOCTYPE html>")
    assert "<script" not in html and "src=" not in html and "@import" not in html
    assert re.findall(r"https?://[^\s\"']+", html) == ["http://www.w3.org/2000/svg"]  # a namespace, not a fetch
    assert html == render_timeline(failover_log(), title="t")


def test_a_window_clips_bands_and_drops_what_lies_outside():
    html = render_timeline(failover_log(), title="t", start=115, end=140)
    assert '<g class="migration">' not in html and "window 1:55 – 2:20" in html
    t = build(failover_log(), 115, 140)
    assert [m.time for m in t.migrations] == []  # at 110, before the window
    assert [len(d.lanes) for d in t.deployments] == [2]  # both instances lived in it
    assert build(failover_log(), 200, 300).deployments[0].lanes[0].id == "i2"  # still running
    early = build(failover_log(), 0, 3)
    assert [ln.id for ln in early.deployments[0].lanes] == ["i1"] and early.faults == []


def test_an_expectation_after_the_last_event_widens_the_window():
    html = render_timeline(failover_log(), title="t", expectations=[{"time": 600, "description": "late", "passed": True}])
    assert "window 0s – 10:00" in html


def test_an_empty_log_still_makes_a_page():
    html = render_timeline([], title="nothing")
    assert "nothing happened in this window" in html and "<svg" in html
