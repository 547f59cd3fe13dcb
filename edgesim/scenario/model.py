"""The scenario language: a YAML timeline of IEF calls, faults and expectations.

    name: node loss in a group
    seed: 7
    fleet: {nodes: 3, groups: {site: 3}, profile: {cpu: [4, 4]}, name_prefix: site}
    behaviors: [{match: "*", pull: {seconds: 2}, start: {seconds: 1}}]
    steps:
      - at: 0s
        call: POST /v2/${project_id}/edgemgr/deployments
        body: {deployment: {...}}
        save: {dep: deployment.id, node: deployment.instances[0].node_id}
      - at: 100s
        fault: {kind: node_partition, target: {node_ids: ["${node}"]}, duration: 300}
      - at: 5m
        expect: {deployment: "${dep}", state: RUNNING, count: 1, within: 60s}

Times: ``90``, ``90s``, ``5m``, ``1h30m``. ``${name}`` is replaced by a value saved earlier
or a built-in (``project_id``, ``nodes``, ``groups``, ``group_nodes``; ``${nodes[0]}`` and
``${group_nodes.site[1]}`` index into lists). ``parse`` reports a malformed file with its line.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Annotated, Any

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

LINE = "__line__"
DURATION = re.compile(r"^\s*(?:(\d+(?:\.\d+)?)h)?\s*(?:(\d+(?:\.\d+)?)m(?!s))?\s*(?:(\d+(?:\.\d+)?)s?)?\s*$")


class ScenarioError(Exception):
    """A scenario file that cannot be run; the message says where."""


def seconds(value: Any) -> float:
    """90 -> 90.0, "90s" -> 90.0, "5m" -> 300.0, "1h30m" -> 5400.0."""
    if isinstance(value, bool):
        raise ValueError(f"{value!r} is not a time")
    if isinstance(value, (int, float)):
        if value < 0:
            raise ValueError("a time must not be negative")
        return float(value)
    match = DURATION.match(str(value)) if isinstance(value, str) and value.strip() else None
    if match is None or not any(match.groups()):
        raise ValueError(f"{value!r} is not a time like 90s, 5m or 1h30m")
    hours, minutes, secs = (float(g) if g else 0.0 for g in match.groups())
    return hours * 3600 + minutes * 60 + secs


Time = Annotated[float, Field(ge=0)]


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Expectation(_Model):
    """What must hold (now, or at some point ``within`` seconds from the step's time).

    One subject per expectation: a deployment's instances, a node, or events."""

    deployment: str | None = None
    state: str | None = None  # every counted instance (or the node) is in this state
    count: Annotated[int, Field(ge=0)] | None = None  # instances (in ``state`` if given)
    ready: Annotated[int, Field(ge=0)] | None = None  # instances RUNNING and ready
    node: str | None = None  # the node's state, or (with deployment) where instances run
    event: dict[str, Any] | None = None  # an event with these fields happened
    events: Annotated[int, Field(ge=0)] | None = None  # with ``event``: exactly this many
    within: Time | None = None
    save: dict[str, str] = {}  # name -> path into the inspected object (deployment or node)

    _within = field_validator("within", mode="before")(lambda v: None if v is None else seconds(v))

    @model_validator(mode="after")
    def _one_subject(self) -> Expectation:
        subjects = [self.deployment is not None, self.event is not None, self.node is not None and self.deployment is None]
        if sum(subjects) != 1:
            raise ValueError("an expectation checks one subject: deployment, node or event")
        if self.event is not None and (self.state or self.count is not None or self.ready is not None):
            raise ValueError("an event expectation takes only event, events and within")
        if self.events is not None and self.event is None:
            raise ValueError("events counts events: give event too")
        return self


class Step(_Model):
    at: Time | None = None
    line: int = 0
    call: Annotated[str, Field(pattern=r"^(GET|POST|PUT|DELETE|PATCH) /\S*$")] | None = None
    body: Any = None
    headers: dict[str, str] = {}
    status: int | list[int] | None = None  # the status the call must answer (default: any 2xx)
    fault: dict[str, Any] | None = None
    expect: Expectation | None = None
    save: dict[str, str] = {}  # name -> path into the call's answer (calls and faults)
    note: str | None = None

    _at = field_validator("at", mode="before")(lambda v: None if v is None else seconds(v))

    @model_validator(mode="after")
    def _one_action(self) -> Step:
        if sum(x is not None for x in (self.call, self.fault, self.expect)) != 1:
            raise ValueError("a step is exactly one of call, fault or expect")
        if self.body is not None and self.call is None:
            raise ValueError("body goes with call")
        return self


class Scenario(_Model):
    name: Annotated[str, Field(min_length=1)]
    description: str | None = None
    seed: int = 0
    fleet: dict[str, Any] | None = None  # the POST /edgesim/fleet body, made at t=0
    behaviors: list[dict[str, Any]] | None = None  # the PUT /edgesim/behaviors body, at t=0
    steps: Annotated[list[Step], Field(min_length=1)]
    path: str = ""


class _LineLoader(yaml.SafeLoader):
    """Remembers the line of every mapping, so errors can point at it."""

    def construct_mapping(self, node, deep=False):
        mapping = super().construct_mapping(node, deep=deep)
        mapping[LINE] = node.start_mark.line + 1
        return mapping


def _strip_lines(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _strip_lines(v) for k, v in value.items() if k != LINE}
    if isinstance(value, list):
        return [_strip_lines(v) for v in value]
    return value


def _line_of(data: Any, loc: tuple) -> int | None:
    line, node = None, data
    for part in loc:
        if isinstance(node, dict):
            line = node.get(LINE, line)
            node = node.get(part)
        elif isinstance(node, list) and isinstance(part, int) and part < len(node):
            node = node[part]
        else:
            break
    if isinstance(node, dict):
        line = node.get(LINE, line)
    return line


def parse(text: str, path: str = "<scenario>") -> Scenario:
    try:
        data = yaml.load(text, Loader=_LineLoader)  # noqa: S506 - a SafeLoader subclass
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"{path}:{mark.line + 1}" if mark else path
        raise ScenarioError(f"{where}: not valid YAML: {getattr(exc, 'problem', exc)}") from None
    if not isinstance(data, dict):
        raise ScenarioError(f"{path}:1: a scenario is a mapping with name and steps")
    for step in data.get("steps") or []:
        if isinstance(step, dict):
            step["line"] = step.get(LINE, 0)
    try:
        scenario = Scenario.model_validate({**_strip_lines(data), "path": path})
    except ValidationError as exc:
        error = exc.errors()[0]
        line = _line_of(data, error["loc"]) or 1
        where = ".".join(str(p) for p in error["loc"])
        message = error["msg"].removeprefix("Value error, ")
        raise ScenarioError(f"{path}:{line}: {where + ': ' if where else ''}{message}") from None
    _fill_times(scenario)
    return scenario


def _fill_times(scenario: Scenario) -> None:
    """A step without ``at`` happens at the time of the step before; time never goes back."""
    at = 0.0
    for index, step in enumerate(scenario.steps):
        if step.at is None:
            step.at = at
        elif step.at < at:
            raise ScenarioError(
                f"{scenario.path}:{step.line}: steps.{index}.at: {step.at:g}s comes before the step "
                f"before it ({at:g}s); keep steps in time order"
            )
        at = step.at


def load(path: str | Path) -> Scenario:
    try:
        text = Path(path).read_text()
    except OSError as exc:
        raise ScenarioError(f"{path}: {exc.strerror}") from None
    return parse(text, str(path))

