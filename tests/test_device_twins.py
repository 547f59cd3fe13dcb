"""Device twins and device behaviour profiles on the virtual clock, over real HTTP: desired
values with their type rules, reported values made by the simulated device as its profile says
(apply delays, stuck actuators, periodic reports), stale values while offline, device chaos
faults, one timer per reporting device, determinism and a restart."""

from __future__ import annotations

import orjson
import pytest
from test_devices import bind_on_node, make_device, make_template, refused

from conftest import advance_to, start_api, stop_api

BEHAVIORS = "/edgesim/device-behaviors"
THERMO_TWIN = {
    "temperature": {"metadata": {"type": "float"}},
    "switch": {"metadata": {"type": "boolean"}},
    "level": {"metadata": {"type": "int"}},
}


def twin_path(api, device_id: str) -> str:
    return api.v2(f"devices/{device_id}/twin")


async def set_profiles(api, profiles: list[dict]) -> dict:
    reply = await api.put(BEHAVIORS, profiles, token=None)
    assert reply.status == 200, reply.body
    return reply.body


async def online_device(api, name: str = "thermo-1", **fields) -> dict:
    d = await make_device(api, name, twin=THERMO_TWIN, **fields)
    node = (await api.node_ids())[0]
    assert (await bind_on_node(api, node, [d["id"]])).status == 200
    return d


async def twin(api, device_id: str) -> dict:
    reply = await api.get(twin_path(api, device_id))
    assert reply.status == 200, reply.body
    return reply.body["twin"]


async def desire(api, device_id: str, **values: str):
    return await api.put(twin_path(api, device_id), {"twin": {k: {"excepted": {"value": v}} for k, v in values.items()}})


# --- the twin API ---------------------------------------------------------------------------------


async def test_show_twin_answers_twin_visitors_and_protocol(api):
    d = await make_device(api, twin={"switch": {"excepted": {"value": "true"}, "metadata": {"type": "boolean"}}},
                          property_visitors={"switch": {"access_mode": {"value": "r/w"}}})
    reply = await api.get(twin_path(api, d["id"]))
    assert reply.status == 200
    assert reply.body["access_protocol"] == "userdefine"
    assert reply.body["property_visitors"]["switch"]["access_mode"]["value"] == "r/w"
    assert reply.body["twin"]["switch"]["excepted"]["value"] == "true" == reply.body["twin"]["switch"]["expected"]["value"]
    refused(await api.get(twin_path(api, "00000000-0000-4000-8000-000000000000")), 404, "IEF.100003")


async def test_update_twin_checks_desired_values_against_the_property_types(api):
    d = await make_device(api, twin=THERMO_TWIN)
    reply = await desire(api, d["id"], temperature="21.5", switch="true", level="3")
    assert reply.status == 200, reply.body
    got = reply.body["twin"]
    assert got["temperature"]["excepted"]["value"] == "21.5" and got["temperature"]["metadata"] == {"type": "float"}
    assert got["switch"]["expected"]["metadata"]["timestamp"] == 1767225600000
    for field, bad in (("temperature", "warm"), ("switch", "yes"), ("level", "2.5")):
        refused(await desire(api, d["id"], **{field: bad}), 400, "IEF.100002", f"twin.{field}")
    # a refused update changed nothing
    assert (await twin(api, d["id"]))["level"]["expected"]["value"] == "3"
    # a new property, typed; null removes one; other properties are kept (merge by name)
    reply = await api.put(twin_path(api, d["id"]), {"twin": {"mode": {"excepted": {"value": "eco"}}, "level": None}})
    assert reply.status == 200, reply.body
    assert set(reply.body["twin"]) == {"temperature", "switch", "mode"}
    # visitors must name twin properties
    reply = await api.put(twin_path(api, d["id"]), {"property_visitors": {"ghost": {"access_mode": {"value": "r"}}}})
    refused(reply, 400, "IEF.100002", "ghost")
    reply = await api.put(twin_path(api, d["id"]), {"property_visitors": {"mode": {"access_mode": {"value": "r/w"}}}})
    assert reply.status == 200 and reply.body["property_visitors"]["mode"]["access_mode"]["value"] == "r/w"
    refused(await api.put(twin_path(api, d["id"]), {"twin": {"x": {"excepted": {"value": 1}}}}), 400, "IEF.100002")


