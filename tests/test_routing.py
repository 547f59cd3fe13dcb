"""Message routing as a client sees it over HTTP: endpoints and rules with every field rule
accepted and refused, the shared endpoints, delete of an endpoint in use, start/stop, a rule's
counts and errors following its nodes on the virtual clock, metrics, and a restart."""

from __future__ import annotations

import pytest

from conftest import PROJECT_ID, advance_to, start_api, stop_api

UNKNOWN_ID = "00000000-0000-4000-8000-000000000000"
ENDPOINT_KEYS = {"id", "name", "type", "properties", "description", "ief_instance_id", "is_shared", "project_id",
                 "created_at", "updated_at"}
RULE_KEYS = {"id", "name", "description", "project_id", "ief_instance_id", "in_using", "source", "source_resource",
             "target", "target_resource", "success_messages", "fail_messages", "created_at", "updated_at"}


def path(api, tail: str) -> str:
    return f"/v2/{api.project_id}/routemgr/{tail}"


def refused(reply, status: int, code: str, *words: str) -> None:
    assert (reply.status, reply.body["error_code"]) == (status, code), reply.body
    for word in words:
        assert word in reply.body["error_msg"], reply.body


async def make_endpoint(api, name: str = "bus", type: str = "servicebus", properties=None, **fields) -> dict:
    props = {"service_port": 8080} if properties is None else properties
    reply = await api.post(path(api, "endpoints"), {"endpoint": {"name": name, "type": type, "properties": props, **fields}})
    assert reply.status == 201, reply.body
    return reply.body["endpoint"]


async def shared(api) -> dict[str, str]:
    body = (await api.get(path(api, "endpoints?is_shared=true"))).body
    return {e["name"]: e["id"] for e in body["endpoints"]}


def topic(node: str, custom: str = "temp") -> str:
    return f"{PROJECT_ID}/nodes/{node}/user/{custom}"


async def rest_to_node(api, node: str, name: str = "down", **fields) -> dict:
    """SystemREST -> SystemEventBus of ``node``: cloud-to-edge messages."""
    ids = await shared(api)
    rule = {"name": name, "source": ids["SystemREST"], "source_resource": {"path": "/cmd"},
            "target": ids["SystemEventBus"], "target_resource": {"topic": "/cmd", "node_id": node}, **fields}
    reply = await api.post(path(api, "rules"), {"rule": rule})
    assert reply.status == 201, reply.body
    return reply.body["rule"]


async def show_rule(api, rule_id: str) -> dict:
    reply = await api.get(path(api, f"rules/{rule_id}"))
    assert reply.status == 200, reply.body
    return reply.body["rule"]


# --- endpoints ----------------------------------------------------------------------------------


async def test_endpoint_crud_and_the_shared_endpoints(api):
    e = await make_endpoint(api, description="line bus", ief_instance_id="")
    assert ENDPOINT_KEYS <= e.keys()
    assert (e["name"], e["type"], e["properties"], e["is_shared"], e["project_id"]) == (
        "bus", "servicebus", {"service_port": 8080}, False, PROJECT_ID)
    assert e["created_at"] == "2026-01-01T00:00:00.000Z"
    assert (await api.get(path(api, f"endpoints/{e['id']}"))).body == {"endpoint": e}
    listed = (await api.get(path(api, "endpoints"))).body
    assert listed["count"] == 3 and [x["name"] for x in listed["endpoints"]] == ["SystemEventBus", "SystemREST", "bus"]
    sys_bus = listed["endpoints"][0]
    assert (sys_bus["is_shared"], sys_bus["type"], sys_bus["project_id"]) == (True, "eventbus", "")
    assert (await api.get(path(api, "endpoints?is_shared=false"))).body["endpoints"] == [e]
    assert [x["name"] for x in (await api.get(path(api, "endpoints?is_shared=true&name=REST"))).body["endpoints"]] == ["SystemREST"]
    assert (await api.get(path(api, "endpoints?type=servicebus"))).body == {"count": 1, "endpoints": [e]}
    assert (await api.get(path(api, "endpoints?limit=1&offset=2"))).body == {"count": 3, "endpoints": [e]}
    assert (await api.get(path(api, "endpoints?offset=9"))).body == {"count": 3, "endpoints": []}
    refused(await api.get(path(api, "endpoints?is_shared=yes")), 400, "IEF.100002", "is_shared")
    refused(await api.get(path(api, "endpoints?limit=0")), 400, "IEF.100005")
    refused(await api.get(path(api, "endpoints?offset=-1")), 400, "IEF.100004")
    # the ids of the shared endpoints are stable: UUID5 of their names
    other = await start_api(api.server.options.db + ".other")
    try:
        assert await shared(other) == await shared(api)
    finally:
        await stop_api(other)
    # delete: the tenant's goes, the shared ones cannot
    refused(await api.delete(path(api, f"endpoints/{sys_bus['id']}")), 409, "IEF.100007", "shared")
    assert (await api.delete(path(api, f"endpoints/{e['id']}"))).status == 204
    refused(await api.get(path(api, f"endpoints/{e['id']}")), 404, "IEF.100003")
    refused(await api.delete(path(api, f"endpoints/{UNKNOWN_ID}")), 404, "IEF.100003")


