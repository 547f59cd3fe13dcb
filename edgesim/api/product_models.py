"""Request bodies of the product API (ief-api-more.md 4.4) and of its edgesim registration route."""

from __future__ import annotations

from typing import Annotated

from pydantic import Field, field_validator, model_validator

from edgesim.api.device_models import TypeMeta, Value, check_typed
from edgesim.api.fields import RESOURCE_NAME_PATTERN, Description, RequestModel, check_description, unique_keys

# lowercase letters, digits and '-', at most 26, not starting or ending with '-'
PRODUCT_NAME_PATTERN = r"^[a-z0-9](?:[a-z0-9-]{0,24}[a-z0-9])?$"


class ProductAttribute(RequestModel):
    """The SDK's ``ProductAttributes``: a typed value (int, string, float or boolean)."""

    value: Value
    metadata: TypeMeta = TypeMeta()

    @model_validator(mode="after")
    def _typed(self) -> ProductAttribute:
        check_typed(self.value, self.metadata.type)
        return self


class ProductTag(RequestModel):
    key: Annotated[str, Field(pattern=r"^[A-Za-z0-9_-]{1,128}$")]
    value: Annotated[str, Field(pattern=r"^[A-Za-z0-9_-]{1,256}$")]


class ProductCreate(RequestModel):
    name: Annotated[str, Field(pattern=PRODUCT_NAME_PATTERN)]
    description: Description = None
    attributes: Annotated[dict[Annotated[str, Field(pattern=r"^[\w-]{1,64}$")], ProductAttribute], Field(max_length=64)] = {}
    tags: Annotated[list[ProductTag], Field(max_length=20)] = []  # decision: <=20, each key once

    _description = field_validator("description")(check_description)
    _keys = field_validator("tags")(unique_keys)


class CreateProductBody(RequestModel):
    product: ProductCreate


class ProductRegistration(RequestModel):
    """``POST /edgesim/products/{product_id}/register``: a pre-installed node presents the credential."""

    identifier: Annotated[str, Field(min_length=1, max_length=128)]
    name: Annotated[str, Field(pattern=RESOURCE_NAME_PATTERN)]
    description: Description = None

    _description = field_validator("description")(check_description)