async def test_a_desired_value_with_a_5s_apply_delay_is_reported_5s_later(api):
    await set_profiles(api, [{"match": "thermo-*", "apply_delay": 5}])
    d = await online_device(api)
    await advance_to(api, 10)
    assert (await desire(api, d["id"], switch="true")).status == 200
    await advance_to(api, 14.9)
    assert "actual" not in (await twin(api, d["id"]))["switch"]
    await advance_to(api, 15)
    actual = (await twin(api, d["id"]))["switch"]["actual"]
    assert actual == {"value": "true", "metadata": {"timestamp": 1767225615000}}
    applied = await api.events(kind="device.twin_applied", device_id=d["id"])
    assert [(e["time"], e["property"], e["value"]) for e in applied] == [(15, "switch", "true")]
    assert f"device:{d['id']}" not in api.engine.core.timers  # nothing left to do: no timer


async def test_a_stuck_actuator_never_reports_the_desired_value(api):
    await set_profiles(api, [{"match": "thermo-*", "apply_delay": "never"}])
    d = await online_device(api)
    assert (await desire(api, d["id"], switch="true")).status == 200
    await advance_to(api, 3600)
    assert "actual" not in (await twin(api, d["id"]))["switch"]
    assert await api.events(kind="device.twin_applied") == []
    assert f"device:{d['id']}" not in api.engine.core.timers  # nothing will ever be applied


async def test_a_desired_change_made_while_offline_is_applied_when_the_device_is_back(api):
    await set_profiles(api, [{"match": "thermo-*", "apply_delay": 2}])
    d = await make_device(api, "thermo-1", twin=THERMO_TWIN)  # unbound: offline
    assert (await desire(api, d["id"], switch="true")).status == 200
    await advance_to(api, 50)
    assert "actual" not in (await twin(api, d["id"]))["switch"]
    await bind_on_node(api, (await api.node_ids())[0], [d["id"]])
    await advance_to(api, 50)
    assert (await twin(api, d["id"]))["switch"]["actual"]["value"] == "true"


# --- profiles -----------------------------------------------------------------------------------


async def test_profiles_are_validated_and_matched_on_name_or_template(api):
    for bad, word in (
        ([{"report_every": 0.1}], "report_every"), ([{"apply_delay": "soon"}], "apply_delay"),
        ([{"properties": {"t": {"kind": "distribution"}}}], "draw"), ([{"properties": {"t": {"kind": "wobble"}}}], "kind"),
        ({"match": "*"}, "list"),
    ):
        reply = await api.put(BEHAVIORS, bad, token=None)
        assert reply.status == 400 and word in reply.body["error_msg"], reply.body
    assert (await api.get(BEHAVIORS, token=None)).body == {"profiles": []}
    profiles = [{"template": "thermometer", "report_every": 10, "properties": {"temperature": {"kind": "constant", "value": 7}}},
                {"match": "thermo-*", "report_every": 10, "properties": {"temperature": {"kind": "constant", "value": 1}}}]
    got = await set_profiles(api, profiles)
    assert got["profiles"][0]["template"] == "thermometer" and got["profiles"][1]["apply_delay"] == {"uniform": [0.5, 3.0]}
    template = await make_template(api, "thermometer", twin=THERMO_TWIN)
    by_template = await make_device(api, "room-1", device_template_id=template["id"])
    by_name = await make_device(api, "thermo-1", twin=THERMO_TWIN)
    node = (await api.node_ids())[0]
    await bind_on_node(api, node, [by_template["id"], by_name["id"]])
    await advance_to(api, 1)
    assert (await twin(api, by_template["id"]))["temperature"]["actual"]["value"] == "7.0"
    assert (await twin(api, by_name["id"]))["temperature"]["actual"]["value"] == "1.0"


async def test_property_kinds_evolve_on_the_clock(api):
    await set_profiles(api, [{"match": "*", "report_every": 10, "properties": {
        "temperature": {"kind": "sine", "value": 20, "amplitude": 10, "period": 40},
        "level": {"kind": "step", "value": 1, "at": 25, "after": 9},
        "switch": {"kind": "random_walk", "value": 0, "step": 1},
    }}])
    d = await online_device(api)
    seen = []
    for t in (0, 10, 20, 30):
        await advance_to(api, t)
        props = await twin(api, d["id"])
        seen.append((props["temperature"]["actual"]["value"], props["level"]["actual"]["value"]))
    assert seen == [("20.0", "1"), ("30.0", "1"), ("20.0", "1"), ("10.0", "9")]
    reports = await api.events(kind="device.reported", device_id=d["id"])
    assert [e["time"] for e in reports] == [0, 10, 20, 30]
    assert {r["values"]["switch"] for r in reports} <= {"true", "false"}


