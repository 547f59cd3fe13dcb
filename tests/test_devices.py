"""Devices, device templates, products and node-device binding as a client sees them over HTTP:
every field rule accepted and refused, list filters and paging, binding and the node's
device count, online state following the node, and a restart keeping it all."""

from __future__ import annotations

import pytest

from conftest import PROJECT_ID, advance_to, start_api, stop_api

UNKNOWN_ID = "00000000-0000-4000-8000-000000000000"
DEVICE_KEYS = {
    "id", "name", "access_protocol", "description", "project_id", "created_at", "updated_at", "attributes",
    "connection_type", "twin", "access_config", "property_visitors", "state", "node_id",
}
TEMPLATE_KEYS = {
    "id", "name", "access_protocol", "description", "attributes", "twin", "project_id", "created_at",
    "updated_at", "property_visitors", "tags",
}


def products_path(api, tail: str = "") -> str:
    return f"/v2/{api.project_id}/productmgr/products{tail}"


async def make_device(api, name: str = "sensor", **fields) -> dict:
    reply = await api.post(api.v2("devices"), {"device": {"name": name, **fields}})
    assert reply.status == 201, reply.body
    return reply.body["device"]


async def make_template(api, name: str = "thermo", **fields) -> dict:
    reply = await api.post(api.v2("device-templates"), {"device_template": {"name": name, **fields}})
    assert reply.status == 201, reply.body
    return reply.body["device_template"]


async def bind_on_node(api, node_id: str, added: list[str] = (), removed: list[str] = (), **notes):
    body = {"devices": {"added": {"device_ids": list(added), **notes}, "removed": list(removed)}}
    return await api.put(api.v2(f"nodes/{node_id}/devices"), body)


async def bind_on_device(api, device_id: str, added: list[str] = (), removed: list[str] = (), **notes):
    body = {"nodes": {"added": {"node_ids": list(added), **notes}, "removed": list(removed)}}
    return await api.put(api.v2(f"devices/{device_id}/nodes"), body)


async def show_node(api, node_id: str) -> dict:
    return (await api.get(api.v2(f"nodes/{node_id}"))).body["node"]


async def show_device(api, device_id: str) -> dict:
    reply = await api.get(api.v2(f"devices/{device_id}"))
    assert reply.status == 200, reply.body
    return reply.body["device"]


def refused(reply, status: int, code: str, *words: str) -> None:
    assert (reply.status, reply.body["error_code"]) == (status, code), reply.body
    for word in words:
        assert word in reply.body["error_msg"], reply.body


# --- devices: create and its field rules -------------------------------------------------------


async def test_create_answers_201_with_the_device_and_defaults(api):
    d = await make_device(api, description="boiler room", attributes={
        "vendor": {"value": "acme"}, "rate": {"value": "9600", "metadata": {"type": "int"}, "optional": False},
    }, twin={"temperature": {"metadata": {"type": "float"}}, "switch": {"excepted": {"value": "true"}, "metadata": {"type": "boolean"}}})
    assert DEVICE_KEYS <= d.keys()
    assert d["name"] == "sensor" and d["description"] == "boiler room" and d["project_id"] == PROJECT_ID
    assert (d["access_protocol"], d["connection_type"]) == ("userdefine", "edge")
    assert d["created_at"] == "2026-01-01T00:00:00.000Z" and d["updated_at"] is None
    assert d["attributes"] == {
        "vendor": {"value": "acme", "optional": True, "metadata": {"type": "string"}},
        "rate": {"value": "9600", "optional": False, "metadata": {"type": "int"}},
    }
    desired = {"value": "true", "metadata": {"timestamp": 1767225600000}}
    assert d["twin"]["switch"] == {"optional": True, "metadata": {"type": "boolean"}, "expected": desired, "excepted": desired}
    assert d["twin"]["temperature"] == {"optional": True, "metadata": {"type": "float"}}
    assert (d["state"], d["node_id"]) == ("offline", None)
    assert d["access_config"] == {} and d["property_visitors"] == {}
    assert await show_device(api, d["id"]) == d


