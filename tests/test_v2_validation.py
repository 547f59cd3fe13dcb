"""Every field rule of the v2 create body: an accepted and a rejected value each.

A rejection answers 400 with the IEF code for that field and a message naming it, and leaves
no trace: the deployment list stays empty and no event is recorded.
"""

from __future__ import annotations

import copy

import pytest

OK = 201
X = "x"


def body(node_id: str) -> dict:
    return {"deployment": {"name": "web", "node_ids": [node_id], "app": {"name": "web", "image_url": "nginx:1.25"}}}


def case(path: str, value, expect, field: str | None = None):
    """One row: set ``path`` (dots from the body root) to ``value``; expect 201 or (400, code)."""
    return pytest.param(path, value, expect, field, id=f"{path}={str(value)[:24]}")


ENV = "deployment.app.envs"
VOL = "deployment.app.volumes"
RES = "deployment.app.resources"
CFG = "deployment.app.configs"
LIVE = "deployment.app.liveness_probe"
NAME_CODE, ENV_CODE, VOL_CODE, VER_CODE, GENERIC = "IEF.100012", "IEF.100013", "IEF.100009", "IEF.100010", "IEF.100002"

ROWS = [
    # deployment name: lowercase, digits, '-', 1..64, letter/digit at both ends
    case("deployment.name", "a", OK),
    case("deployment.name", "web-01", OK),
    case("deployment.name", "a" * 64, OK),
    case("deployment.name", "a" * 65, (400, NAME_CODE), "deployment.name"),
    case("deployment.name", "Web", (400, NAME_CODE), "deployment.name"),
    case("deployment.name", "-web", (400, NAME_CODE), "deployment.name"),
    case("deployment.name", "web-", (400, NAME_CODE), "deployment.name"),
    case("deployment.name", "web_1", (400, NAME_CODE), "deployment.name"),
    case("deployment.name", "", (400, NAME_CODE), "deployment.name"),
    case("deployment.name", 12, (400, GENERIC), "deployment.name"),
    # description: <= 255, none of ^~#$%&*<>()[]{}'"\
    case("deployment.description", "d" * 255, OK),
    case("deployment.description", "A plain, normal description.", OK),
    case("deployment.description", "d" * 256, (400, GENERIC), "deployment.description"),
    case("deployment.description", "50% off", (400, GENERIC), "deployment.description"),
    case("deployment.description", "a<b>", (400, GENERIC), "deployment.description"),
    # node_ids: exactly one known node; group_id is not available yet
    case("deployment.node_ids", [], (400, GENERIC), "node_ids"),
    case("deployment.node_ids", ["n1", "n2"], (400, GENERIC), "node_ids"),
    case("deployment.node_ids", ["00000000-0000-4000-8000-000000000000"], (400, "IEF.100003"), "deployment.node_ids"),
    case("deployment.node_ids", "not-a-list", (400, GENERIC), "deployment.node_ids"),
    case("deployment.group_id", "some-group", (400, GENERIC), "group_id"),
    case("deployment.visibility", "public", OK),
    # app name: the deployment-name rule
    case("deployment.app.name", "my-app", OK),
    case("deployment.app.name", "My_App", (400, NAME_CODE), "deployment.app.name"),
    # app version
    case("deployment.app.version", "1.0.0", OK),
    case("deployment.app.version", "v2-beta.1", OK),
    case("deployment.app.version", "-1.0", (400, VER_CODE), "deployment.app.version"),
    case("deployment.app.version", "1.0_0", (400, VER_CODE), "deployment.app.version"),
    case("deployment.app.version", "1" * 65, (400, VER_CODE), "deployment.app.version"),
    # image_url: non-empty, <= 2083
    case("deployment.app.image_url", "r.example.com/" + "i" * 2069, OK),
    case("deployment.app.image_url", "r.example.com/" + "i" * 2070, (400, GENERIC), "deployment.app.image_url"),
    case("deployment.app.image_url", "", (400, GENERIC), "deployment.app.image_url"),
    case("deployment.app.image_url", None, (400, GENERIC), "deployment.app.image_url"),
    # envs
    case(ENV, [{"name": "PORT", "value": "80"}, {"name": "_x1", "value": ""}], OK),
    case(ENV, [{"name": "PASS", "value_from": {"secret": {"name": "s", "key": "k"}}}], OK),
    case(ENV, [{"name": "CFG", "value_from": {"configmap": {"name": "c", "key": "k"}}}], OK),
    case(ENV, [{"name": "HOST_IP", "field_path": "status.hostIP"}], OK),
    case(ENV, [{"name": "BIG", "value": "v" * 20480}], OK),
    case(ENV, [{"name": "1PORT", "value": "80"}], (400, ENV_CODE), "deployment.app.envs[0].name"),
    case(ENV, [{"name": "A-B", "value": "80"}], (400, ENV_CODE), "deployment.app.envs[0].name"),
    case(ENV, [{"name": "A", "value": "1"}, {"name": "A", "value": "2"}], (400, ENV_CODE), "deployment.app.envs"),
    case(ENV, [{"name": "A"}], (400, ENV_CODE), "deployment.app.envs[0]"),
    case(ENV, [{"name": "A", "value": "1", "field_path": "status.hostIP"}], (400, ENV_CODE), "deployment.app.envs[0]"),
    case(ENV, [{"name": "A", "value_from": {"secret": {"name": "s", "key": "k"}, "configmap": {"name": "c", "key": "k"}}}], (400, ENV_CODE), "deployment.app.envs[0].value_from"),
    case(ENV, [{"name": "A", "value": "v" * 20481}], (400, ENV_CODE), "deployment.app.envs[0].value"),
    case(ENV, [{"name": "A", "field_path": "metadata.name"}], (400, ENV_CODE), "deployment.app.envs[0].field_path"),
    # volumes
    case(VOL, [{"name": "data", "type": "hostPath", "source": "/data", "destination": "/data"}], OK),
    case(VOL, [{"name": "cache", "type": "emptyDir", "source": "memory", "destination": "/cache"}], OK),
    case(VOL, [{"name": "cfg", "type": "configMap", "source": "app-config", "destination": "/etc/app", "default_mode": 256}], OK),
    case(VOL, [{"name": "Data", "type": "hostPath", "source": "/d", "destination": "/d"}], (400, VOL_CODE), "deployment.app.volumes[0].name"),
    case(VOL, [{"name": "v" * 64, "type": "hostPath", "source": "/d", "destination": "/d"}], (400, VOL_CODE), "deployment.app.volumes[0].name"),
    case(VOL, [{"name": "d", "type": "nfs", "source": "/d", "destination": "/d"}], (400, VOL_CODE), "deployment.app.volumes[0].type"),
    case(VOL, [{"name": "d", "type": "hostPath", "source": "data", "destination": "/d"}], (400, VOL_CODE), "deployment.app.volumes[0]"),
    case(VOL, [{"name": "d", "type": "emptyDir", "source": "ssd", "destination": "/d"}], (400, VOL_CODE), "deployment.app.volumes[0]"),
    case(VOL, [{"name": "d", "type": "hostPath", "source": "/d", "destination": "d"}], (400, VOL_CODE), "deployment.app.volumes[0].destination"),
    case(VOL, [{"name": "d", "type": "hostPath", "source": "/a", "destination": "/a"}, {"name": "d", "type": "hostPath", "source": "/b", "destination": "/b"}], (400, VOL_CODE), "deployment.app.volumes"),
    # resources: cpu 0.01..1000 cores, memory 0.01..1024000 MB, memory limit >= 4, request <= limit
    case(RES, {"requests": {"cpu": 0.01, "memory": 0.01}, "limits": {"cpu": 1000, "memory": 1024000}}, OK),
    case(RES, {"requests": {"gpu": 512, "npu": 1}, "limits": {"gpu": 1024, "npu": 2}}, OK),
    case(RES, {"limits": {"cpu": 0.001}}, (400, GENERIC), "deployment.app.resources.limits.cpu"),
    case(RES, {"limits": {"cpu": 1001}}, (400, GENERIC), "deployment.app.resources.limits.cpu"),
    case(RES, {"requests": {"memory": 1024001}}, (400, GENERIC), "deployment.app.resources.requests.memory"),
    case(RES, {"limits": {"memory": 3}}, (400, GENERIC), "deployment.app.resources"),
    case(RES, {"requests": {"cpu": 2}, "limits": {"cpu": 1}}, (400, GENERIC), "deployment.app.resources"),
    case(RES, {"limits": {"cpu": "1"}}, (400, GENERIC), "deployment.app.resources.limits.cpu"),
    # configs
    case(CFG, {"restart_policy": "OnFailure", "privileged": True, "host_network": False}, OK),
    case(CFG, {"restart_policy": "Onfailure"}, OK),
    case(CFG, {"restart_policy": "Never", "run_as_user": 65534, "dns_policy": "ClusterFirstWithHostNet"}, OK),
    case(CFG, {"ports": [{"container_port": 65535, "host_port": 1, "host_ip": "0.0.0.0"}]}, OK),
    case(CFG, {"restart_policy": "Sometimes"}, (400, GENERIC), "deployment.app.configs.restart_policy"),
    case(CFG, {"run_as_user": 65535}, (400, GENERIC), "deployment.app.configs.run_as_user"),
    case(CFG, {"run_as_user": -1}, (400, GENERIC), "deployment.app.configs.run_as_user"),
    case(CFG, {"dns_policy": "None"}, (400, GENERIC), "deployment.app.configs.dns_policy"),
    case(CFG, {"ports": [{"container_port": 0}]}, (400, GENERIC), "deployment.app.configs.ports[0].container_port"),
    case(CFG, {"ports": [{"container_port": 80, "host_port": 65536}]}, (400, GENERIC), "deployment.app.configs.ports[0].host_port"),
    case(CFG, {"privileged": "yes"}, (400, GENERIC), "deployment.app.configs.privileged"),
    # probes
    case(LIVE, {"exec_command": "cat /ok"}, OK),
    case(LIVE, {"http_get": {"path": "/healthz", "port": 8080, "scheme": "HTTPS"}, "initial_delay_seconds": 3600, "timeout_seconds": 3600}, OK),
    case(LIVE, None, OK),
    case(LIVE, {"exec_command": "x" * 10241}, (400, GENERIC), "deployment.app.liveness_probe.exec_command"),
    case(LIVE, {"exec_command": ""}, (400, GENERIC), "deployment.app.liveness_probe.exec_command"),
    case(LIVE, {}, (400, GENERIC), "deployment.app.liveness_probe"),
    case(LIVE, {"exec_command": "x", "http_get": {"path": "/", "port": 80}}, (400, GENERIC), "deployment.app.liveness_probe"),
    case(LIVE, {"http_get": {"path": "healthz", "port": 80}}, (400, GENERIC), "deployment.app.liveness_probe.http_get.path"),
    case(LIVE, {"http_get": {"path": "/", "port": 0}}, (400, GENERIC), "deployment.app.liveness_probe.http_get.port"),
    case(LIVE, {"http_get": {"path": "/", "port": 80, "scheme": "FTP"}}, (400, GENERIC), "deployment.app.liveness_probe.http_get.scheme"),
    case(LIVE, {"exec_command": "x", "initial_delay_seconds": 0}, (400, GENERIC), "deployment.app.liveness_probe.initial_delay_seconds"),
    case(LIVE, {"exec_command": "x", "initial_delay_seconds": 3601}, (400, GENERIC), "deployment.app.liveness_probe.initial_delay_seconds"),
    case(LIVE, {"exec_command": "x", "timeout_seconds": 0}, (400, GENERIC), "deployment.app.liveness_probe.timeout_seconds"),
    case("deployment.app.readiness_probe", {"exec_command": "x", "timeout_seconds": 1.5}, (400, GENERIC), "deployment.app.readiness_probe.timeout_seconds"),
    # command, args
    case("deployment.app.command", ["/bin/sh", "-c"], OK),
    case("deployment.app.command", "/bin/sh -c", (400, GENERIC), "deployment.app.command"),
    case("deployment.app.args", ["--port", 8080], (400, GENERIC), "deployment.app.args[1]"),
    # toleration_seconds 0..86400, migration boolean
    case("deployment.app.toleration_seconds", 0, OK),
    case("deployment.app.toleration_seconds", 86400, OK),
    case("deployment.app.toleration_seconds", -1, (400, GENERIC), "deployment.app.toleration_seconds"),
    case("deployment.app.toleration_seconds", 86401, (400, GENERIC), "deployment.app.toleration_seconds"),
    case("deployment.app.migration", True, OK),
    case("deployment.app.migration", "true", (400, GENERIC), "deployment.app.migration"),
    # required parts
    case("deployment.app", None, (400, GENERIC), "deployment.app"),
    case("deployment", [], (400, GENERIC), "deployment"),
]


