"""Request bodies of the encrypted data APIs (ief-api-more.md 7.4)."""

from __future__ import annotations

from typing import Annotated

from pydantic import Field, field_validator

from edgesim.api.fields import Description, RequestModel, check_description

# lowercase letters, digits and '-', starting with a letter or digit
EncryptDataName = Annotated[str, Field(pattern=r"^[a-z0-9][a-z0-9-]{0,63}$")]
ItemName = Annotated[str, Field(pattern=r"^[a-z0-9][a-z0-9-]{0,31}$")]


class EncryptDataItem(RequestModel):
    name: ItemName
    value: Annotated[str, Field(min_length=1)]
    is_encrypted: bool = True


class EncryptDataIn(RequestModel):
    name: EncryptDataName
    description: Description = None
    config: Annotated[list[EncryptDataItem], Field(min_length=1)]

    _description = field_validator("description")(check_description)

    @field_validator("config")
    @classmethod
    def _unique_items(cls, items: list[EncryptDataItem]) -> list[EncryptDataItem]:
        names = [i.name for i in items]
        if len(set(names)) != len(names):
            raise ValueError("item names must be unique within a record")
        return items


class EncryptDataBody(RequestModel):
    encrypt_data: EncryptDataIn


class NodeEncryptDataBody(RequestModel):
    encrypt_datas: Annotated[list[Annotated[str, Field(min_length=1)]], Field(min_length=1)]