async def test_a_caller_may_choose_the_device_id(api):
    chosen = "plc-line-one-0000000000001"
    assert (await make_device(api, id=chosen))["id"] == chosen
    refused(await api.post(api.v2("devices"), {"device": {"name": "other", "id": chosen}}), 400, "IEF.100006", "device.id")
    for bad in ("short-id", "-starts-with-a-dash-0000000", "has space in it 0000000000000", "x" * 65):
        refused(await api.post(api.v2("devices"), {"device": {"name": "other", "id": bad}}), 400, "IEF.100002", "device.id")


@pytest.mark.parametrize(("field", "good", "bad", "code"), [
    ("name", "温度-sensor_1", "bad name", "IEF.100012"),
    ("name", "n" * 64, "n" * 65, "IEF.100012"),
    ("description", "line one", "no <tags>", "IEF.100002"),
    ("description", "d" * 255, "d" * 256, "IEF.100002"),
    ("access_protocol", "modbus", "bacnet", "IEF.100002"),
    ("connection_type", "edge", "cloud", "IEF.100002"),
])
async def test_device_field_rules(api, field, good, bad, code):
    body = {"name": "dev-a", field: good} if field != "name" else {field: good}
    assert (await api.post(api.v2("devices"), {"device": body})).status == 201
    body = {"name": "dev-b", field: bad} if field != "name" else {field: bad}
    refused(await api.post(api.v2("devices"), {"device": body}), 400, code, f"device.{field}")
    assert (await api.get(api.v2("devices"))).body["count"] == 1


async def test_names_are_unique_per_project(api):
    await make_device(api, "same")
    refused(await api.post(api.v2("devices"), {"device": {"name": "same"}}), 400, "IEF.100006", "device.name")


@pytest.mark.parametrize(("value_type", "good", "bad"), [
    ("int", "-42", "4.2"),
    ("float", "4.5e3", "four"),
    ("boolean", "false", "yes"),
    ("string", "a:b/c@d,e.f", "has space"),
])
async def test_attribute_values_must_read_as_their_type(api, value_type, good, bad):
    ok = {"a": {"value": good, "metadata": {"type": value_type}}}
    assert (await api.post(api.v2("devices"), {"device": {"name": "ok", "attributes": ok}})).status == 201
    wrong = {"a": {"value": bad, "metadata": {"type": value_type}}}
    refused(await api.post(api.v2("devices"), {"device": {"name": "no", "attributes": wrong}}), 400, "IEF.100002", "device.attributes.a")


async def test_attribute_rules_type_length_and_count(api):
    async def create(attributes):
        return await api.post(api.v2("devices"), {"device": {"name": f"d{len(attributes)}", "attributes": attributes}})

    refused(await create({"a": {"value": "1", "metadata": {"type": "double"}}}), 400, "IEF.100002", "device.attributes.a.metadata.type")
    refused(await create({"a": {"value": "v" * 513}}), 400, "IEF.100002", "device.attributes.a.value")
    refused(await create({"a": {"optional": True}}), 400, "IEF.100002", "device.attributes.a.value")
    refused(await create({"bad key": {"value": "1"}}), 400, "IEF.100002", "device.attributes")
    refused(await create({f"k{i}": {"value": "1"} for i in range(65)}), 400, "IEF.100002", "device.attributes")
    assert (await create({f"k{i}": {"value": "1"} for i in range(64)})).status == 201
    assert (await create({"a": {"value": "v" * 512}})).status == 201


async def test_twin_desired_values_follow_the_property_type_and_either_spelling(api):
    async def create(name, twin):
        return await api.post(api.v2("devices"), {"device": {"name": name, "twin": twin}})

    reply = await create("doc-spelling", {"level": {"expected": {"value": "3"}, "metadata": {"type": "int"}}})
    assert reply.status == 201 and reply.body["device"]["twin"]["level"]["excepted"]["value"] == "3"
    both = {"level": {"expected": {"value": "1"}, "excepted": {"value": "2"}, "metadata": {"type": "int"}}}
    assert (await create("both", both)).body["device"]["twin"]["level"]["expected"]["value"] == "2"
    refused(await create("no1", {"level": {"excepted": {"value": "x"}, "metadata": {"type": "int"}}}), 400, "IEF.100002", "device.twin.level")
    mismatch = {"level": {"excepted": {"value": "1", "metadata": {"type": "string"}}, "metadata": {"type": "int"}}}
    refused(await create("no2", mismatch), 400, "IEF.100002", "device.twin.level", "differs")
    refused(await create("no3", {f"p{i}": {} for i in range(65)}), 400, "IEF.100002", "device.twin")


