"""Node and node group certificates over real HTTP (ief-api-more.md 7.1-7.3): every rule accepted
and refused, unknown ids, expiry on the virtual clock, a node refused with an expired certificate,
and records surviving a restart."""

from __future__ import annotations

import base64
import gzip
import io
import tarfile

import pytest

from edgesim.settings import CertSettings, load_settings

from conftest import start_api, stop_api

DAY = 86400


def refused(reply, code: str, text: str = "", status: int = 400) -> None:
    assert reply.status == status, reply.body
    assert reply.body["error_code"] == code, reply.body
    assert text in reply.body["error_msg"], reply.body


def one_day_settings():
    settings = load_settings()
    simulation = settings.simulation.model_copy(update={"certs": CertSettings(validity_days=1)})
    return settings.model_copy(update={"simulation": simulation})


@pytest.fixture
async def short_api(tmp_path):
    client = await start_api(tmp_path / "edgesim.db", settings=one_day_settings())
    yield client
    await stop_api(client)


async def first_node(api) -> str:
    return (await api.node_ids())[0]


async def make_group(api, name: str = "site") -> str:
    reply = await api.post(api.v2("groups"), {"name": name})
    assert reply.status == 201, reply.body
    return reply.body["id"]


async def node_cert(api, node_id: str, **body):
    return await api.post(api.v2(f"nodes/{node_id}/certs"), {"name": "mqtt-client", "type": "application", **body})


# --- node certificates ------------------------------------------------------------------------


async def test_node_cert_create_answers_the_keys_once_and_lists_without_them(api):
    node_id = await first_node(api)
    reply = await node_cert(api, node_id, description="for the meter app")
    assert reply.status == 201, reply.body
    cert = reply.body
    assert {"id", "name", "description", "created_at", "node_id", "type", "serial_num", "ca", "certificate",
            "private_key", "package"} <= set(cert)
    assert (cert["name"], cert["type"], cert["node_id"]) == ("mqtt-client", "application", node_id)
    assert cert["certificate"].startswith("-----BEGIN CERTIFICATE-----")
    with tarfile.open(fileobj=io.BytesIO(gzip.decompress(base64.b64decode(cert["package"])))) as tar:
        assert len(tar.getnames()) == 3
    listed = (await api.get(api.v2(f"nodes/{node_id}/certs"))).body
    assert listed["count"] == 1
    assert set(listed["node_certs"][0]) >= {"id", "name", "serial_num"} and "private_key" not in listed["node_certs"][0]


async def test_node_cert_rules(api):
    node_id = await first_node(api)
    assert (await node_cert(api, node_id, name="  中文_ok-1", type="device")).body["name"] == "中文_ok-1"
    for bad in ("has space", "a*b", "a/b", "", "x" * 65):
        refused(await node_cert(api, node_id, name=bad), "IEF.100012", "name")
    assert (await node_cert(api, node_id, name="x" * 64)).status == 201
    for bad in ("system", "Application", "other"):
        refused(await node_cert(api, node_id, name="t", type=bad), "IEF.100002", "type")
    refused(await api.post(api.v2(f"nodes/{node_id}/certs"), {"name": "no-type"}), "IEF.100002", "type")
    refused(await node_cert(api, node_id, name="d", description="<b>"), "IEF.100002", "description")
    refused(await node_cert(api, node_id, name="中文_ok-1"), "IEF.100006", "name")


async def test_node_cert_limit_unknown_ids_and_name_reuse(api):
    node_id = await first_node(api)
    ids = [(await node_cert(api, node_id, name=f"c{i}")).body["id"] for i in range(10)]
    refused(await node_cert(api, node_id, name="eleventh"), "IEF.100126")
    assert (await api.delete(api.v2(f"nodes/{node_id}/certs/{ids[0]}"))).status == 204
    assert (await node_cert(api, node_id, name="c0")).status == 201  # a deleted cert's name is free again
    refused(await api.delete(api.v2(f"nodes/{node_id}/certs/{ids[0]}")), "IEF.100003", status=404)
    refused(await node_cert(api, "no-such-node"), "IEF.100003", status=404)
    refused(await api.get(api.v2("nodes/no-such-node/certs")), "IEF.100003", status=404)
    other = (await api.node_ids())[1]
    refused(await api.delete(api.v2(f"nodes/{other}/certs/{ids[1]}")), "IEF.100003", status=404)
    page = (await api.get(api.v2(f"nodes/{node_id}/certs?limit=3&offset=8"))).body
    assert page["count"] == 10 and len(page["node_certs"]) == 2
    refused(await api.get(api.v2(f"nodes/{node_id}/certs?limit=0")), "IEF.100005")


