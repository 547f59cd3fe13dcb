"""Request bodies of the v3 deployment API (ief-api.md section 4; field names and types follow
the SDK's models: ``Deployment``, ``CreateAppsInDeploymentV3``, ``PodRequest``, ``PodConfigs``,
``ContainerDef``, ``Probe``, ``HostContainerPortMapping``, ``UpdateDeployment``).

Strict like the v2 models; pieces whose rules are the same in both versions (envs, volumes,
http_get, the resource ranges) are the v2 models themselves, so a rule lives in one place and
``api.validation.parse`` answers the same error codes. The engine runs one container per
instance, so a template holds exactly one container; init containers are kept and echoed,
not simulated; ``affinity`` (``api.affinity_models``) is kept as given and honoured by placement.

At the end: the v3 template turned into the engine's app spec (the dict the v2 API stores), so
the engine stays version-agnostic and a deployment looks the same through both versions.
"""

from __future__ import annotations

import math
from typing import Annotated, Any, Literal

from pydantic import BeforeValidator, Field, field_validator, model_validator

from edgesim.api.affinity_models import Affinity
from edgesim.api.deployment_models import (
    VERSION_PATTERN,
    Env,
    HttpGet,
    ResourceAmounts,
    Resources,
    Volume,
    unique_env_names,
    unique_volume_names,
)
from edgesim.api.fields import (
    CpuCores,
    Description,
    DnsPolicy,
    GpuMb,
    ImageUrl,
    MemoryMb,
    NpuCount,
    Port,
    ProbeCommand,
    ProbeSeconds,
    RequestModel,
    RestartPolicy,
    RunAsUser,
    Tag,
    TolerationSeconds,
    check_description,
    check_target,
    given_amounts,
    unique_keys,
)
from edgesim.domain.affinity import Affinity as DomainAffinity
from edgesim.domain.app_spec import AppSpec

# v3 names: the v2 charset, at most 32 characters
NAME32_PATTERN = r"^[a-z0-9]([a-z0-9-]{0,30}[a-z0-9])?$"
MAX_REPLICAS = 1000  # decision: the public material gives no maximum
MAX_COMMAND_CHARS = 65536

# --- container pieces -------------------------------------------------------------------------


class ExecAction(RequestModel):
    command: ProbeCommand


class Probe(RequestModel):
    """v3 probes run ``exec: {command}`` where v2 has ``exec_command``."""

    exec: ExecAction | None = None
    http_get: HttpGet | None = None
    initial_delay_seconds: ProbeSeconds = 10
    timeout_seconds: ProbeSeconds = 1

    @model_validator(mode="after")
    def _one_handler(self) -> Probe:
        if (self.exec is None) == (self.http_get is None):
            raise ValueError("a probe needs exactly one of exec or http_get")
        return self


class PortRange(RequestModel):
    min_port: Port
    max_port: Port

    @model_validator(mode="after")
    def _ordered(self) -> PortRange:
        if self.min_port > self.max_port:
            raise ValueError("min_port must not exceed max_port")
        return self


class PortMapping(RequestModel):
    container_port: Port
    host_port: Port | None = None
    host_ip: str | None = None
    host_port_range: PortRange | None = None


def _number_string(value: Any) -> Any:
    """v3 resource amounts are strings holding a number ("0.25"); anything else is refused."""
    if value is None:
        return None
    if not isinstance(value, str):
        raise ValueError('must be a string holding a number, like "0.5"')
    try:
        number = float(value)
    except ValueError:
        raise ValueError(f"{value!r} is not a number") from None
    if not math.isfinite(number):
        raise ValueError(f"{value!r} is not a finite number")
    return number


Amount = BeforeValidator(_number_string)


class Amounts(ResourceAmounts):
    """The v2 ranges (cpu cores, memory MB, gpu MB, npu count) over string values (a
    subclass, so the v2 ``Resources`` checks read it as their own amounts)."""

    # The string is turned into a number first, then the number is range-checked (a null
    # skips both): constraints on the whole "float | None" would be applied to null too.
    cpu: Annotated[CpuCores | None, Amount] = None
    memory: Annotated[MemoryMb | None, Amount] = None
    gpu: Annotated[GpuMb | None, Amount] = None
    npu: Annotated[NpuCount | None, Amount] = None


class V3Resources(Resources):
    """The v2 cross-checks (memory limit >= 4, request <= limit) over v3 amounts."""

    requests: Amounts | None = None
    limits: Amounts | None = None


class Container(RequestModel):
    name: Annotated[str, Field(pattern=NAME32_PATTERN)]
    image_url: ImageUrl
    version: Annotated[str, Field(pattern=VERSION_PATTERN)] | None = None
    command: list[str] | None = None
    args: list[str] | None = None
    envs: list[Env] | None = None
    ports: list[PortMapping] | None = None
    privileged: bool = False
    run_as_user: RunAsUser = None
    readiness_probe: Probe | None = None
    liveness_probe: Probe | None = None
    volumes: list[Volume] | None = None
    resources: V3Resources | None = None
    npu_type: Literal["", "D310", "D310B"] | None = None

    _envs = field_validator("envs")(unique_env_names)
    _volumes = field_validator("volumes")(unique_volume_names)

    @field_validator("command", "args")
    @classmethod
    def _not_too_long(cls, value: list[str] | None) -> list[str] | None:
        if value is not None and sum(len(v) for v in value) > MAX_COMMAND_CHARS:
            raise ValueError(f"must hold at most {MAX_COMMAND_CHARS} characters in all")
        return value