async def test_protocol_settings_must_fit_the_protocol(api):
    modbus_config = {"protocol_type": {"value": "modbus"}, "ip": {"value": "10.0.0.7"}, "port": {"value": "502", "metadata": {"type": "int"}}}
    twin = {"pressure": {"metadata": {"type": "float"}}}
    visitors = {"pressure": {"register_type": {"value": "HoldingRegisters"}, "access_mode": {"value": "r"}}}
    d = await make_device(api, "plc", access_protocol="modbus", access_config=modbus_config, twin=twin, property_visitors=visitors)
    assert d["access_config"]["ip"] == {"value": "10.0.0.7", "optional": True, "metadata": {"type": "string"}}
    assert d["property_visitors"]["pressure"]["register_type"]["value"] == "HoldingRegisters"

    async def create(**fields):
        return await api.post(api.v2("devices"), {"device": {"name": "bad", **fields}})

    refused(await create(access_protocol="modbus", access_config={"ip": {"value": "1"}}), 400, "IEF.100002", "access_config.protocol_type")
    refused(await create(access_protocol="opc-ua", access_config=modbus_config), 400, "IEF.100002", "access_config.protocol_type")
    opc = {"protocol_type": {"value": "opc-ua"}, "ip": {"value": "10.0.0.7"}}
    refused(await create(access_protocol="opc-ua", access_config=opc), 400, "IEF.100002", "access_config.ip", "opc-ua")
    refused(await create(access_protocol="modbus", twin=twin, property_visitors={"other": {}}), 400, "IEF.100002",
            "property_visitors.other", "twin property")
    refused(await create(access_protocol="opc-ua", twin=twin, property_visitors=visitors), 400, "IEF.100002",
            "property_visitors.pressure.register_type")
    refused(await create(access_protocol="modbus", twin=twin, property_visitors={"pressure": {"register_type": {"value": "Coils"}}}),
            400, "IEF.100002", "register_type")
    refused(await create(access_protocol="modbus", twin=twin, property_visitors={"pressure": {"access_mode": {"value": "w"}}}),
            400, "IEF.100002", "access_mode")
    assert (await api.get(api.v2("devices"))).body["count"] == 1


# --- device templates ------------------------------------------------------------------------------


async def test_template_crud(api):
    t = await make_template(api, access_protocol="modbus", attributes={"vendor": {"value": "acme"}},
                            twin={"runstate": {"expected": {"value": "running"}}}, tags={"key": "site", "value": "sz"})
    assert TEMPLATE_KEYS <= t.keys()
    assert t["tags"] == {"key": "site", "value": "sz"} and t["access_protocol"] == "modbus"
    assert t["twin"]["runstate"]["expected"]["value"] == "running" == t["twin"]["runstate"]["excepted"]["value"]
    path = api.v2(f"device-templates/{t['id']}")
    assert (await api.get(path)).body["device_template"] == t
    await api.advance(10)
    reply = await api.put(path, {"device_template": {"description": "v2", "attributes": {"model": {"value": "x1"}}}})
    assert reply.status == 200, reply.body
    updated = reply.body["device_template"]
    assert updated["description"] == "v2" and updated["attributes"] == {"model": {"value": "x1", "optional": True, "metadata": {"type": "string"}}}
    assert updated["twin"] == t["twin"] and updated["updated_at"] == "2026-01-01T00:00:10.000Z"
    refused(await api.put(path, {"device_template": {"property_visitors": {"nope": {}}}}), 400, "IEF.100002", "property_visitors.nope")
    refused(await api.put(path, {"device_template": {"tags": [{"key": "a"}]}}), 400, "IEF.100002", "device_template.tags")
    refused(await api.put(api.v2(f"device-templates/{UNKNOWN_ID}"), {"device_template": {}}), 404, "IEF.100003")
    assert (await api.delete(path)).status == 204
    refused(await api.get(path), 404, "IEF.100003")
    refused(await api.delete(path), 404, "IEF.100003")