# --- group certificates -----------------------------------------------------------------------


async def test_group_cert_defaults_rules_show_list_delete(api):
    group_id = await make_group(api)
    base = api.v2(f"groups/{group_id}/certs")
    made = await api.post(base, {})
    assert made.status == 201, made.body
    cert = made.body
    assert cert["name"].startswith("cert-") and len(cert["name"]) == 13 and cert["type"] == "application"
    assert cert["private_key"] and cert["package"] and cert["cert_remaining_valid_time"] == 1825
    shown = (await api.get(f"{base}/{cert['id']}")).body
    assert (shown["private_key"], shown["package"], shown["group_id"], shown["is_deleted"]) == ("", "", group_id, False)
    for type_ in ("system", "device"):
        assert (await api.post(base, {"name": type_, "type": type_})).status == 201
    refused(await api.post(base, {"type": "other"}), "IEF.100002", "type")
    refused(await api.post(base, {"name": "a b"}), "IEF.100012", "name")
    refused(await api.post(base, {"name": "system"}), "IEF.100006", "name")
    refused(await api.post(base, {"description": "x" * 256}), "IEF.100002", "description")
    listed = (await api.get(base)).body
    assert isinstance(listed, list) and listed[0]["count"] == 3 and len(listed[0]["groupcerts"]) == 3
    assert (await api.delete(f"{base}/{cert['id']}")).status == 204
    refused(await api.get(f"{base}/{cert['id']}"), "IEF.100003", status=404)
    refused(await api.get(api.v2("groups/nope/certs")), "IEF.100003", status=404)


async def test_a_group_delete_deletes_its_certificates_and_a_refused_one_keeps_them(api, tmp_path):
    """Decision (ief-api-more.md 7.2): a group delete also deletes its certificates, in the same
    command: a delete refused (the group still has deployments) leaves them all."""
    made = await api.post(api.v2("groups"), {"name": "site", "node_ids": [await first_node(api)]})
    group_id = made.body["id"]
    base = api.v2(f"groups/{group_id}/certs")
    certs = [(await api.post(base, {"name": name})).body["id"] for name in ("one", "two")]
    dep = await api.post(f"/v3/{api.project_id}/edgemgr/deployments", {"name": "web", "group_id": group_id, "deployment": {
        "template": {"configs": {"restart_policy": "Always"}, "containers": [{"name": "web", "image_url": "nginx:1.25"}]}}})
    assert dep.status == 201, dep.body
    refused(await api.delete(api.v2(f"groups/{group_id}")), "IEF.100007", "still has deployments")
    assert (await api.get(base)).body[0]["count"] == 2
    assert (await api.delete(f"/v3/{api.project_id}/edgemgr/deployments/{dep.body['id']}")).status == 204
    await api.advance(60)  # its instance terminates, then the deployment is gone
    assert (await api.delete(api.v2(f"groups/{group_id}"))).status == 204
    deleted = await api.events(kind="cert.deleted")
    assert sorted(e["cert_id"] for e in deleted) == sorted(certs) and all(e["group_id"] == group_id for e in deleted)
    assert not [c for c in api.engine.certs.table.values() if c.owner_id == group_id]
    # a new group of the same name starts with none, also after a restart
    again_id = await make_group(api)
    assert (await api.get(api.v2(f"groups/{again_id}/certs"))).body[0]["count"] == 0
    await stop_api(api)
    restarted = await start_api(tmp_path / "edgesim.db")
    try:
        assert not [c for c in restarted.engine.certs.table.values() if c.owner_id == group_id]
        refused(await restarted.get(f"{base}/{certs[0]}"), "IEF.100003", status=404)
    finally:
        await stop_api(restarted)


# --- expiry on the virtual clock ---------------------------------------------------------------


async def test_a_certificate_valid_one_day_expires_at_exactly_that_time(short_api):
    api = short_api
    group_id = await make_group(api)
    cert = (await api.post(api.v2(f"groups/{group_id}/certs"), {"name": "short"})).body
    url = api.v2(f"groups/{group_id}/certs/{cert['id']}")
    assert cert["cert_remaining_valid_time"] == 1 and cert["expired"] is False
    await api.advance(DAY - 1)
    before = (await api.get(url)).body
    assert (before["expired"], before["cert_remaining_valid_time"]) == (False, 0)
    assert not await api.events(kind="cert.expired")
    await api.advance(1)
    assert (await api.get(url)).body["expired"] is True
    events = await api.events(kind="cert.expired")
    assert len(events) == 1 and events[0]["cert_id"] == cert["id"]
    assert events[0]["time"] == cert_created_t(api, cert) + DAY


