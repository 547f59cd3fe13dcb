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
``${group_nodes.site[1]}`` index into lists). ``parse`` reports a malformed file as
``file:line: field: problem``, before anything runs: the YAML (``loader``), the steps, and the
fleet and behaviours as the server will read them.
"""

from __future__ import annotations

import math
import re
from pathlib import Path
from typing import Annotated, Any

import orjson
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from edgesim.control.behaviors import PROFILES
from edgesim.control.device_behaviors import PROFILES as DEVICE_PROFILES
from edgesim.control.fleet import FleetRequest
from edgesim.control.routes import MAX_ADVANCE
from edgesim.scenario.device_steps import DeviceStep, DeviceTemplateStep, Scalar, TwinStep
from edgesim.scenario.loader import KEY_LINES, LINE, LoadError, load_yaml

# The runner reaches each step's time in one advance from 0, so no time may be past what one
# advance can cover.
MAX_TIME = MAX_ADVANCE
DURATION = re.compile(r"^\s*(?:(\d+(?:\.\d+)?)h)?\s*(?:(\d+(?:\.\d+)?)m(?!s))?\s*(?:(\d+(?:\.\d+)?)s?)?\s*$")


class ScenarioError(Exception):
    """A scenario file that cannot be run; the message says where."""


def seconds(value: Any) -> float:
    """90 -> 90.0, "90s" -> 90.0, "5m" -> 300.0, "1h30m" -> 5400.0; at most ``MAX_TIME``."""
    if isinstance(value, bool):
        raise ValueError(f"{value!r} is not a time")
    if isinstance(value, (int, float)):
        number = value
    else:
        match = DURATION.match(value) if isinstance(value, str) and value.strip() else None
        if match is None or not any(match.groups()):
            raise ValueError(f"{value!r} is not a time like 90s, 5m or 1h30m")
        hours, minutes, secs = (float(g) if g else 0.0 for g in match.groups())
        number = hours * 3600 + minutes * 60 + secs
    if isinstance(number, float) and math.isnan(number):
        raise ValueError(f"{value!r} is not a time")
    if number < 0:
        raise ValueError("a time must not be negative")
    if number > MAX_TIME:  # compares a huge int exactly, where float() would overflow
        raise ValueError(f"{value!r} is beyond the {MAX_TIME:g} simulated seconds (ten years) a scenario can cover")
    return float(number)


def sendable(value: Any) -> Any:
    """``value`` if it can be sent as JSON (a YAML set or an int past 64 bits cannot)."""
    try:
        orjson.dumps(value)
    except orjson.JSONEncodeError as exc:
        raise ValueError(f"not JSON: {exc}") from None
    return value


Time = Annotated[float, Field(ge=0)]


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Expectation(_Model):
    """What must hold (now, or at some point ``within`` seconds from the step's time).

    One subject per expectation: a deployment's instances, a node, events, a device (its
    state and reported values) or a message rule (its counts)."""

    deployment: str | None = None
    state: str | None = None  # every counted instance (or the node) is in this state
    count: Annotated[int, Field(ge=0)] | None = None  # instances (in ``state`` if given)
    ready: Annotated[int, Field(ge=0)] | None = None  # instances RUNNING and ready
    node: str | None = None  # the node's state, or (with deployment) where instances run
    event: dict[str, Any] | None = None  # an event with these fields happened
    events: Annotated[int, Field(ge=0)] | None = None  # with ``event``: exactly this many
    device: str | None = None  # with ``state`` (online / offline) and/or ``reported``
    reported: Annotated[dict[str, Scalar], Field(min_length=1)] | None = None  # twin values the device reported
    tolerance: Annotated[float, Field(ge=0, allow_inf_nan=False)] | None = None  # for numbers in ``reported``
    rule: str | None = None  # with ``delivered`` and/or ``failed``
    delivered: Annotated[int, Field(ge=0)] | None = None  # the rule's success_messages
    failed: Annotated[int, Field(ge=0)] | None = None  # the rule's fail_messages
    within: Time | None = None
    save: dict[str, str] = {}  # name -> path into the inspected object (deployment or node)

    _within = field_validator("within", mode="before")(lambda v: None if v is None else seconds(v))

    @model_validator(mode="after")
    def _one_subject(self) -> Expectation:
        self._fields_have_their_subject()
        subjects = [self.deployment is not None, self.event is not None, self.node is not None and self.deployment is None,
                    self.device is not None, self.rule is not None]
        if sum(subjects) != 1:
            raise ValueError("an expectation checks one subject: deployment, node, event, device or rule")
        if self.event is not None and (self.state or self.count is not None or self.ready is not None):
            raise ValueError("an event expectation takes only event, events and within")
        if self.events is not None and self.event is None:
            raise ValueError("events counts events: give event too")
        self._check_device_and_rule()
        return self

    def _fields_have_their_subject(self) -> None:
        if (self.reported is not None or self.tolerance is not None) and self.device is None:
            raise ValueError("reported and tolerance check a device: give device too")
        if self.tolerance is not None and self.reported is None:
            raise ValueError("tolerance goes with reported")
        if (self.delivered is not None or self.failed is not None) and self.rule is None:
            raise ValueError("delivered and failed count a rule's messages: give rule too")

    def _check_device_and_rule(self) -> None:
        """A device or rule expectation takes its own fields, and no other subject's."""
        if self.device is not None:
            if self.count is not None or self.ready is not None:
                raise ValueError("a device expectation takes state, reported, tolerance, within and save")
            if self.state not in (None, "online", "offline"):
                raise ValueError(f"a device's state is online or offline, not {self.state!r}")
            if self.state is None and self.reported is None:
                raise ValueError("a device expectation checks state and/or reported")
        if self.rule is not None:
            if self.state is not None or self.count is not None or self.ready is not None:
                raise ValueError("a rule expectation takes delivered, failed, within and save")
            if self.delivered is None and self.failed is None:
                raise ValueError("a rule expectation checks delivered and/or failed")