async def test_template_rules(api):
    await make_template(api, "thermo")
    refused(await api.post(api.v2("device-templates"), {"device_template": {"name": "thermo"}}), 400, "IEF.100006", "name")
    refused(await api.post(api.v2("device-templates"), {"device_template": {"name": "bad name"}}), 400, "IEF.100012")
    refused(await api.post(api.v2("device-templates"), {"device_template": {"name": "p", "access_protocol": "x"}}), 400, "IEF.100002")
    refused(await api.post(api.v2("device-templates"), {"device_template": {"name": "a", "attributes": {"n": {"value": "x", "metadata": {"type": "int"}}}}}),
            400, "IEF.100002", "attributes.n")
    refused(await api.post(api.v2("device-templates"), {"device_template": {"description": "d"}}), 400, "IEF.100002", "name")


async def test_a_device_made_from_a_template_copies_its_parts(api):
    t = await make_template(api, access_protocol="modbus", attributes={"vendor": {"value": "acme"}, "rate": {"value": "1"}},
                            twin={"pressure": {"metadata": {"type": "float"}}, "runstate": {"expected": {"value": "on"}}},
                            property_visitors={"pressure": {"register_type": {"value": "InputRegisters"}}})
    d = await make_device(api, device_template_id=t["id"], attributes={"rate": {"value": "2"}},
                          access_config={"protocol_type": {"value": "modbus"}, "slave_id": {"value": "1"}})
    assert d["access_protocol"] == "modbus"
    assert d["attributes"]["vendor"]["value"] == "acme" and d["attributes"]["rate"]["value"] == "2"
    assert {k: v["optional"] for k, v in d["twin"].items()} == {"pressure": False, "runstate": False}
    assert d["twin"]["runstate"]["expected"]["value"] == "on"
    assert d["property_visitors"] == t["property_visitors"]
    refused(await api.post(api.v2("devices"), {"device": {"name": "x", "device_template_id": t["id"], "access_protocol": "opc-ua"}}),
            400, "IEF.100002", "device.access_protocol")
    refused(await api.post(api.v2("devices"), {"device": {"name": "y", "device_template_id": UNKNOWN_ID}}),
            400, "IEF.100003", "device_template_id")
    # no link: the template goes, the device keeps what it copied
    assert (await api.delete(api.v2(f"device-templates/{t['id']}"))).status == 204
    assert (await show_device(api, d["id"]))["attributes"]["vendor"]["value"] == "acme"


# --- devices: update, delete, list ---------------------------------------------------------------


async def test_update_replaces_description_and_the_whole_attribute_map(api):
    d = await make_device(api, attributes={"a": {"value": "1"}, "b": {"value": "2"}}, twin={"t": {}})
    path = api.v2(f"devices/{d['id']}")
    await api.advance(5)
    reply = await api.put(path, {"device": {"attributes": {"c": {"value": "3"}}}})
    assert reply.status == 200, reply.body
    assert list(reply.body["device"]["attributes"]) == ["c"] and reply.body["device"]["description"] == ""
    assert reply.body["device"]["twin"] == d["twin"] and reply.body["device"]["updated_at"] == "2026-01-01T00:00:05.000Z"
    assert (await api.put(path, {"device": {"description": "new"}})).body["device"]["attributes"].keys() == {"c"}
    refused(await api.put(path, {"device": {"description": "bad#"}}), 400, "IEF.100002", "device.description")
    refused(await api.put(path, {"device": {"attributes": {"c": {"value": "x", "metadata": {"type": "int"}}}}}), 400, "IEF.100002")
    refused(await api.put(api.v2(f"devices/{UNKNOWN_ID}"), {"device": {}}), 404, "IEF.100003")
    assert (await show_device(api, d["id"]))["description"] == "new"


async def test_delete(api):
    d = await make_device(api)
    assert (await api.delete(api.v2(f"devices/{d['id']}"))).status == 204
    refused(await api.get(api.v2(f"devices/{d['id']}")), 404, "IEF.100003")
    refused(await api.delete(api.v2(f"devices/{d['id']}")), 404, "IEF.100003")


