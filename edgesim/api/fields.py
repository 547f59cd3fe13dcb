"""Field types and rules shared by the request bodies of both API versions (v2 and v3) and
the control routes: a rule lives here once, so both versions accept and refuse the same."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field

DESCRIPTION_FORBIDDEN = set("^~#$%&*<>()[]{}'\"\\")

# Node and group names: letters (Chinese included), digits, '_' and '-', 1..64 characters.
RESOURCE_NAME_PATTERN = r"^[\w-]{1,64}$"


class RequestModel(BaseModel):
    """Strict types (a string is not a number), unknown keys ignored as the real service does."""

    model_config = ConfigDict(strict=True, extra="ignore")


Description = Annotated[str | None, Field(default=None)]
Port = Annotated[int, Field(ge=1, le=65535)]
ImageUrl = Annotated[str, Field(min_length=1, max_length=2083)]
RunAsUser = Annotated[int | None, Field(ge=0, le=65534)]
TolerationSeconds = Annotated[int, Field(ge=0, le=86400)]
ProbeSeconds = Annotated[int, Field(ge=1, le=3600)]  # a probe's initial delay and timeout
ProbeCommand = Annotated[str, Field(min_length=1, max_length=10240)]
# Resource amounts: cpu in cores, memory and gpu in MB, npu a count.
CpuCores = Annotated[float, Field(ge=0.01, le=1000)]
MemoryMb = Annotated[float, Field(ge=0.01, le=1024000)]
GpuMb = Annotated[float, Field(ge=0, le=1024000)]  # bounded like memory: a value the simulation can hold
NpuCount = Annotated[float, Field(ge=0, le=1000)]  # a count, bounded like cpu
DnsPolicy = Literal["Default", "ClusterFirst", "ClusterFirstWithHostNet"]


def _canonical_policy(value: str) -> str:
    return "OnFailure" if value == "Onfailure" else value


# "Onfailure", a spelling the API accepts, is stored as "OnFailure".
RestartPolicy = Annotated[Literal["Always", "OnFailure", "Onfailure", "Never"], AfterValidator(_canonical_policy)]


class Tag(RequestModel):
    key: Annotated[str, Field(pattern=r"^[A-Za-z0-9_-]{1,36}$")]
    value: Annotated[str, Field(pattern=r"^[A-Za-z0-9_.-]{0,43}$")] = ""


def unique_keys(items: list | None) -> list | None:
    """For lists of tags or attributes: each key once."""
    keys = [i.key for i in items or []]
    if len(set(keys)) != len(keys):
        raise ValueError("keys must be unique")
    return items


def check_description(value: str | None) -> str | None:
    """At most 255 characters, none of ^ ~ # $ % & * < > ( ) [ ] { } ' " \\."""
    if value is None:
        return value
    if len(value) > 255:
        raise ValueError("must be at most 255 characters")
    bad = sorted(set(value) & DESCRIPTION_FORBIDDEN)
    if bad:
        raise ValueError(f"must not contain {' '.join(bad)}")
    return value


def check_target(node_ids: list[str] | None, group_id: str | None) -> None:
    """A deployment goes to exactly one node (``node_ids``) or to a node group, not both."""
    if group_id is not None and node_ids:
        raise ValueError("give either node_ids or group_id, not both")
    if group_id is None:
        if not node_ids:
            raise ValueError("node_ids is required (one edge node id) unless group_id is given")
        if len(node_ids) != 1:
            raise ValueError("node_ids must hold exactly one edge node id")


RESOURCE_SIDES = ("requests", "limits")


def given_amounts(resources: dict[str, Any] | None) -> dict[str, dict[str, Any]]:
    """The amounts an app spec's ``resources`` gives, per side; amounts left out (null) dropped."""
    return {side: {k: v for k, v in ((resources or {}).get(side) or {}).items() if v is not None}
            for side in RESOURCE_SIDES}