@pytest.mark.parametrize("fields, words", [
    ({"name": ""}, ["name"]),
    ({"name": "a" * 65}, ["name"]),
    ({"name": "bad name"}, ["name"]),
    ({"type": "kafka"}, ["type"]),
    ({"type": None}, ["type"]),
    ({"properties": None}, ["properties"]),
    ({"properties": ["x"]}, ["properties"]),
    ({"properties": {"service_port": 0}}, ["service_port"]),
    ({"properties": {"service_port": 65536}}, ["service_port"]),
    ({"properties": {"service_port": "80a"}}, ["service_port"]),
    ({"properties": {}}, ["service_port"]),
    ({"description": "a<b"}, ["description"]),
    ({"description": "d" * 256}, ["description"]),
])
async def test_endpoint_field_rules_refused(api, fields, words):
    body = {"name": "bus", "type": "servicebus", "properties": {"service_port": 8080}, **fields}
    code = "IEF.100012" if "name" in fields else "IEF.100002"  # a bad name has its own code
    refused(await api.post(path(api, "endpoints"), {"endpoint": body}), 400, code, *words)
    assert (await api.get(path(api, "endpoints?is_shared=false"))).body["count"] == 0


@pytest.mark.parametrize("name, type, properties", [
    ("总线_1-a", "servicebus", {"service_port": "65535"}),
    ("a" * 64, "servicebus", {"service_port": 1}),
    ("dis1", "dis", {"domain_id": "d1"}),
    ("gw", "apigw", {}),
])
async def test_endpoint_field_rules_accepted(api, name, type, properties):
    assert (await make_endpoint(api, name, type, properties))["properties"] == properties


async def test_endpoint_names_are_unique_with_the_shared_ones(api):
    await make_endpoint(api)
    for name in ("bus", "SystemREST"):
        reply = await api.post(path(api, "endpoints"), {"endpoint": {"name": name, "type": "apigw", "properties": {}}})
        refused(reply, 400, "IEF.100006", "name")


# --- rules: create and its rules -----------------------------------------------------------------


async def test_rule_crud_start_stop(api):
    node = (await api.node_ids())[0]
    r = await rest_to_node(api, node, description="commands")
    assert RULE_KEYS <= r.keys()
    assert (r["in_using"], r["success_messages"], r["fail_messages"], r["ief_instance_id"]) == (True, 0, 0, "")
    assert r["source"]["name"] == "SystemREST" and r["target"]["name"] == "SystemEventBus" and r["target"]["is_shared"]
    assert r["target_resource"] == {"topic": "/cmd", "node_id": node}
    assert await show_rule(api, r["id"]) == r
    second = await rest_to_node(api, node, name="other")
    listed = (await api.get(path(api, "rules"))).body
    assert listed["count"] == 2 and [x["name"] for x in listed["rules"]] == ["down", "other"]
    assert (await api.get(path(api, "rules?name=oth"))).body == {"count": 1, "rules": [await show_rule(api, second["id"])]}
    assert (await api.get(path(api, "rules?limit=1&offset=1"))).body["rules"][0]["name"] == "other"
    refused(await api.get(path(api, "rules?limit=1001")), 400, "IEF.100005")

    for _ in range(2):  # idempotent
        stop = await api.post(path(api, f"rules/{r['id']}/stop"))
        assert stop.status == 200 and not stop.body
        assert (await show_rule(api, r["id"]))["in_using"] is False
    assert (await api.post(path(api, f"rules/{r['id']}/start"))).status == 200
    assert (await show_rule(api, r["id"]))["in_using"] is True
    assert (await api.delete(path(api, f"rules/{r['id']}"))).status == 204
    for tail in ("", "/start", "/stop", "/errors"):
        call = api.get if tail in ("", "/errors") else api.post
        refused(await call(path(api, f"rules/{r['id']}{tail}")), 404, "IEF.100003")
    refused(await api.delete(path(api, f"rules/{UNKNOWN_ID}")), 404, "IEF.100003")


