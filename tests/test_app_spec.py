"""The typed app spec (edgesim.domain.app_spec) reads what the store keeps and writes it back
byte for byte, for specs made through v2 and v3 and changed through v2."""

from __future__ import annotations

import sqlite3

import orjson

from edgesim.domain.app_spec import AppSpec

from conftest import PROJECT_ID

RICH = {
    "name": "rich", "version": "1.0.0", "image_url": "nginx:1.25",
    "envs": [{"name": "A", "value": "1"}, {"name": "B", "value_from": {"configmap": {"name": "c", "key": "k"}}},
             {"name": "C", "field_path": "status.hostIP"}],
    "volumes": [{"name": "d", "type": "hostPath", "source": "/d", "destination": "/d"}],
    "resources": {"requests": {"cpu": 0.5}, "limits": {"cpu": 1, "memory": 512}},
    "configs": {"restart_policy": "Onfailure", "ports": [{"container_port": 80, "host_port": 8080}]},
    "liveness_probe": {"http_get": {"path": "/h", "port": 80}},
    "readiness_probe": {"exec_command": "cat /ok", "initial_delay_seconds": 3},
    "command": ["/bin/sh"], "args": ["-c", "run"], "toleration_seconds": 60, "migration": True,
}
V3_TEMPLATE = {"configs": {"restart_policy": "Always"}, "containers": [{
    "name": "web", "image_url": "nginx:1.25", "npu_type": "D310",
    "resources": {"limits": {"cpu": "0.5", "memory": "256"}},
    "ports": [{"container_port": 80, "host_port_range": {"min_port": 8080, "max_port": 8090}}]}]}


def stored_apps(path) -> dict[str, bytes]:
    with sqlite3.connect(path) as db:
        rows = db.execute("SELECT id, body FROM documents WHERE kind IN ('deployment', 'instance')").fetchall()
    return {doc_id: orjson.dumps(orjson.loads(body)["app"]) for doc_id, body in rows}


async def test_stored_specs_of_both_versions_come_back_byte_for_byte(api, tmp_path):
    nodes = await api.node_ids()
    v2 = await api.post(api.v2("deployments"), {"deployment": {"name": "rich", "node_ids": [nodes[0]], "app": RICH}})
    v3 = await api.post(f"/v3/{PROJECT_ID}/edgemgr/deployments",
                        {"name": "vthree", "node_ids": [nodes[1]], "deployment": {"replicas": 1, "template": V3_TEMPLATE}})
    assert (v2.status, v3.status) == (201, 201), (v2.body, v3.body)
    changed = await api.put(api.v2(f"deployments/{v3.body['id']}"), {"deployment": {"image_url": "nginx:1.27"}})
    assert changed.status == 200, changed.body
    apps = stored_apps(tmp_path / "edgesim.db")
    assert len(apps) == 5  # two deployments, the v2 one's instance, the v3 one's old and new instance
    for doc_id, raw in apps.items():
        assert orjson.dumps(AppSpec.from_dict(orjson.loads(raw)).to_dict()) == raw, doc_id


async def test_the_model_reads_the_fields_the_engine_uses(api, tmp_path):
    node = (await api.node_ids())[0]
    reply = await api.post(api.v2("deployments"), {"deployment": {"name": "rich", "node_ids": [node], "app": RICH}})
    raw = stored_apps(tmp_path / "edgesim.db")[reply.body["deployment"]["id"]]
    spec = AppSpec.from_dict(orjson.loads(raw))
    assert (spec.image_url, spec.configs.restart_policy, spec.toleration_seconds, spec.migration) == (
        "nginx:1.25", "OnFailure", 60, True)
    assert spec.resources.requests is not None and spec.resources.requests.given() == {"cpu": 0.5}
    assert spec.resources.limits is not None and spec.resources.limits.given() == {"cpu": 1, "memory": 512}
    assert spec.readiness_probe is not None and (spec.readiness_probe.exec_command, spec.readiness_probe.initial_delay_seconds) == ("cat /ok", 3)
    assert spec.liveness_probe is not None and spec.liveness_probe.http_get is not None and spec.liveness_probe.http_get.port == 80
    assert spec.envs[1].value_from is not None and spec.envs[1].value_from.configmap is not None
    assert spec.envs[1].value_from.configmap.name == "c"


def test_the_key_order_is_not_a_difference_between_specs():
    v2_order = AppSpec(name="a", image_url="i")
    v3_order = AppSpec(name="a", image_url="i", name_first=True)
    assert v2_order == v3_order
    assert list(v3_order.to_dict())[:2] == ["name", "version"] and list(v2_order.to_dict())[-2:] == ["name", "version"]
