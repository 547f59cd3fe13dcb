"""Request bodies of the batch job API (ief-api-more.md 8.1, SDK ``BatchJobRequest``), the
``task_data`` of its deployment jobs (a v3 deployment as a JSON string, read by the v3 models),
and edgesim's upgrade profile (PUT /edgesim/upgrade-behavior takes ``settings.UpgradeProfile``)."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import Field, field_validator

from edgesim.api.errors import bad_request
from edgesim.api.fields import Description, RequestModel, check_description, unique_keys
from edgesim.api.product_models import PRODUCT_NAME_PATTERN, ProductTag
from edgesim.api.v3_models import Replicas, Spec, Template, app_spec, template_extras
from edgesim.api.validation import parse


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


# --- task_data of the deployment jobs ----------------------------------------------------------

TASK_DATA = "job_content.task_data"


class UpgradeTaskData(RequestModel):
    """A ``deployment_upgrade`` job's task_data: the v3 update's ``deployment`` parameter
    (``UpdateSpec``) with its template required, since replacing the template is the task."""

    replicas: Replicas | None = None
    template: Template


def task_spec(job_type: str, task_data: str | None) -> dict[str, Any]:
    """The engine's app spec (``{app, replicas, extras}``) of a deploy or app upgrade job's
    task_data, read by the v3 request models (the same rules and codes as the v3 routes);
    {} for a node upgrade, which takes none."""
    if job_type == "node_upgrade":
        if task_data:  # never accepted and ignored
            raise bad_request(f"invalid {TASK_DATA}: a node_upgrade job takes no task_data")
        return {}
    if not task_data:
        raise bad_request(f"invalid {TASK_DATA}: a {job_type} job_type needs task_data, the v3 deployment "
                          '(e.g. {"replicas": 1, "template": {...}}) as a JSON string')
    if job_type == "deployment_deploy":
        spec = parse(Spec, task_data.encode(), where=TASK_DATA)
        extras = {"api_version": "v3", "annotations": spec.annotations, **template_extras(spec.template)}
        return {"app": app_spec(spec.template).to_dict(), "replicas": spec.replicas, "extras": extras}
    update = parse(UpgradeTaskData, task_data.encode(), where=TASK_DATA)
    return {"app": app_spec(update.template).to_dict(), "replicas": update.replicas, "extras": template_extras(update.template)}
