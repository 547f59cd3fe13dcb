"""Request bodies of the edge node and node group APIs (ief-api.md sections 5 and 6)."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field, field_validator, model_validator

from edgesim.api.device_models import DevicesAdded
from edgesim.api.fields import RESOURCE_NAME_PATTERN, Description, RequestModel, Tag, check_description, unique_keys

NodeId = Annotated[str, Field(min_length=1, max_length=64)]


class Attribute(RequestModel):
    key: Annotated[str, Field(pattern=r"^[A-Za-z0-9_-]{1,128}$")]
    value: Annotated[str, Field(pattern=r"^[A-Za-z0-9_.-]{1,256}$")]


class LogConfig(RequestModel):
    id: str | None = None
    size: Annotated[int, Field(ge=10, le=1000)] = 50
    level: str | None = None
    rotate_num: Annotated[int, Field(ge=1, le=10)] = 5
    rotate_period: Literal["daily", "weekly", "monthly", "yearly"] = "daily"
    type: Literal["LTS", "local"]
    component: Literal["app", "system"]


class MqttListener(RequestModel):
    bind_addr: Annotated[str, Field(min_length=1, max_length=64)]  # a NIC name or an IP, by type
    port: Annotated[int, Field(ge=1, le=65535)]
    type: Literal["nic", "ip"]


class MqttConfig(RequestModel):
    """The node's built-in MQTT broker listeners (SDK ``MqttConfigs``)."""

    enable_mqtt: bool = False
    mqtts: Annotated[list[MqttListener], Field(max_length=8)] = []

    @model_validator(mode="after")
    def _listeners_need_mqtt(self) -> MqttConfig:
        if self.mqtts and not self.enable_mqtt:
            raise ValueError("mqtts must be empty when enable_mqtt is false")
        return self


class NodeRegistration(RequestModel):
    name: Annotated[str, Field(pattern=RESOURCE_NAME_PATTERN)]
    description: Description = None
    enable_gpu: bool = False
    enable_npu: bool = False
    npu_type: Literal["", "D310", "D310B"] = ""
    enable_docker: bool = True
    attributes: Annotated[list[Attribute], Field(max_length=32)] = []
    tags: Annotated[list[Tag], Field(max_length=20)] = []
    log_configs: list[LogConfig] = []
    device_infos: list[DevicesAdded] = []  # devices bound to the node as it registers
    mqtt_config: MqttConfig | None = None

    _description = field_validator("description")(check_description)
    _keys = field_validator("attributes", "tags")(unique_keys)


class RegisterNodeBody(RequestModel):
    node: NodeRegistration


class NodeUpdate(RequestModel):
    description: Description = None
    attributes: Annotated[list[Attribute], Field(max_length=32)] | None = None
    log_configs: list[LogConfig] | None = None
    ntp_servers: Annotated[list[Annotated[str, Field(min_length=1, max_length=255)]], Field(max_length=2)] | None = None

    _description = field_validator("description")(check_description)
    _keys = field_validator("attributes")(unique_keys)


class UpdateNodeBody(RequestModel):
    node: NodeUpdate


class NodeAction(RequestModel):
    action: Literal["start", "stop"]


class NodeActionBody(RequestModel):
    node: NodeAction


class GroupCreateBody(RequestModel):
    name: Annotated[str, Field(pattern=RESOURCE_NAME_PATTERN)]
    description: Description = None
    node_ids: list[NodeId] = []
    tags: Annotated[list[Tag], Field(max_length=20)] = []
    # The SDK's EdgeGroupRequest can bind devices to the group; edgesim binds devices to nodes
    # only, so a non-empty list is refused rather than silently ignored.
    device_ids: list[str] = []

    _description = field_validator("description")(check_description)
    _keys = field_validator("tags")(unique_keys)

    @field_validator("device_ids")
    @classmethod
    def _devices_bind_to_nodes(cls, ids: list[str]) -> list[str]:
        if ids:
            raise ValueError("binding devices to a node group is not simulated; bind them to a node "
                             "(PUT /v2/{project_id}/edgemgr/nodes/{node_id}/devices)")
        return ids


class GroupUpdateBody(RequestModel):
    description: Description = None
    tags: Annotated[list[Tag], Field(max_length=20)] | None = None

    _description = field_validator("description")(check_description)
    _keys = field_validator("tags")(unique_keys)


class GroupBindingBody(RequestModel):
    add_node_ids: list[NodeId] = []
    remove_node_ids: list[NodeId] = []
