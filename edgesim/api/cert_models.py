"""Request bodies of the node and group certificate APIs (ief-api-more.md 7.1, 7.2); no wrapper."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BeforeValidator, Field, field_validator

from edgesim.api.fields import Description, RequestModel, check_description


def _trim_leading(value: object) -> object:
    """Leading spaces are trimmed (TS 16234887060); any other space is refused by the pattern."""
    return value.lstrip(" ") if isinstance(value, str) else value


# Chinese, letters, digits, '_' and '-', 1..64 characters
CertName = Annotated[str, BeforeValidator(_trim_leading), Field(pattern=r"^[\w-]{1,64}$")]


class NodeCertBody(RequestModel):
    name: CertName
    type: Literal["application", "device"]
    description: Description = None

    _description = field_validator("description")(check_description)


class GroupCertBody(RequestModel):
    name: CertName | None = None
    type: Literal["system", "application", "device"] = "application"
    description: Description = None

    _description = field_validator("description")(check_description)