async def test_every_supported_route_is_accepted_and_other_pairs_refused(api):
    node = (await api.node_ids())[0]
    ids = await shared(api)
    bus = (await make_endpoint(api))["id"]
    dis = (await make_endpoint(api, "dis", "dis", {"domain_id": "d"}))["id"]
    gw = (await make_endpoint(api, "gw", "apigw", {}))["id"]
    edge = {"topic": topic(node), "node_id": node}
    accepted = [
        (ids["SystemREST"], {"path": "/a/{any}/b"}, bus, {"path": "/svc"}),
        (ids["SystemREST"], {"path": "/"}, ids["SystemEventBus"], {"topic": "/t", "node_id": node}),
        (ids["SystemEventBus"], edge, dis, {"channel": "ch-1"}),
        (ids["SystemEventBus"], {"topic": topic(node, "a/+/#"), "node_id": node}, gw, {"resource": "https://gw.example/x"}),
    ]
    for i, (src, src_res, dst, dst_res) in enumerate(accepted):
        rule = {"name": f"r{i}", "source": src, "source_resource": src_res, "target": dst, "target_resource": dst_res}
        reply = await api.post(path(api, "rules"), {"rule": rule})
        assert reply.status == 201, reply.body
    refusals = [
        (ids["SystemREST"], {"path": "/"}, dis, {"channel": "c"}),  # rest -> dis
        (ids["SystemEventBus"], edge, bus, {"path": "/x"}),  # eventbus -> servicebus
        (bus, {"path": "/x"}, dis, {"channel": "c"}),  # servicebus is no source
    ]
    for src, src_res, dst, dst_res in refusals:
        rule = {"name": "no", "source": src, "source_resource": src_res, "target": dst, "target_resource": dst_res}
        refused(await api.post(path(api, "rules"), {"rule": rule}), 400, "IEF.100002", "rule.target", "not supported")
    assert (await api.get(path(api, "rules"))).body["count"] == 4


@pytest.mark.parametrize("fields, code, words", [
    ({"name": ""}, "IEF.100012", ["name"]),
    ({"name": "a" * 65}, "IEF.100012", ["name"]),
    ({"name": "a.b"}, "IEF.100012", ["name"]),
    ({"description": "x{y}"}, "IEF.100002", ["description"]),
    ({"source": None}, "IEF.100002", ["source"]),
    ({"source": UNKNOWN_ID}, "IEF.100003", ["rule.source"]),
    ({"target": UNKNOWN_ID}, "IEF.100003", ["rule.target"]),
    ({"source_resource": None}, "IEF.100002", ["source_resource"]),
    ({"source_resource": {}}, "IEF.100002", ["source_resource.path"]),
    ({"source_resource": {"path": "cmd"}}, "IEF.100002", ["source_resource.path", "/"]),
    ({"source_resource": {"path": "/a", "topic": "t"}}, "IEF.100002", ["source_resource", "topic"]),
    ({"target_resource": {"topic": "/t"}}, "IEF.100002", ["target_resource.node_id"]),
    ({"target_resource": {"topic": "/t", "node_id": UNKNOWN_ID}}, "IEF.100003", ["target_resource.node_id"]),
    ({"target_resource": {"topic": "", "node_id": "NODE"}}, "IEF.100002", ["target_resource.topic"]),
    ({"target_resource": {"topic": 1, "node_id": "NODE"}}, "IEF.100002", ["target_resource"]),
    ({"in_using": "yes"}, "IEF.100002", ["in_using"]),
])
async def test_rule_field_rules_refused(api, fields, code, words):
    node = (await api.node_ids())[0]
    ids = await shared(api)
    rule = {"name": "r", "source": ids["SystemREST"], "source_resource": {"path": "/cmd"},
            "target": ids["SystemEventBus"], "target_resource": {"topic": "/t", "node_id": node}}
    for key, value in fields.items():
        rule[key] = {k: (node if v == "NODE" else v) for k, v in value.items()} if isinstance(value, dict) else value
    refused(await api.post(path(api, "rules"), {"rule": rule}), 400, code, *words)
    assert (await api.get(path(api, "rules"))).body == {"count": 0, "rules": []}


