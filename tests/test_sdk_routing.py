"""The official SDK drives the message routing operations (endpoints 4, rules 7) end to end
over a real socket with AK/SK signing, with their error cases: unknown id, bad field, name
taken, delete of an endpoint in use, and a rule's counts after an outage of its node."""

from __future__ import annotations

import pytest
from huaweicloudsdkcore.exceptions.exceptions import ClientRequestException
from huaweicloudsdkief.v1 import (
    CreateEndpointRequest,
    CreateRuleRequest,
    DeleteEndPointRequest,
    DeleteRuleRequest,
    Endpoint,
    EndpointObj,
    ListEndpointsRequest,
    ListRuleErrorsRequest,
    ListRulesRequest,
    RuleConfig,
    RuleDetail,
    ShowEndPointDetailRequest,
    ShowRuleDetailRequest,
    StartRuleRequest,
    StopRuleRequest,
)
from test_sdk_e2e import _no_proxy, call, sdk  # noqa: F401 (the fixture is used by name)

from conftest import advance_to

UNKNOWN_ID = "00000000-0000-4000-8000-000000000000"


async def refused(client, method: str, request, status: int, code: str) -> str:
    with pytest.raises(ClientRequestException) as caught:
        await call(client, method, request)
    assert (caught.value.status_code, caught.value.error_code) == (status, code), (method, caught.value.error_msg)
    return caught.value.error_msg


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
    assert (shown.in_using, shown.success_messages, shown.fail_messages) == (True, 5, 10)
    errors = await call(client, "list_rule_errors", ListRuleErrorsRequest(rule_id=rule.id, limit=3))
    assert errors.count == 10 and [e.detail for e in errors.errors] == ["rule is stopped"] * 3
    assert errors.errors[0].time == "2026-01-01T00:00:10.000Z" and errors.errors[0].rule_id == rule.id
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
