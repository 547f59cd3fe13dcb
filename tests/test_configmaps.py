"""The config map and secret APIs as a client sees it: wrapped bodies, every field rule
accepted and refused, list paging, filters and sort, and records surviving a restart."""

from __future__ import annotations

import base64
import json

import pytest

from conftest import start_api, stop_api

UNKNOWN_ID = "00000000-0000-4000-8000-000000000000"
CM_KEYS = {"id", "name", "description", "configs", "project_id", "created_at", "updated_at"}
SECRET_KEYS = {"id", "name", "description", "secrets", "project_id", "created_at", "updated_at", "type"}


def b64(text: str) -> str:
    return base64.b64encode(text.encode()).decode()


async def make_cm(api, name: str = "app-config", **extra):
    return await api.post(api.v2("configmaps"), {"configmap": {"name": name, **extra}})


async def make_secret(api, name: str = "app-secret", secrets: dict | None = None, **extra):
    body = {"name": name, "secrets": {"password": b64("hunter2")} if secrets is None else secrets, **extra}
    return await api.post(api.v2("secrets"), {"secret": body})


def refused(reply, code: str, field: str) -> None:
    assert reply.status == 400, reply.body
    assert reply.body["error_code"] == code, reply.body
    assert field in reply.body["error_msg"], reply.body


# --- create ---------------------------------------------------------------------------------------


async def test_create_config_map_answers_201_with_every_field(api):
    reply = await make_cm(api, configs={"app.yaml": "port: 80"})
    assert reply.status == 201, reply.body
    cm = reply.body["configmap"]
    assert set(cm) == CM_KEYS
    assert cm["configs"] == {"app.yaml": "port: 80"} and cm["description"] == ""
    assert cm["updated_at"] == cm["created_at"] and cm["created_at"].endswith("Z")
    assert (await api.get(api.v2(f"configmaps/{cm['id']}"))).body["configmap"] == cm


async def test_create_secret_answers_201_with_type_opaque(api):
    reply = await make_secret(api, description="db")
    assert reply.status == 201, reply.body
    secret = reply.body["secret"]
    assert set(secret) == SECRET_KEYS
    assert secret["type"] == "Opaque" and secret["secrets"] == {"password": b64("hunter2")}


async def test_configs_default_to_an_empty_map(api):
    assert (await make_cm(api)).body["configmap"]["configs"] == {}


@pytest.mark.parametrize("name", ["abcd", "a-1-b", "a" * 64])
async def test_names_accepted(api, name):
    assert (await make_cm(api, name)).status == 201
    assert (await make_secret(api, name)).status == 201


@pytest.mark.parametrize("name", ["abc", "a" * 65, "1abc", "abc-", "Abcd", "ab_cd", "-abc"])
async def test_bad_names_refused_with_100012(api, name):
    refused(await make_cm(api, name), "IEF.100012", "configmap.name")
    refused(await make_secret(api, name), "IEF.100012", "secret.name")


async def test_duplicate_name_refused_per_kind(api):
    assert (await make_cm(api, "shared")).status == 201
    refused(await make_cm(api, "shared"), "IEF.100006", "shared")
    assert (await make_secret(api, "shared")).status == 201  # another kind: its own names
    refused(await make_secret(api, "shared"), "IEF.100006", "shared")


@pytest.mark.parametrize("key", ["a", "-a", "A.b_c-1", "k" * 63])
async def test_keys_accepted(api, key):
    assert (await make_cm(api, configs={key: "v"})).status == 201


@pytest.mark.parametrize("key", ["", "1a", ".a", "_a", "k" * 64, "a/b", "a b"])
async def test_bad_keys_refused(api, key):
    refused(await make_cm(api, configs={key: "v"}), "IEF.100002", "configmap.configs")
    refused(await make_secret(api, secrets={key: b64("v")}), "IEF.100002", "secret.secrets")


