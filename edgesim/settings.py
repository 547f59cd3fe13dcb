"""Configuration: the TOML files of a config directory, validated into typed settings.

A directory may hold any of ``accounts.toml``, ``fleet.toml``, ``simulation.toml`` and
``behaviors.toml``. Each is laid over the packaged default file of its name (``config/`` at the
top of the repository, installed as ``edgesim.config``) key by key: a table merges with the
default's table of that name, any other value (a number, a string, a list, an array of tables
such as ``[[accounts]]``) replaces the default's; a file the directory lacks is the default. So a
``fleet.toml`` of ``[fleet]`` ``nodes = 20`` changes the node count and nothing else. An error
names the file and the key in it.
"""

from __future__ import annotations

import tomllib
from datetime import UTC, datetime
from importlib import resources
from pathlib import Path
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, ValidationInfo, field_validator
from pydantic_core import ErrorDetails

from edgesim.engine.behaviors import Profile

CONFIG_FILES = ("accounts.toml", "fleet.toml", "simulation.toml", "behaviors.toml")
# Files that are one field of Settings: (the field, the file's key holding it, or None for the
# whole file). The top-level keys of the other files are fields themselves.
ONE_FIELD_FILES: dict[str, tuple[str, str | None]] = {
    "simulation.toml": ("simulation", None),
    "behaviors.toml": ("behaviors", "profiles"),
}


class ConfigError(Exception):
    """A configuration file is missing, malformed or breaks a rule; the message says where."""


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


# The IEF quota types (contract ief-api-more.md section 9): quota type name -> limit. None
# means unlimited. ``engine/quotas.py`` counts each type from the world.
QUOTA_TYPES = (
    "edge_node", "node_cert", "edge_group", "group_cert", "application", "deployment",
    "device_template", "device", "app_version", "tag", "configmap", "secret", "ief_instance",
    "service", "gateway",
)
QUOTA_PRESETS: dict[str, dict[str, int | None]] = {
    "unlimited": {t: None for t in QUOTA_TYPES},
    # The professional edition's documented defaults (groups have no documented default).
    "real-service": {
        "edge_node": 10, "node_cert": 10, "edge_group": None, "group_cert": 10, "application": 10,
        "deployment": 500, "device_template": 10, "device": 500, "app_version": 10, "tag": 20,
        "configmap": 50, "secret": 50, "ief_instance": 1, "service": 100, "gateway": 10,
    },
}

_Limit = Annotated[int, Field(ge=-1)] | None


class Quotas(_Strict):
    """``preset`` picks the starting limits; a number for a type overrides it (-1: unlimited)."""

    preset: Literal["unlimited", "real-service"] = "unlimited"
    edge_node: _Limit = None
    node_cert: _Limit = None
    edge_group: _Limit = None
    group_cert: _Limit = None
    application: _Limit = None
    deployment: _Limit = None
    device_template: _Limit = None
    device: _Limit = None
    app_version: _Limit = None
    tag: _Limit = None
    configmap: _Limit = None
    secret: _Limit = None
    ief_instance: _Limit = None
    service: _Limit = None
    gateway: _Limit = None

    def limit(self, quota_type: str) -> int | None:
        override = getattr(self, quota_type)
        if override is not None:
            return None if override == -1 else override
        return QUOTA_PRESETS[self.preset][quota_type]


class Account(_Strict):
    domain: str
    user: str
    password: str
    project_id: Annotated[str, Field(pattern=r"^[0-9a-f]{32}$")]
    project_name: str
    access_key: str = ""
    secret_key: str = ""
    tokens: list[str] = []  # static development tokens (see AuthSettings.dev_tokens)
    quotas: Quotas = Quotas()


class AuthSettings(_Strict):
    """How IEF callers may prove who they are. IAM tokens and AK/SK signatures always work;
    the static per-account tokens only while ``dev_tokens`` is on (switch it off to make a
    client go through a real login)."""

    dev_tokens: bool = True


class AdminSettings(_Strict):
    """The control surface (/edgesim/) asks for ``X-Admin-Token: <token>`` when a token is set."""

    token: Annotated[str, Field(min_length=1)] | None = None


class FleetProfile(_Strict):
    cpu: tuple[int, int] = (4, 16)
    memory_mb: tuple[int, int] = (8192, 32768)
    arch: list[str] = ["x86_64"]
    os: list[str] = ["Ubuntu 22.04"]

    @field_validator("cpu", "memory_mb")
    @classmethod
    def _ordered(cls, value: tuple[int, int]) -> tuple[int, int]:
        if value[0] < 1 or value[0] > value[1]:
            raise ValueError("must be [low, high] with 1 <= low <= high")
        return value


