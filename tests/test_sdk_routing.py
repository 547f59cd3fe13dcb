"""The official SDK drives the message routing operations (endpoints 4, rules 7) end to end
over a real socket with AK/SK signing, with their error cases: unknown id, bad field, name
taken, delete of an endpoint in use, and a rule's counts after an outage of its node."""

from __future__ import annotations

from huaweicloudsdkief.v1 import (
    CreateEndpointRequest,
    CreateRuleRequest,
    CreateSystemEventRequest,
    DeleteEndPointRequest,
    DeleteRuleRequest,
    DeleteSystemEventRequest,
    Endpoint,
    EndpointObj,
    EndpointResource,
    EventCreateDetail,
    EventCreateReq,
    ListEndpointsRequest,
    ListRuleErrorsRequest,
    ListRulesRequest,
    ListSystemEventsRequest,
    RuleConfig,
    RuleDetail,
    ShowEndPointDetailRequest,
    ShowRuleDetailRequest,
    ShowSystemEventDetailRequest,
    StartRuleRequest,
    StartSystemEventRequest,
    StopRuleRequest,
    StopSystemEventRequest,
)
from test_sdk_e2e import _no_proxy, call, refused, sdk  # noqa: F401 (the fixture is used by name)

from conftest import advance_to

UNKNOWN_ID = "00000000-0000-4000-8000-000000000000"


def bus_body(name: str = "bus", port: str = "8080") -> Endpoint:
    return Endpoint(endpoint=EndpointObj(name=name, type="servicebus", properties={"service_port": port}, description="bus"))


async def test_the_sdk_drives_endpoints_and_rules(api):
    client = sdk(api.url)
    node = (await api.node_ids())[0]

    # endpoints: create, list, show, delete
    bus = (await call(client, "create_endpoint", CreateEndpointRequest(body=bus_body()))).endpoint
    assert (bus.name, bus.type, bus.is_shared, bus.properties) == ("bus", "servicebus", False, {"service_port": "8080"})
    listed = await call(client, "list_endpoints", ListEndpointsRequest())
    assert listed.count == 3 and {e.name for e in listed.endpoints} == {"SystemEventBus", "SystemREST", "bus"}
    shared = {e.name: e.id for e in (await call(client, "list_endpoints", ListEndpointsRequest(is_shared="true"))).endpoints}
    assert (await call(client, "list_endpoints", ListEndpointsRequest(type="servicebus", limit=1))).endpoints[0].id == bus.id
    shown = (await call(client, "show_end_point_detail", ShowEndPointDetailRequest(endpoint_id=bus.id))).endpoint
    assert shown.to_dict() == bus.to_dict()
    await refused(client, "create_endpoint", CreateEndpointRequest(body=bus_body()), 400, "IEF.100006")
    msg = await refused(client, "create_endpoint", CreateEndpointRequest(body=bus_body("bus2", "0")), 400, "IEF.100002")
    assert "service_port" in msg
    await refused(client, "show_end_point_detail", ShowEndPointDetailRequest(endpoint_id=UNKNOWN_ID), 404, "IEF.100003")
    await refused(client, "list_endpoints", ListEndpointsRequest(is_shared="maybe"), 400, "IEF.100002")

    # rules: create, list, show, start, stop, errors, delete
    to_bus = RuleDetail(rule=RuleConfig(name="to-bus", source=shared["SystemREST"], source_resource={"path": "/a"},
                                        target=bus.id, target_resource={"path": "/svc"}))
    made = (await call(client, "create_rule", CreateRuleRequest(body=to_bus))).rule
    assert (made.name, made.in_using, made.source.name, made.target.id, made.success_messages) == ("to-bus", True, "SystemREST", bus.id, 0)
    await refused(client, "create_rule", CreateRuleRequest(body=to_bus), 400, "IEF.100006")
    bad = RuleDetail(rule=RuleConfig(name="bad", source=shared["SystemREST"], source_resource={"path": "/a"},
                                     target=UNKNOWN_ID, target_resource={"path": "/svc"}))
    await refused(client, "create_rule", CreateRuleRequest(body=bad), 400, "IEF.100003")
    await refused(client, "delete_end_point", DeleteEndPointRequest(endpoint_id=bus.id), 409, "IEF.100007")
    await refused(client, "delete_end_point", DeleteEndPointRequest(endpoint_id=shared["SystemREST"]), 409, "IEF.100007")

    down = RuleDetail(rule=RuleConfig(
        name="down", source=shared["SystemREST"], source_resource={"path": "/cmd"}, target=shared["SystemEventBus"],
        target_resource={"topic": "/cmd", "node_id": node}, description="commands"))
    rule = (await call(client, "create_rule", CreateRuleRequest(body=down))).rule
    await call(client, "stop_rule", StopRuleRequest(rule_id=rule.id))
    await advance_to(api, 10)
    await call(client, "start_rule", StartRuleRequest(rule_id=rule.id))
    await advance_to(api, 15)
    shown = (await call(client, "show_rule_detail", ShowRuleDetailRequest(rule_id=rule.id))).rule
    # the stopped rule dropped its messages of 0..10 uncounted (ief-api-more.md 5.2)
    assert (shown.in_using, shown.success_messages, shown.fail_messages) == (True, 5, 0)
    errors = await call(client, "list_rule_errors", ListRuleErrorsRequest(rule_id=rule.id, limit=3))
    assert errors.count == 0 and errors.errors == []
    # the rule's node stops at 15: its messages fail from then on, listed newest first
    assert (await api.post(api.v2(f"nodes/{node}/action"), {"node": {"action": "stop"}})).status == 200
    await advance_to(api, 18)
    shown = (await call(client, "show_rule_detail", ShowRuleDetailRequest(rule_id=rule.id))).rule
    assert (shown.success_messages, shown.fail_messages) == (5, 3)
    errors = await call(client, "list_rule_errors", ListRuleErrorsRequest(rule_id=rule.id, limit=2))
    assert errors.count == 3 and [e.detail for e in errors.errors] == [f"node {node} is offline"] * 2
    assert errors.errors[0].time == "2026-01-01T00:00:18.000Z" and errors.errors[0].rule_id == rule.id
    rules = await call(client, "list_rules", ListRulesRequest(name="do"))
    assert rules.count == 1 and rules.rules[0].id == rule.id
    for method, request in (("show_rule_detail", ShowRuleDetailRequest(rule_id=UNKNOWN_ID)),
                            ("start_rule", StartRuleRequest(rule_id=UNKNOWN_ID)),
                            ("stop_rule", StopRuleRequest(rule_id=UNKNOWN_ID)),
                            ("list_rule_errors", ListRuleErrorsRequest(rule_id=UNKNOWN_ID)),
                            ("delete_rule", DeleteRuleRequest(rule_id=UNKNOWN_ID))):
        await refused(client, method, request, 404, "IEF.100003")
    await refused(client, "list_rules", ListRulesRequest(limit=0), 400, "IEF.100005")

    await call(client, "delete_rule", DeleteRuleRequest(rule_id=made.id))
    await call(client, "delete_end_point", DeleteEndPointRequest(endpoint_id=bus.id))
    await refused(client, "delete_end_point", DeleteEndPointRequest(endpoint_id=bus.id), 404, "IEF.100003")
    assert (await call(client, "list_rules", ListRulesRequest())).count == 1