async def test_a_distribution_property_is_seeded_and_the_log_is_byte_identical_run_twice(tmp_path):
    async def run(db) -> tuple[list, list]:
        api = await start_api(db, seed=7)
        try:
            await set_profiles(api, [{"match": "*", "report_every": 10, "properties": {
                "temperature": {"kind": "distribution", "draw": {"normal": [20, 3]}},
                "level": {"kind": "random_walk", "value": 50, "step": 5, "min": 0, "max": 100},
            }}])
            d = await online_device(api)
            await desire(api, d["id"], switch="true")
            await advance_to(api, 100)
            values = [e["values"] for e in await api.events(kind="device.reported")]
            log = await api.get("/edgesim/events?limit=10000", token=None)
            return values, log.body["events"]
        finally:
            await stop_api(api)

    (values, log), (values_again, log_again) = await run(tmp_path / "a.db"), await run(tmp_path / "b.db")
    assert orjson.dumps(log) == orjson.dumps(log_again) and values == values_again
    temps = [v["temperature"] for v in values]
    assert len(values) == 11 and len(set(temps)) > 1  # drawn anew at each report
    assert all(0 <= float(v["level"]) <= 100 for v in values)


# --- offline, stale, faults ---------------------------------------------------------------------


async def test_a_partitioned_nodes_device_stops_reporting_and_its_twin_shows_stale(api):
    await set_profiles(api, [{"match": "*", "report_every": 10, "properties": {"level": {"kind": "constant", "value": 4}}}])
    d = await online_device(api)
    node = d_node = (await api.node_ids())[0]
    fault = {"kind": "node_partition", "target": {"node_ids": [node]}, "start": 100, "duration": 200}
    assert (await api.post("/edgesim/chaos/faults", fault, token=None)).status == 201
    await advance_to(api, 135)
    assert "stale" not in (await twin(api, d["id"]))["level"]["actual"]["metadata"]
    await advance_to(api, 140)  # the node is marked failed: the device is offline, before its 140 s report
    level = (await twin(api, d["id"]))["level"]["actual"]
    assert level == {"value": "4", "metadata": {"timestamp": 1767225600000 + 130_000, "stale": True}}
    assert f"device:{d['id']}" not in api.engine.core.timers
    await advance_to(api, 299)
    times = [e["time"] for e in await api.events(kind="device.reported", device_id=d["id"])]
    assert times == list(range(0, 131, 10))
    await advance_to(api, 300)  # back: the missed report at once, then every 10 s
    await advance_to(api, 320)
    times = [e["time"] for e in await api.events(kind="device.reported", device_id=d["id"])]
    assert times[-3:] == [300, 310, 320]
    assert "stale" not in (await twin(api, d["id"]))["level"]["actual"]["metadata"]
    assert d_node == node


async def test_device_faults_offline_frozen_garbage_and_lost_updates(api):
    await set_profiles(api, [{"match": "*", "report_every": 10, "apply_delay": 1, "properties": {
        "temperature": {"kind": "sine", "value": 20, "amplitude": 10, "period": 100}}}])
    d = await online_device(api)
    faults = "/edgesim/chaos/faults"
    reply = await api.post(faults, {"kind": "device_offline", "target": {"device_ids": ["nope"]}}, token=None)
    assert reply.status == 400 and "device nope not found" in reply.body["error_msg"], reply.body
    reply = await api.post(faults, {"kind": "device_offline", "target": {"node_ids": [(await api.node_ids())[0]]}}, token=None)
    assert reply.status == 400 and "device_ids" in reply.body["error_msg"], reply.body

    async def fault(kind: str, start: float, duration: float) -> None:
        reply = await api.post(faults, {"kind": kind, "target": {"device_ids": [d["id"]]}, "start": start, "duration": duration}, token=None)
        assert reply.status == 201, reply.body

    await fault("device_offline", 15, 20)  # offline 15..35
    await fault("device_frozen", 45, 20)  # 45..65: the same value again
    await fault("device_garbage", 75, 10)  # 75..85
    await fault("twin_update_lost", 95, 10)
    await advance_to(api, 15)
    shown = (await api.get(api.v2(f"devices/{d['id']}"))).body["device"]
    assert shown["state"] == "offline" and shown["twin"]["temperature"]["actual"]["metadata"]["stale"] is True
    await advance_to(api, 35)
    assert (await api.get(api.v2(f"devices/{d['id']}"))).body["device"]["state"] == "online"
    await advance_to(api, 100)
    await desire(api, d["id"], switch="true")  # lost: never applied
    await advance_to(api, 130)
    reports = {e["time"]: e["values"].get("temperature") for e in await api.events(kind="device.reported", device_id=d["id"])}
    assert 20 not in reports and 30 not in reports and 35 in reports  # offline, then the missed report at once
    assert reports[35] == reports[45] == reports[55] != reports[65]  # frozen 45..65
    assert reports[75].startswith("garbage-") and not reports[85].startswith("garbage-")
    assert "actual" not in (await twin(api, d["id"]))["switch"]
    assert [e["property"] for e in await api.events(kind="device.twin_update_lost")] == ["switch"]
    assert [e["time"] for e in await api.events(kind="device.offline", device_id=d["id"])] == [15]
    assert [e["time"] for e in await api.events(kind="device.online", device_id=d["id"])] == [0, 35]