async def test_eventbus_source_topics_and_target_urls(api):
    node, other = (await api.node_ids())[:2]
    ids = await shared(api)
    gw = (await make_endpoint(api, "gw", "apigw", {}))["id"]

    def rule(src_res, dst_res=None):
        return {"rule": {"name": "up", "source": ids["SystemEventBus"], "source_resource": src_res, "target": gw,
                         "target_resource": dst_res or {"resource": "http://gw/x"}}}
    refused(await api.post(path(api, "rules"), rule({"topic": topic(other), "node_id": node})), 400, "IEF.100002", "topic")
    refused(await api.post(path(api, "rules"), rule({"topic": topic(node, ""), "node_id": node})), 400, "IEF.100002", "topic")
    refused(await api.post(path(api, "rules"), rule({"topic": topic(node), "node_id": node}, {"resource": "ftp://x"})),
            400, "IEF.100002", "target_resource.resource")
    assert (await api.post(path(api, "rules"), rule({"topic": topic(node), "node_id": node}))).status == 201


async def test_rule_names_are_unique_and_endpoints_in_use_cannot_go(api):
    node = (await api.node_ids())[0]
    ids = await shared(api)
    bus = await make_endpoint(api)
    body = {"rule": {"name": "r", "source": ids["SystemREST"], "source_resource": {"path": "/"},
                     "target": bus["id"], "target_resource": {"path": "/svc"}}}
    assert (await api.post(path(api, "rules"), body)).status == 201
    refused(await api.post(path(api, "rules"), body), 400, "IEF.100006", "name")
    refused(await api.delete(path(api, f"endpoints/{bus['id']}")), 409, "IEF.100007", "rule r")
    assert (await api.get(path(api, f"endpoints/{bus['id']}"))).status == 200
    rule_id = (await api.get(path(api, "rules"))).body["rules"][0]["id"]
    assert (await api.delete(path(api, f"rules/{rule_id}"))).status == 204
    assert (await api.delete(path(api, f"endpoints/{bus['id']}"))).status == 204
    assert node


# --- delivery on the clock ----------------------------------------------------------------------------


async def test_a_partitioned_destination_fails_exactly_the_messages_of_its_outage(api):
    node = (await api.node_ids())[0]
    r = await rest_to_node(api, node)  # created at t=0, 1 message a second (simulation.routing.message_rate)
    fault = {"kind": "node_partition", "target": {"node_ids": [node]}, "start": 60, "duration": 100}
    assert (await api.post("/edgesim/chaos/faults", fault, token=None)).status == 201
    await advance_to(api, 99)  # partitioned at 60, marked failed after the 40 s grace, at 100
    assert ((await show_rule(api, r["id"]))["success_messages"], (await show_rule(api, r["id"]))["fail_messages"]) == (99, 0)
    await advance_to(api, 130)
    shown = await show_rule(api, r["id"])
    assert (shown["success_messages"], shown["fail_messages"]) == (100, 30)
    await advance_to(api, 300)  # the node reports again at 160
    shown = await show_rule(api, r["id"])
    assert (shown["success_messages"], shown["fail_messages"]) == (240, 60)
    errors = (await api.get(path(api, f"rules/{r['id']}/errors"))).body
    assert errors["count"] == 60
    assert errors["errors"][0] == {"detail": f"node {node} is offline", "time": "2026-01-01T00:02:40.000Z",
                                   "rule_id": r["id"], "project_id": PROJECT_ID, "ief_instance_id": ""}
    assert errors["errors"][-1]["time"] == "2026-01-01T00:01:41.000Z"
    page = (await api.get(path(api, f"rules/{r['id']}/errors?limit=2&offset=1"))).body
    assert page["count"] == 60 and [e["time"] for e in page["errors"]] == ["2026-01-01T00:02:39.000Z", "2026-01-01T00:02:38.000Z"]
    # the outage marks are in the event log, at the moments the node changed state
    marks = [(e["time"], e["cause"]) for e in await api.events(kind="rule.state") if e["rule_id"] == r["id"]]
    assert marks == [(100, f"node {node} is offline"), (160, "")]


