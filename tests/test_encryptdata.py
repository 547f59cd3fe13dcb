"""Encrypted data and its distribution to nodes over real HTTP (ief-api-more.md 7.4): every rule
accepted and refused, unknown ids, per-node delivery state following the node's connectivity,
and records surviving a restart."""

from __future__ import annotations

import base64

from conftest import start_api, stop_api

BASE = "/v2/{p}/edm/encryptdatas"


def refused(reply, code: str, text: str = "", status: int = 400) -> None:
    assert reply.status == status, reply.body
    assert reply.body["error_code"] == code, reply.body
    assert text in reply.body["error_msg"], reply.body


def edm(api, tail: str) -> str:
    return api.v2(tail).replace("/edgemgr/", "/edm/")


def record(name: str = "db-creds", **extra):
    return {"encrypt_data": {"name": name, "config": [{"name": "password", "value": "s3cret", "is_encrypted": False}],
                             **extra}}


async def make(api, name: str = "db-creds", **extra):
    return await api.post(edm(api, "encryptdatas"), record(name, **extra))


async def test_create_stores_ciphertext_and_reads_never_return_plaintext(api):
    reply = await make(api, description="database")
    assert reply.status == 201, reply.body
    ed = reply.body["encrypt_data"]
    assert set(ed) == {"id", "name", "description", "config", "project_id", "ief_instance_id", "domain_id",
                       "created_time", "updated_time"}
    item = ed["config"][0]
    assert item["is_encrypted"] is True and item["value"] != "s3cret"
    assert base64.b64decode(item["value"]) == b"edgesim:s3cret"
    # epoch seconds (ief-api-more.md 0.4: integer times; the encryptdata example is 10 digits)
    assert ed["ief_instance_id"] == "default" and ed["created_time"] == 1767225600
    assert (await api.get(edm(api, f"encryptdatas/{ed['id']}"))).body["encrypt_data"] == ed
    given = {"encrypt_data": {"name": "cipher", "config": [{"name": "k", "value": "QUJD"}]}}
    assert (await api.post(edm(api, "encryptdatas"), given)).body["encrypt_data"]["config"][0]["value"] == "QUJD"


async def test_record_rules(api):
    for good in ("a", "0-db", "x" * 64):
        assert (await make(api, good)).status == 201
    for bad in ("Upper", "-lead", "has_underscore", "", "x" * 65):
        refused(await make(api, bad), "IEF.100012", "name")  # the name rule's code
    refused(await make(api, "a"), "IEF.100006", "name")
    item = {"name": "k", "value": "v"}
    for bad_item, field in (({**item, "name": "K"}, "name"), ({**item, "name": "k" * 33}, "name"),
                            ({**item, "value": ""}, "value"), ({"name": "k"}, "value"),
                            ({**item, "is_encrypted": "yes"}, "is_encrypted")):
        reply = await api.post(edm(api, "encryptdatas"), {"encrypt_data": {"name": "r", "config": [bad_item]}})
        refused(reply, "IEF.100012" if field == "name" else "IEF.100002", field)
    assert (await api.post(edm(api, "encryptdatas"), {"encrypt_data": {"name": "r", "config": [{**item, "name": "k" * 32}]}})).status == 201
    refused(await api.post(edm(api, "encryptdatas"), {"encrypt_data": {"name": "s", "config": []}}), "IEF.100002", "config")
    refused(await api.post(edm(api, "encryptdatas"), {"encrypt_data": {"name": "s", "config": [item, item]}}), "IEF.100002", "unique")
    refused(await make(api, "d", description="<x>"), "IEF.100002", "description")
    refused(await api.post(edm(api, "encryptdatas"), {"name": "no-wrapper"}), "IEF.100002", "encrypt_data")


async def test_list_filter_paging_update_and_delete(api):
    ids = [(await make(api, n)).body["encrypt_data"]["id"] for n in ("alpha", "beta", "alphabet")]
    listed = (await api.get(edm(api, "encryptdatas?name=alpha"))).body
    assert listed["count"] == 2 and [r["name"] for r in listed["encrypt_datas"]] == ["alpha", "alphabet"]
    page = (await api.get(edm(api, "encryptdatas?limit=1&offset=1"))).body
    assert page["count"] == 3 and [r["name"] for r in page["encrypt_datas"]] == ["alphabet"]  # by time, then name
    refused(await api.get(edm(api, "encryptdatas?limit=0")), "IEF.100005")
    url = edm(api, f"encryptdatas/{ids[0]}")
    await api.advance(5)
    new = {"encrypt_data": {"name": "alpha", "description": "v2", "config": [{"name": "token", "value": "dA=="}]}}
    updated = (await api.put(url, new)).body["encrypt_data"]
    assert updated["description"] == "v2" and [i["name"] for i in updated["config"]] == ["token"]
    assert updated["updated_time"] == updated["created_time"] + 5
    refused(await api.put(url, {**new, "encrypt_data": {**new["encrypt_data"], "name": "renamed"}}), "IEF.100002", "name")
    assert (await api.delete(url)).status == 204
    for call in (api.get(url), api.put(url, new), api.delete(url)):
        refused(await call, "IEF.100003", status=404)


