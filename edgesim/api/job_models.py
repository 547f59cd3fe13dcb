"""Request bodies of the batch job API (ief-api-more.md 8.1, SDK ``BatchJobRequest``) and of
edgesim's upgrade profile (PUT /edgesim/upgrade-behavior takes ``settings.UpgradeProfile``)."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field, field_validator

from edgesim.api.fields import Description, RequestModel, check_description, unique_keys
from edgesim.api.product_models import PRODUCT_NAME_PATTERN, ProductTag


class Extension(RequestModel):
    key: Annotated[str, Field(min_length=1, max_length=128)]  # the console sends node_name
    value: Annotated[str, Field(max_length=256)] = ""


class JobTarget(RequestModel):
    target_id: Annotated[str, Field(min_length=1, max_length=64)]
    extension_info: Annotated[list[Extension], Field(max_length=20)] = []


class JobContent(RequestModel):
    # decision: required (the SDK leaves them optional, but a job without targets does nothing)
    target_type: Literal["node", "node_group", "deployment"]
    targets: Annotated[list[JobTarget], Field(min_length=1, max_length=1000)]
    task_data: str | None = None


class BatchJobBody(RequestModel):
    """The body as the SDK sends it: no wrapper."""

    job_name: Annotated[str, Field(pattern=PRODUCT_NAME_PATTERN)]
    job_type: Literal["node_upgrade", "deployment_deploy", "deployment_upgrade"]
    job_content: JobContent
    description: Description = None
    tags: Annotated[list[ProductTag], Field(max_length=20)] = []

    _description = field_validator("description")(check_description)
    _keys = field_validator("tags")(unique_keys)
