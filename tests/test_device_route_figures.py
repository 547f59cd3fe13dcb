"""The figures a chaos user reads for devices and message routes, over real HTTP on the virtual
clock: per device online / offline seconds and per rule delivering / failing / stopped seconds
with the messages of the window, in the experiment report, `edgesim report` and the metrics,
exact to the second of the outage, and the same after a restart."""

from __future__ import annotations

import asyncio
import re

import pydantic
import pytest
from click.testing import CliRunner
from test_devices import bind_on_node, make_device, make_template
from test_routing import rest_to_node, show_rule

from edgesim.client_commands import report as report_command
from edgesim.settings import MetricsSettings, load_settings

from conftest import advance_to, start_api, stop_api


async def partition(api, node: str, start: float, duration: float) -> None:
    """The node goes silent at ``start``, is marked FAIL 40 s later (the grace) and reports
    again at ``start + duration``."""
    fault = {"kind": "node_partition", "target": {"node_ids": [node]}, "start": start, "duration": duration}
    assert (await api.post("/edgesim/chaos/faults", fault, token=None)).status == 201


async def report(api, query: str = "") -> dict:
    reply = await api.get(f"/edgesim/report{query}", token=None)
    assert reply.status == 200, reply.body
    return reply.body


async def metrics(api) -> str:
    return await (await api.session.get(api.url + "/edgesim/metrics")).text()


def sample(text: str, name: str, **labels: str) -> float | None:
    """The value of one series in a Prometheus text page (labels in any order)."""
    for line in text.splitlines():
        match = re.fullmatch(rf"{name}\{{(.*)\}} (\S+)", line)
        if match and dict(re.findall(r'(\w+)="([^"]*)"', match[1])) == labels:
            return float(match[2])
    return None


async def thermo_on(api, node: str, t: float) -> dict:
    """A device made from template "thermo" at 0, bound to ``node`` at ``t``."""
    template = await make_template(api, "thermo")
    device = await make_device(api, "thermo-1", device_template_id=template["id"])
    await advance_to(api, t)
    assert (await bind_on_node(api, node, [device["id"]])).status == 200
    return device


async def test_device_online_seconds_follow_binding_node_outage_and_device_fault(api):
    node = (await api.node_ids())[0]
    await partition(api, node, 60, 100)  # node FAIL at 100, RUNNING again at 160
    fault = {"kind": "device_offline", "target": {"device_ids": []}, "start": 200, "duration": 30}
    device = await thermo_on(api, node, 10)  # offline 0..10 (unbound)
    fault["target"]["device_ids"] = [device["id"]]
    assert (await api.post("/edgesim/chaos/faults", fault, token=None)).status == 201  # offline 200..230
    await advance_to(api, 300)
    [row] = (await report(api))["devices"]
    assert row == {"id": device["id"], "name": "thermo-1", "template": "thermo", "node_id": node,
                   "node": row["node"], "online_seconds": 200.0, "offline_seconds": 100.0,
                   "availability": round(200 / 300, 6)}
    # a window: 50..250 has the node outage 100..160 and the fault 200..230
    [row] = (await report(api, "?from=50&to=250"))["devices"]
    assert (row["online_seconds"], row["offline_seconds"]) == (110.0, 90.0)


async def test_a_deleted_device_counts_until_its_deletion_and_an_unbound_one_is_offline(api):
    node = (await api.node_ids())[0]
    device = await thermo_on(api, node, 0)
    await advance_to(api, 40)
    assert (await bind_on_node(api, node, removed=[device["id"]])).status == 200  # unbound: offline
    await advance_to(api, 70)
    assert (await api.delete(api.v2(f"devices/{device['id']}"))).status == 204
    await advance_to(api, 500)
    [row] = (await report(api))["devices"]
    assert (row["online_seconds"], row["offline_seconds"], row["node_id"]) == (40.0, 30.0, "")
    assert (await report(api, "?from=100&to=500"))["devices"] == []  # gone before the window


async def test_route_figures_equal_the_rule_counts_and_stopped_time_is_no_outage(api):
    node = (await api.node_ids())[0]
    rule = await rest_to_node(api, node)  # 1 message a second from 0
    await partition(api, node, 60, 100)  # failing 100..160
    await advance_to(api, 200)
    await api.post(f"/v2/{api.project_id}/routemgr/rules/{rule['id']}/stop")
    await advance_to(api, 220)
    await api.post(f"/v2/{api.project_id}/routemgr/rules/{rule['id']}/start")
    await advance_to(api, 300)
    [row] = (await report(api))["routes"]
    shown = await show_rule(api, rule["id"])
    assert (row["delivered"], row["failed"]) == (shown["success_messages"], shown["fail_messages"]) == (220, 60)
    assert row == {"id": rule["id"], "name": "down", "delivering_seconds": 220.0, "failing_seconds": 60.0,
                   "stopped_seconds": 20.0, "availability": round(220 / 280, 6), "delivered": 220, "failed": 60}
    # the window 150..210: failing 150..160, delivering 160..200, stopped 200..210
    [row] = (await report(api, "?from=150&to=210"))["routes"]
    assert (row["failing_seconds"], row["delivering_seconds"], row["stopped_seconds"]) == (10.0, 40.0, 10.0)
    assert (row["failed"], row["delivered"]) == (10, 40)


