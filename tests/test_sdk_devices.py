"""The official SDK drives the device, device template, product and node-device binding
operations (16) end to end over a real socket with AK/SK signing, with their error cases:
unknown id, bad field, name taken, in use."""

from __future__ import annotations

from huaweicloudsdkief.v1 import (
    Attributes,
    CreateDeviceRequest,
    CreateDeviceTemplateRequest,
    CreateProductRequest,
    DeleteDeviceRequest,
    DeleteDeviceTemplateRequest,
    DeleteEdgeNodeRequest,
    DeleteProductRequest,
    DeviceInfos,
    Devices,
    DevicesDevices,
    DevicesDevicesAdded,
    DeviceTemplate,
    DeviceTemplateUpdate,
    DeviceTemplateUpdateDetail,
    EdgemgrDeviceReq,
    EdgemgrDevices,
    EdgemgrDevicesDetail,
    EdgemgrDevicesPara,
    EdgemgrDevicesUpdate,
    EdgeNodeUpdateByDevice,
    Excepted,
    ExceptedMetadata,
    ListDevicesRequest,
    ListDeviceTemplatesRequest,
    ListEdgeNodesRequest,
    ListProductsRequest,
    Metadata,
    NodeDeviceInfos,
    NodeUpdateByDevice,
    ProductAttributes,
    ProductCreateRequest,
    ProductMetadata,
    ProductRequest,
    ResourceTag,
    ShowDeviceRequest,
    ShowDeviceTemplateRequest,
    ShowEdgeNodeDetailRequest,
    ShowProductDetailRequest,
    UpdateDeviceRequest,
    UpdateDeviceTemplateByIdRequest,
    UpdateEdgeNodeDeviceRequest,
    UpdateNodeByDeviceIdRequest,
    ValueInAttributes,
    ValueInTwin,
)
from test_sdk_e2e import _no_proxy, call, refused, sdk  # noqa: F401 (the fixture is used by name)

UNKNOWN_ID = "00000000-0000-4000-8000-000000000000"


def typed(value: str, value_type: str = "string") -> ValueInAttributes:
    return ValueInAttributes(value=value, metadata=Metadata(type=value_type))