async def test_a_stopped_rule_drops_its_messages_uncounted_and_a_new_rule_on_a_failed_node_fails(api):
    """ief-api-more.md 5.2: messages arriving while a rule is stopped are dropped and not
    counted, as delivered or as failed, and list no error."""
    node, other = (await api.node_ids())[:2]
    r = await rest_to_node(api, node)
    await advance_to(api, 10)
    await api.post(path(api, f"rules/{r['id']}/stop"))
    await advance_to(api, 25)
    await api.post(path(api, f"rules/{r['id']}/start"))
    await advance_to(api, 30)
    shown = await show_rule(api, r["id"])
    assert (shown["success_messages"], shown["fail_messages"]) == (15, 0)
    assert (await api.get(path(api, f"rules/{r['id']}/errors"))).body == {"count": 0, "errors": []}
    # stopping the node: messages to it fail from that moment
    await api.post(api.v2(f"nodes/{other}/action"), {"node": {"action": "stop"}})
    late = await rest_to_node(api, other, name="late", in_using=True)
    await advance_to(api, 40)
    assert ((await show_rule(api, late["id"]))["fail_messages"], (await show_rule(api, late["id"]))["success_messages"]) == (10, 0)


async def test_a_rule_stopped_during_an_outage_counts_only_the_outage_before_the_stop(api):
    """The node fails at 100 (partition at 60 + 40 s grace); the rule is stopped at 120 and
    started at 140, while the node is still down, and the node is back at 160: failed are the
    messages of 100..120 and 140..160, nothing of 120..140 is counted."""
    node = (await api.node_ids())[0]
    r = await rest_to_node(api, node)
    fault = {"kind": "node_partition", "target": {"node_ids": [node]}, "start": 60, "duration": 100}
    assert (await api.post("/edgesim/chaos/faults", fault, token=None)).status == 201
    await advance_to(api, 120)
    await api.post(path(api, f"rules/{r['id']}/stop"))
    await advance_to(api, 140)
    assert ((await show_rule(api, r["id"]))["success_messages"], (await show_rule(api, r["id"]))["fail_messages"]) == (100, 20)
    await api.post(path(api, f"rules/{r['id']}/start"))
    await advance_to(api, 200)
    shown = await show_rule(api, r["id"])
    assert (shown["success_messages"], shown["fail_messages"]) == (140, 40)
    errors = (await api.get(path(api, f"rules/{r['id']}/errors"))).body
    assert errors["count"] == 40 and {e["detail"] for e in errors["errors"]} == {f"node {node} is offline"}
    times = [e["time"] for e in errors["errors"]]
    assert (times[0], times[19], times[20], times[-1]) == (
        "2026-01-01T00:02:40.000Z", "2026-01-01T00:02:21.000Z", "2026-01-01T00:02:00.000Z", "2026-01-01T00:01:41.000Z")


async def test_metrics_show_each_rules_counts(api):
    node, other = (await api.node_ids())[:2]
    r = await rest_to_node(api, node)
    await advance_to(api, 5)
    await api.post(path(api, f"rules/{r['id']}/stop"))
    await advance_to(api, 8)
    text = await (await api.session.get(api.url + "/edgesim/metrics")).text()
    assert f'edgesim_rule_messages_total{{outcome="delivered",rule="{r["id"]}"}} 5.0' in text
    assert f'edgesim_rule_messages_total{{outcome="failed",rule="{r["id"]}"}} 0.0' in text  # stopped: dropped
    assert f'edgesim_rule_last_error_seconds{{rule="{r["id"]}"}}' not in text
    await api.post(api.v2(f"nodes/{other}/action"), {"node": {"action": "stop"}})
    late = await rest_to_node(api, other, name="late")
    await advance_to(api, 11)
    text = await (await api.session.get(api.url + "/edgesim/metrics")).text()
    assert f'edgesim_rule_messages_total{{outcome="failed",rule="{late["id"]}"}} 3.0' in text
    assert f'edgesim_rule_last_error_seconds{{rule="{late["id"]}"}} 11.0' in text


