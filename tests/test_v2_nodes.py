"""Edge nodes: register (UNCONNECTED until its agent connects), list, get, update, delete, start/stop."""

from __future__ import annotations

import pytest

NODE_KEYS = {
    "id", "name", "description", "created_at", "updated_at", "project_id", "state", "cpu", "memory", "os_name",
    "os_version", "os_type", "arch", "host_name", "host_ips", "nics", "deployment_num", "enable_gpu", "gpu_num",
    "gpu_info", "enable_npu", "npu_num", "npu_info", "npu_type", "edged_version", "ief_node_version", "group_ids",
    "attributes", "tags", "log_configs", "error_reason", "docker_enable", "mqtt_internal", "pause_docker_image",
    "cert_remaining_valid_time", "state_details", "ntp_configs", "upgrade_history", "container_runtime_version",
}


async def register(api, name="site-node", **fields):
    return await api.post(api.v2("nodes"), {"node": {"name": name, **fields}})


async def node_state(api, node_id):
    return (await api.get(api.v2(f"nodes/{node_id}"))).body["node"]["state"]


async def test_register_answers_201_unconnected_then_the_agent_connects(api):
    reply = await register(api, description="line 3 controller", attributes=[{"key": "site", "value": "berlin"}],
                           tags=[{"key": "env", "value": "prod"}])
    assert reply.status == 201, reply.body
    node = reply.body["node"]
    assert NODE_KEYS <= node.keys()
    assert {"private_key", "certificate", "ca", "master_addr"} <= node.keys()
    assert node["state"] == "UNCONNECTED"
    assert node["attributes"] == [{"key": "site", "value": "berlin"}]
    assert node["cpu"] >= 4 and node["memory"] >= 8192 and node["host_ips"]
    assert node["mqtt_internal"] == f"tls://{node['host_ips'][0]}:8883"
    assert node["cert_remaining_valid_time"] == 365 * 86400
    await api.advance(4.9)
    assert await node_state(api, node["id"]) == "UNCONNECTED"
    await api.advance(10.2)  # connect delay is drawn from [5, 15] s
    assert await node_state(api, node["id"]) == "RUNNING"
    [connected] = api.engine.events.query(node_id=node["id"], kind="node.state")
    assert 5 <= connected["time"] <= 15 and connected["to"] == "RUNNING"
    # the private key is only given at registration
    assert "private_key" not in (await api.get(api.v2(f"nodes/{node['id']}"))).body["node"]


async def test_gpu_and_npu_nodes_describe_their_accelerators(api):
    gpu = (await register(api, "gpu-node", enable_gpu=True)).body["node"]
    assert gpu["enable_gpu"] is True and gpu["gpu_num"] == len(gpu["gpu_info"]) >= 1
    assert {"name", "type", "capacity"} <= gpu["gpu_info"][0].keys()
    npu = (await register(api, "npu-node", enable_npu=True, npu_type="D310B")).body["node"]
    assert npu["npu_type"] == "D310B" and npu["npu_num"] == len(npu["npu_info"]) >= 1
    plain = (await register(api, "plain-node")).body["node"]
    assert plain["gpu_num"] == 0 and plain["npu_num"] == 0