class Step(_Model):
    at: Time | None = None
    line: int = 0
    call: Annotated[str, Field(pattern=r"^(GET|POST|PUT|DELETE|PATCH) /\S*$")] | None = None
    body: Any = None
    headers: dict[str, str] = {}
    status: int | list[int] | None = None  # the status the call must answer (default: any 2xx)
    fault: dict[str, Any] | None = None
    expect: Expectation | None = None
    device_template: DeviceTemplateStep | None = None
    device: DeviceStep | None = None
    twin: TwinStep | None = None
    save: dict[str, str] = {}  # name -> path into the call's answer (calls, faults and device steps)
    note: str | None = None

    _at = field_validator("at", mode="before")(lambda v: None if v is None else seconds(v))
    _sendable = field_validator("body", "fault")(sendable)

    @model_validator(mode="after")
    def _one_action(self) -> Step:
        if sum(x is not None for x in (self.call, self.fault, self.expect, *self.device_actions())) != 1:
            raise ValueError("a step is exactly one of call, fault, expect, device_template, device or twin")
        if self.body is not None and self.call is None:
            raise ValueError("body goes with call")
        return self

    def device_actions(self) -> tuple[BaseModel | None, ...]:
        return self.device_template, self.device, self.twin


class Scenario(_Model):
    name: Annotated[str, Field(min_length=1)]
    description: str | None = None
    seed: int = 0
    fleet: dict[str, Any] | None = None  # the POST /edgesim/fleet body, made at t=0
    behaviors: list[dict[str, Any]] | None = None  # the PUT /edgesim/behaviors body, at t=0
    device_behaviors: list[dict[str, Any]] | None = None  # the PUT /edgesim/device-behaviors body, at t=0
    steps: Annotated[list[Step], Field(min_length=1)]
    path: str = ""
    setup_lines: dict[str, int] = {}  # the lines of fleet and behaviors, for errors the server finds

    _sendable = field_validator("fleet", "behaviors", "device_behaviors")(sendable)


def _strip_lines(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _strip_lines(v) for k, v in value.items() if k not in (LINE, KEY_LINES)}
    if isinstance(value, list):
        return [_strip_lines(v) for v in value]
    return value


def _locate(data: Any, loc: tuple) -> tuple[str, int]:
    """The dotted field and the line of a validation error's ``loc`` in the loaded document.

    A mapping is at the line it starts on, a plain value at its key's line, a list where its
    parent is. Parts that lead nowhere in the document are pydantic's names for the members
    of a union (``constrained-float``) and are left out, except a last one: a missing key.
    """
    parts, node, line = [], data, data.get(LINE, 1)
    for index, part in enumerate(loc):
        if isinstance(node, dict) and part in node:
            child = node[part]
            line = child[LINE] if isinstance(child, dict) else line if isinstance(child, list) else node[KEY_LINES][part]
        elif isinstance(node, list) and isinstance(part, int) and 0 <= part < len(node):
            child = node[part]
            line = child[LINE] if isinstance(child, dict) else line
        elif index == len(loc) - 1 and isinstance(node, dict):
            child = None
        else:
            continue
        parts.append(str(part))
        node = child
    return ".".join(parts), line


def parse(text: str | bytes, path: str = "<scenario>") -> Scenario:
    try:
        data = load_yaml(text)
    except LoadError as exc:
        raise ScenarioError(f"{path}:{exc}") from None
    if not isinstance(data, dict):
        raise ScenarioError(f"{path}:1: a scenario is a mapping with name and steps")
    steps = data.get("steps")
    for step in steps if isinstance(steps, list) else []:
        if isinstance(step, dict):
            step["line"] = step.get(LINE, 0)
    setup_lines = {"fleet": _locate(data, ("fleet",))[1], "behaviors": _locate(data, ("behaviors", 0))[1],
                   "device_behaviors": _locate(data, ("device_behaviors", 0))[1]}
    try:
        scenario = Scenario.model_validate({**_strip_lines(data), "path": path, "setup_lines": setup_lines})
    except ValidationError as exc:
        raise _invalid(path, data, exc) from None
    _check_setup(scenario, data)
    _fill_times(scenario)
    return scenario


def _invalid(path: str, data: dict, exc: ValidationError, under: tuple = ()) -> ScenarioError:
    """The first error of ``exc`` (about the part of ``data`` at ``under``) with its line."""
    error = exc.errors()[0]
    where, line = _locate(data, (*under, *error["loc"]))
    message = error["msg"].removeprefix("Value error, ")
    return ScenarioError(f"{path}:{line}: {where + ': ' if where else ''}{message}")


def _check_setup(scenario: Scenario, data: dict) -> None:
    """The fleet and behaviours as their routes will read them, so a bad one stops the run
    before it starts rather than in the middle of it."""
    checks = (("fleet", FleetRequest.model_validate), ("behaviors", PROFILES.validate_python),
              ("device_behaviors", DEVICE_PROFILES.validate_python))
    for field, validate in checks:
        value = getattr(scenario, field)
        if value is None:
            continue
        try:
            validate(orjson.loads(orjson.dumps(value)))
        except ValidationError as exc:
            raise _invalid(scenario.path, data, exc, under=(field,)) from None


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
        text = Path(path).read_bytes()
    except OSError as exc:
        raise ScenarioError(f"{path}: {exc.strerror}") from None
    return parse(text, str(path))

