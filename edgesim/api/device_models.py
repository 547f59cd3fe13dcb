"""Request bodies of the device, device template and node-device binding APIs
(ief-api-more.md 4.1, 4.2, 4.5), field by field as the SDK's models name them.

The maps (attributes, twin, property visitors) are turned into the shapes the API answers
with by ``stored_*``; the engine checks how the parts fit together (``engine.device_rules``).
"""

from __future__ import annotations

import math
from typing import Annotated, Any, Literal

from pydantic import Field, field_validator, model_validator

from edgesim.api.fields import RESOURCE_NAME_PATTERN, Description, RequestModel, Tag, check_description

ValueType = Literal["string", "int", "float", "boolean"]
# decision: attribute, twin property and visitor names follow the resource name rule
PartName = Annotated[str, Field(pattern=r"^[\w-]{1,64}$")]
VALUE_PATTERN = r"^[A-Za-z0-9_\-.,:/@+?^=%&~#!*]*$"
Value = Annotated[str, Field(max_length=512, pattern=VALUE_PATTERN)]
MAX_PARTS = 64
Protocol = Literal["userdefine", "modbus", "opc-ua"]
DeviceName = Annotated[str, Field(pattern=RESOURCE_NAME_PATTERN)]
# a caller-chosen device id: 24..64 letters, digits, '_' or '-', starting with a letter or digit
DeviceId = Annotated[str, Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9_-]{23,63}$")]


def check_typed(value: str, value_type: str) -> None:
    """A value must read as its declared type."""
    if value_type == "int":
        ok = value.lstrip("-").isascii() and value.lstrip("-").isdigit() and value.count("-") <= 1
    elif value_type == "float":
        try:
            ok = math.isfinite(float(value)) and value.strip() == value and "_" not in value
        except ValueError:
            ok = False
    elif value_type == "boolean":
        ok = value in ("true", "false")
    else:
        ok = True
    if not ok:
        raise ValueError(f"value {value!r} is not of type {value_type}")


class TypeMeta(RequestModel):
    type: ValueType = "string"


class AttributeValue(RequestModel):
    """The SDK's ``ValueInAttributes``: a typed value."""

    value: Value
    optional: bool = True
    metadata: TypeMeta = TypeMeta()

    @model_validator(mode="after")
    def _typed(self) -> AttributeValue:
        check_typed(self.value, self.metadata.type)
        return self


class DesiredValue(RequestModel):
    value: Value
    metadata: TypeMeta | None = None


class TwinProperty(RequestModel):
    """The SDK's ``ValueInTwin``; the desired value is ``excepted`` (SDK) or ``expected`` (doc)."""

    excepted: DesiredValue | None = None
    expected: DesiredValue | None = None
    optional: bool = True
    metadata: TypeMeta = TypeMeta()

    @model_validator(mode="after")
    def _typed(self) -> TwinProperty:
        desired = self.desired
        if desired is not None:
            if desired.metadata is not None and desired.metadata.type != self.metadata.type:
                raise ValueError(f"the desired value's type {desired.metadata.type} differs from the property's {self.metadata.type}")
            check_typed(desired.value, self.metadata.type)
        return self

    @property
    def desired(self) -> DesiredValue | None:
        return self.excepted or self.expected  # decision: excepted wins when both are given


REGISTER_TYPES = ("CoilsRegisters", "HoldingRegisters", "DiscreteInputsRegisters", "InputRegisters")
ACCESS_MODES = ("r", "r/w")


class PropertyVisitor(RequestModel):
    """The SDK's ``ValueInPropertyVisitors``: how a twin property is read over its protocol."""

    register_type: AttributeValue | None = None
    access_mode: AttributeValue | None = None
    register_index: AttributeValue | None = None
    register_num: AttributeValue | None = None
    scale_index: AttributeValue | None = None
    original_datatype: AttributeValue | None = None
    expected_datatype: AttributeValue | None = None
    is_registerswap: AttributeValue | None = None
    is_swap: AttributeValue | None = None
    sample_interval: AttributeValue | None = None
    data_min: AttributeValue | None = None
    data_max: AttributeValue | None = None
    node_id: AttributeValue | None = None
    browse_name: AttributeValue | None = None

    @field_validator("register_type")
    @classmethod
    def _register_type(cls, v: AttributeValue | None) -> AttributeValue | None:
        if v is not None and v.value not in REGISTER_TYPES:
            raise ValueError(f"must be one of {', '.join(REGISTER_TYPES)}")
        return v

    @field_validator("access_mode")
    @classmethod
    def _access_mode(cls, v: AttributeValue | None) -> AttributeValue | None:
        if v is not None and v.value not in ACCESS_MODES:
            raise ValueError("must be r or r/w")
        return v


