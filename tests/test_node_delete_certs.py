"""Deleting a node and its certificates (ief-api-more.md 4: "delete apps and certs before
deleting a node"): a node with application or device certificates is refused with IEF.100007
and keeps everything; its own system certificate (a record once a cert_expiry fault shortened
it) goes with it in the same command (``cert.deleted``), so nothing is left unreachable, also
after a restart."""

from __future__ import annotations

from conftest import Api, start_api, stop_api


async def cert_count(api: Api) -> int:
    return (await api.get("/edgesim/state", token=None)).body["records"].get("cert", 0)


async def test_a_node_with_certificates_is_refused_and_keeps_them(api):
    node_id = (await api.node_ids())[0]
    made = await api.post(api.v2(f"nodes/{node_id}/certs"), {"name": "mqtt-client", "type": "device"})
    assert made.status == 201, made.body
    before = await api.events()
    reply = await api.delete(api.v2(f"nodes/{node_id}"))
    assert (reply.status, reply.body["error_code"]) == (400, "IEF.100007"), reply.body
    assert "mqtt-client" in reply.body["error_msg"] and "delete them first" in reply.body["error_msg"]
    assert (await api.get(api.v2(f"nodes/{node_id}"))).status == 200
    assert (await api.get(api.v2(f"nodes/{node_id}/certs"))).body["count"] == 1
    assert await api.events() == before  # a refused delete changes nothing
    assert (await api.delete(api.v2(f"nodes/{node_id}/certs/{made.body['id']}"))).status == 204
    assert (await api.delete(api.v2(f"nodes/{node_id}"))).status == 204  # accepted once they are gone
    assert await cert_count(api) == 0


async def test_the_nodes_system_certificate_goes_with_it_for_good(tmp_path):
    db = tmp_path / "edgesim.db"
    api = await start_api(db)
    try:
        node_id = (await api.node_ids())[0]
        fault = await api.post("/edgesim/chaos/faults", {"kind": "cert_expiry", "target": {"node_ids": [node_id]}}, token=None)
        assert fault.status == 201, fault.body
        assert await cert_count(api) == 1  # the shortened system certificate is a record now
        assert (await api.get(api.v2(f"nodes/{node_id}/certs"))).body["count"] == 0  # never listed
        assert (await api.delete(api.v2(f"nodes/{node_id}"))).status == 204
        deleted = await api.events(kind="cert.deleted")
        assert [(e["node_id"], e["time"]) for e in deleted] == [(node_id, api.engine.clock.now())]
        gone = await api.events(kind="node.deleted")
        assert deleted[0]["seq"] < gone[0]["seq"]  # one command: the certificate, then the node
        assert await cert_count(api) == 0
    finally:
        await stop_api(api)
    api = await start_api(db)
    try:
        assert await cert_count(api) == 0  # nothing of the node left in the store
        await api.advance(400 * 86400)  # nor a timer that would mark it expired
        assert await api.events(kind="cert.expired") == []
    finally:
        await stop_api(api)
