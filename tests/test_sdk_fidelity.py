"""Every answer of edgesim fits the official SDK's response model, and the checker that says so
refuses what does not fit.

``edgesim.testing.sdk_fidelity`` drives one realistic successful call per SDK operation through
the SDK (AK/SK, real socket), compares the JSON with the operation's response model (keys,
types, timestamp forms, status code) and makes one bad call per operation (the IEF error body).
"""

from __future__ import annotations

import asyncio

import pytest

from edgesim.testing.sdk_coverage import operations
from edgesim.testing.sdk_fidelity import conform, conform_response, error_shape, timestamp_form, walk


@pytest.fixture(autouse=True)
def _no_proxy(monkeypatch):
    monkeypatch.setenv("NO_PROXY", "127.0.0.1,localhost")


async def test_every_sdk_operation_answers_what_its_model_declares(api):
    reports = await asyncio.to_thread(walk, api.url)

    assert [r.operation for r in reports] == operations() and len(reports) == 111
    mismatches = {r.operation: r.mismatches for r in reports if r.mismatches}
    assert not mismatches, mismatches
    assert all(r.status in (200, 201, 202, 204) for r in reports)
    assert not [r.operation for r in reports if r.known]  # no departure from the contract is tolerated


async def test_every_field_of_the_sdks_request_models_is_honoured_or_refused(api):
    """Each body is sent again once per SDK request field it lacks: none is silently ignored."""
    reports = await asyncio.to_thread(walk, api.url, True)
    ignored = {r.operation: r.problems for r in reports if r.problems}
    assert not ignored, ignored


# --- the checker's own judgement: an accepted and a refused value per rule ------------------------


def test_a_value_of_another_type_than_declared_is_a_mismatch():
    assert conform(3, "int", "x") == [] and conform("3", "str", "x") == []
    assert conform(1.5, "float", "x") == [] and conform(2, "float", "x") == []
    assert conform("3", "int", "x") == ["x: str \"3\" where the SDK declares int"]
    assert conform(True, "int", "x") != []  # a bool is no int for the SDK
    assert conform(["a"], "list[str]", "x") == [] and conform("a", "list[str]", "x") != []
    assert conform({"k": "v"}, "dict(str, str)", "x") == [] and conform({"k": 1}, "dict(str, str)", "x") != []
    assert conform("2026-01-01T00:00:00.000Z", "datetime", "x") == [] and conform("yesterday", "datetime", "x") != []


def test_a_key_the_model_declares_must_be_there_unless_the_service_omits_it():
    attributes = {"key": "site", "value": "sz"}
    assert conform(attributes, "Attributes", "x") == []
    assert conform({"key": "site"}, "Attributes", "x") == ["x.value: missing (Attributes declares str)"]
    # a twin property's reported value exists once the device reports (OMITTED)
    assert conform({"optional": True, "metadata": {"type": "int"}}, "ValueInTwinResponse", "x") == []


def test_answers_are_compared_with_the_operations_response_model():
    assert conform_response("create_node_encryptdatas", b"") == []
    assert conform_response("create_node_encryptdatas", b'{"ok": true}') != []  # the SDK expects no body
    assert conform_response("list_tags", b'{"tags": [{"key": "a", "value": "b"}], "count": 1}') == []
    assert conform_response("list_tags", b'{"tags": [{"key": "a", "value": "b"}], "count": "1"}') != []
    page = b'[{"count": 0, "groupcerts": []}]'  # the SDK says object; the contract says this
    assert conform_response("list_edge_group_certs", page) == []
    assert conform_response("list_edge_group_certs", b'[{"count": 0, "groupcerts": {}}]') != []


def test_timestamps_take_the_contracts_forms():
    assert timestamp_form("created_at", "2026-01-01T00:00:00.000Z", "x") == []
    assert timestamp_form("created_at", "2026-01-01T00:00:00+00:00", "x") != []
    assert timestamp_form("created_at", "2026-01-01T00:00:00.000000", "x", v2=True) == []
    assert timestamp_form("created_at", "2026-01-01T00:00:00.000Z", "x", v2=True) != []
    assert timestamp_form("created_at", 1767225600, "x") == [] and timestamp_form("created_at", 1767225600000, "x") != []
    assert timestamp_form("delete_at", 0, "x") == []  # 0: not deleted
    assert timestamp_form("timestamp", 1767225600000, "x") == [] and timestamp_form("timestamp", 1767225600, "x") != []
    assert timestamp_form("cert_remaining_valid_time", 1825, "x") == []  # a duration, not a time


