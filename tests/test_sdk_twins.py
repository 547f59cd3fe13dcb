"""The official SDK drives the two device twin operations end to end over a real socket with
AK/SK signing: set a desired value, see the simulated device report it after its profile's
apply delay, and the error cases (unknown device, a value of the wrong type)."""

from __future__ import annotations

import json

from huaweicloudsdkief.v1 import (
    CreateDeviceRequest,
    EdgemgrDevices,
    EdgemgrDevicesDetail,
    Excepted,
    Metadata,
    ShowDeviceTwinRequest,
    TwinUpdateDetail,
    UpdateDeviceTwinRequest,
    ValueInTwin,
)
from test_devices import bind_on_node
from test_sdk_e2e import _no_proxy, call, refused, sdk  # noqa: F401 (the fixture is used by name)

from conftest import advance_to

UNKNOWN_ID = "00000000-0000-4000-8000-000000000000"


async def test_the_sdk_sets_a_desired_value_and_reads_it_reported(api):
    assert (await api.put("/edgesim/device-behaviors", [{"match": "valve-*", "apply_delay": 5}], token=None)).status == 200
    client = sdk(api.url)
    device = (await call(client, "create_device", CreateDeviceRequest(body=EdgemgrDevices(device=EdgemgrDevicesDetail(
        name="valve-1", twin={"open": ValueInTwin(metadata=Metadata(type="boolean"))}))))).device
    await bind_on_node(api, (await api.node_ids())[0], [device.id])

    def update(value: str) -> UpdateDeviceTwinRequest:
        return UpdateDeviceTwinRequest(device_id=device.id, body=TwinUpdateDetail(twin={"open": ValueInTwin(excepted=Excepted(value=value))}))

    updated = await call(client, "update_device_twin", update("true"))
    assert updated.twin["open"].excepted.value == "true" and updated.twin["open"].actual is None
    message = await refused(client, "update_device_twin", update("ajar"), 400, "IEF.100002")
    assert "twin.open" in message and "boolean" in message
    await refused(client, "update_device_twin", UpdateDeviceTwinRequest(device_id=UNKNOWN_ID, body=TwinUpdateDetail(twin={})), 404, "IEF.100003")

    await advance_to(api, 5)
    shown = await call(client, "show_device_twin", ShowDeviceTwinRequest(device_id=device.id))
    assert shown.access_protocol == "userdefine"
    # the SDK types ``twin`` as one property (ief-api-more.md 4.3): the map is in the raw answer
    twin = json.loads(shown.raw_content)["twin"]
    assert twin["open"]["actual"] == {"value": "true", "metadata": {"timestamp": 1767225605000}}
    await refused(client, "show_device_twin", ShowDeviceTwinRequest(device_id=UNKNOWN_ID), 404, "IEF.100003")