# --- restart ----------------------------------------------------------------------------------------


async def test_endpoints_rules_and_counts_survive_a_restart(tmp_path):
    db = tmp_path / "r.db"
    api = await start_api(db)
    try:
        node = (await api.node_ids())[0]
        await make_endpoint(api)
        r = await rest_to_node(api, node)
        await subscribe(api, "nodes", "edgeNode/updated")
        await api.put(api.v2(f"nodes/{node}"), {"node": {"description": "x"}})
        await advance_to(api, 20)
        await api.post(path(api, f"rules/{r['id']}/stop"))
        await advance_to(api, 30)
        before = ((await api.get(path(api, "endpoints"))).body, await show_rule(api, r["id"]),
                  (await api.get(path(api, f"rules/{r['id']}/errors"))).body,
                  (await api.get(path(api, "exchanger/systemevents"))).body)
    finally:
        await stop_api(api)
    api = await start_api(db)
    try:
        after = ((await api.get(path(api, "endpoints"))).body, await show_rule(api, r["id"]),
                 (await api.get(path(api, f"rules/{r['id']}/errors"))).body,
                 (await api.get(path(api, "exchanger/systemevents"))).body)
        assert after == before and before[1]["fail_messages"] == 0  # stopped: dropped, not failed
        assert before[3]["systemevents"][0]["success_messages"] == 1
        await api.post(path(api, f"rules/{r['id']}/start"))
        await advance_to(api, 35)
        assert (await show_rule(api, r["id"]))["success_messages"] == 25
    finally:
        await stop_api(api)


# --- system event subscriptions ------------------------------------------------------------------


async def subscribe(api, name: str = "watch", events: str = "edgeNode/all", **fields) -> dict:
    gw = fields.pop("target", None) or (await make_endpoint(api, f"gw-{name}", "apigw", {}))["id"]
    body = {"name": name, "events": events, "target": gw, "target_resource": {"resource": "https://gw.example/hook"}, **fields}
    reply = await api.post(path(api, "exchanger/systemevents"), {"systemevent": body})
    assert reply.status == 201, reply.body
    return reply.body["systemevent"]


async def test_system_event_crud_by_id_or_name(api):
    sub = await subscribe(api, description="nodes")
    assert {"id", "name", "project_id", "created_at", "updated_at", "description", "in_using", "events", "target",
            "target_resource", "success_messages", "fail_messages", "delete_at"} <= sub.keys()
    assert (sub["in_using"], sub["events"], sub["delete_at"], sub["target"]["type"]) == (True, "edgeNode/all", 0, "apigw")
    assert sub["target_resource"] == {"resource": "https://gw.example/hook"}
    base = path(api, "exchanger/systemevents")
    for key in (sub["id"], sub["name"]):
        assert (await api.get(f"{base}/{key}")).body == {"systemevent": sub}
    assert (await api.get(base)).body == {"count": 1, "systemevents": [sub]}
    assert (await api.get(base + "?name=zzz")).body == {"count": 0, "systemevents": []}
    assert (await api.post(f"{base}/{sub['name']}/stop")).status == 200
    assert (await api.get(f"{base}/{sub['id']}")).body["systemevent"]["in_using"] is False
    assert (await api.post(f"{base}/{sub['id']}/start")).status == 200
    refused(await api.delete(path(api, f"endpoints/{sub['target']['id']}")), 409, "IEF.100007", "system event watch")
    assert (await api.delete(f"{base}/{sub['name']}")).status == 204
    for call, tail in ((api.get, ""), (api.delete, ""), (api.post, "/start"), (api.post, "/stop")):
        refused(await call(f"{base}/{sub['id']}{tail}"), 404, "IEF.100003")
    assert (await api.delete(path(api, f"endpoints/{sub['target']['id']}"))).status == 204