@pytest.mark.parametrize(
    ("fields", "code", "field"),
    [
        ({"name": "bad name"}, "IEF.100012", "node.name"),
        ({"name": "n" * 65}, "IEF.100012", "node.name"),
        ({"name": ""}, "IEF.100012", "node.name"),
        ({"name": 7}, "IEF.100002", "node.name"),
        ({"name": "ok", "description": "a&b"}, "IEF.100002", "node.description"),
        ({"name": "ok", "attributes": [{"key": "k", "value": "v"}] * 33}, "IEF.100002", "node.attributes"),
        ({"name": "ok", "attributes": [{"key": "bad key", "value": "v"}]}, "IEF.100002", "node.attributes[0].key"),
        ({"name": "ok", "tags": [{"key": f"k{i}", "value": "v"} for i in range(21)]}, "IEF.100002", "node.tags"),
        ({"name": "ok", "tags": [{"key": "k" * 37, "value": "v"}]}, "IEF.100002", "node.tags[0].key"),
        ({"name": "ok", "log_configs": [{"component": "app"}]}, "IEF.100002", "node.log_configs[0].type"),
        ({"name": "ok", "npu_type": "D999"}, "IEF.100002", "node.npu_type"),
        ({"name": "ok", "enable_gpu": "yes"}, "IEF.100002", "node.enable_gpu"),
        ({"name": "ok", "mqtt_config": {"enable_mqtt": True, "mqtts": [{"bind_addr": "eth0", "port": 0, "type": "nic"}]}},
         "IEF.100002", "node.mqtt_config.mqtts[0].port"),
        ({"name": "ok", "mqtt_config": {"enable_mqtt": True, "mqtts": [{"bind_addr": "eth0", "port": 1883, "type": "usb"}]}},
         "IEF.100002", "node.mqtt_config.mqtts[0].type"),
        ({"name": "ok", "mqtt_config": {"enable_mqtt": False, "mqtts": [{"bind_addr": "eth0", "port": 1883, "type": "nic"}]}},
         "IEF.100002", "node.mqtt_config"),
    ],
)
async def test_register_rejects_bad_fields_and_leaves_no_node(api, fields, code, field):
    reply = await api.post(api.v2("nodes"), {"node": fields})
    assert (reply.status, reply.body["error_code"]) == (400, code), reply.body
    assert field in reply.body["error_msg"]
    assert (await api.get(api.v2("nodes"))).body["count"] == 5


@pytest.mark.parametrize(("listener", "address"), [
    ({"bind_addr": "eth0", "port": 1883, "type": "nic"}, "tcp://{ip}:1883"),  # a NIC stands for its IP
    ({"bind_addr": "10.9.8.7", "port": 8883, "type": "ip"}, "tcp://10.9.8.7:8883"),
])
async def test_register_takes_the_mqtt_listeners(api, listener, address):
    reply = await register(api, mqtt_config={"enable_mqtt": True, "mqtts": [listener]})
    assert reply.status == 201, reply.body
    node = reply.body["node"]
    assert node["mqtt_internal"] == address.format(ip=node["host_ips"][0])
    assert (await api.get(api.v2(f"nodes/{node['id']}"))).body["node"]["mqtt_internal"] == node["mqtt_internal"]


async def test_register_accepts_chinese_names_and_refuses_duplicates(api):
    assert (await register(api, "边缘节点-1")).status == 201
    again = await register(api, "边缘节点-1")
    assert (again.status, again.body["error_code"]) == (400, "IEF.100006")
    assert (await api.get(api.v2("nodes"))).body["count"] == 6


@pytest.mark.parametrize(
    ("query", "names"),
    [
        ("?state=UNCONNECTED", ["fresh"]),
        ("?name=fre", ["fresh"]),
        ("?tags=env.prod", ["fresh"]),
        ("?tags=env.test", []),
        ("?state=RUNNING&sort=created_at:asc&limit=2&offset=1", ["edge-node-002", "edge-node-003"]),
        ("?sort=created_at:desc&limit=1", ["fresh"]),
    ],
)
async def test_list_filters(api, query, names):
    await api.advance(1)
    await register(api, "fresh", tags=[{"key": "env", "value": "prod"}])
    reply = await api.get(api.v2("nodes") + query)
    assert [n["name"] for n in reply.body["nodes"]] == names


async def test_update_changes_only_the_updatable_fields(api):
    node_id = (await api.node_ids())[0]
    await api.advance(30)
    reply = await api.put(api.v2(f"nodes/{node_id}"), {"node": {
        "description": "moved to hall 2", "attributes": [{"key": "hall", "value": "2"}],
        "ntp_servers": ["ntp.example.com"], "name": "renamed-ignored",
        "log_configs": [{"type": "local", "component": "app", "size": 100}],
    }})
    assert reply.status == 200, reply.body
    node = reply.body["node"]
    assert node["description"] == "moved to hall 2"
    assert node["attributes"] == [{"key": "hall", "value": "2"}]
    assert node["ntp_configs"] == {"ntp_enabled": True, "ntp_servers": ["ntp.example.com"]}
    assert node["log_configs"][0]["size"] == 100
    log_id = node["log_configs"][0]["id"]  # the service's database id, given to a new entry
    assert len(log_id) == 36 and log_id.count("-") == 4
    assert node["name"] == "edge-node-001"
    assert node["updated_at"] == "2026-01-01T00:00:30.000000"
    assert (await api.get(api.v2(f"nodes/{node_id}"))).body["node"] == node
    # an entry sent back with its id keeps it; a new one gets another
    again = await api.put(api.v2(f"nodes/{node_id}"), {"node": {"log_configs": [
        node["log_configs"][0], {"type": "LTS", "component": "system", "level": "Info"}]}})
    kept, new = again.body["node"]["log_configs"]
    assert kept["id"] == log_id and new["id"] not in ("", None, log_id)


