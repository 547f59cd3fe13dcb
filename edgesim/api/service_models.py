"""Request body of the edge services (ief-api-more.md section 6; SDK ``svc_metadata.py``,
``svc_spec.py``, ``svc_port.py``). The SDK types port numbers as strings; numbers are accepted too."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field, field_validator, model_validator

from edgesim.api.fields import RequestModel
from edgesim.api.paging import whole_number

LabelMap = dict[Annotated[str, Field(min_length=1, max_length=63)], Annotated[str, Field(max_length=63)]]


def _port(value: str | int | None) -> str | None:
    """A port 1..65535 given as a number or a digit string, answered as the SDK's string."""
    if value is None:
        return None
    number = value if isinstance(value, int) else whole_number(value)
    if number is None or not 1 <= number <= 65535:
        raise ValueError("must be a port 1..65535")
    return str(number)


class SvcPort(RequestModel):
    name: Annotated[str, Field(pattern=r"^[a-z][a-z0-9]*-[a-z0-9]+$", max_length=63)]  # <protocol>-<suffix>
    protocol: Literal["TCP", "UDP"] = "TCP"
    port: str | int
    target_port: str | int
    node_port: str | int | None = None

    _ports = field_validator("port", "target_port", "node_port")(_port)


class SvcMetadata(RequestModel):
    name: Annotated[str, Field(pattern=r"^[a-z]([a-z0-9-]{0,62}[a-z0-9])?$")]
    labels: LabelMap = {}


class SvcSpec(RequestModel):
    selector: Annotated[LabelMap, Field(min_length=1)]
    ports: list[SvcPort] = []
    type: Literal["ClusterIP", "NodePort"] = "ClusterIP"
    cluster_ip: Annotated[str, Field(max_length=64)] = "None"
    external_ips: list[Annotated[str, Field(max_length=64)]] = []  # not supported yet (SDK): echoed
    external_name: Annotated[str, Field(max_length=253)] = ""

    @model_validator(mode="after")
    def _node_ports(self) -> SvcSpec:
        if self.type == "NodePort" and any(p.node_port is None for p in self.ports):
            raise ValueError("ports: a NodePort service needs node_port on every port")
        if self.type == "ClusterIP" and any(p.node_port is not None for p in self.ports):
            raise ValueError("ports: node_port is only for a NodePort service")
        names = [p.name for p in self.ports]
        if len(set(names)) != len(names):
            raise ValueError("ports: port names must be unique")
        return self


class ServiceBody(RequestModel):
    meta_data: SvcMetadata
    spec: SvcSpec


class ServiceRequest(RequestModel):
    service: ServiceBody