class AccessConfig(RequestModel):
    """The SDK's ``AccessConfig``: protocol settings, each a typed value."""

    protocol_type: AttributeValue | None = None
    protocol_name: AttributeValue | None = None
    slave_id: AttributeValue | None = None
    ip: AttributeValue | None = None
    port: AttributeValue | None = None
    serial_port: AttributeValue | None = None
    baud_rate: AttributeValue | None = None
    data_bits: AttributeValue | None = None
    stop_bits: AttributeValue | None = None
    parity_bits: AttributeValue | None = None
    url: AttributeValue | None = None
    sec_mode: AttributeValue | None = None
    sec_policy: AttributeValue | None = None
    auth_type: AttributeValue | None = None
    username: AttributeValue | None = None
    password: AttributeValue | None = None
    private_key: AttributeValue | None = None
    certificate: AttributeValue | None = None
    timeout: AttributeValue | None = None


Attributes = Annotated[dict[PartName, AttributeValue], Field(max_length=MAX_PARTS)]
Twin = Annotated[dict[PartName, TwinProperty], Field(max_length=MAX_PARTS)]
Visitors = Annotated[dict[PartName, PropertyVisitor], Field(max_length=MAX_PARTS)]


# --- the shapes stored and answered ---------------------------------------------------------------


def stored_attributes(attributes: dict[str, AttributeValue]) -> dict[str, Any]:
    return {k: v.model_dump() for k, v in attributes.items()}


def stored_twin(twin: dict[str, TwinProperty]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for name, prop in twin.items():
        entry: dict[str, Any] = {"optional": prop.optional, "metadata": {"type": prop.metadata.type}}
        if prop.desired is not None:
            entry["expected"] = {"value": prop.desired.value}
        out[name] = entry
    return out


def stored_visitors(visitors: dict[str, PropertyVisitor]) -> dict[str, Any]:
    return {k: v.model_dump(exclude_none=True) for k, v in visitors.items()}


def stored_access_config(config: AccessConfig | None) -> dict[str, Any]:
    return config.model_dump(exclude_none=True) if config is not None else {}


# --- devices ----------------------------------------------------------------------------------------


class DeviceCreate(RequestModel):
    id: DeviceId | None = None
    name: DeviceName
    description: Description = None
    access_protocol: Protocol | None = None  # None: the template's, or userdefine
    connection_type: Literal["edge"] = "edge"
    attributes: Attributes = {}
    twin: Twin = {}
    access_config: AccessConfig | None = None
    property_visitors: Visitors = {}
    device_template_id: str | None = None  # edgesim extension: made from this template

    _description = field_validator("description")(check_description)


class CreateDeviceBody(RequestModel):
    device: DeviceCreate


class DeviceUpdate(RequestModel):
    description: Description = None
    attributes: Attributes | None = None

    _description = field_validator("description")(check_description)


class UpdateDeviceBody(RequestModel):
    device: DeviceUpdate


# --- device templates -------------------------------------------------------------------------------


class TemplateCreate(RequestModel):
    name: DeviceName
    access_protocol: Protocol = "userdefine"
    description: Description = None
    attributes: Attributes = {}
    twin: Twin = {}
    property_visitors: Visitors = {}
    tags: Tag | None = None  # one {key, value}, not a list (the SDK's ResourceTag)

    _description = field_validator("description")(check_description)


class CreateTemplateBody(RequestModel):
    device_template: TemplateCreate


class TemplateUpdate(RequestModel):
    description: Description = None
    attributes: Attributes | None = None
    twin: Twin | None = None
    tags: Tag | None = None
    access_protocol: Protocol | None = None
    property_visitors: Visitors | None = None

    _description = field_validator("description")(check_description)


class UpdateTemplateBody(RequestModel):
    device_template: TemplateUpdate


# --- binding ----------------------------------------------------------------------------------------

Relation = Annotated[str, Field(pattern=r"^[\w-]{0,64}$")]
Comment = Annotated[str, Field(max_length=64)]
Id = Annotated[str, Field(min_length=1, max_length=64)]


class _Notes(RequestModel):
    relation: Relation = ""  # decision: optional in the request model, default ""
    comment: Comment = ""

    _comment = field_validator("comment")(check_description)


class DevicesAdded(_Notes):
    device_ids: list[Id] = []


class DevicesChange(RequestModel):
    added: DevicesAdded | None = None
    removed: list[Id] = []


class NodeDevicesBody(RequestModel):
    devices: DevicesChange


class NodesAdded(_Notes):
    node_ids: Annotated[list[Id], Field(max_length=1)] = []  # a device binds to one node


class NodesChange(RequestModel):
    added: NodesAdded | None = None
    removed: list[Id] = []


class DeviceNodesBody(RequestModel):
    nodes: NodesChange