def set_path(doc: dict, path: str, value) -> dict:
    doc = copy.deepcopy(doc)
    *parents, last = path.split(".")
    target = doc
    for key in parents:
        target = target[key]
    target[last] = value
    return doc


@pytest.mark.parametrize(("path", "value", "expect", "field"), ROWS)
async def test_create_rule(api, path, value, expect, field):
    node_id = (await api.node_ids())[0]
    reply = await api.post(api.v2("deployments"), set_path(body(node_id), path, value))
    if expect == OK:
        assert reply.status == 201, reply.body
        return
    status, code = expect
    assert (reply.status, reply.body["error_code"]) == (status, code), reply.body
    assert field in reply.body["error_msg"], reply.body["error_msg"]
    await assert_no_trace(api)


async def assert_no_trace(api):
    listed = await api.get(api.v2("deployments"))
    assert listed.body["count"] == 0 and listed.body["deployments"] == []
    assert api.engine.events.query(kind="deployment.created") == []
    assert api.engine.world.instances == {}


async def test_accepted_values_are_echoed_normalised(api):
    node_id = (await api.node_ids())[0]
    doc = set_path(body(node_id), CFG, {"restart_policy": "Onfailure"})
    doc = set_path(doc, "deployment.visibility", "public")
    reply = await api.post(api.v2("deployments"), doc)
    dep = reply.body["deployment"]
    assert dep["visibility"] == "public"
    assert dep["instances"][0]["configs"]["restart_policy"] == "OnFailure"
    assert dep["instances"][0]["configs"]["host_network"] is True  # v2 default