async def test_size_limit_is_the_json_form_of_the_map(api):
    # {"k": "<v>"} is 9 characters around the value
    fits = {"k": "x" * (1048576 - 9)}
    assert len(json.dumps(fits)) == 1048576
    assert (await make_cm(api, "fits", configs=fits)).status == 201
    refused(await make_cm(api, "toobig", configs={"k": "x" * (1048576 - 8)}), "IEF.100002", "configmap.configs")


async def test_config_values_must_be_strings(api):
    refused(await make_cm(api, configs={"a": 1}), "IEF.100002", "configmap.configs")


@pytest.mark.parametrize("value", ["aGk=", "aGVsbG8=", "", "YWJj"])
async def test_base64_values_accepted(api, value):
    assert (await make_secret(api, secrets={"k": value})).status == 201


@pytest.mark.parametrize("value", ["aGk", "not base64!", "aGk=\n", "a-_b", "aG=k"])
async def test_non_base64_values_refused_naming_the_key(api, value):
    reply = await make_secret(api, secrets={"k": value})
    refused(reply, "IEF.100002", "secret.secrets")
    assert "'k'" in reply.body["error_msg"]


async def test_secrets_are_required(api):
    refused(await api.post(api.v2("secrets"), {"secret": {"name": "nosecrets"}}), "IEF.100002", "secret.secrets")


async def test_only_opaque_type(api):
    assert (await make_secret(api, "opaque", type="Opaque")).status == 201
    refused(await make_secret(api, "tls-cert", type="kubernetes.io/tls"), "IEF.100002", "secret.type")


async def test_description_rule(api):
    assert (await make_cm(api, "okdesc", description="d" * 255)).status == 201
    refused(await make_cm(api, "longdesc", description="d" * 256), "IEF.100002", "configmap.description")
    refused(await make_secret(api, "baddesc", description="a<b"), "IEF.100002", "secret.description")


async def test_unwrapped_body_refused(api):
    refused(await api.post(api.v2("configmaps"), {"name": "abcd"}), "IEF.100002", "configmap")


async def test_a_refused_create_changes_nothing(api):
    await make_cm(api, "bad-", configs={})
    assert (await api.get(api.v2("configmaps"))).body["count"] == 0
    assert not [e for e in await api.events() if e["kind"].startswith("configmap.")]


# --- list -----------------------------------------------------------------------------------------


async def test_list_filters_by_name_substring_and_pages(api):
    for name in ("web-one", "web-two", "db-one"):
        assert (await make_cm(api, name)).status == 201
        await api.advance(1)
    reply = await api.get(api.v2("configmaps") + "?name=web")
    assert reply.body["count"] == 2 and [c["name"] for c in reply.body["configmaps"]] == ["web-one", "web-two"]
    reply = await api.get(api.v2("configmaps") + "?limit=1&offset=1")
    assert reply.body["count"] == 3 and [c["name"] for c in reply.body["configmaps"]] == ["web-two"]
    reply = await api.get(api.v2("configmaps") + "?offset=9")
    assert reply.body == {"configmaps": [], "count": 3}


async def test_secret_list_sorts(api):
    for name in ("bbbb", "aaaa", "cccc"):
        await make_secret(api, name)
        await api.advance(1)
    names = lambda r: [s["name"] for s in r.body["secrets"]]  # noqa: E731
    assert names(await api.get(api.v2("secrets"))) == ["bbbb", "aaaa", "cccc"]
    assert names(await api.get(api.v2("secrets") + "?sort=name")) == ["aaaa", "bbbb", "cccc"]
    assert names(await api.get(api.v2("secrets") + "?sort=created_at:desc")) == ["cccc", "aaaa", "bbbb"]
    refused(await api.get(api.v2("secrets") + "?sort=size"), "IEF.100002", "sort")


@pytest.mark.parametrize("query, code", [("limit=0", "IEF.100005"), ("limit=1001", "IEF.100005"),
                                         ("limit=1.5", "IEF.100005"), ("offset=-1", "IEF.100004")])
