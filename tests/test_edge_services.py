"""Edge services over HTTP (platinum: header ief-instance-id required): create, list with its
filters, show, update, delete, every field rule accepted and refused, the name taken, an
unknown id, another instance's service, and a restart."""

from __future__ import annotations

import pytest

from conftest import PROJECT_ID, start_api, stop_api

UNKNOWN_ID = "00000000-0000-4000-8000-000000000000"
INSTANCE = {"ief-instance-id": "inst-1"}


def svc(name: str = "web", app: str = "web", **spec) -> dict:
    return {"service": {"meta_data": {"name": name, "labels": {"tier": "front"}},
                        "spec": {"selector": {"app": app}, "ports": [{"name": "http-0", "port": "80", "target_port": 8080}],
                                 **spec}}}


def refused(reply, status: int, code: str, *words: str) -> None:
    assert (reply.status, reply.body["error_code"]) == (status, code), reply.body
    for word in words:
        assert word in reply.body["error_msg"], reply.body


async def create(api, body: dict, headers=INSTANCE) -> dict:
    reply = await api.post(api.v2("services"), body, headers=headers)
    assert reply.status == 201, reply.body
    return reply.body["service"]


async def test_service_crud(api):
    s = await create(api, svc())
    assert s["project_id"] == PROJECT_ID and s["meta_data"] == {"name": "web", "labels": {"tier": "front"}}
    assert s["spec"] == {"selector": {"app": "web"}, "ports": [{"name": "http-0", "protocol": "TCP", "port": "80", "target_port": "8080"}],
                         "type": "ClusterIP", "cluster_ip": "None", "external_ips": [], "external_name": ""}
    assert s["created_at"] == s["updated_at"] == "2026-01-01T00:00:00.000Z"
    item = api.v2(f"services/{s['id']}")
    assert (await api.get(item, headers=INSTANCE)).body == {"service": s}
    refused(await api.post(api.v2("services"), svc(), headers=INSTANCE), 400, "IEF.100006", "name")
    other = await create(api, svc("api", "api"))
    # list: filters, sort, paging (limit 1..100, default 10)
    listed = (await api.get(api.v2("services"), headers=INSTANCE)).body
    assert listed["count"] == 2 and [x["meta_data"]["name"] for x in listed["services"]] == ["api", "web"]
    assert [x["id"] for x in (await api.get(api.v2("services?app=api"), headers=INSTANCE)).body["services"]] == [other["id"]]
    assert (await api.get(api.v2("services?name=we"), headers=INSTANCE)).body["count"] == 1
    named = (await api.get(api.v2("services?sorted=name:desc&limit=1"), headers=INSTANCE)).body
    assert named["count"] == 2 and named["services"][0]["meta_data"]["name"] == "web"
    refused(await api.get(api.v2("services?sorted=size"), headers=INSTANCE), 400, "IEF.100002", "sorted")
    refused(await api.get(api.v2("services?limit=101"), headers=INSTANCE), 400, "IEF.100005")
    # update replaces the whole service
    await api.advance(5)
    reply = await api.put(item, svc("web", "web2", type="NodePort",
                                    ports=[{"name": "tcp-0", "protocol": "UDP", "port": 53, "target_port": "53", "node_port": "30053"}]),
                          headers=INSTANCE)
    assert reply.status == 200, reply.body
    up = reply.body["service"]
    assert up["spec"]["type"] == "NodePort" and up["spec"]["ports"][0]["node_port"] == "30053"
    assert up["updated_at"] == "2026-01-01T00:00:05.000Z" and up["created_at"] == s["created_at"]
    refused(await api.put(item, svc("api"), headers=INSTANCE), 400, "IEF.100006", "name")
    # another instance's service is unknown; without the header: 400
    refused(await api.get(item, headers={"ief-instance-id": "inst-2"}), 404, "IEF.100003")
    assert (await api.get(api.v2("services"), headers={"ief-instance-id": "inst-2"})).body == {"count": 0, "services": []}
    for call in (api.get, api.delete):
        refused(await call(item), 400, "IEF.100002", "ief-instance-id")
    refused(await api.get(api.v2("services")), 400, "IEF.100002", "ief-instance-id")
    refused(await api.post(api.v2("services"), svc("x")), 400, "IEF.100002", "ief-instance-id")
    assert (await api.delete(item, headers=INSTANCE)).status == 204
    for call in (api.get, api.delete):
        refused(await call(item, headers=INSTANCE), 404, "IEF.100003")
    refused(await api.put(api.v2(f"services/{UNKNOWN_ID}"), svc(), headers=INSTANCE), 404, "IEF.100003")


@pytest.mark.parametrize("change, code, words", [
    (lambda b: b["service"]["meta_data"].update(name="Web"), "IEF.100012", ["name"]),
    (lambda b: b["service"]["meta_data"].update(name="web-"), "IEF.100012", ["name"]),
    (lambda b: b["service"]["meta_data"].update(name="1web"), "IEF.100012", ["name"]),
    (lambda b: b["service"]["meta_data"].update(labels={"a": 1}), "IEF.100002", ["labels"]),
    (lambda b: b["service"]["spec"].update(selector={}), "IEF.100002", ["selector"]),
    (lambda b: b["service"]["spec"].pop("selector"), "IEF.100002", ["selector"]),
    (lambda b: b["service"]["spec"]["ports"][0].update(name="http2forecast"), "IEF.100012", ["ports[0].name"]),
    (lambda b: b["service"]["spec"]["ports"][0].update(port="0"), "IEF.100002", ["port"]),
    (lambda b: b["service"]["spec"]["ports"][0].update(target_port=65536), "IEF.100002", ["target_port"]),
    (lambda b: b["service"]["spec"]["ports"][0].update(protocol="ICMP"), "IEF.100002", ["protocol"]),
    (lambda b: b["service"]["spec"]["ports"][0].update(node_port="30000"), "IEF.100002", ["node_port"]),
    (lambda b: b["service"]["spec"].update(type="NodePort"), "IEF.100002", ["node_port"]),
    (lambda b: b["service"]["spec"].update(type="LoadBalancer"), "IEF.100002", ["type"]),
    (lambda b: b["service"]["spec"]["ports"].append({"name": "http-0", "port": "81", "target_port": "81"}), "IEF.100002", ["unique"]),
])
async def test_service_field_rules_refused(api, change, code, words):
    body = svc()
    change(body)
    refused(await api.post(api.v2("services"), body, headers=INSTANCE), 400, code, *words)
    assert (await api.get(api.v2("services"), headers=INSTANCE)).body["count"] == 0


@pytest.mark.parametrize("name, spec", [
    ("a", {"ports": []}),
    ("a" + "b" * 63, {"cluster_ip": "10.0.0.1", "external_ips": ["1.2.3.4"], "external_name": "x.example"}),
    ("svc-1", {"type": "NodePort", "ports": [{"name": "http-a1", "port": 1, "target_port": "65535", "node_port": 30000}]}),
])
async def test_service_field_rules_accepted(api, name, spec):
    s = await create(api, svc(name, **spec))
    assert s["meta_data"]["name"] == name


async def test_services_survive_a_restart(tmp_path):
    db = tmp_path / "s.db"
    api = await start_api(db)
    try:
        s = await create(api, svc())
    finally:
        await stop_api(api)
    api = await start_api(db)
    try:
        assert (await api.get(api.v2(f"services/{s['id']}"), headers=INSTANCE)).body == {"service": s}
        quota = (await api.get(api.v2("quotas?types=service"))).body
        assert [q["used"] for q in quota["quotas"]["resources"] if q["type"] == "service"] == [1], quota
    finally:
        await stop_api(api)