@pytest.mark.parametrize(
    "raw",
    [b"", b"{", b"not json", b"[]", b"null", b"42", b'"text"', b'{"deployment": "web"}', b"{}",
     b'{"deployment": {"name": "web"}}', '{"deployment": {"name": "w\u00e9b"}}'.encode()],
    ids=["empty", "truncated", "not-json", "array", "null", "number", "string", "wrong-type", "empty-object", "missing-app", "unicode-name"],
)
async def test_malformed_bodies_answer_400_never_500(api, raw):
    reply = await api.post(api.v2("deployments"), data=raw)
    assert reply.status == 400, reply.body
    assert reply.body["error_code"] in (GENERIC, NAME_CODE)
    await assert_no_trace(api)


async def test_duplicate_name_is_400_and_leaves_the_first(api):
    assert (await api.create("web")).status == 201
    reply = await api.create("web")
    assert (reply.status, reply.body["error_code"]) == (400, "IEF.100006")
    assert "deployment.name" in reply.body["error_msg"]
    assert (await api.get(api.v2("deployments"))).body["count"] == 1


@pytest.mark.parametrize(
    ("update", "code", "field"),
    [
        ({"description": "a$b"}, GENERIC, "description"),
        ({"deployment": {"image_url": ""}}, GENERIC, "deployment.image_url"),
        ({"deployment": {"envs": [{"name": "9"}]}}, ENV_CODE, "deployment.envs[0].name"),
        ({"deployment": {"volumes": [{"name": "v", "type": "x", "source": "/", "destination": "/"}]}}, VOL_CODE, "deployment.volumes[0].type"),
        ({"deployment": {"toleration_seconds": "300"}}, GENERIC, "deployment.toleration_seconds"),
        ({"deployment": []}, GENERIC, "deployment"),
    ],
)
async def test_rejected_update_changes_nothing(api, update, code, field):
    dep = (await api.create("web")).body["deployment"]
    before = (await api.get(api.v2(f"deployments/{dep['id']}"))).body
    reply = await api.put(api.v2(f"deployments/{dep['id']}"), update)
    assert (reply.status, reply.body["error_code"]) == (400, code), reply.body
    assert field in reply.body["error_msg"]
    assert (await api.get(api.v2(f"deployments/{dep['id']}"))).body == before


async def test_update_accepts_null_ports_and_null_probes(api):
    dep = (await api.create("web", configs={"ports": [{"container_port": 80}]})).body["deployment"]
    reply = await api.put(api.v2(f"deployments/{dep['id']}"),
                          {"deployment": {"configs": {"ports": None}, "liveness_probe": None, "readiness_probe": None}})
    assert reply.status == 200, reply.body
    fresh = [i for i in reply.body["deployment"]["instances"] if i["state"] == "PENDING_CREATE"]
    assert fresh[0]["configs"]["ports"] is None
