"""Scenarios: every shipped one passes; broken ones fail usefully; malformed files name their line."""

from __future__ import annotations

import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import orjson
import pytest

from edgesim.scenario.model import ScenarioError, parse, seconds
from edgesim.scenario.runner import run_scenario
from edgesim.settings import load_settings

SCENARIOS = Path(__file__).parent.parent / "scenarios"
SHIPPED = sorted(SCENARIOS.glob("*.yaml"))


def test_there_are_at_least_six_stories():
    assert len(SHIPPED) >= 6


@pytest.mark.parametrize("path", SHIPPED, ids=[p.stem for p in SHIPPED])
async def test_shipped_scenario_passes(path):
    from edgesim.scenario.model import load

    result = await run_scenario(load(path))
    failures = [f"line {o.line}: {o.description}: {o.message}" for o in result.outcomes if not o.passed]
    assert failures == []
    assert result.passed >= 3


async def test_same_scenario_same_event_log():
    from edgesim.scenario.model import load

    first = await run_scenario(load(SHIPPED[0]))
    second = await run_scenario(load(SHIPPED[0]))
    assert first.events == second.events


BROKEN = """
name: broken expectation
steps:
  - call: POST /v2/${project_id}/edgemgr/deployments
    body: {deployment: {name: web, node_ids: ["${nodes[0]}"], app: {name: web, image_url: nginx}}}
    save: {web: deployment.id}
  - at: 1s
    expect: {deployment: "${web}", state: RUNNING, count: 1}
  - expect: {deployment: "${web}", state: RUNNING, within: 30s}
  - call: GET /v2/${project_id}/edgemgr/deployments/nope
  - expect: {node: "${nodes[0]}", state: FAIL, within: 10s}
  - expect: {deployment: "${missing}", state: RUNNING}
"""


async def test_a_broken_expectation_fails_with_a_useful_message():
    result = await run_scenario(parse(BROKEN, "broken.yaml"))
    outcomes = [(o.line, o.passed, o.time) for o in result.outcomes]
    assert outcomes[0][:2] == (7, False) and outcomes[1][:2] == (9, True)
    assert "PENDING_CREATE (ContainerCreating) on edge-node-001" in result.outcomes[0].message
    assert result.outcomes[2].line == 10 and "answered 404" in result.outcomes[2].message
    assert (result.outcomes[3].passed, result.outcomes[3].time) == (False, result.outcomes[1].time + 10)
    assert "is RUNNING" in result.outcomes[3].message
    assert "'missing'" in result.outcomes[4].message
    assert result.failed == 4


@pytest.mark.parametrize(
    ("text", "where"),
    [
        ("name: x\nsteps:\n  - at: 10s\n    call: GET /x\n  - at: 5s\n    call: GET /y\n", "x.yaml:5"),
        ("name: x\nsteps:\n  - call: FETCH /x\n", "x.yaml:3"),
        ("name: x\nsteps:\n  - call: GET /x\n    expect: {node: n}\n", "x.yaml:3"),
        ("name: x\nsteps:\n  - at: soon\n    call: GET /x\n", "x.yaml:3"),
        ("name: x\nsteps:\n  - expect: {state: RUNNING}\n", "x.yaml:3"),
        ("name: x\nsteps: [\n", "x.yaml:"),
        ("steps:\n  - call: GET /x\n", "x.yaml:1"),
        ("name: x\nsteps: []\n", "x.yaml:1"),
        ("- just a list\n", "x.yaml:1"),
        ("name: x\nsurprise: 1\nsteps:\n  - call: GET /x\n", "surprise"),
    ],
)
def test_malformed_scenarios_name_the_line(text, where):
    with pytest.raises(ScenarioError, match=where):
        parse(text, "x.yaml")


@pytest.mark.parametrize(("text", "value"), [(90, 90), ("90s", 90), ("5m", 300), ("1h30m", 5400), ("2.5m", 150), ("1h", 3600)])
def test_times(text, value):
    assert seconds(text) == value


