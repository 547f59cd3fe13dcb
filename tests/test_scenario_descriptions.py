"""Each expectation reads in `edgesim run`'s report and the JUnit file as it was written in
YAML (``expect event kind=node.state to=FAIL, within=300s``), never as a Python dict."""

from __future__ import annotations

import xml.etree.ElementTree as ET

from click.testing import CliRunner

from edgesim.cli import main
from edgesim.scenario.describe import flow
from edgesim.scenario.model import parse
from edgesim.scenario.runner import run_scenario

STORY = """
name: described
steps:
  - call: POST /edgesim/nodes/${nodes[0]}/disconnect
  - expect: {event: {kind: node.state, to: FAIL}, within: 5m}
  - expect: {event: {kind: node.silent}, events: 1}
  - expect: {node: "${nodes[0]}", state: FAIL}
"""


async def test_an_event_expectation_reads_as_written():
    result = await run_scenario(parse(STORY, "described.yaml"))
    assert [o.passed for o in result.outcomes] == [True, True, True]
    described = [o.description for o in result.outcomes]
    assert described[0] == "expect event kind=node.state to=FAIL, within=300s"
    assert described[1] == "expect event kind=node.silent, events=1"
    assert described[2].startswith("expect node=") and described[2].endswith(" state=FAIL")
    assert not any("{'" in d or "':" in d for d in described)


def test_edgesim_run_and_its_junit_show_the_same_words(tmp_path):
    story, junit = tmp_path / "described.yaml", tmp_path / "junit.xml"
    story.write_text(STORY)
    done = CliRunner().invoke(main, ["run", str(story), "--junit", str(junit)])
    assert done.exit_code == 0, done.output
    assert "PASS" in done.output and "expect event kind=node.state to=FAIL, within=300s" in done.output
    names = [case.get("name") for case in ET.parse(junit).iter("testcase")]
    assert any(name.endswith("expect event kind=node.silent, events=1") for name in names), names
    assert not any("{'" in name for name in names)


def test_values_read_as_yaml_flow():
    assert flow({"to": "FAIL", "n": [1, 2.5], "ok": True, "none": None}) == "{to: FAIL, n: [1, 2.5], ok: true, none: null}"
    assert flow("two words") == '"two words"' and flow("") == '""' and flow(30.0) == "30"
