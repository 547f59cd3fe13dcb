"""The control API for behaviour profiles and the event log."""

from __future__ import annotations

import pytest

from conftest import start_api, stop_api


async def test_default_profiles_come_from_config(api):
    reply = await api.get("/edgesim/behaviors", token=None)
    assert reply.status == 200
    matches = [p["match"] for p in reply.body["profiles"]]
    assert matches[-1] == "*" and "*/edgesim-demo/crashloop*" in matches


async def test_config_profiles_shape_the_demo_images(api):
    await api.create("crash", image_url="swr.example.com/edgesim-demo/crashloop:1")
    await api.create("missing", image_url="swr.example.com/edgesim-demo/missing:1")
    await api.advance(60)  # the crashloop image exits 30 s after it starts; back-off 10 s
    got = {d["name"]: d["instances"][0] for d in (await api.get(api.v2("deployments"))).body["deployments"]}
    assert got["crash"]["restarts"] == 1
    # a missing image is retried (pulls fail at 3, 16, 39): CREATE_FAIL, backing off at t=60
    assert (got["missing"]["state"], got["missing"]["reason"]) == ("CREATE_FAIL", "ImagePullBackOff")


async def test_put_replaces_profiles_and_accepts_distributions(api):
    profiles = [
        {"match": "nginx*", "pull": {"seconds": {"uniform": [1, 2]}}, "start": {"seconds": {"normal": [2, 0.5]}}},
        {"match": "*", "pull": {"seconds": {"lognormal": [0, 0.1]}}, "exit": {"after": {"fixed": 60}, "code": 0}},
    ]
    reply = await api.put("/edgesim/behaviors", profiles, token=None)
    assert reply.status == 200, reply.body
    assert [p["match"] for p in reply.body["profiles"]] == ["nginx*", "*"]
    assert (await api.get("/edgesim/behaviors", token=None)).body == reply.body
    dep = (await api.create("web", image_url="nginx:1")).body["deployment"]
    await api.advance(10)
    assert (await api.get(api.v2(f"deployments/{dep['id']}"))).body["deployment"]["instances"][0]["state"] == "RUNNING"
    assert api.engine.events.query(kind="behaviors.set")


@pytest.mark.parametrize(
    ("body", "where"),
    [
        ([{"match": "*", "pull": {"result": "maybe"}}], "[0].pull.result"),
        ([{"match": "*", "pull": {"seconds": -1}}], "[0].pull.seconds"),
        ([{"match": "*", "exit": {"code": 1}}], "[0].exit.after"),
        ([{"match": "*", "liveness": {"fail_from": 50, "fail_until": 10}}], "[0].liveness"),
        ([{"match": "*", "liveness": {"probability": 2}}], "[0].liveness.probability"),
        ([{"match": "*", "memory": {"mb": "lots"}}], "[0].memory.mb"),
        ([{"match": "*", "surprise": 1}], "[0].surprise"),
        ([{"match": ""}], "[0].match"),
        ({"match": "*"}, "list of profiles"),
        ("not a list", "list of profiles"),
    ],
)
async def test_bad_profiles_are_refused_and_change_nothing(api, body, where):
    before = (await api.get("/edgesim/behaviors", token=None)).body
    reply = await api.put("/edgesim/behaviors", body, token=None)
    assert (reply.status, reply.body["error_code"]) == (400, "EDGESIM.0400"), reply.body
    assert where in reply.body["error_msg"]
    assert (await api.get("/edgesim/behaviors", token=None)).body == before


async def test_profiles_survive_a_restart(tmp_path):
    db = tmp_path / "b.db"
    api = await start_api(db)
    await api.put("/edgesim/behaviors", [{"match": "only-this"}], token=None)
    await stop_api(api)
    api = await start_api(db)
    try:
        assert [p["match"] for p in (await api.get("/edgesim/behaviors", token=None)).body["profiles"]] == ["only-this"]
    finally:
        await stop_api(api)


async def test_crash_loop_timers_resume_after_a_restart(tmp_path):
    db = tmp_path / "c.db"
    api = await start_api(db)
    await api.put("/edgesim/behaviors", [{"match": "*", "pull": {"seconds": 2}, "start": {"seconds": 1}, "exit": {"after": 30, "code": 1}}], token=None)
    await api.create("crash")
    await api.advance(50)  # running, crashed at 33, restarted at once (kubelet: no back-off the first time)
    await stop_api(api)
    api = await start_api(db)
    try:
        await api.advance(100)
        failures = [e["time"] for e in api.engine.events.query(kind="instance.state") if e["to"] == "FAILED"]
        assert failures == [33, 63, 103]
    finally:
        await stop_api(api)


async def test_event_list_filters_pages_and_counts(api):
    dep = (await api.create("web")).body["deployment"]
    await api.advance(10)
    everything = (await api.get("/edgesim/events?limit=10000", token=None)).body
    assert everything["count"] == len(everything["events"])
    assert [e["seq"] for e in everything["events"]] == sorted(e["seq"] for e in everything["events"])
    first = everything["events"][0]
    assert {"seq", "time", "timestamp", "kind"} <= first.keys()
    mine = (await api.get(f"/edgesim/events?deployment_id={dep['id']}&limit=2", token=None)).body
    assert mine["count"] >= 4 and len(mine["events"]) == 2
    later = (await api.get("/edgesim/events?since=1", token=None)).body
    assert all(e["time"] >= 1 for e in later["events"]) and later["count"] < everything["count"]
    running = (await api.get("/edgesim/events?kind=instance.state", token=None)).body
    assert [(e["to"], e["timestamp"][:10]) for e in running["events"]] == [("RUNNING", "2026-01-01")]


@pytest.mark.parametrize("query", ["limit=0", "limit=x", "offset=-1", "since=soon"])
async def test_event_list_rejects_bad_parameters(api, query):
    reply = await api.get(f"/edgesim/events?{query}", token=None)
    assert (reply.status, reply.body["error_code"]) == (400, "EDGESIM.0400")