async def test_list_filters_and_paging(api):
    node = (await api.node_ids())[0]
    for i in range(5):
        await make_device(api, f"meter-{i}")
        await api.advance(1)
    other = await make_device(api, "valve")
    assert (await bind_on_node(api, node, [other["id"]])).status == 200
    listed = (await api.get(api.v2("devices"))).body
    assert listed["count"] == 6 and [d["name"] for d in listed["devices"]][:2] == ["valve", "meter-4"]
    assert (await api.get(api.v2("devices?name=meter"))).body["count"] == 5
    assert [d["name"] for d in (await api.get(api.v2(f"devices?node_id={node}"))).body["devices"]] == ["valve"]
    assert (await api.get(api.v2("devices?is_binding=true"))).body["count"] == 1
    assert (await api.get(api.v2("devices?is_binding=false"))).body["count"] == 5
    page = (await api.get(api.v2("devices?limit=2&offset=4"))).body
    assert page["count"] == 6 and [d["name"] for d in page["devices"]] == ["meter-1", "meter-0"]
    assert (await api.get(api.v2("devices?offset=10"))).body == {"devices": [], "count": 6}
    refused(await api.get(api.v2("devices?is_binding=yes")), 400, "IEF.100002", "is_binding")
    refused(await api.get(api.v2("devices?limit=1001")), 400, "IEF.100005")
    refused(await api.get(api.v2("devices?offset=-1")), 400, "IEF.100004")
    refused(await api.get(api.v2("devices?tags=novalue")), 400, "IEF.100002", "tags")
    assert (await api.get(api.v2("devices?tags=site.sz"))).body["count"] == 0
    templates = (await api.get(api.v2("device-templates?name=zzz"))).body
    assert templates == {"device_templates": [], "count": 0}


# --- binding ---------------------------------------------------------------------------------------


async def test_binding_from_the_node_side_updates_the_node_and_the_device(api):
    node = (await api.node_ids())[0]
    a, b = await make_device(api, "a"), await make_device(api, "b")
    reply = await bind_on_node(api, node, [a["id"], b["id"]], relation="feeds", comment="line one")
    assert reply.status == 200, reply.body
    assert reply.body == {
        "delete_connector": False, "deploy_connector": False, "deployment_id": "",
        "update_devices": {"added": {"relation": "feeds", "comment": "line one", "device_ids": [a["id"], b["id"]]}, "removed": []},
    }
    n = await show_node(api, node)
    assert n["device_num"] == 2
    assert n["device_infos"] == [{"relation": "feeds", "comment": "line one", "device_ids": [a["id"], b["id"]]}]
    assert (await show_device(api, a["id"]))["node_id"] == node
    # re-binding to the same node changes its notes only
    await bind_on_node(api, node, [b["id"]], relation="spare")
    assert (await show_node(api, node))["device_infos"] == [
        {"relation": "feeds", "comment": "line one", "device_ids": [a["id"]]},
        {"relation": "spare", "comment": "", "device_ids": [b["id"]]},
    ]
    reply = await bind_on_node(api, node, removed=[a["id"]])
    assert reply.body["update_devices"]["removed"] == [a["id"]]
    assert (await show_node(api, node))["device_num"] == 1
    assert (await show_device(api, a["id"]))["node_id"] is None


async def test_binding_refusals_change_nothing(api):
    first, second = (await api.node_ids())[:2]
    a, b = await make_device(api, "a"), await make_device(api, "b")
    await bind_on_node(api, first, [a["id"]])
    refused(await bind_on_node(api, second, [b["id"], a["id"]]), 409, "IEF.100007", a["id"], first)
    refused(await bind_on_node(api, second, [b["id"], UNKNOWN_ID]), 404, "IEF.100003")
    refused(await bind_on_node(api, UNKNOWN_ID, [b["id"]]), 404, "IEF.100003")
    refused(await bind_on_node(api, second, [b["id"]], relation="no spaces"), 400, "IEF.100002", "relation")
    refused(await bind_on_node(api, second, [b["id"]], comment="c" * 65), 400, "IEF.100002", "comment")
    refused(await bind_on_node(api, second, [b["id"]], comment="no<>"), 400, "IEF.100002", "comment")
    assert (await show_node(api, second))["device_num"] == 0
    assert (await show_device(api, b["id"]))["node_id"] is None
    # removing a device bound elsewhere (or nowhere) leaves it alone
    reply = await bind_on_node(api, second, removed=[a["id"], b["id"]])
    assert reply.status == 200 and reply.body["update_devices"]["removed"] == []
    assert (await show_device(api, a["id"]))["node_id"] == first


