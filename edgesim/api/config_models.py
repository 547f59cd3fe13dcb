"""Request bodies of the config map and secret APIs (ief-api-more.md section 1.2)."""

from __future__ import annotations

import base64
import binascii
import json
import re
from typing import Annotated, Literal

from pydantic import Field, field_validator

from edgesim.api.fields import Description, RequestModel, check_description

# starts with a lowercase letter, 4..64 lowercase letters, digits and '-', not ending with '-'
CONFIG_NAME_PATTERN = r"^[a-z][a-z0-9-]{2,62}[a-z0-9]$"
_KEY = re.compile(r"^[A-Za-z-][A-Za-z0-9._-]{0,62}$")
MAX_DATA_CHARS = 1048576  # of the map's standard JSON form, as the SDK measures it
_BASE64 = re.compile(r"^[A-Za-z0-9+/]*={0,2}$")

ConfigName = Annotated[str, Field(pattern=CONFIG_NAME_PATTERN)]


def check_data(value: dict[str, str] | None) -> dict[str, str] | None:
    """Keys 1..63 characters starting with a letter or '-'; the whole map at most 1 MiB."""
    if value is None:
        return value
    for key in value:
        if not _KEY.match(key):
            raise ValueError(f"key {key!r} must be 1..63 letters, digits, '.', '_' or '-', starting with a letter or '-'")
    if len(json.dumps(value)) > MAX_DATA_CHARS:
        raise ValueError(f"must be at most {MAX_DATA_CHARS} characters in its JSON form")
    return value


def check_base64(value: dict[str, str] | None) -> dict[str, str] | None:
    """Every value standard base64 (RFC 4648 alphabet, padding required)."""
    for key, item in (value or {}).items():
        try:
            if len(item) % 4 or not _BASE64.match(item):
                raise ValueError
            base64.b64decode(item, validate=True)
        except (ValueError, binascii.Error):
            raise ValueError(f"the value of key {key!r} is not valid base64") from None
    return value


class ConfigMapCreate(RequestModel):
    name: ConfigName
    description: Description = None
    configs: dict[str, str] = {}

    _description = field_validator("description")(check_description)
    _configs = field_validator("configs")(check_data)


class ConfigMapCreateBody(RequestModel):
    configmap: ConfigMapCreate


class ConfigMapUpdate(RequestModel):
    description: Description = None
    configs: dict[str, str] | None = None

    _description = field_validator("description")(check_description)
    _configs = field_validator("configs")(check_data)


class ConfigMapUpdateBody(RequestModel):
    configmap: ConfigMapUpdate


class SecretCreate(RequestModel):
    name: ConfigName
    description: Description = None
    secrets: dict[str, str]
    type: Literal["Opaque"] = "Opaque"

    _description = field_validator("description")(check_description)
    _secrets = field_validator("secrets")(check_data)
    _base64 = field_validator("secrets")(check_base64)


class SecretCreateBody(RequestModel):
    secret: SecretCreate


class SecretUpdate(RequestModel):
    description: Description = None
    secrets: dict[str, str] | None = None

    _description = field_validator("description")(check_description)
    _secrets = field_validator("secrets")(check_data)
    _base64 = field_validator("secrets")(check_base64)


class SecretUpdateBody(RequestModel):
    secret: SecretUpdate