async def test_binding_rules_and_unknown_ids(api):
    node_id = (await api.node_ids())[0]
    ed = (await make(api)).body["encrypt_data"]
    bind_url = edm(api, f"nodes/{node_id}/encryptdatas")
    assert (await api.post(bind_url, {"encrypt_datas": [ed["id"]]})).status == 201
    assert (await api.post(bind_url, {"encrypt_datas": [ed["id"]]})).status == 201  # idempotent
    listed = (await api.get(bind_url)).body
    assert listed["count"] == 1 and listed["encrypt_datas"][0]["delivery_state"] == "delivered"
    nodes = (await api.get(edm(api, f"encryptdatas/{ed['id']}/nodes"))).body
    assert nodes["count"] == 1 and set(nodes["nodes"][0]) >= {"id", "state", "name", "host_name", "host_ips"}
    refused(await api.post(bind_url, {"encrypt_datas": ["nope"]}), "IEF.100003", status=404)
    refused(await api.post(bind_url, {"encrypt_datas": []}), "IEF.100002", "encrypt_datas")
    refused(await api.post(edm(api, "nodes/nope/encryptdatas"), {"encrypt_datas": [ed["id"]]}), "IEF.100003", status=404)
    refused(await api.get(edm(api, "nodes/nope/encryptdatas")), "IEF.100003", status=404)
    refused(await api.get(edm(api, "encryptdatas/nope/nodes")), "IEF.100003", status=404)
    refused(await api.delete(edm(api, f"encryptdatas/{ed['id']}")), "IEF.100007", "bound", status=409)
    assert (await api.delete(f"{bind_url}/{ed['id']}")).status == 204
    refused(await api.delete(f"{bind_url}/{ed['id']}"), "IEF.100003", status=404)  # not bound any more
    assert (await api.delete(edm(api, f"encryptdatas/{ed['id']}"))).status == 204


async def test_delivery_is_pending_while_the_node_is_cut_off_and_delivered_at_reconnect(api):
    node_id = (await api.node_ids())[0]
    ed = (await make(api)).body["encrypt_data"]
    nodes_url = edm(api, f"encryptdatas/{ed['id']}/nodes")
    assert (await api.post(f"/edgesim/nodes/{node_id}/disconnect", token=None)).status == 200
    assert (await api.post(edm(api, f"nodes/{node_id}/encryptdatas"), {"encrypt_datas": [ed["id"]]})).status == 201
    assert (await api.get(nodes_url)).body["nodes"][0]["delivery_state"] == "pending"
    await api.advance(120)  # past the grace period: the node is FAIL, still pending
    shown = (await api.get(nodes_url)).body["nodes"][0]
    assert (shown["state"], shown["delivery_state"]) == ("FAIL", "pending")
    assert (await api.post(f"/edgesim/nodes/{node_id}/connect", token=None)).status == 200
    shown = (await api.get(nodes_url)).body["nodes"][0]
    assert (shown["state"], shown["delivery_state"]) == ("RUNNING", "delivered")
    delivered = [e for e in await api.events(kind="encryptdata.delivery") if e["state"] == "delivered"]
    assert delivered[-1]["time"] == api.engine.clock.now()
    # an update reaches a node cut off for less than the grace period at its reconnect
    assert (await api.post(f"/edgesim/nodes/{node_id}/disconnect", token=None)).status == 200
    update = record(description="rotated")
    assert (await api.put(edm(api, f"encryptdatas/{ed['id']}"), update)).status == 200
    assert (await api.get(nodes_url)).body["nodes"][0]["delivery_state"] == "pending"
    assert (await api.post(f"/edgesim/nodes/{node_id}/connect", token=None)).status == 200
    assert (await api.get(nodes_url)).body["nodes"][0]["delivery_state"] == "delivered"


async def test_records_and_bindings_survive_a_restart(api, tmp_path):
    node_id = (await api.node_ids())[0]
    ed = (await make(api)).body["encrypt_data"]
    assert (await api.post(f"/edgesim/nodes/{node_id}/disconnect", token=None)).status == 200
    assert (await api.post(edm(api, f"nodes/{node_id}/encryptdatas"), {"encrypt_datas": [ed["id"]]})).status == 201
    await stop_api(api)
    again = await start_api(tmp_path / "edgesim.db")
    try:
        assert (await again.get(edm(again, f"encryptdatas/{ed['id']}"))).body["encrypt_data"] == ed
        url = edm(again, f"encryptdatas/{ed['id']}/nodes")
        assert (await again.get(url)).body["nodes"][0]["delivery_state"] == "pending"
        assert (await again.post(f"/edgesim/nodes/{node_id}/connect", token=None)).status == 200
        assert (await again.get(url)).body["nodes"][0]["delivery_state"] == "delivered"
        refused(await make(again), "IEF.100006", "name")
    finally:
        await stop_api(again)
