"""Request bodies of message routing (ief-api-more.md 5.1, 5.2): endpoints and rules.

The SDK types properties and resources ``dict(str, str)``; a servicebus port may come as a
number (the user guide's example) or as the SDK's string."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field, field_validator, model_validator

from edgesim.api.fields import Description, RequestModel, check_description
from edgesim.api.paging import whole_number

# Chinese characters, letters, digits, '_' and '-', 1..64
ROUTE_NAME_PATTERN = r"^[\u4e00-\u9fa5A-Za-z0-9_-]{1,64}$"
InstanceId = Annotated[str | None, Field(default=None, max_length=64)]


class EndpointCreate(RequestModel):
    name: Annotated[str, Field(pattern=ROUTE_NAME_PATTERN)]
    type: Literal["dis", "servicebus", "apigw"]
    properties: dict[Annotated[str, Field(min_length=1, max_length=64)], Annotated[str, Field(max_length=1024)] | int]
    description: Description = None
    ief_instance_id: InstanceId = None

    _description = field_validator("description")(check_description)

    @model_validator(mode="after")
    def _service_port(self) -> EndpointCreate:
        if self.type == "servicebus":
            raw = self.properties.get("service_port")
            port = raw if isinstance(raw, int) else whole_number(raw) if raw is not None else None
            if port is None or not 1 <= port <= 65535:
                raise ValueError("properties.service_port: a servicebus endpoint needs a port 1..65535")
        return self


class CreateEndpointBody(RequestModel):
    endpoint: EndpointCreate


Resource = dict[Annotated[str, Field(min_length=1, max_length=64)], Annotated[str, Field(max_length=1024)]]


class RuleCreate(RequestModel):
    name: Annotated[str, Field(pattern=ROUTE_NAME_PATTERN)]
    description: Description = None
    source: Annotated[str, Field(min_length=1, max_length=64)]
    source_resource: Resource
    target: Annotated[str, Field(min_length=1, max_length=64)]
    target_resource: Resource
    in_using: bool = True
    ief_instance_id: InstanceId = None

    _description = field_validator("description")(check_description)


class CreateRuleBody(RequestModel):
    rule: RuleCreate


class EventTargetResource(RequestModel):
    resource: Annotated[str, Field(pattern=r"^https?://\S+$", max_length=2048)]


class SystemEventCreate(RequestModel):
    """All optional in the SDK; decision: name, events and target are required."""

    name: Annotated[str, Field(pattern=r"^[a-z0-9_-]{1,64}$")]
    description: Description = None
    events: Annotated[str, Field(min_length=1, max_length=1024)]
    target: Annotated[str, Field(min_length=1, max_length=64)]
    target_resource: EventTargetResource | None = None

    _description = field_validator("description")(check_description)


class CreateSystemEventBody(RequestModel):
    systemevent: SystemEventCreate