class PodConfigs(RequestModel):
    host_network: bool = False  # v3's default (v2's is true)
    host_pid: bool = False
    migration: bool = False
    restart_policy: RestartPolicy
    toleration_seconds: TolerationSeconds = 300
    dns_policy: DnsPolicy | None = None

    @model_validator(mode="after")
    def _dns_fits_network(self) -> PodConfigs:
        allowed = ("Default", "ClusterFirstWithHostNet") if self.host_network else ("Default", "ClusterFirst")
        if self.dns_policy is not None and self.dns_policy not in allowed:
            network = "with" if self.host_network else "without"
            raise ValueError(f"dns_policy {self.dns_policy} is not allowed {network} host_network; use {' or '.join(allowed)}")
        return self


class Template(RequestModel):
    configs: PodConfigs
    containers: list[Container]
    init_containers: list[Container] | None = None
    affinity: Affinity | None = None

    @field_validator("containers")
    @classmethod
    def _one_container(cls, value: list[Container]) -> list[Container]:
        if len(value) != 1:
            raise ValueError(f"edgesim simulates pods of exactly one container; got {len(value)}")
        return value

    @model_validator(mode="after")
    def _unique_container_names(self) -> Template:
        names = [c.name for c in [*self.containers, *(self.init_containers or [])]]
        if len(set(names)) != len(names):
            raise ValueError("container names (containers and init_containers) must be unique")
        return self


Replicas = Annotated[int, Field(ge=1, le=MAX_REPLICAS)]


class Spec(RequestModel):
    replicas: Replicas = 1
    template: Template
    annotations: dict[str, str] | None = None


class CreateBody(RequestModel):
    """Flat, unlike v2: the name and target are at the top, the pod under ``deployment``."""

    name: Annotated[str, Field(pattern=NAME32_PATTERN)]
    description: Description = None
    source: Annotated[str, Field(max_length=64)] | None = None
    group_id: Annotated[str | None, Field(min_length=1)] = None
    node_ids: list[str] | None = None
    tags: Annotated[list[Tag], Field(max_length=20)] = []
    deployment: Spec

    _description = field_validator("description")(check_description)
    _tags = field_validator("tags")(unique_keys)

    @model_validator(mode="after")
    def _one_target(self) -> CreateBody:
        check_target(self.node_ids, self.group_id)
        if self.group_id is None:
            if self.deployment.replicas != 1:
                raise ValueError("a deployment to node_ids runs one instance; deployment.replicas must be 1")
            if places_by_affinity(self.deployment.template):
                raise ValueError(NODE_IDS_AFFINITY)
        return self


class UpdateSpec(RequestModel):
    replicas: Replicas | None = None
    template: Template | None = None  # replaces the whole pod spec


class UpdateBody(RequestModel):
    description: Description = None
    deployment: UpdateSpec | None = None

    _description = field_validator("description")(check_description)


# A node_ids instance is bound to its node (no scheduling, as a pod with nodeName): rules that
# would choose a node are refused there rather than ignored.
NODE_IDS_AFFINITY = ("deployment.template.affinity places group instances; a node_ids deployment runs on its "
                     "node: give group_id, or leave affinity out")


def places_by_affinity(template: Template) -> bool:
    return template.affinity is not None and DomainAffinity.of(template.affinity.raw) is not None


# --- from request to engine -------------------------------------------------------------------

def _v2_probe(probe: Probe | None) -> dict[str, Any] | None:
    if probe is None:
        return None
    return {
        "exec_command": probe.exec.command if probe.exec else None,
        "http_get": probe.http_get.model_dump(mode="json") if probe.http_get else None,
        "initial_delay_seconds": probe.initial_delay_seconds,
        "timeout_seconds": probe.timeout_seconds,
    }


def _v2_port(port: PortMapping) -> dict[str, Any]:
    out: dict[str, Any] = {"container_port": port.container_port, "host_port": port.host_port, "host_ip": port.host_ip}
    if port.host_port_range is not None:  # v3 only: kept with the port, unseen by v2 clients
        out["host_port_range"] = port.host_port_range.model_dump(mode="json")
    return out


def _spec_resources(dumped: dict[str, Any] | None) -> dict[str, Any]:
    """A side that gives no amount is None, as in a v2 spec that leaves it out."""
    given = given_amounts(dumped)
    return {side: (dumped or {}).get(side) if given[side] else None for side in given}


def app_spec(template: Template) -> AppSpec:
    """The engine's app spec of a v3 template's container and configs, read from the document
    v2 stores (name and version first: the v3 key order the store keeps)."""
    container, configs = template.containers[0], template.configs
    dumped = container.model_dump(mode="json")
    spec: dict[str, Any] = {
        "name": container.name,
        "version": container.version,
        "image_url": container.image_url,
        "envs": dumped["envs"] or [],
        "volumes": dumped["volumes"] or [],
        "resources": _spec_resources(dumped["resources"]),
        "configs": {
            "privileged": container.privileged,
            "host_network": configs.host_network,
            "restart_policy": configs.restart_policy,
            "ports": [_v2_port(p) for p in container.ports] if container.ports else None,
            "run_as_user": container.run_as_user,
            "host_pid": configs.host_pid,
            "dns_policy": configs.dns_policy,
        },
        "liveness_probe": _v2_probe(container.liveness_probe),
        "readiness_probe": _v2_probe(container.readiness_probe),
        "command": container.command or [],
        "args": container.args or [],
        "toleration_seconds": configs.toleration_seconds,
        "migration": configs.migration,
    }
    if container.npu_type:
        spec["npu_type"] = container.npu_type
    return AppSpec.from_dict(spec)


def template_extras(template: Template) -> dict[str, Any]:
    """What the engine does not simulate but the deployment keeps and shows (Deployment fields)."""
    return {
        "init_containers": [c.model_dump(mode="json") for c in template.init_containers or []],
        "affinity": template.affinity.raw if template.affinity is not None else None,
    }