class Fleet(_Strict):
    project_id: str
    nodes: Annotated[int, Field(ge=0, le=100_000)] = 5
    name_prefix: str = "edge-node"
    profile: FleetProfile = FleetProfile()


# A duration setting: a fixed number of seconds or a [low, high] range drawn uniformly.
# A duration in seconds, or a [min, max] range drawn from; JSON true/false are not durations
# (lax pydantic would read them as 1 and 0).
Duration = Annotated[float, Field(strict=True)]
Seconds = Duration | tuple[Duration, Duration]


def _check_seconds(value: Seconds) -> Seconds:
    low, high = (value, value) if isinstance(value, float) else value
    if low < 0 or low > high:
        raise ValueError("must be seconds >= 0, or [low, high] with 0 <= low <= high")
    return value


class InstanceTimings(_Strict):
    terminate_seconds: Seconds = (1.0, 2.0)  # stopping, for an image whose profile gives no stop time
    # a stopping container still running this long is killed (Kubernetes' terminationGracePeriodSeconds
    # default; the IEF SDK's PodConfigs has no field for it)
    termination_grace_seconds: Annotated[float, Field(ge=0, le=86400)] = 30.0
    # how long a config map or secret update takes to reach mounted volumes (kubelet sync)
    config_sync_seconds: Annotated[float, Field(ge=0)] = 60.0
    # refuse (409) deleting a config map or secret a deployment references
    block_delete_in_use: bool = False

    _seconds = field_validator("terminate_seconds")(_check_seconds)


class NodeTimings(_Strict):
    connect_seconds: Seconds = (5.0, 15.0)  # a registered or restarted node's agent connecting
    heartbeat_seconds: Annotated[float, Field(gt=0)] = 10.0
    grace_seconds: Annotated[float, Field(ge=0)] = 40.0  # silent this long: the node is FAIL
    # the node controller's eviction limits (engine.evictions): nodes a second, and in a zone
    # with this share of nodes lost, the slower rate (none in a zone of at most large_zone_size)
    eviction_rate: Annotated[float, Field(gt=0)] = 0.1
    secondary_eviction_rate: Annotated[float, Field(ge=0)] = 0.01
    unhealthy_zone_threshold: Annotated[float, Field(gt=0, le=1)] = 0.55
    large_zone_size: Annotated[int, Field(ge=0)] = 50

    _seconds = field_validator("connect_seconds")(_check_seconds)


class UpgradeProfile(_Strict):
    """How simulated node upgrades go (``engine.upgrades``); PUT /edgesim/upgrade-behavior replaces it."""

    seconds: Seconds = (60.0, 180.0)  # installing the new edge software, per node
    reconnect_seconds: Seconds = (0.0, 0.0)  # then its agent reconnecting (still UPGRADING)
    # strict: JSON true/false are not numbers here (lax pydantic would read false as 0)
    failure_probability: Annotated[float, Field(ge=0, le=1, strict=True)] = 0.05  # fails and rolls back
    latest_version: Annotated[str, Field(min_length=1, max_length=64)] = "2.53.0"
    concurrency: Annotated[int, Field(ge=1, le=1000, strict=True)] = 10  # tasks of one batch job at once
    job_timeout_seconds: Annotated[float, Field(ge=0, strict=True)] = 600.0  # a job running longer: timeout (0: never)
    # a deploy or app upgrade task of a batch job not done this long after it started fails (8.1)
    task_timeout_seconds: Annotated[float, Field(gt=0, strict=True)] = 300.0

    _seconds = field_validator("seconds", "reconnect_seconds")(_check_seconds)


class ClockSettings(_Strict):
    epoch: datetime = datetime(2026, 1, 1, tzinfo=UTC)

    @field_validator("epoch")
    @classmethod
    def _utc(cls, value: datetime) -> datetime:
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value


class EventSettings(_Strict):
    # The most recent events kept in memory; older ones are answered from the store, so a long
    # run does not grow the heap.
    memory_window: Annotated[int, Field(ge=1)] = 100_000


class CertSettings(_Strict):
    # ief-api-more.md 7.3: every certificate is valid this long (decision: 5 years); a node's own
    # (system) certificate keeps the year edgesim has always answered.
    validity_days: Annotated[float, Field(gt=0)] = 1825.0
    node_system_validity_days: Annotated[float, Field(gt=0)] = 365.0


class RoutingSettings(_Strict):
    # Messages a second each message rule carries (the rule body has no rate field); a rule
    # keeps the rate it was created with.
    message_rate: Annotated[float, Field(gt=0, le=1000)] = 1.0


class MetricsSettings(_Strict):
    # The label of the device seconds series (edgesim_device_seconds_total): "template" (one
    # series per device template, the default: bounded by the templates), "node" (per node the
    # devices were bound to) or "device" (one per device: opt in, a fleet's devices are many).
    device_label: Literal["template", "node", "device"] = "template"


