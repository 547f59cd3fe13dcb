"""Request body of update_device_twin (ief-api-more.md 4.3), as the SDK's ``TwinUpdateDetail``
names it: twin properties to merge by name (``null`` removes one) and property visitors.

A property here may leave out its type (it keeps the stored one); the engine checks each
desired value against the property's type (``engine.twins``). ``actual`` is not read:
reported values come from the simulated device (decision)."""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import Field, model_validator

from edgesim.api.device_models import MAX_PARTS, DesiredValue, PartName, TypeMeta, Visitors, stored_visitors
from edgesim.api.fields import RequestModel


class TwinChange(RequestModel):
    excepted: DesiredValue | None = None
    expected: DesiredValue | None = None
    optional: bool | None = None
    metadata: TypeMeta | None = None

    @model_validator(mode="after")
    def _one_type(self) -> TwinChange:
        desired = self.desired
        if desired is not None and desired.metadata is not None and self.metadata is not None \
                and desired.metadata.type != self.metadata.type:
            raise ValueError(f"the desired value's type {desired.metadata.type} differs from the property's {self.metadata.type}")
        return self

    @property
    def desired(self) -> DesiredValue | None:
        return self.excepted or self.expected  # decision: excepted wins when both are given

    def as_change(self) -> dict[str, Any]:
        """What the engine merges: the desired value, and the type and optional flag if given."""
        change: dict[str, Any] = {}
        desired = self.desired
        if desired is not None:
            change["expected"] = desired.value
        value_type = self.metadata or (desired.metadata if desired is not None else None)
        if value_type is not None:
            change["metadata"] = {"type": value_type.type}
        if self.optional is not None:
            change["optional"] = self.optional
        return change


class TwinUpdateBody(RequestModel):
    twin: Annotated[dict[PartName, TwinChange | None], Field(max_length=MAX_PARTS)] = {}
    property_visitors: Visitors = {}

    def changes(self) -> dict[str, dict[str, Any] | None]:
        return {name: None if prop is None else prop.as_change() for name, prop in self.twin.items()}

    def visitors(self) -> dict[str, Any]:
        return stored_visitors(self.property_visitors)