@pytest.mark.slow
def test_run_command_reports_and_writes_events_and_junit(tmp_path):
    broken = tmp_path / "broken.yaml"
    broken.write_text(BROKEN)
    events, junit = tmp_path / "events.jsonl", tmp_path / "report.xml"
    good = subprocess.run([sys.executable, "-m", "edgesim", "run", str(SHIPPED[0]), "--events", str(events), "--junit", str(junit)],
                          capture_output=True, text=True, timeout=120)
    assert good.returncode == 0, good.stdout + good.stderr
    assert "0 failed" in good.stdout
    lines = [orjson.loads(line) for line in events.read_text().splitlines()]
    assert lines and all("scenario" in e and "kind" in e for e in lines)
    suite = ET.parse(junit).getroot().find("testsuite")
    assert suite.get("failures") == "0" and int(suite.get("tests")) >= 3
    bad = subprocess.run([sys.executable, "-m", "edgesim", "run", str(broken), "--junit", str(junit)],
                         capture_output=True, text=True, timeout=120)
    assert bad.returncode == 1
    assert "FAIL" in bad.stdout and "line 7" in bad.stdout
    assert ET.parse(junit).getroot().find("testsuite").get("failures") == "4"
    malformed = tmp_path / "m.yaml"
    malformed.write_text("name: m\nsteps:\n  - at: later\n    call: GET /x\n")
    result = subprocess.run([sys.executable, "-m", "edgesim", "run", str(malformed)], capture_output=True, text=True, timeout=60)
    assert result.returncode != 0 and "m.yaml:3" in result.stderr


@pytest.mark.slow
def test_html_timelines_name_nodes_and_bundle_several_scenarios(tmp_path):
    one, two = tmp_path / "one.html", tmp_path / "two.html"
    zone = next(p for p in SHIPPED if p.stem == "zone-outage")
    assert subprocess.run([sys.executable, "-m", "edgesim", "run", str(zone), "--html", str(one)],
                          capture_output=True, timeout=120).returncode == 0
    page = one.read_text()
    assert page.startswith("<!DOCTYPE html>") and "zone-a-001" in page and "<script src" not in page
    assert subprocess.run([sys.executable, "-m", "edgesim", "run", str(zone), str(SHIPPED[0]), "--html", str(two)],
                          capture_output=True, timeout=120).returncode == 0
    bundle = two.read_text()
    assert bundle.count("<iframe srcdoc=") == 2 and "a zone outage takes half a group down" in bundle


async def test_event_expectations_count_events_that_left_memory():
    """An event expectation counts the whole log, not only the recent window kept in memory."""
    from edgesim.scenario.model import load

    settings = load_settings()
    events = settings.simulation.events.model_copy(update={"memory_window": 5})
    settings = settings.model_copy(update={"simulation": settings.simulation.model_copy(update={"events": events})})
    result = await run_scenario(load(SCENARIOS / "crash-loop-recovery.yaml"), settings)
    assert [o.message for o in result.outcomes if not o.passed] == []
    assert len(result.events) > 5 * 2  # the log did outgrow the window


EVENTS = """
name: event expectations
steps:
  - call: POST /v2/${project_id}/edgemgr/deployments
    body: {deployment: {name: web, node_ids: ["${nodes[0]}"], app: {name: web, image_url: nginx}}}
    save: {web: deployment.id}
  - expect: {event: {kind: deployment.created, deployment_id: "${web}"}}
  - expect: {event: {kind: instance.exited, deployment_id: "${web}"}}
"""


async def test_an_event_expectation_says_what_it_found_not_what_it_lacked():
    result = await run_scenario(parse(EVENTS, "events.yaml"))
    found, missing = result.outcomes
    assert (found.passed, found.message) == (True, "1 such event")  # the PASS line: no "(no such event yet)"
    assert (missing.passed, missing.message) == (False, "no such event yet")
