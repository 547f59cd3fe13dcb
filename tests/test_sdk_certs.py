"""The official SDK's sixteen certificate and encrypted data operations against edgesim, with
AK/SK signing: node certificates (3), group certificates (4), encrypted data (5) and its
distribution to nodes (4); its refusals as the SDK's exceptions."""

from __future__ import annotations

from huaweicloudsdkief.v1 import (
    Cert,
    CreateEdgeGroupCertRequest,
    CreateEdgeNodeCertsRequest,
    CreateEncryptdatasRequest,
    CreateNodeEncryptdatasRequest,
    DeleteEdgeGroupCertRequest,
    DeleteEdgeNodeCertsRequest,
    DeleteEncryptdatasRequest,
    DeleteNodeEncryptdatasRequest,
    EdgeGroupCertRequest,
    EncryptDataIn,
    EncryptDataItem,
    EncryptDataNodeReq,
    EncryptDataReq,
    ListEdgeGroupCertsRequest,
    ListEdgeNodeCertsRequest,
    ListEncryptdataNodesRequest,
    ListEncryptdatasRequest,
    ListNodeEncryptdatasRequest,
    ShowEdgeGroupCertDetailRequest,
    ShowEncryptdatasRequest,
    UpdateEncryptdatasRequest,
)
from test_sdk_e2e import _no_proxy, call, refused, sdk  # noqa: F401  (_no_proxy: an autouse fixture)

from conftest import PROJECT_ID


async def test_the_sdk_drives_node_certificates(api):
    client = sdk(api.url)
    node_id = (await api.node_ids())[0]
    made = await call(client, "create_edge_node_certs", CreateEdgeNodeCertsRequest(
        node_id=node_id, body=Cert(name="mqtt-client", type="application", description="meter")))
    assert (made.name, made.node_id, made.type) == ("mqtt-client", node_id, "application")
    assert made.certificate.startswith("-----BEGIN CERTIFICATE-----") and made.package
    listed = await call(client, "list_edge_node_certs", ListEdgeNodeCertsRequest(node_id=node_id, limit=10, offset=0))
    assert listed.count == 1 and listed.node_certs[0].id == made.id
    await refused(client, "create_edge_node_certs", CreateEdgeNodeCertsRequest(
        node_id=node_id, body=Cert(name="mqtt-client", type="application")), 400, "IEF.100006")
    await refused(client, "create_edge_node_certs", CreateEdgeNodeCertsRequest(
        node_id=node_id, body=Cert(name="x", type="system")), 400, "IEF.100002")
    await call(client, "delete_edge_node_certs", DeleteEdgeNodeCertsRequest(node_id=node_id, cert_id=made.id))
    await refused(client, "delete_edge_node_certs", DeleteEdgeNodeCertsRequest(node_id=node_id, cert_id=made.id),
                  404, "IEF.100003")
    await refused(client, "list_edge_node_certs", ListEdgeNodeCertsRequest(node_id="nope"), 404, "IEF.100003")


async def test_the_sdk_drives_group_certificates(api):
    client = sdk(api.url)
    group_id = (await api.post(api.v2("groups"), {"name": "site"})).body["id"]
    made = await call(client, "create_edge_group_cert", CreateEdgeGroupCertRequest(
        group_id=group_id, body=EdgeGroupCertRequest(name="gw", type="device")))
    assert (made.name, made.group_id, made.project_id, made.cert_remaining_valid_time) == ("gw", group_id, PROJECT_ID, 1825)
    listed = await call(client, "list_edge_group_certs", ListEdgeGroupCertsRequest(group_id=group_id))
    assert listed.body[0]["count"] == 1 and listed.body[0]["groupcerts"][0]["id"] == made.id
    shown = await call(client, "show_edge_group_cert_detail", ShowEdgeGroupCertDetailRequest(
        group_id=group_id, group_cert_id=made.id))
    assert shown.serial_num == made.serial_num and shown.private_key == ""
    await refused(client, "create_edge_group_cert", CreateEdgeGroupCertRequest(
        group_id=group_id, body=EdgeGroupCertRequest(type="other")), 400, "IEF.100002")
    await call(client, "delete_edge_group_cert", DeleteEdgeGroupCertRequest(group_id=group_id, group_cert_id=made.id))
    await refused(client, "show_edge_group_cert_detail", ShowEdgeGroupCertDetailRequest(
        group_id=group_id, group_cert_id=made.id), 404, "IEF.100003")


def record(name: str, description: str = "") -> EncryptDataReq:
    return EncryptDataReq(encrypt_data=EncryptDataIn(name=name, description=description, config=[
        EncryptDataItem(name="password", value="s3cret", is_encrypted=False)]))


async def test_the_sdk_drives_encrypted_data_and_its_distribution(api):
    client = sdk(api.url)
    node_id = (await api.node_ids())[0]
    made = (await call(client, "create_encryptdatas", CreateEncryptdatasRequest(body=record("db-creds")))).encrypt_data
    assert made.name == "db-creds" and made.config[0].is_encrypted and made.config[0].value != "s3cret"
    listed = await call(client, "list_encryptdatas", ListEncryptdatasRequest(name="db", limit=10, offset=0))
    assert listed.count == 1 and listed.encrypt_datas[0].id == made.id
    updated = (await call(client, "update_encryptdatas", UpdateEncryptdatasRequest(
        encryptdata_id=made.id, body=record("db-creds", "rotated")))).encrypt_data
    assert updated.description == "rotated"
    assert (await call(client, "show_encryptdatas", ShowEncryptdatasRequest(encryptdata_id=made.id))).encrypt_data.description == "rotated"
    await refused(client, "create_encryptdatas", CreateEncryptdatasRequest(body=record("db-creds")), 400, "IEF.100006")

    await call(client, "create_node_encryptdatas", CreateNodeEncryptdatasRequest(
        node_id=node_id, body=EncryptDataNodeReq(encrypt_datas=[made.id])))
    of_node = await call(client, "list_node_encryptdatas", ListNodeEncryptdatasRequest(node_id=node_id))
    assert of_node.count == 1 and of_node.encrypt_datas[0].id == made.id
    nodes = await call(client, "list_encryptdata_nodes", ListEncryptdataNodesRequest(encryptdata_id=made.id))
    assert nodes.count == 1 and nodes.nodes[0].id == node_id and nodes.nodes[0].state == "RUNNING"
    await refused(client, "delete_encryptdatas", DeleteEncryptdatasRequest(encryptdata_id=made.id), 409, "IEF.100007")
    await refused(client, "create_node_encryptdatas", CreateNodeEncryptdatasRequest(
        node_id=node_id, body=EncryptDataNodeReq(encrypt_datas=["nope"])), 404, "IEF.100003")
    await call(client, "delete_node_encryptdatas", DeleteNodeEncryptdatasRequest(node_id=node_id, encryptdata_id=made.id))
    await refused(client, "delete_node_encryptdatas", DeleteNodeEncryptdatasRequest(
        node_id=node_id, encryptdata_id=made.id), 404, "IEF.100003")
    await call(client, "delete_encryptdatas", DeleteEncryptdatasRequest(encryptdata_id=made.id))
    await refused(client, "show_encryptdatas", ShowEncryptdatasRequest(encryptdata_id=made.id), 404, "IEF.100003")