async def test_metrics_sum_device_seconds_by_template_and_count_devices_by_state(api):
    node = (await api.node_ids())[0]
    await partition(api, node, 60, 100)
    await thermo_on(api, node, 10)
    await make_device(api, "loose")  # no template, never bound: offline all along
    await advance_to(api, 300)
    text = await metrics(api)
    assert sample(text, "edgesim_device_seconds_total", state="online", template="thermo") == 230.0
    assert sample(text, "edgesim_device_seconds_total", state="offline", template="thermo") == 70.0
    assert sample(text, "edgesim_device_seconds_total", state="offline", template="") == 290.0
    assert sample(text, "edgesim_devices", state="online") == 1.0
    assert sample(text, "edgesim_devices", state="offline") == 1.0
    assert "device=" not in text  # no series per device unless asked for


async def test_metrics_by_node_or_per_device_when_configured(tmp_path):
    for label in ("node", "device"):
        settings = load_settings()
        simulation = settings.simulation.model_copy(update={"metrics": MetricsSettings(device_label=label)})
        settings = settings.model_copy(update={"simulation": simulation})
        api = await start_api(tmp_path / f"{label}.db", settings=settings)
        try:
            node = (await api.node_ids())[0]
            device = await thermo_on(api, node, 10)
            await advance_to(api, 50)
            text = await metrics(api)
            value = node if label == "node" else device["id"]
            assert sample(text, "edgesim_device_seconds_total", state="online", **{label: value}) == 40.0
            unbound = "" if label == "node" else device["id"]  # before the binding: by no node
            assert sample(text, "edgesim_device_seconds_total", state="offline", **{label: unbound}) == 10.0
        finally:
            await stop_api(api)


async def test_metrics_show_a_rules_last_error_cause(api):
    node = (await api.node_ids())[0]
    rule = await rest_to_node(api, node)
    await partition(api, node, 0, 100)
    await advance_to(api, 50)
    text = await metrics(api)
    assert sample(text, "edgesim_rule_last_error", rule=rule["id"], detail=f"node {node} is offline") == 1.0
    assert sample(text, "edgesim_rule_last_error_seconds", rule=rule["id"]) == 50.0


async def test_figures_survive_a_restart(tmp_path):
    db = tmp_path / "f.db"
    api = await start_api(db)
    try:
        node = (await api.node_ids())[0]
        await partition(api, node, 60, 100)
        await thermo_on(api, node, 10)
        await rest_to_node(api, node)
        await advance_to(api, 300)
        before = await report(api)
    finally:
        await stop_api(api)
    api = await start_api(db)
    try:
        after = await report(api)
        assert (after["devices"], after["routes"]) == (before["devices"], before["routes"])
        assert before["devices"][0]["online_seconds"] == 230.0 and before["routes"][0]["failed"] == 60
        text = await metrics(api)
        assert sample(text, "edgesim_device_seconds_total", state="online", template="thermo") == 230.0
    finally:
        await stop_api(api)


async def test_edgesim_report_prints_devices_and_routes(api):
    node = (await api.node_ids())[0]
    await thermo_on(api, node, 0)
    await rest_to_node(api, node)
    await partition(api, node, 0, 100)
    await advance_to(api, 80)
    result = await asyncio.to_thread(CliRunner().invoke, report_command, ["--url", api.url])
    assert result.exit_code == 0, result.output
    assert re.search(r"thermo-1 .*50\.00%", result.output), result.output  # online 0..40 of 80
    assert re.search(r"down .*50\.00% .*40 .*40", result.output), result.output


async def test_report_html_has_device_and_route_tables(api):
    node = (await api.node_ids())[0]
    await thermo_on(api, node, 0)
    await rest_to_node(api, node)
    await partition(api, node, 0, 100)
    await advance_to(api, 80)
    page = await (await api.session.get(api.url + "/edgesim/report.html")).text()
    assert "<h2>Devices</h2>" in page and "<h2>Message routes</h2>" in page
    assert "<td>thermo-1</td><td>50.00%</td><td>40</td><td>40</td>" in page
    assert "<td>down</td><td>50.00%</td><td>40</td><td>40</td><td>40</td><td>0</td>" in page


def test_the_device_label_setting_refuses_other_labels():
    assert MetricsSettings(device_label="node").device_label == "node"
    with pytest.raises(pydantic.ValidationError, match="device_label"):
        MetricsSettings(device_label="instance")