@pytest.mark.parametrize(
    ("body", "field"),
    [({"node": {"ntp_servers": ["a", "b", "c"]}}, "node.ntp_servers"), ({"node": {"description": "x" * 256}}, "node.description"), ({"node": []}, "node")],
)
async def test_rejected_update_changes_nothing(api, body, field):
    node_id = (await api.node_ids())[0]
    before = (await api.get(api.v2(f"nodes/{node_id}"))).body
    reply = await api.put(api.v2(f"nodes/{node_id}"), body)
    assert (reply.status, reply.body["error_code"]) == (400, "IEF.100002")
    assert field in reply.body["error_msg"]
    assert (await api.get(api.v2(f"nodes/{node_id}"))).body == before


async def test_delete_node(api):
    node_id = (await register(api)).body["node"]["id"]
    assert (await api.delete(api.v2(f"nodes/{node_id}"))).status == 204
    gone = await api.get(api.v2(f"nodes/{node_id}"))
    assert (gone.status, gone.body["error_code"]) == (404, "IEF.100003")
    again = await api.delete(api.v2(f"nodes/{node_id}"))
    assert again.status == 404


async def test_a_node_with_instances_cannot_be_deleted(api):
    node_id = (await api.node_ids())[0]
    dep = (await api.create("web", node_id=node_id)).body["deployment"]
    reply = await api.delete(api.v2(f"nodes/{node_id}"))
    assert (reply.status, reply.body["error_code"]) == (400, "IEF.100007")
    assert (await api.get(api.v2(f"nodes/{node_id}"))).status == 200
    await api.delete(api.v2(f"deployments/{dep['id']}?force_delete=true"))
    assert (await api.delete(api.v2(f"nodes/{node_id}"))).status == 204


async def test_stop_and_start(api):
    node_id = (await api.node_ids())[0]
    stop = await api.post(api.v2(f"nodes/{node_id}/action"), {"node": {"action": "stop"}})
    assert (stop.status, stop.body) == (200, {"node": {"action": "stop"}})
    assert await node_state(api, node_id) == "STOPPED"
    await api.advance(60)
    assert await node_state(api, node_id) == "STOPPED"  # a stopped node stays stopped
    start = await api.post(api.v2(f"nodes/{node_id}/action"), {"node": {"action": "start"}})
    assert (start.status, start.body) == (200, {"node": {"action": "start"}})
    assert await node_state(api, node_id) == "UNCONNECTED"
    await api.advance(15)
    assert await node_state(api, node_id) == "RUNNING"


@pytest.mark.parametrize("body", [{"node": {"action": "reboot"}}, {"action": "stop"}, {"node": {}}])
async def test_bad_actions_are_refused(api, body):
    node_id = (await api.node_ids())[0]
    reply = await api.post(api.v2(f"nodes/{node_id}/action"), body)
    assert (reply.status, reply.body["error_code"]) == (400, "IEF.100002")
    assert await node_state(api, node_id) == "RUNNING"


async def test_deployment_on_an_unconnected_node_waits_for_it(api):
    node_id = (await register(api)).body["node"]["id"]
    dep = (await api.create("web", node_id=node_id)).body["deployment"]
    inst = dep["instances"][0]
    assert (inst["state"], inst["reason"]) == ("PENDING_CREATE", "UNCONNECTED")
    await api.advance(15)  # connected by now, then pull and start
    await api.advance(9)
    inst = (await api.get(api.v2(f"deployments/{dep['id']}"))).body["deployment"]["instances"][0]
    assert inst["state"] == "RUNNING"


async def test_stopped_node_keeps_new_instances_waiting(api):
    node_id = (await api.node_ids())[0]
    await api.post(api.v2(f"nodes/{node_id}/action"), {"node": {"action": "stop"}})
    dep = (await api.create("web", node_id=node_id)).body["deployment"]
    await api.advance(60)
    inst = (await api.get(api.v2(f"deployments/{dep['id']}"))).body["deployment"]["instances"][0]
    assert (inst["state"], inst["reason"]) == ("PENDING_CREATE", "STOPPED")
