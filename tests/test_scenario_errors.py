"""Malformed scenario files: ``edgesim run`` names file, line, field and problem and exits 2.

Never a traceback, never a run that eats the machine: alias bombs, deep nesting and duplicate
keys are refused by the loader before anything is built from the document.
"""

from __future__ import annotations

import re

import pytest
from click.testing import CliRunner

from edgesim.scenario.commands import run
from edgesim.scenario.loader import MAX_VALUES
from edgesim.scenario.model import ScenarioError, parse

STEP = "steps:\n  - call: GET /edgesim/health\n"

MALFORMED = [
    # (what, file contents, the line, the field, words of the problem)
    ("steps is a number", "name: x\nsteps: 5\n", 2, "steps", "list"),
    ("invalid UTF-8", b"name: x\nsteps:\n  - call: GET /caf\xe9\n", 3, "steps.0.call", "UTF-8"),
    ("10,000 nested brackets", "name: x\nsteps: " + "[" * 10_000 + "]" * 10_000 + "\n", 2, "steps", "deeper than"),
    ("at is infinite", "name: x\nsteps:\n  - at: .inf\n    call: GET /edgesim/health\n", 3, "steps.0.at", "beyond"),
    ("at is past the clock's range", "name: x\nsteps:\n  - at: 99999999999h\n    call: GET /edgesim/health\n",
     3, "steps.0.at", "beyond"),
    ("at is a huge integer", "name: x\nsteps:\n  - at: " + "9" * 400 + "\n    call: GET /edgesim/health\n",
     3, "steps.0.at", "beyond"),
    ("a bad fleet", "name: x\nfleet: {nodes: -1}\n" + STEP, 2, "fleet.nodes", "greater than or equal to 0"),
    ("a fleet the server refuses", "name: x\nfleet: {nodes: 1, project_id: nope}\n" + STEP, 2, "fleet",
     "not a configured project"),
    ("bad behaviors", "name: x\nbehaviors:\n  - match: '*'\n    pull: {seconds: fast}\n" + STEP, 4,
     "behaviors.0.pull.seconds", "number"),
    ("a body that is not JSON", "name: x\nsteps:\n  - call: POST /edgesim/fleet\n    body: !!set {a: null}\n",
     4, "steps.0.body", "JSON"),
    ("a duplicate top-level key", "name: x\nname: y\n" + STEP, 2, "name", "duplicate key (first on line 1)"),
    ("a duplicate key in a step", "name: x\nsteps:\n  - call: GET /a\n    call: GET /b\n", 4, "steps.0.call",
     "duplicate key (first on line 3)"),
    ("an alias to itself", "name: x\nsteps: &s [*s]\n", 2, "steps.0", "inside the value it names"),
]


def run_file(tmp_path, contents: str | bytes):
    path = tmp_path / "x.yaml"
    if isinstance(contents, str):
        path.write_text(contents)
    else:
        path.write_bytes(contents)
    return path, CliRunner().invoke(run, [str(path)])


@pytest.mark.parametrize(("contents", "line", "field", "problem"), [m[1:] for m in MALFORMED], ids=[m[0] for m in MALFORMED])
def test_a_malformed_file_names_line_field_and_problem_and_exits_2(tmp_path, contents, line, field, problem):
    path, result = run_file(tmp_path, contents)
    assert result.exit_code == 2, (result.output, result.exception)
    assert re.fullmatch(rf"Error: {re.escape(str(path))}:{line}: {re.escape(field)}: .*\n", result.output), result.output
    assert problem in result.output
    assert "Traceback" not in result.output


def billion_laughs(levels: int = 9, width: int = 10) -> str:
    lines = ['name: lol', 'a0: &a0 ["lol"]']
    lines += [f"a{i}: &a{i} [{', '.join([f'*a{i - 1}'] * width)}]" for i in range(1, levels + 1)]
    return "\n".join(lines) + "\n" + STEP


def test_an_alias_bomb_is_refused_before_it_expands():
    with pytest.raises(ScenarioError) as refused:
        parse(billion_laughs(), "lol.yaml")
    assert re.match(rf"lol\.yaml:\d+: a\d: .*more than {MAX_VALUES} values", str(refused.value)), refused.value


def test_aliases_within_the_limit_still_work():
    scenario = parse("name: &n web\ndescription: *n\nsteps:\n  - call: GET /a\n    note: *n\n", "x.yaml")
    assert (scenario.description, scenario.steps[0].note) == ("web", "web")


def test_merge_keys_are_not_duplicates():
    text = "name: x\nsteps:\n  - &base {call: GET /a, note: first}\n  - <<: *base\n    note: second\n"
    assert [s.note for s in parse(text, "x.yaml").steps] == ["first", "second"]
