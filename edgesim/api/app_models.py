"""Request bodies of the app template and app version APIs (ief-api-more.md section 2).

A version's container fields are the v2 deployment shapes (``deployment_models``), so a
template accepts and refuses exactly what a v2 deployment does."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import Field, field_validator

from edgesim.api.deployment_models import (
    VERSION_PATTERN,
    Configs,
    Env,
    Probe,
    Resources,
    Volume,
    unique_env_names,
    unique_volume_names,
)
from edgesim.api.fields import Description, ImageUrl, RequestModel, Tag, check_description, unique_keys

APP_NAME_PATTERN = r"^[a-z0-9]([a-z0-9-]{0,30}[a-z0-9])?$"  # <=32, starts and ends with a letter or digit
ALIAS_PATTERN = r"^[\w-]{0,64}$"  # Chinese, letters, digits, '-', '_'
ICON_URL_PATTERN = r"^https?://\S+$"  # decision: an http(s) URL without spaces

# Which IEF code a broken rule answers with, by field path (api.validation.parse).
APP_FIELD_CODES = {"app.name": "IEF.100011", "app.icon_url": "IEF.100020"}
VERSION_FIELD_CODES = {"version.version": "IEF.100010", "version.envs": "IEF.100013", "version.volumes": "IEF.100009"}


class AppDetail(RequestModel):
    name: Annotated[str, Field(pattern=APP_NAME_PATTERN)]
    alias: Annotated[str, Field(pattern=ALIAS_PATTERN)] | None = None
    description: Description = None
    icon_url: Annotated[str, Field(max_length=2083, pattern=ICON_URL_PATTERN)] | None = None
    tags: Annotated[list[Tag], Field(max_length=20)] = []

    _description = field_validator("description")(check_description)
    _keys = field_validator("tags")(unique_keys)


class CreateAppBody(RequestModel):
    app: AppDetail


class AppUpdate(RequestModel):
    alias: Annotated[str, Field(pattern=ALIAS_PATTERN)] | None = None
    description: Description = None

    _description = field_validator("description")(check_description)


class UpdateAppBody(RequestModel):
    app: AppUpdate


class VersionUpdate(RequestModel):
    """What a PUT may change; ``version``, ``image_url`` and ``arch`` are not in the SDK model
    and are ignored if sent."""

    envs: list[Env] | None = None
    volumes: list[Volume] | None = None
    configs: Configs | None = None
    resources: Resources | None = None
    command: list[str] | None = None
    args: list[str] | None = None
    liveness_probe: Probe | None = None
    readiness_probe: Probe | None = None
    npu_type: Literal["", "D310", "D310B"] | None = None

    _envs = field_validator("envs")(unique_env_names)
    _volumes = field_validator("volumes")(unique_volume_names)


class VersionDetail(VersionUpdate):
    version: Annotated[str, Field(pattern=VERSION_PATTERN)]
    image_url: ImageUrl
    arch: Literal["x86_64", "arm64", "aarch64"] = "x86_64"


class CreateVersionBody(RequestModel):
    version: VersionDetail


class UpdateVersionBody(RequestModel):
    version: VersionUpdate


# --- from request to engine -------------------------------------------------------------------

NULLABLE_ON_UPDATE = ("liveness_probe", "readiness_probe")  # an explicit null removes the probe


def version_spec(version: VersionDetail) -> dict[str, Any]:
    """The stored version: every field present, defaults filled in."""
    spec = version.model_dump(mode="json")
    spec["configs"] = spec["configs"] or Configs().model_dump(mode="json")
    for key in ("envs", "volumes", "command", "args"):
        spec[key] = spec[key] or []
    spec["resources"] = spec["resources"] or {"requests": None, "limits": None}
    spec["npu_type"] = spec["npu_type"] or ""
    return spec


def version_changes(update: VersionUpdate) -> dict[str, Any]:
    """The fields an update sets; null counts only for probes."""
    dumped = update.model_dump(mode="json")
    changes = {k: dumped[k] for k in update.model_fields_set if dumped[k] is not None or k in NULLABLE_ON_UPDATE}
    if "configs" in changes:
        changes["configs"] = changes["configs"] or Configs().model_dump(mode="json")
    return changes
