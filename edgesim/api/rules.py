"""Field rules shared by several IEF request bodies."""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field

DESCRIPTION_FORBIDDEN = set("^~#$%&*<>()[]{}'\"\\")

# Node and group names: letters (Chinese included), digits, '_' and '-', 1..64 characters.
RESOURCE_NAME_PATTERN = r"^[\w-]{1,64}$"


class RequestModel(BaseModel):
    """Strict types (a string is not a number), unknown keys ignored as the real service does."""

    model_config = ConfigDict(strict=True, extra="ignore")


Description = Annotated[str | None, Field(default=None)]


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
