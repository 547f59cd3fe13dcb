"""The official SDK's ten config map and secret operations against edgesim, with AK/SK
signing: create, list (filter, paging, sort), show, update, delete; its refusals as the SDK's
exceptions."""

from __future__ import annotations

import base64

import pytest
from huaweicloudsdkcore.exceptions.exceptions import ClientRequestException
from huaweicloudsdkief.v1 import (
    ConfigMap,
    ConfigMaps,
    CreateConfigMapRequest,
    CreateSecretRequest,
    DeleteConfigMapRequest,
    DeleteSecretRequest,
    ListConfigMapsRequest,
    ListSecretsRequest,
    Secret,
    SecretDetail,
    ShowConfigMapRequest,
    ShowSecretRequest,
    UpdateConfigMap,
    UpdateConfigMapRequest,
    UpdateConfigMaps,
    UpdateSecret,
    UpdateSecretDetail,
    UpdateSecretRequest,
)
from test_sdk_e2e import _no_proxy, call, sdk  # noqa: F401  (_no_proxy: an autouse fixture)

from conftest import PROJECT_ID


def b64(text: str) -> str:
    return base64.b64encode(text.encode()).decode()


async def test_the_sdk_drives_config_maps_from_create_to_delete(api):
    client = sdk(api.url)
    created = (await call(client, "create_config_map", CreateConfigMapRequest(
        body=ConfigMaps(configmap=ConfigMap(name="app-config", description="web", configs={"a.yaml": "x: 1"}))))).configmap
    assert (created.name, created.configs, created.project_id) == ("app-config", {"a.yaml": "x: 1"}, PROJECT_ID)
    await call(client, "create_config_map", CreateConfigMapRequest(body=ConfigMaps(configmap=ConfigMap(name="db-config"))))

    listed = await call(client, "list_config_maps", ListConfigMapsRequest(name="app", limit=10, offset=0))
    assert listed.count == 1 and [c.id for c in listed.configmaps] == [created.id]
    shown = (await call(client, "show_config_map", ShowConfigMapRequest(configmap_id=created.id))).configmap
    assert shown.description == "web" and shown.created_at == created.created_at

    await api.advance(5)
    updated = (await call(client, "update_config_map", UpdateConfigMapRequest(
        configmap_id=created.id, body=UpdateConfigMaps(configmap=UpdateConfigMap(configs={"b": "2"}))))).configmap
    assert updated.configs == {"b": "2"} and updated.description == "web" and updated.updated_at > created.updated_at

    await call(client, "delete_config_map", DeleteConfigMapRequest(configmap_id=created.id))
    with pytest.raises(ClientRequestException) as missing:
        await call(client, "show_config_map", ShowConfigMapRequest(configmap_id=created.id))
    assert (missing.value.status_code, missing.value.error_code) == (404, "IEF.100003")


async def test_the_sdk_drives_secrets_from_create_to_delete(api):
    client = sdk(api.url)
    created = (await call(client, "create_secret", CreateSecretRequest(
        body=Secret(secret=SecretDetail(name="db-pass", secrets={"password": b64("p1")}))))).secret
    assert created.type == "Opaque" and created.secrets == {"password": b64("p1")}
    await api.advance(1)
    await call(client, "create_secret", CreateSecretRequest(
        body=Secret(secret=SecretDetail(name="api-key", type="Opaque", secrets={"k": b64("v")}))))

    listed = await call(client, "list_secrets", ListSecretsRequest(sort="name", limit=1, offset=0))
    assert listed.count == 2 and [s.name for s in listed.secrets] == ["api-key"]
    shown = (await call(client, "show_secret", ShowSecretRequest(secret_id=created.id))).secret
    assert shown.name == "db-pass"

    updated = (await call(client, "update_secret", UpdateSecretRequest(
        secret_id=created.id, body=UpdateSecret(secret=UpdateSecretDetail(secrets={"password": b64("p2")}))))).secret
    assert updated.secrets == {"password": b64("p2")}

    with pytest.raises(ClientRequestException) as refused:
        await call(client, "create_secret", CreateSecretRequest(
            body=Secret(secret=SecretDetail(name="bad-value", secrets={"k": "not base64!"}))))
    assert (refused.value.status_code, refused.value.error_code) == (400, "IEF.100002")
    assert "secret.secrets" in refused.value.error_msg

    await call(client, "delete_secret", DeleteSecretRequest(secret_id=created.id))
    assert (await call(client, "list_secrets", ListSecretsRequest())).count == 1
