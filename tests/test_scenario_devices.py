"""Scenario steps for devices and routes: device templates and devices bound to a node, twin
desired values, expectations on reported values (with a tolerance) and on rule counts; each
field accepted and refused with its line, and the shipped cold-room story run twice."""

from __future__ import annotations

from pathlib import Path

import pytest

from edgesim.scenario.model import ScenarioError, load, parse
from edgesim.scenario.runner import run_scenario

COLD_ROOM = Path(__file__).parent.parent / "scenarios" / "cold-room-sensors.yaml"

HEAD = """name: devices
device_behaviors:
  - {match: "probe-*", report_every: 10, apply_delay: 5, properties: {temp: {kind: constant, value: 7.25}}}
steps:
  - device_template: {name: probe, properties: {temp: float, mode: string, power: boolean}}
    save: {tpl: id}
  - device: {name: probe-1, template: "${tpl}", node: "${nodes[0]}", attributes: {site: cold}}
    save: {dev: id, node: node_id}
"""


async def outcomes(text: str) -> list[tuple[bool, str]]:
    result = await run_scenario(parse(HEAD + text, "d.yaml"))
    return [(o.passed, o.message) for o in result.outcomes]


async def test_the_cold_room_story_passes_with_exact_counts_and_the_same_log_twice():
    first = await run_scenario(load(COLD_ROOM))
    assert [o.message for o in first.outcomes if not o.passed] == []
    messages = [o.message for o in first.outcomes]
    assert "rule cold-room-commands: 100 delivered, 70 failed" in messages  # failing since 100 s
    assert "rule cold-room-commands: 220 delivered, 80 failed" in messages  # the 80 s of FAIL
    second = await run_scenario(load(COLD_ROOM))
    assert first.events == second.events


async def test_reported_values_within_the_tolerance_pass_and_outside_it_fail():
    got = await outcomes("""  - at: 1s
    expect: {device: "${dev}", reported: {temp: 7.25}}
  - expect: {device: "${dev}", reported: {temp: 7}, tolerance: 0.25}
  - expect: {device: "${dev}", reported: {temp: 7}, tolerance: 0.2}
  - expect: {device: "${dev}", reported: {temp: "7.25"}}
  - expect: {device: "${dev}", state: offline}
  - expect: {device: nope, state: online}
""")
    assert [p for p, _ in got] == [True, True, False, True, False, False]
    assert got[2][1] == "device probe-1 is online; reported temp=7.25"
    assert got[5][1] == "device nope does not exist"


async def test_twin_desired_values_are_reported_after_the_apply_delay():
    got = await outcomes("""  - at: 10s
    twin: {device: "${dev}", desired: {mode: eco, power: true}}
  - at: 14s
    expect: {device: "${dev}", reported: {power: true}}
  - at: 15s
    expect: {device: "${dev}", reported: {power: true, mode: eco}}
  - twin: {device: "${dev}", desired: {power: 3}}
""")
    assert [p for p, _ in got] == [False, True, False]
    assert "answered 400" in got[2][1] and "boolean" in got[2][1]  # the server's own rule


async def test_the_device_step_binds_to_the_node_and_saves_the_device():
    result = await run_scenario(parse(HEAD + "  - at: 1s\n    expect: {node: \"${node}\", state: RUNNING}\n", "d.yaml"))
    assert [o.passed for o in result.outcomes] == [True]
    assert [e["kind"] for e in result.events if e["kind"].startswith("device.")] == [
        "device.created", "device.bound", "device.online", "device.reported"]


async def test_rule_counts_are_expected_exactly():
    got = await outcomes("""  - call: GET /v2/${project_id}/routemgr/endpoints?is_shared=true
    save: {bus: "endpoints[0].id", rest: "endpoints[1].id"}
  - call: POST /v2/${project_id}/routemgr/rules
    body: {rule: {name: r, source: "${rest}", source_resource: {path: /}, target: "${bus}",
                  target_resource: {topic: /t, node_id: "${nodes[0]}"}}}
    save: {r: rule.id}
  - at: 30s
    expect: {rule: "${r}", delivered: 30, failed: 0}
  - expect: {rule: "${r}", delivered: 29}
  - expect: {rule: nope, failed: 0}
""")
    assert got == [(True, "rule r: 30 delivered, 0 failed"), (False, "rule r: 30 delivered, 0 failed"),
                   (False, "rule nope does not exist")]


@pytest.mark.parametrize(("step", "field", "words"), [
    ("device: {name: d, nodes: x}", "steps.0.device.nodes", "Extra inputs are not permitted"),
    ("device_template: {name: t, properties: {a: double}}", "steps.0.device_template.properties.a", "'string'"),
    ("twin: {device: d, desired: {}}", "steps.0.twin.desired", "at least 1"),
    ("twin: {device: d, desired: {a: 1}, wanted: {a: 1}}", "steps.0.twin.wanted", "Extra inputs"),
    ("device: {name: d}\n    call: GET /x", "steps.0", "exactly one of call, fault, expect, device_template"),
    ("expect: {device: d, reported: {a: 1}, tolerance: -1}", "steps.0.expect.tolerance", "greater than or equal"),
    ("expect: {device: d, tolerance: 1}", "steps.0.expect", "tolerance goes with reported"),
    ("expect: {reported: {a: 1}}", "steps.0.expect", "give device too"),
    ("expect: {device: d}", "steps.0.expect", "checks state and/or reported"),
    ("expect: {device: d, state: RUNNING}", "steps.0.expect", "online or offline"),
    ("expect: {device: d, count: 1}", "steps.0.expect", "a device expectation takes"),
    ("expect: {device: d, node: n, state: online}", "steps.0.expect", "one subject"),
    ("expect: {rule: r}", "steps.0.expect", "delivered and/or failed"),
    ("expect: {delivered: 1}", "steps.0.expect", "give rule too"),
    ("expect: {rule: r, failed: -1}", "steps.0.expect.failed", "greater than or equal"),
    ("expect: {rule: r, failed: 1, state: RUNNING}", "steps.0.expect", "a rule expectation takes"),
])
def test_malformed_device_steps_name_line_field_and_problem(step, field, words):
    with pytest.raises(ScenarioError) as caught:
        parse(f"name: x\nsteps:\n  - {step}\n", "x.yaml")
    assert str(caught.value).startswith(f"x.yaml:3: {field}: "), caught.value
    assert words in str(caught.value)


def test_bad_device_behaviors_stop_the_file_with_their_line():
    text = "name: x\ndevice_behaviors:\n  - {match: '*', report_every: soon}\nsteps:\n  - call: GET /x\n"
    with pytest.raises(ScenarioError, match=r"^x.yaml:3: device_behaviors.0.report_every: "):
        parse(text, "x.yaml")