async def test_the_sdk_drives_system_event_subscriptions(api):
    client = sdk(api.url)
    node = (await api.node_ids())[0]
    gw = (await call(client, "create_endpoint", CreateEndpointRequest(body=Endpoint(endpoint=EndpointObj(
        name="gw", type="apigw", properties={"domain_id": "d"}))))).endpoint

    def body(name: str, events: str = "edgeNode/offline,edgeNode/online", target: str = gw.id) -> CreateSystemEventRequest:
        return CreateSystemEventRequest(body=EventCreateReq(systemevent=EventCreateDetail(
            name=name, events=events, target=target, target_resource=EndpointResource(resource="https://gw.example/hook"))))

    sub = (await call(client, "create_system_event", body("watch"))).systemevent
    assert (sub.name, sub.in_using, sub.target.id, sub.target_resource, sub.delete_at) == (
        "watch", True, gw.id, {"resource": "https://gw.example/hook"}, 0)
    await refused(client, "create_system_event", body("watch"), 400, "IEF.100006")
    assert "events" in await refused(client, "create_system_event", body("bad", "edgeNode/boom"), 400, "IEF.100002")
    await refused(client, "create_system_event", body("bad", target=UNKNOWN_ID), 400, "IEF.100003")
    await refused(client, "create_system_event", body("Bad"), 400, "IEF.100012")
    await refused(client, "delete_end_point", DeleteEndPointRequest(endpoint_id=gw.id), 409, "IEF.100007")

    await call(client, "stop_system_event", StopSystemEventRequest(event_id=sub.id))
    await call(client, "start_system_event", StartSystemEventRequest(event_id=sub.id))
    fault = {"kind": "node_partition", "target": {"node_ids": [node]}, "start": 10, "duration": 100}
    assert (await api.post("/edgesim/chaos/faults", fault, token=None)).status == 201
    await advance_to(api, 200)
    shown = (await call(client, "show_system_event_detail", ShowSystemEventDetailRequest(event_id="watch"))).systemevent
    assert (shown.id, shown.success_messages, shown.fail_messages) == (sub.id, 2, 0)
    listed = await call(client, "list_system_events", ListSystemEventsRequest(name="wat", limit=10))
    assert listed.count == 1 and listed.systemevents[0].id == sub.id
    for method, request in (("show_system_event_detail", ShowSystemEventDetailRequest(event_id=UNKNOWN_ID)),
                            ("start_system_event", StartSystemEventRequest(event_id=UNKNOWN_ID)),
                            ("stop_system_event", StopSystemEventRequest(event_id=UNKNOWN_ID)),
                            ("delete_system_event", DeleteSystemEventRequest(event_id=UNKNOWN_ID))):
        await refused(client, method, request, 404, "IEF.100003")
    await refused(client, "list_system_events", ListSystemEventsRequest(offset=-1), 400, "IEF.100004")
    await call(client, "delete_system_event", DeleteSystemEventRequest(event_id="watch"))
    assert (await call(client, "list_system_events", ListSystemEventsRequest())).count == 0
    await call(client, "delete_end_point", DeleteEndPointRequest(endpoint_id=gw.id))
