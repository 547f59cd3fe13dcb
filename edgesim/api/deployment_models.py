"""Request bodies of the v2 deployment API, with every field rule of ief-api.md section 3.

The models are strict (a string is not a number, a number is not a boolean) and ignore keys
they do not know, as the real service does; ``api.validation.parse`` turns a broken rule into
the IEF error code for its field.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import Field, field_validator, model_validator

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
    TolerationSeconds,
    check_description,
    check_target,
)
from edgesim.domain.app_spec import AppSpec

NAME_PATTERN = r"^[a-z0-9]([a-z0-9-]{0,62}[a-z0-9])?$"
VERSION_PATTERN = r"^[a-z0-9][a-z0-9.-]{0,63}$"
ENV_NAME_PATTERN = r"^[A-Za-z_][A-Za-z0-9_]*$"
VOLUME_NAME_PATTERN = r"^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$"


# --- app pieces -------------------------------------------------------------------------------


class SecretOrConfigMapRef(RequestModel):
    name: Annotated[str, Field(min_length=1)]
    key: Annotated[str, Field(min_length=1)]


class ValueFrom(RequestModel):
    secret: SecretOrConfigMapRef | None = None
    configmap: SecretOrConfigMapRef | None = None

    @model_validator(mode="after")
    def _one_source(self) -> ValueFrom:
        if (self.secret is None) == (self.configmap is None):
            raise ValueError("value_from needs exactly one of secret or configmap")
        return self


class Env(RequestModel):
    name: Annotated[str, Field(pattern=ENV_NAME_PATTERN, max_length=1024)]
    value: Annotated[str | None, Field(max_length=20480)] = None
    value_from: ValueFrom | None = None
    field_path: Literal["status.hostIP"] | None = None

    @model_validator(mode="after")
    def _one_source(self) -> Env:
        given = [k for k in ("value", "value_from", "field_path") if getattr(self, k) is not None]
        if len(given) != 1:
            raise ValueError("an environment variable needs exactly one of value, value_from or field_path")
        return self


class Volume(RequestModel):
    name: Annotated[str, Field(pattern=VOLUME_NAME_PATTERN)]
    type: Literal["configMap", "secret", "emptyDir", "hostPath"]
    source: Annotated[str, Field(min_length=1)]
    destination: Annotated[str, Field(pattern=r"^/")]
    read_only: bool | None = None  # None: false, but true for configMap and secret volumes
    default_mode: Annotated[int, Field(ge=0, le=0o777)] = 420

    @model_validator(mode="after")
    def _source_fits_type(self) -> Volume:
        if self.type in ("configMap", "secret"):
            if self.read_only is False:
                raise ValueError(f"a {self.type} volume is read-only: read_only must be true")
            self.read_only = True
        elif self.read_only is None:
            self.read_only = False
        if self.type == "hostPath" and not self.source.startswith("/"):
            raise ValueError("a hostPath volume's source must be an absolute path")
        if self.type == "emptyDir" and self.source not in ("disk", "memory"):
            raise ValueError("an emptyDir volume's source must be disk or memory")
        return self


class ResourceAmounts(RequestModel):
    cpu: CpuCores | None = None
    memory: MemoryMb | None = None
    gpu: GpuMb | None = None
    npu: NpuCount | None = None


class Resources(RequestModel):
    requests: ResourceAmounts | None = None
    limits: ResourceAmounts | None = None

    @model_validator(mode="after")
    def _requests_within_limits(self) -> Resources:
        limits = self.limits or ResourceAmounts()
        if limits.memory is not None and limits.memory < 4:
            raise ValueError("a memory limit must be at least 4 MB")
        requests = self.requests or ResourceAmounts()
        for key in ("cpu", "memory", "gpu", "npu"):
            req, lim = getattr(requests, key), getattr(limits, key)
            if req is not None and lim is not None and req > lim:
                raise ValueError(f"requests.{key} ({req:g}) must not exceed limits.{key} ({lim:g})")
        return self


class PortMapping(RequestModel):
    container_port: Port
    host_port: Port | None = None
    host_ip: str | None = None


class Configs(RequestModel):
    privileged: bool = False
    host_network: bool = True
    restart_policy: RestartPolicy = "Always"
    ports: list[PortMapping] | None = None
    run_as_user: RunAsUser = None
    host_pid: bool = False
    dns_policy: DnsPolicy | None = None


class HttpGet(RequestModel):
    path: Annotated[str, Field(pattern=r"^/")]
    port: Port
    host: str | None = None
    scheme: Literal["HTTP", "HTTPS"] = "HTTP"


class Probe(RequestModel):
    exec_command: ProbeCommand | None = None
    http_get: HttpGet | None = None
    initial_delay_seconds: ProbeSeconds = 10
    timeout_seconds: ProbeSeconds = 1

    @model_validator(mode="after")
    def _one_handler(self) -> Probe:
        if (self.exec_command is None) == (self.http_get is None):
            raise ValueError("a probe needs exactly one of exec_command or http_get")
        return self


def unique_env_names(envs: list[Env] | None) -> list[Env] | None:
    names = [e.name for e in envs or []]
    duplicates = sorted({n for n in names if names.count(n) > 1})
    if duplicates:
        raise ValueError(f"environment variable names must be unique: {', '.join(duplicates)} repeated")
    return envs


def unique_volume_names(volumes: list[Volume] | None) -> list[Volume] | None:
    names = [v.name for v in volumes or []]
    if len(set(names)) != len(names):
        raise ValueError("volume names must be unique")
    return volumes


class ContainerSpec(RequestModel):
    """The updatable part of an app (the body of a v2 update's ``deployment``)."""

    image_url: ImageUrl
    envs: list[Env] | None = None
    volumes: list[Volume] | None = None
    resources: Resources | None = None
    configs: Configs | None = None
    liveness_probe: Probe | None = None
    readiness_probe: Probe | None = None
    command: list[str] | None = None
    args: list[str] | None = None
    toleration_seconds: TolerationSeconds = 300
    migration: bool = False

    _envs = field_validator("envs")(unique_env_names)
    _volumes = field_validator("volumes")(unique_volume_names)


class App(ContainerSpec):
    name: Annotated[str, Field(pattern=NAME_PATTERN)]
    version: Annotated[str, Field(pattern=VERSION_PATTERN)] | None = None


class DeploymentCreate(RequestModel):
    name: Annotated[str, Field(pattern=NAME_PATTERN)]
    description: Description = None
    node_ids: list[str] | None = None
    group_id: Annotated[str | None, Field(min_length=1)] = None
    app: App
    visibility: str | None = None

    _description = field_validator("description")(check_description)

    @model_validator(mode="after")
    def _one_target(self) -> DeploymentCreate:
        check_target(self.node_ids, self.group_id)
        return self


class CreateBody(RequestModel):
    deployment: DeploymentCreate


class ContainerUpdate(RequestModel):
    """``ContainerSpec`` with every field optional; an explicit null probe removes the probe.
    (Not a subclass: a field that may be null here must not be one a ``ContainerSpec`` reader
    relies on.)"""

    image_url: ImageUrl | None = None
    envs: list[Env] | None = None
    volumes: list[Volume] | None = None
    resources: Resources | None = None
    configs: Configs | None = None
    liveness_probe: Probe | None = None
    readiness_probe: Probe | None = None
    command: list[str] | None = None
    args: list[str] | None = None
    toleration_seconds: TolerationSeconds | None = None
    migration: bool | None = None

    _envs = field_validator("envs")(unique_env_names)
    _volumes = field_validator("volumes")(unique_volume_names)


class UpdateBody(RequestModel):
    description: Description = None
    deployment: ContainerUpdate | None = None

    _description = field_validator("description")(check_description)


# --- from request to engine -------------------------------------------------------------------

NULLABLE_ON_UPDATE = ("liveness_probe", "readiness_probe")


def app_spec(app: App) -> AppSpec:
    """The app spec to store: every field present, defaults filled in, resources as floats.
    Built as the stored document (pydantic's field order is the v2 key order) and read into
    the model, so the document the store writes is exactly this one."""
    spec = app.model_dump(mode="json")
    spec["configs"] = spec["configs"] or Configs().model_dump(mode="json")
    for key in ("envs", "volumes", "command", "args"):
        spec[key] = spec[key] or []
    spec["resources"] = spec["resources"] or {"requests": None, "limits": None}
    return AppSpec.from_dict(spec)


def app_changes(update: ContainerUpdate) -> dict[str, Any]:
    """Fields an update sets; null counts only for probes (it removes them)."""
    dumped = update.model_dump(mode="json")
    changes: dict[str, Any] = {}
    for key in update.model_fields_set:
        value = dumped[key]
        if value is None and key not in NULLABLE_ON_UPDATE:
            continue
        changes[key] = value
    if "configs" in changes:
        changes["configs"] = changes["configs"] or Configs().model_dump(mode="json")
    return changes