async def test_bad_paging_refused(api, query, code):
    assert (await api.get(api.v2("configmaps") + "?limit=1000")).status == 200
    reply = await api.get(api.v2("configmaps") + "?" + query)
    assert reply.status == 400 and reply.body["error_code"] == code


# --- update, delete ---------------------------------------------------------------------------------


async def test_update_replaces_the_map_and_keeps_absent_fields(api):
    cm = (await make_cm(api, configs={"a": "1", "b": "2"}, description="first")).body["configmap"]
    await api.advance(5)
    reply = await api.put(api.v2(f"configmaps/{cm['id']}"), {"configmap": {"configs": {"c": "3"}}})
    assert reply.status == 200, reply.body
    updated = reply.body["configmap"]
    assert updated["configs"] == {"c": "3"} and updated["description"] == "first"
    assert updated["updated_at"] > updated["created_at"] == cm["created_at"]


async def test_update_secret_checks_base64(api):
    secret = (await make_secret(api)).body["secret"]
    path = api.v2(f"secrets/{secret['id']}")
    refused(await api.put(path, {"secret": {"secrets": {"k": "???"}}}), "IEF.100002", "secret.secrets")
    assert (await api.get(path)).body["secret"]["secrets"] == secret["secrets"]
    reply = await api.put(path, {"secret": {"secrets": {"k": b64("new")}, "description": "rotated"}})
    assert reply.status == 200 and reply.body["secret"]["secrets"] == {"k": b64("new")}


async def test_name_cannot_change(api):
    cm = (await make_cm(api)).body["configmap"]
    reply = await api.put(api.v2(f"configmaps/{cm['id']}"), {"configmap": {"name": "other"}})
    assert reply.status == 200 and reply.body["configmap"]["name"] == "app-config"


async def test_delete_answers_204_then_404(api):
    cm = (await make_cm(api)).body["configmap"]
    reply = await api.delete(api.v2(f"configmaps/{cm['id']}"))
    assert reply.status == 204
    assert (await api.get(api.v2(f"configmaps/{cm['id']}"))).status == 404
    assert (await make_cm(api)).status == 201  # the name is free again


@pytest.mark.parametrize("family", ["configmaps", "secrets"])
async def test_unknown_ids_answer_404(api, family):
    for method in (api.get, api.delete):
        reply = await method(api.v2(f"{family}/{UNKNOWN_ID}"))
        assert reply.status == 404 and reply.body["error_code"] == "IEF.100003"
    wrapper = family.removesuffix("s")
    reply = await api.put(api.v2(f"{family}/{UNKNOWN_ID}"), {wrapper: {"description": "x"}})
    assert reply.status == 404 and reply.body["error_code"] == "IEF.100003"


async def test_events_record_what_happened(api):
    cm = (await make_cm(api)).body["configmap"]
    await api.put(api.v2(f"configmaps/{cm['id']}"), {"configmap": {"description": "x"}})
    await api.delete(api.v2(f"configmaps/{cm['id']}"))
    kinds = [e["kind"] for e in await api.events() if e["kind"].startswith("configmap.")]
    assert kinds == ["configmap.created", "configmap.updated", "configmap.deleted"]


# --- persistence ----------------------------------------------------------------------------------


async def test_records_survive_a_restart(api, tmp_path):
    cm = (await make_cm(api, configs={"a": "1"})).body["configmap"]
    secret = (await make_secret(api)).body["secret"]
    db = tmp_path / "edgesim.db"
    await stop_api(api)
    again = await start_api(db)
    try:
        assert (await again.get(again.v2(f"configmaps/{cm['id']}"))).body["configmap"] == cm
        assert (await again.get(again.v2(f"secrets/{secret['id']}"))).body["secret"] == secret
        refused(await make_cm(again), "IEF.100006", "app-config")
    finally:
        await stop_api(again)
