"""Configuration: the TOML files of a config directory, validated into typed settings.

A directory may hold any of ``accounts.toml``, ``fleet.toml``, ``simulation.toml`` and
``behaviors.toml``; a file
it lacks is taken from the packaged defaults (``config/`` at the top of the repository, installed as ``edgesim.config``), so a user can override one
part without copying the rest.
"""

from __future__ import annotations

import tomllib
from datetime import UTC, datetime
from importlib import resources
from pathlib import Path
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from edgesim.engine.behaviors import Profile

CONFIG_FILES = ("accounts.toml", "fleet.toml", "simulation.toml", "behaviors.toml")


class ConfigError(Exception):
    """A configuration file is missing, malformed or breaks a rule; the message says where."""


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


# The IEF quotas edgesim enforces: quota type name -> limit. None means unlimited.
QUOTA_TYPES = ("edge_node", "edge_group", "deployment")
QUOTA_PRESETS: dict[str, dict[str, int | None]] = {
    "unlimited": {t: None for t in QUOTA_TYPES},
    # The professional edition's documented defaults (groups have no documented default).
    "real-service": {"edge_node": 10, "edge_group": None, "deployment": 500},
}


class Quotas(_Strict):
    """``preset`` picks the starting limits; a number for a type overrides it (-1: unlimited)."""

    preset: Literal["unlimited", "real-service"] = "unlimited"
    edge_node: Annotated[int, Field(ge=-1)] | None = None
    edge_group: Annotated[int, Field(ge=-1)] | None = None
    deployment: Annotated[int, Field(ge=-1)] | None = None

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
Seconds = float | tuple[float, float]


def _check_seconds(value: Seconds) -> Seconds:
    low, high = (value, value) if isinstance(value, float) else value
    if low < 0 or low > high:
        raise ValueError("must be seconds >= 0, or [low, high] with 0 <= low <= high")
    return value


class InstanceTimings(_Strict):
    terminate_seconds: Seconds = (1.0, 2.0)

    _seconds = field_validator("terminate_seconds")(_check_seconds)


class NodeTimings(_Strict):
    connect_seconds: Seconds = (5.0, 15.0)  # a registered or restarted node's agent connecting
    heartbeat_seconds: Annotated[float, Field(gt=0)] = 10.0
    grace_seconds: Annotated[float, Field(ge=0)] = 40.0  # silent this long: the node is FAIL

    _seconds = field_validator("connect_seconds")(_check_seconds)


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


class Simulation(_Strict):
    clock: ClockSettings = ClockSettings()
    instance: InstanceTimings = InstanceTimings()
    node: NodeTimings = NodeTimings()
    events: EventSettings = EventSettings()


class Settings(_Strict):
    accounts: list[Account]
    fleet: Fleet
    simulation: Simulation = Simulation()
    behaviors: list[Profile] = []  # image behaviour profiles, first match wins
    auth: AuthSettings = AuthSettings()
    admin: AdminSettings = AdminSettings()

    @model_validator(mode="after")
    def _consistent(self) -> Settings:
        if not self.accounts:
            raise ValueError("at least one account is needed")
        projects = [a.project_id for a in self.accounts]
        if len(set(projects)) != len(projects):
            raise ValueError("accounts: a project_id appears twice")
        tokens = [t for a in self.accounts for t in a.tokens]
        if len(set(tokens)) != len(tokens):
            raise ValueError("accounts: a token appears twice")
        keys = [a.access_key for a in self.accounts if a.access_key]
        if len(set(keys)) != len(keys):
            raise ValueError("accounts: an access_key appears twice")
        if any(bool(a.access_key) != bool(a.secret_key) for a in self.accounts):
            raise ValueError("accounts: access_key and secret_key go together")
        if self.fleet.project_id not in projects:
            raise ValueError(f"fleet.project_id {self.fleet.project_id!r} is not an account's project")
        return self

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


def load_settings(config_dir: str | Path | None = None) -> Settings:
    """Read and validate the config directory (default: the packaged one)."""
    default_dir = packaged_config_dir()
    directory = Path(config_dir) if config_dir else default_dir
    if not directory.is_dir():
        raise ConfigError(f"config directory {directory} does not exist")
    merged: dict = {}
    for name in CONFIG_FILES:
        path = directory / name
        data = _read_toml(path if path.exists() else default_dir / name)
        if name == "simulation.toml":
            merged["simulation"] = data
        elif name == "behaviors.toml":
            merged["behaviors"] = data.get("profiles", [])
        else:
            merged.update(data)
    try:
        return Settings.model_validate(merged)
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in err['loc'])}: {err['msg']}" for err in exc.errors()
        )
        raise ConfigError(f"invalid configuration in {directory}: {problems}") from None