def cert_created_t(api, cert) -> float:
    return api.engine.certs.table[cert["id"]].created_at


async def test_the_node_answer_follows_its_own_certificate(api):
    node_id = await first_node(api)
    node = (await api.get(api.v2(f"nodes/{node_id}"))).body["node"]
    remaining = node["cert_remaining_valid_time"]
    await api.advance(3600)
    assert (await api.get(api.v2(f"nodes/{node_id}"))).body["node"]["cert_remaining_valid_time"] == remaining - 3600


async def test_a_node_with_an_expired_certificate_cannot_reconnect(api):
    node_id = await first_node(api)
    engine = api.engine
    now = engine.clock.now()
    async with engine.core.command() as change:
        engine.certs.expire_system_early(engine.world.nodes[node_id], now + 100, change)
    await api.advance(100)
    node = (await api.get(api.v2(f"nodes/{node_id}"))).body["node"]
    assert node["state"] == "RUNNING" and node["cert_remaining_valid_time"] == 0  # connected: keeps running
    assert [e["node_id"] for e in await api.events(kind="cert.expired")] == [node_id]
    assert (await api.post(f"/edgesim/nodes/{node_id}/disconnect", token=None)).status == 200
    await api.advance(60)
    assert (await api.post(f"/edgesim/nodes/{node_id}/connect", token=None)).status == 200
    node = (await api.get(api.v2(f"nodes/{node_id}"))).body["node"]
    assert (node["state"], node["error_reason"]) == ("FAIL", "certificate expired")
    refusal = (await api.events(kind="node.refused"))[0]
    assert (refusal["node_id"], refusal["reason"]) == (node_id, "certificate expired")


# --- persistence ------------------------------------------------------------------------------


async def test_certificates_and_their_expiry_survive_a_restart(short_api, tmp_path):
    api = short_api
    group_id = await make_group(api)
    cert = (await api.post(api.v2(f"groups/{group_id}/certs"), {"name": "short"})).body
    node_id = await first_node(api)
    ncert = (await node_cert(api, node_id)).body
    await api.advance(DAY / 2)
    db = tmp_path / "edgesim.db"
    await stop_api(api)
    again = await start_api(db, settings=one_day_settings())
    try:
        url = again.v2(f"groups/{group_id}/certs/{cert['id']}")
        assert (await again.get(url)).body["expired"] is False
        assert (await again.get(again.v2(f"nodes/{node_id}/certs"))).body["node_certs"][0]["id"] == ncert["id"]
        await again.advance(DAY / 2)  # the re-armed timer fires at the same moment
        assert (await again.get(url)).body["expired"] is True
        assert len(await again.events(kind="cert.expired")) == 2  # the node cert too
        refused(await node_cert(again, node_id), "IEF.100006", "name")
    finally:
        await stop_api(again)


# --- chaos: a certificate that expires early ----------------------------------------------------


async def test_the_cert_expiry_fault_keeps_a_restarted_node_out_until_it_ends(api):
    node_id = await first_node(api)
    fault = {"kind": "cert_expiry", "target": {"node_ids": [node_id]}, "start": api.engine.clock.now() + 10, "duration": 300}
    added = await api.post("/edgesim/chaos/faults", fault, token=None)
    assert added.status == 201, added.body
    await api.advance(10)
    node = (await api.get(api.v2(f"nodes/{node_id}"))).body["node"]
    assert (node["state"], node["cert_remaining_valid_time"]) == ("RUNNING", 0)
    expired = await api.events(kind="cert.expired")
    assert [(e["node_id"], e["time"]) for e in expired] == [(node_id, api.engine.clock.now())]
    url = api.v2(f"nodes/{node_id}/action")
    assert (await api.post(url, {"node": {"action": "stop"}})).status == 200, "stop"
    assert (await api.post(url, {"node": {"action": "start"}})).status == 200, "start"
    await api.advance(60)  # the agent's connect delay has passed: refused
    node = (await api.get(api.v2(f"nodes/{node_id}"))).body["node"]
    assert (node["state"], node["error_reason"]) == ("FAIL", "certificate expired")
    await api.advance(240)  # the fault ends: the certificate is renewed and the node connects
    node = (await api.get(api.v2(f"nodes/{node_id}"))).body["node"]
    assert (node["state"], node["error_reason"]) == ("RUNNING", "")
    assert node["cert_remaining_valid_time"] > 300 * DAY
