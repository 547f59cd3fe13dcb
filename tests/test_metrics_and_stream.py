"""Prometheus metrics and the live event stream."""

from __future__ import annotations

import asyncio

import aiohttp
import orjson


def metric(text: str, name: str) -> dict[str, float]:
    """Samples of one metric: {label string: value}."""
    out = {}
    for line in text.splitlines():
        if line.startswith(name) and not line.startswith("#"):
            key, _, value = line.rpartition(" ")
            out[key[len(name):]] = float(value)
    return out


async def scrape(api) -> str:
    async with api.session.get(api.url + "/edgesim/metrics") as resp:
        assert resp.status == 200 and resp.headers["Content-Type"].startswith("text/plain")
        return await resp.text()


async def test_metrics_follow_the_simulation(api):
    await api.put("/edgesim/behaviors", [{"match": "*", "pull": {"seconds": 1}, "start": {"seconds": 1}, "exit": {"after": 10, "code": 1}}], token=None)
    await api.create("web")
    await api.get(api.v2("deployments"))
    await api.get(api.v2("deployments/nope"))
    await api.advance(35)  # running at 2, crashed at 12, back at once, crashed at 22, back at 32
    text = await scrape(api)
    assert metric(text, "edgesim_nodes")['{state="RUNNING"}'] == 5
    assert metric(text, "edgesim_instances")['{state="RUNNING"}'] == 1
    assert metric(text, "edgesim_instance_transitions_total")['{from="FAILED",to="RUNNING"}'] == 2
    assert metric(text, "edgesim_restarts_total")[""] == 2
    assert metric(text, "edgesim_clock_seconds")[""] == 35
    requests = metric(text, "edgesim_api_request_seconds_count")
    assert requests['{method="GET",route="/v2/{project_id}/edgemgr/deployments",status="200"}'] == 1
    assert requests['{method="GET",route="/v2/{project_id}/edgemgr/deployments/{deployment_id}",status="404"}'] == 1
    assert requests['{method="POST",route="/v2/{project_id}/edgemgr/deployments",status="201"}'] == 1


async def read_events(resp, count: int) -> list[dict]:
    events, data = [], {}
    while len(events) < count:
        line = (await asyncio.wait_for(resp.content.readline(), 5)).decode().rstrip("\n")
        if line.startswith(("id:", "event:", "data:")):
            key, _, value = line.partition(": ")
            data[key] = value
        elif line == "" and data:
            events.append({"id": int(data["id"]), "event": data["event"], "data": orjson.loads(data["data"])})
            data = {}
    return events


async def test_stream_sends_the_backlog_then_live_events_with_filters(api):
    dep = (await api.create("web")).body["deployment"]["id"]
    async with aiohttp.ClientSession() as session:
        async with session.get(api.url + f"/edgesim/events/stream?deployment_id={dep}&kind=instance.state") as resp:
            assert resp.headers["Content-Type"] == "text/event-stream"
            await api.advance(20)
            [running] = await read_events(resp, 1)
            assert (running["event"], running["data"]["to"]) == ("instance.state", "RUNNING")
            await api.delete(api.v2(f"deployments/{dep}"))
            [terminating] = await read_events(resp, 1)
            assert terminating["data"]["to"] == "TERMINATING" and terminating["id"] > running["id"]


async def test_stream_resumes_after_last_event_id(api):
    await api.create("web")
    await api.advance(20)
    everything = api.engine.events.events
    async with aiohttp.ClientSession() as session:
        headers = {"Last-Event-ID": str(everything[1]["seq"])}
        async with session.get(api.url + "/edgesim/events/stream", headers=headers) as resp:
            got = await read_events(resp, len(everything) - 2)
    assert [e["id"] for e in got] == [e["seq"] for e in everything[2:]]
    bad = await api.get("/edgesim/events/stream?after=x", token=None)
    assert (bad.status, bad.body["error_code"]) == (400, "EDGESIM.0400")