# --- persistence and scale ----------------------------------------------------------------------


async def test_profiles_desired_values_and_timers_survive_a_restart(tmp_path):
    db = tmp_path / "edgesim.db"
    api = await start_api(db)
    await set_profiles(api, [{"match": "*", "report_every": 10, "apply_delay": 5, "properties": {"level": {"kind": "constant", "value": 2}}}])
    d = await online_device(api)
    await advance_to(api, 12)
    await desire(api, d["id"], switch="true")  # applied at 17
    await api.post("/edgesim/clock/advance", {"seconds": 0}, token=None)
    await stop_api(api)
    api = await start_api(db)
    try:
        assert len((await api.get(BEHAVIORS, token=None)).body["profiles"]) == 1
        assert f"device:{d['id']}" in api.engine.core.timers
        assert (await twin(api, d["id"]))["level"]["actual"]["value"] == "2"
        await advance_to(api, 20)
        assert (await twin(api, d["id"]))["switch"]["actual"]["value"] == "true"
        times = [e["time"] for e in await api.events(kind="device.reported", device_id=d["id"])]
        assert times == [0, 10, 20]
    finally:
        await stop_api(api)


async def reporting_fleet(api, count: int, quiet: int) -> tuple[list[str], int]:
    """``count`` devices reporting every 10 s and ``quiet`` that report nothing, all bound to a
    running node; returns the reporting ids and the clock's timer count before they were made."""
    engine = api.engine
    await set_profiles(api, [
        {"match": "quiet-*"},  # reports nothing: no timer
        {"match": "*", "report_every": 10, "properties": {"level": {"kind": "random_walk", "value": 5}}},
    ])
    node = (await api.node_ids())[0]
    baseline = engine.clock.pending
    made = []
    for name in [f"meter-{i}" for i in range(count)] + [f"quiet-{i}" for i in range(quiet)]:
        d = await engine.devices.create(
            api.project_id, name=name, device_id=None, access_protocol=None, connection_type="edge", description="",
            attributes={}, twin={"level": {"optional": True, "metadata": {"type": "int"}}}, access_config={}, property_visitors={},
        )
        made.append(d.id)
    await engine.devices.bind_on_node(api.project_id, node, added=made, removed=[], relation="", comment="")
    return made[:count], baseline


async def test_only_reporting_devices_have_a_timer_one_each(api):
    ids, baseline = await reporting_fleet(api, 50, 10)
    assert api.engine.clock.pending == baseline + 50
    await api.advance(600)
    assert api.engine.clock.pending == baseline + 50
    reports = await api.events(kind="device.reported", limit="100000")
    assert len(reports) == 50 * 61  # t = 0, 10, ..., 600
    assert api.engine.world.devices[ids[0]].reported_at == 600


@pytest.mark.slow  # 360,000 reports: about a minute of wall time
async def test_1000_devices_reporting_every_10s_for_an_hour_use_one_timer_each(api):
    ids, baseline = await reporting_fleet(api, 1000, 10)
    assert api.engine.clock.pending == baseline + 1000
    for _ in range(6):
        await api.advance(600)
        assert api.engine.clock.pending == baseline + 1000
    assert all(api.engine.world.devices[i].reported_at == 3600 for i in ids)


async def test_an_active_device_fault_survives_a_restart(tmp_path):
    db = tmp_path / "edgesim.db"
    api = await start_api(db)
    await set_profiles(api, [{"match": "*", "report_every": 10, "properties": {"level": {"kind": "constant", "value": 1}}}])
    d = await online_device(api)
    fault = {"kind": "device_offline", "target": {"device_ids": [d["id"]]}, "start": 5, "duration": 30}
    assert (await api.post("/edgesim/chaos/faults", fault, token=None)).status == 201
    await advance_to(api, 20)
    await stop_api(api)
    api = await start_api(db)
    try:
        assert (await api.get(api.v2(f"devices/{d['id']}"))).body["device"]["state"] == "offline"
        assert f"device:{d['id']}" not in api.engine.core.timers
        await advance_to(api, 35)  # the fault ends: online, the missed report at once
        assert (await api.get(api.v2(f"devices/{d['id']}"))).body["device"]["state"] == "online"
        times = [e["time"] for e in await api.events(kind="device.reported", device_id=d["id"])]
        assert times == [0, 35]
    finally:
        await stop_api(api)