async def test_binding_from_the_device_side(api):
    first, second = (await api.node_ids())[:2]
    d = await make_device(api)
    reply = await bind_on_device(api, d["id"], [first], relation="r1", comment="c1")
    assert reply.status == 200, reply.body
    assert reply.body == {"update_nodes": {"added": {"relation": "r1", "comment": "c1", "node_ids": [first]}, "removed": []}}
    refused(await bind_on_device(api, d["id"], [second]), 409, "IEF.100007")
    refused(await bind_on_device(api, d["id"], [first, second]), 400, "IEF.100002", "node_ids")
    refused(await bind_on_device(api, d["id"], [UNKNOWN_ID]), 404, "IEF.100003")
    # moving in one request: removed first, then added
    reply = await bind_on_device(api, d["id"], [second], removed=[first])
    assert reply.body["update_nodes"]["removed"] == [first] and reply.body["update_nodes"]["added"]["node_ids"] == [second]
    assert ((await show_node(api, first))["device_num"], (await show_node(api, second))["device_num"]) == (0, 1)


async def test_nodes_listed_by_device(api):
    first, second = (await api.node_ids())[:2]
    d = await make_device(api, "boiler-7")
    await bind_on_node(api, second, [d["id"]], relation="heats", comment="hall")
    listed = (await api.get(api.v2(f"nodes?device_id={d['id']}"))).body
    assert [n["id"] for n in listed["nodes"]] == [second] and listed["count"] == 1
    assert (listed["nodes"][0]["relation"], listed["nodes"][0]["comment"]) == ("heats", "hall")
    assert [n["id"] for n in (await api.get(api.v2("nodes?device_name=boiler"))).body["nodes"]] == [second]
    assert (await api.get(api.v2("nodes?device_name=pump"))).body["count"] == 0
    assert (await api.get(api.v2(f"nodes?device_id={UNKNOWN_ID}"))).body["count"] == 0
    assert (await show_node(api, first))["relation"] == ""


async def test_deleting_a_bound_device_unbinds_it_and_a_node_with_devices_is_refused(api):
    node = (await api.node_ids())[0]
    d = await make_device(api)
    await bind_on_node(api, node, [d["id"]])
    refused(await api.delete(api.v2(f"nodes/{node}")), 400, "IEF.100007", "devices")
    assert (await api.delete(api.v2(f"devices/{d['id']}"))).status == 204
    assert (await show_node(api, node))["device_num"] == 0
    assert (await api.delete(api.v2(f"nodes/{node}"))).status == 204


# --- online state follows the node ---------------------------------------------------------------


async def test_a_device_is_online_only_while_its_node_runs(api):
    node = (await api.node_ids())[0]
    d = await make_device(api)
    assert (await show_device(api, d["id"]))["state"] == "offline"
    await bind_on_node(api, node, [d["id"]])
    assert (await show_device(api, d["id"]))["state"] == "online"
    await advance_to(api, 100)
    assert (await api.post(f"/edgesim/nodes/{node}/disconnect", token=None)).status == 200
    failed_at = None
    for _ in range(40):
        await api.advance(5)
        if (await show_node(api, node))["state"] == "FAIL":
            failed_at = (await api.events(kind="node.state", node_id=node))[-1]["time"]
            break
    assert failed_at is not None
    assert (await show_device(api, d["id"]))["state"] == "offline"
    offline = await api.events(kind="device.offline", device_id=d["id"])
    assert [(e["time"], e["node_state"]) for e in offline] == [(failed_at, "FAIL")]
    await api.post(f"/edgesim/nodes/{node}/connect", token=None)
    assert (await show_device(api, d["id"]))["state"] == "online"
    online = await api.events(kind="device.online", device_id=d["id"])
    assert len(online) == 2 and online[-1]["time"] == api.engine.clock.now()
    # stopping the node takes it offline too; unbinding it from a running node as well
    await api.post(api.v2(f"nodes/{node}/action"), {"node": {"action": "stop"}})
    assert (await show_device(api, d["id"]))["state"] == "offline"


