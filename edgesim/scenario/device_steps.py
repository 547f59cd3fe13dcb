"""Scenario steps for devices and message routes: make device templates and devices (bound to
a node), set twin desired values, and the checks of reported values and rule counts.

Each step is a short form of IEF calls the runner makes over HTTP like any other step (so the
server's own rules apply and its refusals are failed steps), for example

    - device_template: {name: thermo, properties: {temperature: float, setpoint: float}}
      save: {tpl: id}
    - device: {name: thermo-1, template: "${tpl}", node: "${nodes[0]}"}
      save: {dev: id}
    - twin: {device: "${dev}", desired: {setpoint: 21.5}}
    - expect: {device: "${dev}", reported: {setpoint: 21.5}, tolerance: 0.1, within: 10s}
    - expect: {rule: "${rule}", delivered: 100, failed: 60}

Twin values are text in IEF: numbers are sent as their decimal form, booleans as true/false.
"""

from __future__ import annotations

import math
from collections.abc import Awaitable, Callable
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from edgesim.api.devices import device as device_json
from edgesim.api.routemgr import rule_shape
from edgesim.engine.engine import Engine
from edgesim.engine.rule_counts import counts

PropertyType = Literal["string", "int", "float", "boolean"]
Scalar = bool | int | float | str  # bool first: YAML's true is not the number 1
Http = Callable[[str, str, Any], Awaitable[Any]]  # (method, path, body) -> the JSON answer


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid")


class DeviceTemplateStep(_Model):
    name: str
    description: str | None = None
    properties: dict[str, PropertyType] = {}  # twin property -> its type
    attributes: dict[str, str] = {}


class DeviceStep(_Model):
    name: str
    template: str | None = None  # a device template id: the device copies its properties
    description: str | None = None
    properties: dict[str, PropertyType] = {}  # its own twin properties (over the template's)
    attributes: dict[str, str] = {}
    node: str | None = None  # bind the device to this node


class TwinStep(_Model):
    device: str
    desired: Annotated[dict[str, Scalar], Field(min_length=1)]


def as_text(value: Scalar) -> str:
    """A twin value as IEF carries it."""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _twin(properties: dict[str, str]) -> dict[str, Any]:
    return {name: {"metadata": {"type": kind}} for name, kind in properties.items()}


def _attributes(attributes: dict[str, str]) -> dict[str, Any]:
    return {name: {"value": value} for name, value in attributes.items()}


async def make_template(http: Http, project_id: str, step: dict[str, Any]) -> Any:
    """POST device-templates; the answer's device_template is what ``save`` reads."""
    body: dict[str, Any] = {"name": step["name"], "twin": _twin(step["properties"]), "attributes": _attributes(step["attributes"])}
    if step["description"] is not None:
        body["description"] = step["description"]
    answer = await http("POST", f"/v2/{project_id}/edgemgr/device-templates", {"device_template": body})
    return answer["device_template"]


async def make_device(http: Http, project_id: str, step: dict[str, Any]) -> Any:
    """POST devices, then bind it to ``node``; ``save`` reads the device as GET shows it."""
    body: dict[str, Any] = {"name": step["name"], "attributes": _attributes(step["attributes"])}
    if step["properties"]:
        body["twin"] = _twin(step["properties"])
    if step["template"] is not None:
        body["device_template_id"] = step["template"]
    if step["description"] is not None:
        body["description"] = step["description"]
    base = f"/v2/{project_id}/edgemgr"
    device = (await http("POST", f"{base}/devices", {"device": body}))["device"]
    if step["node"] is not None:
        binding = {"devices": {"added": {"device_ids": [device["id"]]}, "removed": []}}
        await http("PUT", f"{base}/nodes/{step['node']}/devices", binding)
        device = (await http("GET", f"{base}/devices/{device['id']}", None))["device"]
    return device


async def set_twin(http: Http, project_id: str, step: dict[str, Any]) -> Any:
    """PUT the twin's desired values; ``save`` reads the answer."""
    twin = {name: {"excepted": {"value": as_text(value)}} for name, value in step["desired"].items()}
    return await http("PUT", f"/v2/{project_id}/edgemgr/devices/{step['device']}/twin", {"twin": twin})


def _matches(actual: str | None, wanted: Scalar, tolerance: float) -> bool:
    if actual is None:
        return False
    if isinstance(wanted, (int, float)) and not isinstance(wanted, bool):
        try:
            value = float(actual)
        except ValueError:
            return False
        return math.isfinite(value) and abs(value - wanted) <= tolerance
    return actual == as_text(wanted)


def check_device(
    engine: Engine, device_id: str, state: str | None, reported: dict[str, Scalar] | None, tolerance: float,
) -> tuple[bool, str, Any]:
    """A device's state (online / offline) and reported values (numbers within ``tolerance``)."""
    device = engine.world.devices.get(device_id)
    if device is None:
        return False, f"device {device_id} does not exist", None
    now_state = engine.devices.state(device)
    values = {name: prop.get("actual", {}).get("value") for name, prop in device.twin.items()}
    seen = f"device {device.name} is {now_state}; reported " + (
        ", ".join(f"{k}={v}" for k, v in values.items() if v is not None) or "nothing")
    subject = device_json(engine, device)
    if state is not None and now_state != state:
        return False, seen, subject
    for name, wanted in (reported or {}).items():
        if not _matches(values.get(name), wanted, tolerance):
            return False, seen, subject
    return True, seen, subject


def check_rule(engine: Engine, rule_id: str, delivered: int | None, failed: int | None) -> tuple[bool, str, Any]:
    """A message rule's delivered and failed counts, now."""
    rule = engine.message_routes.rules.get(rule_id)
    if rule is None:
        return False, f"rule {rule_id} does not exist", None
    got_delivered, got_failed = counts(rule, engine.clock.now())
    seen = f"rule {rule.name}: {got_delivered} delivered, {got_failed} failed"
    passed = (delivered is None or got_delivered == delivered) and (failed is None or got_failed == failed)
    return passed, seen, rule_shape(engine, rule)
