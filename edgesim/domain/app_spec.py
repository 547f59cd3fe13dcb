"""The app spec (a deployment's container) as a typed model, and its conversion to and from the
dict the store keeps (``Deployment.app`` / ``Instance.app``).

Field names are the IEF v2 body names (``deployment.app``), so the stored dict, the v2 API and
this model read alike. The conversion lives here and only here: ``AppSpec.from_dict(d).to_dict()``
gives ``d`` back key for key and in the same key order, so a document written from the model is
byte-identical to one written from the dict (tests/test_app_spec.py checks it on stored
documents).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any

import orjson

# A v3-built spec lists name and version first; a v2-built one (pydantic's field order) last.
NAME_KEYS = ("name", "version")
V2_KEYS = ("image_url", "envs", "volumes", "resources", "configs", "liveness_probe", "readiness_probe",
           "command", "args", "toleration_seconds", "migration")
# The container's own fields (not what the cloud does on node loss): what a v2 instance shows.
CONTAINER_KEYS = ("name", "version", "image_url", "envs", "volumes", "resources", "configs",
                  "liveness_probe", "readiness_probe", "command", "args")


@dataclass(frozen=True, slots=True)
class Ref:
    """A secret's or config map's key (``value_from.secret`` / ``value_from.configmap``)."""

    name: str
    key: str

    @classmethod
    def from_dict(cls, d: dict[str, Any] | None) -> Ref | None:
        return None if d is None else cls(d["name"], d["key"])

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.name, "key": self.key}


@dataclass(frozen=True, slots=True)
class ValueFrom:
    secret: Ref | None = None
    configmap: Ref | None = None

    @classmethod
    def from_dict(cls, d: dict[str, Any] | None) -> ValueFrom | None:
        return None if d is None else cls(Ref.from_dict(d.get("secret")), Ref.from_dict(d.get("configmap")))

    def to_dict(self) -> dict[str, Any]:
        return {"secret": _out(self.secret), "configmap": _out(self.configmap)}


@dataclass(frozen=True, slots=True)
class Env:
    name: str
    value: str | None = None
    value_from: ValueFrom | None = None
    field_path: str | None = None

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Env:
        return cls(d["name"], d.get("value"), ValueFrom.from_dict(d.get("value_from")), d.get("field_path"))

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.name, "value": self.value, "value_from": _out(self.value_from), "field_path": self.field_path}


@dataclass(frozen=True, slots=True)
class Volume:
    name: str
    type: str  # configMap, secret, emptyDir, hostPath
    source: str
    destination: str
    read_only: bool = False
    default_mode: int = 420

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Volume:
        return cls(d["name"], d["type"], d["source"], d["destination"], d["read_only"], d["default_mode"])

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.name, "type": self.type, "source": self.source, "destination": self.destination,
                "read_only": self.read_only, "default_mode": self.default_mode}


@dataclass(frozen=True, slots=True)
class Amounts:
    """One side of ``resources`` (cpu cores, memory MB, gpu MB, npu count); None: not given."""

    cpu: float | None = None
    memory: float | None = None
    gpu: float | None = None
    npu: float | None = None

    @classmethod
    def from_dict(cls, d: dict[str, Any] | None) -> Amounts | None:
        return None if d is None else cls(d.get("cpu"), d.get("memory"), d.get("gpu"), d.get("npu"))

    def to_dict(self) -> dict[str, Any]:
        return {"cpu": self.cpu, "memory": self.memory, "gpu": self.gpu, "npu": self.npu}

    def given(self) -> dict[str, float]:
        return {k: v for k, v in self.to_dict().items() if v is not None}


@dataclass(frozen=True, slots=True)
class Resources:
    requests: Amounts | None = None
    limits: Amounts | None = None

    @classmethod
    def from_dict(cls, d: dict[str, Any] | None) -> Resources:
        d = d or {}
        return cls(Amounts.from_dict(d.get("requests")), Amounts.from_dict(d.get("limits")))

    def to_dict(self) -> dict[str, Any]:
        return {"requests": _out(self.requests), "limits": _out(self.limits)}

    def given(self) -> dict[str, dict[str, float]]:
        """The amounts given, per side (``requests``, ``limits``); a side giving none is {}."""
        return {"requests": self.requests.given() if self.requests else {},
                "limits": self.limits.given() if self.limits else {}}


@dataclass(frozen=True, slots=True)
class PortRange:
    min_port: int
    max_port: int


@dataclass(frozen=True, slots=True)
class PortMapping:
    container_port: int
    host_port: int | None = None
    host_ip: str | None = None
    host_port_range: PortRange | None = None  # v3 only; stored only when given

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> PortMapping:
        r = d.get("host_port_range")
        return cls(d["container_port"], d.get("host_port"), d.get("host_ip"),
                   None if r is None else PortRange(r["min_port"], r["max_port"]))

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"container_port": self.container_port, "host_port": self.host_port, "host_ip": self.host_ip}
        if self.host_port_range is not None:
            out["host_port_range"] = {"min_port": self.host_port_range.min_port, "max_port": self.host_port_range.max_port}
        return out


@dataclass(frozen=True, slots=True)
class Configs:
    privileged: bool = False
    host_network: bool = True
    restart_policy: str = "Always"  # Always, OnFailure, Never (canonical spelling)
    ports: tuple[PortMapping, ...] | None = None
    run_as_user: int | None = None
    host_pid: bool = False
    dns_policy: str | None = None

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Configs:
        ports = d.get("ports")
        return cls(d["privileged"], d["host_network"], d["restart_policy"],
                   None if ports is None else tuple(PortMapping.from_dict(p) for p in ports),
                   d.get("run_as_user"), d["host_pid"], d.get("dns_policy"))

    def to_dict(self) -> dict[str, Any]:
        return {"privileged": self.privileged, "host_network": self.host_network, "restart_policy": self.restart_policy,
                "ports": None if self.ports is None else [p.to_dict() for p in self.ports],
                "run_as_user": self.run_as_user, "host_pid": self.host_pid, "dns_policy": self.dns_policy}


@dataclass(frozen=True, slots=True)
class HttpGet:
    path: str
    port: int
    host: str | None = None
    scheme: str = "HTTP"

    @classmethod
    def from_dict(cls, d: dict[str, Any] | None) -> HttpGet | None:
        return None if d is None else cls(d["path"], d["port"], d.get("host"), d["scheme"])

    def to_dict(self) -> dict[str, Any]:
        return {"path": self.path, "port": self.port, "host": self.host, "scheme": self.scheme}


@dataclass(frozen=True, slots=True)
class Probe:
    exec_command: str | None = None
    http_get: HttpGet | None = None
    initial_delay_seconds: int = 10
    timeout_seconds: int = 1

    @classmethod
    def from_dict(cls, d: dict[str, Any] | None) -> Probe | None:
        if d is None:
            return None
        return cls(d.get("exec_command"), HttpGet.from_dict(d.get("http_get")), d["initial_delay_seconds"], d["timeout_seconds"])

    def to_dict(self) -> dict[str, Any]:
        return {"exec_command": self.exec_command, "http_get": _out(self.http_get),
                "initial_delay_seconds": self.initial_delay_seconds, "timeout_seconds": self.timeout_seconds}


@dataclass(frozen=True, slots=True)
class AppSpec:
    """One deployment's container: what the engine simulates and both API versions show."""

    name: str
    image_url: str
    version: str | None = None
    envs: tuple[Env, ...] = ()
    volumes: tuple[Volume, ...] = ()
    resources: Resources = Resources()
    configs: Configs = Configs()
    liveness_probe: Probe | None = None
    readiness_probe: Probe | None = None
    command: tuple[str, ...] = ()
    args: tuple[str, ...] = ()
    toleration_seconds: int = 300
    migration: bool = False
    npu_type: str | None = None  # v3 only; stored only when given
    # the stored key order (v3-built: name and version first), kept for byte-identical documents;
    # not a difference between two specs
    name_first: bool = field(default=False, compare=False)

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> AppSpec:
        return cls(
            name=d["name"], image_url=d["image_url"], version=d.get("version"),
            envs=tuple(Env.from_dict(e) for e in d.get("envs") or ()),
            volumes=tuple(Volume.from_dict(v) for v in d.get("volumes") or ()),
            resources=Resources.from_dict(d.get("resources")),
            configs=Configs.from_dict(d["configs"]),
            liveness_probe=Probe.from_dict(d.get("liveness_probe")),
            readiness_probe=Probe.from_dict(d.get("readiness_probe")),
            command=tuple(d.get("command") or ()), args=tuple(d.get("args") or ()),
            toleration_seconds=d["toleration_seconds"], migration=d["migration"],
            npu_type=d.get("npu_type"), name_first=next(iter(d), None) == "name",
        )

    def to_dict(self) -> dict[str, Any]:
        body: dict[str, Any] = {
            "image_url": self.image_url,
            "envs": [e.to_dict() for e in self.envs],
            "volumes": [v.to_dict() for v in self.volumes],
            "resources": self.resources.to_dict(),
            "configs": self.configs.to_dict(),
            "liveness_probe": _out(self.liveness_probe),
            "readiness_probe": _out(self.readiness_probe),
            "command": list(self.command),
            "args": list(self.args),
            "toleration_seconds": self.toleration_seconds,
            "migration": self.migration,
        }
        names = {"name": self.name, "version": self.version}
        out = {**names, **body} if self.name_first else {**body, **names}
        if self.npu_type is not None:
            out["npu_type"] = self.npu_type
        return out

    def changed(self, changes: Mapping[str, Any]) -> AppSpec:
        """This spec with some fields replaced by their stored form (a v2 update's body fields,
        ``api.deployment_models.app_changes``): merged as documents, so the stored document
        keeps its key order, exactly as the dict merge the store always saw."""
        return AppSpec.from_dict({**self.to_dict(), **changes}) if changes else self

    def runs_like(self, other: AppSpec) -> bool:
        """Whether both run the same container: they differ at most in the fields that only tell
        the cloud what to do on node loss, whose change rolls no instance."""
        return replace(self, toleration_seconds=other.toleration_seconds, migration=other.migration) == other


# Read specs by their document's bytes: the instances of one deployment come back from the store
# as separate, equal documents, and share one (immutable) model instead of each building its own.
# Bounded: a fleet has far fewer distinct specs; past the bound the table starts again.
_READ: dict[bytes, AppSpec] = {}
READ_LIMIT = 4096


def read(document: dict[str, Any]) -> AppSpec:
    """``AppSpec.from_dict(document)``, shared among equal documents."""
    key = orjson.dumps(document)
    spec = _READ.get(key)
    if spec is None:
        if len(_READ) >= READ_LIMIT:
            _READ.clear()
        spec = _READ[key] = AppSpec.from_dict(document)
    return spec


def container_document(document: dict[str, Any]) -> dict[str, Any]:
    """A stored spec's container fields as stored: picked from the document, not rebuilt from
    the model, since a v2 list shows them for every instance (the parts are the store's own
    objects: read them, never change them)."""
    return {key: document.get(key) for key in CONTAINER_KEYS}


def _out(part: Any) -> dict[str, Any] | None:
    return None if part is None else part.to_dict()