async def test_a_partitioned_node_takes_its_devices_offline_when_it_is_marked_failed(api):
    node = (await api.node_ids())[0]
    d = await make_device(api)
    await bind_on_node(api, node, [d["id"]])
    fault = {"kind": "node_partition", "target": {"node_ids": [node]}, "start": 100, "duration": 200}
    assert (await api.post("/edgesim/chaos/faults", fault, token=None)).status == 201
    await advance_to(api, 139)
    assert (await show_device(api, d["id"]))["state"] == "online"  # silent, not yet marked failed
    await advance_to(api, 140)
    assert (await show_node(api, node))["state"] == "FAIL"
    assert (await show_device(api, d["id"]))["state"] == "offline"
    marked = (await api.events(kind="node.state", node_id=node))[-1]["time"]
    assert [e["time"] for e in await api.events(kind="device.offline", device_id=d["id"])] == [marked]
    await advance_to(api, 300)
    assert (await show_device(api, d["id"]))["state"] == "online"
    assert [e["time"] for e in await api.events(kind="device.online", device_id=d["id"])] == [0, 300]


# --- products ---------------------------------------------------------------------------------------


async def test_product_crud_and_registration(api):
    reply = await api.post(products_path(api), {"product": {
        "name": "gateway-v1", "description": "line gateways", "attributes": {"rev": {"value": "3", "metadata": {"type": "int"}}},
        "tags": [{"key": "site", "value": "sz"}],
    }})
    assert reply.status == 201, reply.body
    p = reply.body["product"]
    assert p["created_at"] == 1767225600 and p["name"] == "gateway-v1" and p["tags"] == [{"key": "site", "value": "sz"}]
    assert {"private_key", "certificate", "ca", "package", "identifier"} <= p.keys() and p["package"]
    shown = (await api.get(products_path(api, f"/{p['id']}"))).body["product"]
    assert "identifier" not in shown and "private_key" not in shown and shown["attributes"] == p["attributes"]
    assert (await api.get(products_path(api))).body == {"count": 1, "products": [shown]}

    register = f"/edgesim/products/{p['id']}/register"
    refused(await api.post(register, {"identifier": "wrong", "name": "gw-1"}, token=None), 401, "EDGESIM.0401")
    reply = await api.post(register, {"identifier": p["identifier"], "name": "gw-1"}, token=None)
    assert reply.status == 201, reply.body
    node = reply.body["node"]
    assert (await show_node(api, node["id"]))["product_id"] == p["id"]
    refused(await api.post(register, {"identifier": p["identifier"], "name": "gw-1"}, token=None), 400, "EDGESIM.0400", "gw-1")
    refused(await api.post(register, {"identifier": p["identifier"], "name": "bad name"}, token=None), 400, "EDGESIM.0400", "name")

    assert (await api.delete(products_path(api, f"/{p['id']}"))).status == 204
    refused(await api.get(products_path(api, f"/{p['id']}")), 404, "IEF.100003")
    refused(await api.post(register, {"identifier": p["identifier"], "name": "gw-2"}, token=None), 401, "EDGESIM.0401")
    assert (await show_node(api, node["id"]))["product_id"] == p["id"]  # registered nodes stay


@pytest.mark.parametrize(("body", "where"), [
    ({"name": "Upper"}, "product.name"),
    ({"name": "-dash"}, "product.name"),
    ({"name": "dash-"}, "product.name"),
    ({"name": "a" * 27}, "product.name"),
    ({"name": "ok", "description": "no$"}, "product.description"),
    ({"name": "ok", "attributes": {"n": {"value": "x", "metadata": {"type": "float"}}}}, "product.attributes.n"),
    ({"name": "ok", "tags": [{"key": "k", "value": "a.b"}]}, "product.tags[0].value"),
    ({"name": "ok", "tags": [{"key": "k", "value": "1"}, {"key": "k", "value": "2"}]}, "product.tags"),
])
async def test_product_rules(api, body, where):
    reply = await api.post(products_path(api), {"product": body})
    assert reply.status == 400 and where in reply.body["error_msg"], reply.body
    assert (await api.post(products_path(api), {"product": {"name": "a" * 26}})).status == 201
    refused(await api.post(products_path(api), {"product": {"name": "a" * 26}}), 400, "IEF.100006")
    refused(await api.get(products_path(api, "?sort=name")), 400, "IEF.100002", "sort")
    refused(await api.get(products_path(api, "?limit=0")), 400, "IEF.100005")


