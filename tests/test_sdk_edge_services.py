"""The official SDK drives the edge service operations (5) end to end over a real socket with
AK/SK signing and the ief-instance-id header, with their error cases."""

from __future__ import annotations

from huaweicloudsdkief.v1 import (
    CreateServiceRequest,
    DeleteServiceRequest,
    ListServicesRequest,
    Service,
    ServiceReqDetail,
    ShowServiceDetailRequest,
    SvcMetadata,
    SvcPort,
    SvcSpec,
    UpdateServiceRequest,
)
from test_sdk_e2e import _no_proxy, call, refused, sdk  # noqa: F401 (the fixture is used by name)

UNKNOWN_ID = "00000000-0000-4000-8000-000000000000"
INSTANCE = "inst-1"


def body(name: str = "web", port: str = "80", app: str = "web") -> Service:
    return Service(service=ServiceReqDetail(
        meta_data=SvcMetadata(name=name, labels={"tier": "front"}),
        spec=SvcSpec(selector={"app": app}, ports=[SvcPort(name="http-0", protocol="TCP", port=port, target_port="8080")]),
    ))


async def test_the_sdk_drives_edge_services(api):
    client = sdk(api.url)
    made = (await call(client, "create_service", CreateServiceRequest(ief_instance_id=INSTANCE, body=body()))).service
    assert (made.meta_data.name, made.spec.selector, made.spec.ports[0].port, made.spec.cluster_ip) == ("web", {"app": "web"}, "80", "None")
    await refused(client, "create_service", CreateServiceRequest(ief_instance_id=INSTANCE, body=body()), 400, "IEF.100006")
    assert "port" in await refused(client, "create_service", CreateServiceRequest(ief_instance_id=INSTANCE, body=body("x", "0")), 400, "IEF.100002")
    assert "ief-instance-id" in await refused(client, "create_service", CreateServiceRequest(body=body("y")), 400, "IEF.100002")

    listed = await call(client, "list_services", ListServicesRequest(ief_instance_id=INSTANCE, app="web", sorted="name", limit=5))
    assert listed.count == 1 and listed.services[0].id == made.id
    shown = (await call(client, "show_service_detail", ShowServiceDetailRequest(ief_instance_id=INSTANCE, service_id=made.id))).service
    assert shown.to_dict() == made.to_dict()
    updated = (await call(client, "update_service", UpdateServiceRequest(
        ief_instance_id=INSTANCE, service_id=made.id, body=body(port="8081", app="web2")))).service
    assert (updated.spec.ports[0].port, updated.spec.selector) == ("8081", {"app": "web2"})
    await refused(client, "update_service", UpdateServiceRequest(
        ief_instance_id=INSTANCE, service_id=made.id, body=body("Bad")), 400, "IEF.100012")
    for method, request in (
        ("show_service_detail", ShowServiceDetailRequest(ief_instance_id=INSTANCE, service_id=UNKNOWN_ID)),
        ("update_service", UpdateServiceRequest(ief_instance_id=INSTANCE, service_id=UNKNOWN_ID, body=body())),
        ("delete_service", DeleteServiceRequest(ief_instance_id=INSTANCE, service_id=UNKNOWN_ID)),
        ("show_service_detail", ShowServiceDetailRequest(ief_instance_id="inst-2", service_id=made.id)),
    ):
        await refused(client, method, request, 404, "IEF.100003")
    await refused(client, "list_services", ListServicesRequest(ief_instance_id=INSTANCE, limit=101), 400, "IEF.100005")
    await call(client, "delete_service", DeleteServiceRequest(ief_instance_id=INSTANCE, service_id=made.id))
    assert (await call(client, "list_services", ListServicesRequest(ief_instance_id=INSTANCE))).count == 0
