"""v2 and v3 share their field types (api/fields.py): a rule both versions have accepts and
refuses the same values with the same message."""

from __future__ import annotations

import pytest
from pydantic import BaseModel, ValidationError

from edgesim.api import deployment_models as v2
from edgesim.api import v3_models as v3


def _refusal(model: type[BaseModel], field: str, value: object) -> tuple[str, str]:
    """The error type and message ``field`` alone gets for ``value`` (other fields ignored)."""
    with pytest.raises(ValidationError) as caught:
        model.model_validate({field: value})
    [error] = [e for e in caught.value.errors() if e["loc"][0] == field]
    return error["type"], error["msg"]


@pytest.mark.parametrize(("v2_model", "v3_model", "field", "bad"), [
    (v2.Configs, v3.PodConfigs, "restart_policy", "Sometimes"),
    (v2.Configs, v3.PodConfigs, "dns_policy", "Nope"),
    (v2.Configs, v3.Container, "run_as_user", 70000),
    (v2.ContainerSpec, v3.PodConfigs, "toleration_seconds", 86401),
    (v2.ContainerSpec, v3.Container, "image_url", ""),
    (v2.Probe, v3.Probe, "timeout_seconds", 0),
    (v2.Probe, v3.ExecAction, "exec_command", ""),
    (v2.PortMapping, v3.PortMapping, "container_port", 65536),
])
def test_a_rule_both_versions_have_refuses_alike(v2_model, v3_model, field, bad):
    v3_field = "command" if v3_model is v3.ExecAction else field
    assert _refusal(v2_model, field, bad) == _refusal(v3_model, v3_field, bad)


def test_both_versions_store_onfailure_as_onfailure():
    assert v2.Configs.model_validate({"restart_policy": "Onfailure"}).restart_policy == "OnFailure"
    v3_configs = v3.PodConfigs.model_validate({"restart_policy": "Onfailure"})
    assert v3_configs.restart_policy == "OnFailure"