@pytest.mark.parametrize("fields, code, words", [
    ({"name": "Upper"}, "IEF.100012", ["name"]),
    ({"name": "a" * 65}, "IEF.100012", ["name"]),
    ({"name": None}, "IEF.100002", ["name"]),
    ({"events": None}, "IEF.100002", ["events"]),
    ({"events": "edgeNode/exploded"}, "IEF.100002", ["events", "edgeNode/exploded"]),
    ({"events": "pod/created"}, "IEF.100002", ["events"]),
    ({"events": "deployment/all,"}, "IEF.100002", ["events"]),
    ({"target": None}, "IEF.100002", ["target"]),
    ({"target": UNKNOWN_ID}, "IEF.100003", ["systemevent.target"]),
    ({"target": "BUS"}, "IEF.100002", ["systemevent.target", "apigw"]),
    ({"target_resource": {"resource": "gw.example"}}, "IEF.100002", ["resource"]),
    ({"description": "<x>"}, "IEF.100002", ["description"]),
])
async def test_system_event_field_rules_refused(api, fields, code, words):
    gw = (await make_endpoint(api, "gw", "apigw", {}))["id"]
    bus = (await make_endpoint(api))["id"]
    body = {"name": "watch", "events": "edgeNode/offline", "target": gw, **fields}
    if body["target"] == "BUS":
        body["target"] = bus
    refused(await api.post(path(api, "exchanger/systemevents"), {"systemevent": body}), 400, code, *words)
    assert (await api.get(path(api, "exchanger/systemevents"))).body["count"] == 0


@pytest.mark.parametrize("events", [
    "edgeNode/online", "edgeNode/offline,edgeNode/created", "deployment/created,deployment/updated,deployment/deleted",
    "instance/all", "device/created,device/deleted", "edgeNode/all,deployment/all,instance/all,device/updated",
])
async def test_system_event_kinds_accepted(api, events):
    assert (await subscribe(api, events=events))["events"] == events


async def test_rule_and_subscription_names_are_unique_together(api):
    node = (await api.node_ids())[0]
    sub = await subscribe(api, name="shared-name")
    ids = await shared(api)
    rule = {"name": "shared-name", "source": ids["SystemREST"], "source_resource": {"path": "/"},
            "target": ids["SystemEventBus"], "target_resource": {"topic": "/t", "node_id": node}}
    refused(await api.post(path(api, "rules"), {"rule": rule}), 400, "IEF.100006", "name")
    await rest_to_node(api, node, name="taken")
    body = {"name": "taken", "events": "edgeNode/all", "target": sub["target"]["id"]}
    refused(await api.post(path(api, "exchanger/systemevents"), {"systemevent": body}), 400, "IEF.100006", "name")


async def test_subscriptions_count_the_events_they_forward(api):
    node = (await api.node_ids())[0]
    nodes = await subscribe(api, "nodes", "edgeNode/offline,edgeNode/online")
    deps = await subscribe(api, "deps", "deployment/all")
    fault = {"kind": "node_partition", "target": {"node_ids": [node]}, "start": 10, "duration": 100}
    assert (await api.post("/edgesim/chaos/faults", fault, token=None)).status == 201
    await advance_to(api, 200)  # marked failed at 50, back at 110
    created = await api.create("web", node_id=(await api.node_ids())[1])
    assert created.status == 201, created.body
    base = path(api, "exchanger/systemevents")
    assert (await api.get(f"{base}/nodes")).body["systemevent"]["success_messages"] == 2
    assert (await api.get(f"{base}/deps")).body["systemevent"]["success_messages"] == 1
    delivered = [e for e in await api.events(kind="systemevent.delivered") if e["systemevent_id"] == nodes["id"]]
    assert [(e["time"], e["operation"], e["topic"]) for e in delivered] == [
        (50, "offline", "$hw/events/edgeNode/+/offline"), (110, "online", "$hw/events/edgeNode/+/online")]
    # a stopped subscription forwards nothing
    await api.post(f"{base}/deps/stop")
    assert (await api.delete(api.v2(f"deployments/{created.body['deployment']['id']}"))).status == 204
    assert (await api.get(f"{base}/deps")).body["systemevent"]["success_messages"] == 1
    assert deps["success_messages"] == 0