async def test_products_need_a_token(api):
    assert (await api.get(products_path(api), token=None)).status == 401


# --- restart ---------------------------------------------------------------------------------------


async def test_everything_survives_a_restart(tmp_path):
    db = tmp_path / "d.db"
    api = await start_api(db)
    try:
        node = (await api.node_ids())[0]
        t = await make_template(api, twin={"t": {"expected": {"value": "1"}}})
        d = await make_device(api, device_template_id=t["id"])
        await bind_on_node(api, node, [d["id"]], relation="r")
        p = (await api.post(products_path(api), {"product": {"name": "prod"}})).body["product"]
        before = (await show_device(api, d["id"]), (await api.get(api.v2(f"device-templates/{t['id']}"))).body,
                  await show_node(api, node), (await api.get(products_path(api))).body)
    finally:
        await stop_api(api)
    api = await start_api(db)
    try:
        after = (await show_device(api, d["id"]), (await api.get(api.v2(f"device-templates/{t['id']}"))).body,
                 await show_node(api, node), (await api.get(products_path(api))).body)
        assert after == before and after[2]["device_num"] == 1
        reply = await api.post(f"/edgesim/products/{p['id']}/register", {"identifier": p["identifier"], "name": "late"}, token=None)
        assert reply.status == 201
    finally:
        await stop_api(api)


async def test_a_node_registers_with_its_devices_bound(api):
    a, b = await make_device(api, "a"), await make_device(api, "b")
    body = {"node": {"name": "edge-new", "device_infos": [{"relation": "owns", "comment": "", "device_ids": [a["id"]]}]}}
    reply = await api.post(api.v2("nodes"), body)
    assert reply.status == 201, reply.body
    node = reply.body["node"]
    assert node["device_num"] == 1 and node["device_infos"][0]["device_ids"] == [a["id"]]
    # the node is UNCONNECTED until its agent connects: the device comes online with it
    assert (await show_device(api, a["id"]))["state"] == "offline"
    await api.advance(120)
    assert (await show_node(api, node["id"]))["state"] == "RUNNING"
    assert (await show_device(api, a["id"]))["state"] == "online"
    nodes_before = (await api.get(api.v2("nodes"))).body["count"]
    taken = {"node": {"name": "edge-2", "device_infos": [{"device_ids": [b["id"], a["id"]]}]}}
    refused(await api.post(api.v2("nodes"), taken), 409, "IEF.100007", a["id"])
    unknown = {"node": {"name": "edge-3", "device_infos": [{"device_ids": [UNKNOWN_ID]}]}}
    refused(await api.post(api.v2("nodes"), unknown), 400, "IEF.100003", "device_infos")
    assert (await api.get(api.v2("nodes"))).body["count"] == nodes_before
    assert (await show_device(api, b["id"]))["node_id"] is None


async def _device_story(db) -> list[dict]:
    api = await start_api(db, seed=7)
    try:
        node = (await api.node_ids())[0]
        t = await make_template(api, twin={"t": {"expected": {"value": "1"}}})
        d = await make_device(api, device_template_id=t["id"])
        await bind_on_node(api, node, [d["id"]])
        await api.post(f"/edgesim/nodes/{node}/disconnect", token=None)
        await api.advance(200)
        await api.post(f"/edgesim/nodes/{node}/connect", token=None)
        await api.post(products_path(api), {"product": {"name": "prod"}})
        await api.delete(api.v2(f"devices/{d['id']}"))
        return await api.events()
    finally:
        await stop_api(api)


async def test_same_seed_and_requests_give_the_same_event_log(tmp_path):
    first, second = await _device_story(tmp_path / "a.db"), await _device_story(tmp_path / "b.db")
    assert first == second
    kinds = [e["kind"] for e in first if e["kind"].startswith("device")]
    assert kinds == ["device_template.created", "device.created", "device.bound", "device.online",
                     "device.offline", "device.online", "device.unbound", "device.offline", "device.deleted"]