class Simulation(_Strict):
    clock: ClockSettings = ClockSettings()
    instance: InstanceTimings = InstanceTimings()
    node: NodeTimings = NodeTimings()
    upgrade: UpgradeProfile = UpgradeProfile()
    events: EventSettings = EventSettings()
    certs: CertSettings = CertSettings()
    routing: RoutingSettings = RoutingSettings()
    metrics: MetricsSettings = MetricsSettings()


class Settings(_Strict):
    accounts: list[Account]
    fleet: Fleet
    simulation: Simulation = Simulation()
    behaviors: list[Profile] = []  # image behaviour profiles, first match wins
    auth: AuthSettings = AuthSettings()
    admin: AdminSettings = AdminSettings()

    # Field validators rather than one model validator, so that an error has the field (and
    # with it the file) that breaks the rule.
    @field_validator("accounts")
    @classmethod
    def _distinct_accounts(cls, accounts: list[Account]) -> list[Account]:
        if not accounts:
            raise ValueError("at least one account is needed")
        projects = [a.project_id for a in accounts]
        if len(set(projects)) != len(projects):
            raise ValueError("a project_id appears twice")
        tokens = [t for a in accounts for t in a.tokens]
        if len(set(tokens)) != len(tokens):
            raise ValueError("a token appears twice")
        keys = [a.access_key for a in accounts if a.access_key]
        if len(set(keys)) != len(keys):
            raise ValueError("an access_key appears twice")
        if any(bool(a.access_key) != bool(a.secret_key) for a in accounts):
            raise ValueError("access_key and secret_key go together")
        return accounts

    @field_validator("fleet")
    @classmethod
    def _fleet_of_an_account(cls, fleet: Fleet, info: ValidationInfo) -> Fleet:
        accounts = info.data.get("accounts")  # absent when the accounts are invalid themselves
        if accounts is not None and fleet.project_id not in {a.project_id for a in accounts}:
            raise ValueError(f"project_id {fleet.project_id!r} is not an account's project (accounts.toml)")
        return fleet

    def account(self, project_id: str) -> Account | None:
        return next((a for a in self.accounts if a.project_id == project_id), None)


def packaged_config_dir() -> Path:
    return Path(str(resources.files("edgesim.config")))


def _read_toml(path: Path) -> dict:
    try:
        with path.open("rb") as fh:
            return tomllib.load(fh)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: {exc}") from None
    except OSError as exc:
        raise ConfigError(f"{path}: {exc.strerror}") from None


def merged(default: dict, override: dict) -> dict:
    """``override`` laid over ``default``: tables merge key by key, anything else replaces."""
    result = dict(default)
    for key, value in override.items():
        base = result.get(key)
        result[key] = merged(base, value) if isinstance(base, dict) and isinstance(value, dict) else value
    return result


def load_settings(config_dir: str | Path | None = None) -> Settings:
    """Read and validate a config directory over the packaged defaults (default: those alone)."""
    default_dir = packaged_config_dir()
    directory = Path(config_dir) if config_dir else default_dir
    if not directory.is_dir():
        raise ConfigError(f"config directory {directory} does not exist")
    data: dict = {}
    origin: dict[str, tuple[str, Path]] = {}  # field -> (file name, the user's file or the default)
    for name in CONFIG_FILES:
        default, own = default_dir / name, directory / name
        content = _read_toml(default)
        if own.exists() and own != default:
            content = merged(content, _read_toml(own))
        fields = _as_fields(name, content)
        data.update(fields)
        origin.update(dict.fromkeys(fields, (name, own if own.exists() else default)))
    try:
        return Settings.model_validate(data)
    except ValidationError as exc:
        raise ConfigError("; ".join(_located(err, origin) for err in exc.errors())) from None


def _as_fields(name: str, content: dict) -> dict:
    """A file's content as Settings fields."""
    if name not in ONE_FIELD_FILES:
        return content
    field, key = ONE_FIELD_FILES[name]
    return {field: content.get(key, []) if key else content}


def _located(error: ErrorDetails, origin: dict[str, tuple[str, Path]]) -> str:
    """``<file>: <key in that file>: <problem>`` for one validation error of Settings."""
    field, *rest = error["loc"]
    name, path = origin[str(field)]  # a Settings field: always a name, never a list index
    if name in ONE_FIELD_FILES:
        key = ONE_FIELD_FILES[name][1]
        rest = [key, *rest] if key else rest
    else:
        rest = [field, *rest]
    message = error["msg"].removeprefix("Value error, ")
    return f"{path}: {'.'.join(str(p) for p in rest)}: {message}"