async def test_the_sdk_drives_templates_devices_and_binding(api):
    client = sdk(api.url)
    first, second = (await api.node_ids())[:2]

    # templates: create, list, show, update, delete
    created = await call(client, "create_device_template", CreateDeviceTemplateRequest(body=DeviceTemplate(
        device_template=EdgemgrDeviceReq(
            name="thermo", access_protocol="userdefine", description="thermometers",
            attributes={"vendor": typed("acme")},
            twin={"setpoint": ValueInTwin(excepted=Excepted(value="21.5", metadata=ExceptedMetadata(type="float")),
                                          metadata=Metadata(type="float"))},
            tags=ResourceTag(key="site", value="sz"),
        ))))
    template = created.device_template
    assert (template.name, template.tags.key, template.twin["setpoint"].excepted.value) == ("thermo", "site", "21.5")
    listed = await call(client, "list_device_templates", ListDeviceTemplatesRequest(name="ther", limit="10"))
    assert listed.count == 1 and listed.device_templates[0].id == template.id
    shown = await call(client, "show_device_template", ShowDeviceTemplateRequest(device_template_id=template.id))
    assert shown.device_template.attributes["vendor"].value == "acme"
    updated = await call(client, "update_device_template_by_id", UpdateDeviceTemplateByIdRequest(
        device_template_id=template.id,
        body=DeviceTemplateUpdate(device_template=DeviceTemplateUpdateDetail(description="v2"))))
    assert updated.device_template.description == "v2"
    await refused(client, "create_device_template", CreateDeviceTemplateRequest(body=DeviceTemplate(
        device_template=EdgemgrDeviceReq(name="thermo"))), 400, "IEF.100006")
    await refused(client, "show_device_template", ShowDeviceTemplateRequest(device_template_id=UNKNOWN_ID), 404, "IEF.100003")

    # devices: create (a bad field, a taken name), list, show, update
    await refused(client, "create_device", CreateDeviceRequest(body=EdgemgrDevices(device=EdgemgrDevicesDetail(
        name="t1", attributes={"rate": typed("fast", "int")}))), 400, "IEF.100002")
    device = (await call(client, "create_device", CreateDeviceRequest(body=EdgemgrDevices(device=EdgemgrDevicesDetail(
        name="t1", description="hall", attributes={"rate": typed("9600", "int")},
        twin={"temp": ValueInTwin(metadata=Metadata(type="float"))}))))).device
    assert (device.name, device.attributes["rate"].value, device.twin["temp"].metadata.type) == ("t1", "9600", "float")
    await refused(client, "create_device", CreateDeviceRequest(body=EdgemgrDevices(device=EdgemgrDevicesDetail(name="t1"))),
                  400, "IEF.100006")
    other = (await call(client, "create_device", CreateDeviceRequest(body=EdgemgrDevices(
        device=EdgemgrDevicesDetail(name="t2"))))).device
    page = await call(client, "list_devices", ListDevicesRequest(name="t", limit="1", offset="0"))
    assert page.count == 2 and len(page.devices) == 1
    assert (await call(client, "show_device", ShowDeviceRequest(device_id=device.id))).device.description == "hall"
    changed = await call(client, "update_device", UpdateDeviceRequest(device_id=device.id, body=EdgemgrDevicesUpdate(
        device=EdgemgrDevicesPara(description="hall b", attributes={"rate": typed("19200", "int")}))))
    assert (changed.device.description, changed.device.attributes["rate"].value) == ("hall b", "19200")
    await refused(client, "update_device", UpdateDeviceRequest(device_id=UNKNOWN_ID, body=EdgemgrDevicesUpdate(
        device=EdgemgrDevicesPara(description="x"))), 404, "IEF.100003")

    # binding: node side, device side, the node's count, refusals
    bound = await call(client, "update_edge_node_device", UpdateEdgeNodeDeviceRequest(node_id=first, body=Devices(
        devices=DevicesDevices(added=DevicesDevicesAdded(relation="feeds", comment="c", device_ids=[device.id]), removed=[]))))
    assert (bound.deploy_connector, bound.update_devices.added.device_ids) == (False, [device.id])
    assert isinstance(bound.update_devices.added, DeviceInfos)
    by_device = await call(client, "update_node_by_device_id", UpdateNodeByDeviceIdRequest(
        device_id=other.id, body=EdgeNodeUpdateByDevice(nodes=NodeUpdateByDevice(added=NodeDeviceInfos(node_ids=[first]), removed=[]))))
    assert by_device.update_nodes.added.node_ids == [first]
    node = (await call(client, "show_edge_node_detail", ShowEdgeNodeDetailRequest(node_id=first))).node
    assert node.device_num == 2 and [i.device_ids for i in node.device_infos] == [[device.id], [other.id]]
    assert [n.id for n in (await call(client, "list_edge_nodes", ListEdgeNodesRequest(device_id=device.id))).nodes] == [first]
    await refused(client, "update_node_by_device_id", UpdateNodeByDeviceIdRequest(
        device_id=device.id, body=EdgeNodeUpdateByDevice(nodes=NodeUpdateByDevice(added=NodeDeviceInfos(node_ids=[second]), removed=[]))),
        409, "IEF.100007")
    await refused(client, "update_edge_node_device", UpdateEdgeNodeDeviceRequest(node_id=UNKNOWN_ID, body=Devices(
        devices=DevicesDevices(removed=[device.id]))), 404, "IEF.100003")
    assert "devices" in await refused(client, "delete_edge_node", DeleteEdgeNodeRequest(node_id=first), 400, "IEF.100007")
    await call(client, "update_edge_node_device", UpdateEdgeNodeDeviceRequest(node_id=first, body=Devices(
        devices=DevicesDevices(removed=[other.id]))))
    assert (await call(client, "list_devices", ListDevicesRequest(is_binding="true"))).count == 1

    # delete: a bound device goes and unbinds; the template goes
    await call(client, "delete_device", DeleteDeviceRequest(device_id=device.id))
    await refused(client, "delete_device", DeleteDeviceRequest(device_id=device.id), 404, "IEF.100003")
    assert (await call(client, "show_edge_node_detail", ShowEdgeNodeDetailRequest(node_id=first))).node.device_num == 0
    await call(client, "delete_device_template", DeleteDeviceTemplateRequest(device_template_id=template.id))
    await refused(client, "delete_device_template", DeleteDeviceTemplateRequest(device_template_id=template.id), 404, "IEF.100003")


async def test_the_sdk_drives_products(api):
    client = sdk(api.url)
    created = (await call(client, "create_product", CreateProductRequest(body=ProductCreateRequest(product=ProductRequest(
        name="gateway", description="gateways",
        attributes={"rev": ProductAttributes(value="3", metadata=ProductMetadata(type="int"))},
        tags=[Attributes(key="site", value="sz")]))))).product
    assert created.created_at == 1767225600 and created.identifier and created.package
    await refused(client, "create_product", CreateProductRequest(body=ProductCreateRequest(product=ProductRequest(name="gateway"))),
                  400, "IEF.100006")
    await refused(client, "create_product", CreateProductRequest(body=ProductCreateRequest(product=ProductRequest(name="Bad_Name"))),
                  400, "IEF.100012")
    listed = await call(client, "list_products", ListProductsRequest(limit=10, offset=0, sort="created_at:desc"))
    assert listed.count == 1 and listed.products[0].attributes["rev"].value == "3"
    shown = (await call(client, "show_product_detail", ShowProductDetailRequest(product_id=created.id))).product
    assert (shown.name, shown.tags[0].key) == ("gateway", "site")
    await call(client, "delete_product", DeleteProductRequest(product_id=created.id))
    await refused(client, "show_product_detail", ShowProductDetailRequest(product_id=created.id), 404, "IEF.100003")
    await refused(client, "delete_product", DeleteProductRequest(product_id=UNKNOWN_ID), 404, "IEF.100003")