def test_errors_carry_exactly_the_ief_body():
    assert error_shape(404, b'{"error_code": "IEF.100003", "error_msg": "rule r not found"}') == []
    assert error_shape(400, b'{"code": "IEF.100002", "message": "bad"}') != []
    assert error_shape(400, b'{"error_code": "100002", "error_msg": "bad"}') != []
    assert error_shape(409, b'{"error_code": "IEF.100007", "error_msg": ""}') != []
    assert error_shape(400, b"bad request") != []


# --- the fixes the checker found --------------------------------------------------------------------


async def test_certificate_times_are_utc_with_milliseconds_like_every_newer_family(api):
    """ief-api-more.md 0.4: string timestamps are ``2026-01-01T00:00:00.000Z`` (they were
    ``+00:00`` offsets, which the contract's form and the other families do not use)."""
    await api.advance(10)
    node_id = (await api.node_ids())[0]
    made = await api.post(api.v2(f"nodes/{node_id}/certs"), {"name": "mqtt-client", "type": "application"})
    assert made.status == 201, made.body
    assert (made.body["created_at"], made.body["expires_at"]) == ("2026-01-01T00:00:10.000Z", "2030-12-31T00:00:10.000Z")
    listed = (await api.get(api.v2(f"nodes/{node_id}/certs"))).body["node_certs"][0]
    assert listed["created_at"] == "2026-01-01T00:00:10.000Z"

    group_id = (await api.post(api.v2("groups"), {"name": "site"})).body["id"]
    made = await api.post(api.v2(f"groups/{group_id}/certs"), {"name": "gw"})
    assert made.status == 201, made.body
    assert made.body["created_at"] == made.body["updated_at"] == "2026-01-01T00:00:10.000Z"
    shown = (await api.get(api.v2(f"groups/{group_id}/certs/{made.body['id']}"))).body
    page = (await api.get(api.v2(f"groups/{group_id}/certs"))).body[0]["groupcerts"][0]
    assert shown["created_at"] == page["updated_at"] == "2026-01-01T00:00:10.000Z"
    assert shown["expires_at"] == "2030-12-31T00:00:10.000Z"


async def test_every_node_answer_carries_the_master_address_but_only_registration_the_keys(api):
    """ief-api.md 5: simulated nodes fill every ``EdgeNodeResp`` field; ``master_addr`` (no
    secret) was only in the register answer. Key material still is (tests/test_v2_nodes.py)."""
    registered = await api.post(api.v2("nodes"), {"node": {"name": "site-node"}})
    assert registered.status == 201, registered.body
    node_id, address = registered.body["node"]["id"], registered.body["node"]["master_addr"]
    assert address == "edgesim.local:8943"
    shown = (await api.get(api.v2(f"nodes/{node_id}"))).body["node"]
    listed = next(n for n in (await api.get(api.v2("nodes"))).body["nodes"] if n["id"] == node_id)
    updated = (await api.put(api.v2(f"nodes/{node_id}"), {"node": {"description": "b"}})).body["node"]
    group = (await api.post(api.v2("groups"), {"name": "site", "node_ids": [node_id]})).body
    assert shown["master_addr"] == listed["master_addr"] == updated["master_addr"] == group["nodes"][0]["master_addr"] == address
    assert "private_key" not in shown and "certificate" not in listed


async def test_a_group_create_with_devices_is_refused_not_ignored(api):
    """The SDK's ``EdgeGroupRequest.device_ids`` was dropped without a word (only a warning
    header); edgesim binds devices to nodes, so devices in a group create are refused."""
    node_id = (await api.node_ids())[0]
    refused = await api.post(api.v2("groups"), {"name": "site", "node_ids": [node_id], "device_ids": ["d1"]})
    assert refused.status == 400 and refused.body["error_code"] == "IEF.100002"
    assert "device_ids" in refused.body["error_msg"] and "node" in refused.body["error_msg"]
    assert (await api.get(api.v2("groups"))).body["count"] == 0  # nothing made
    accepted = await api.post(api.v2("groups"), {"name": "site", "node_ids": [node_id], "device_ids": []})
    assert accepted.status == 201, accepted.body
