"""`--record` on a store that holds a world warns (its replay cannot match), and a replay on a
real clock says how far it has got."""

from __future__ import annotations

import asyncio

import aiohttp
from click.testing import CliRunner

from edgesim.cli import main
from edgesim.scenario.replay import Progress, read, replay
from edgesim.server import Server, ServerOptions
from edgesim.settings import load_settings

from conftest import Api, stop_api


async def recording_server(tmp_path, db: str, recording: str) -> Api:
    server = Server(load_settings(), ServerOptions(port=0, db=str(tmp_path / db), clock="virtual", record=str(tmp_path / recording)))
    await server.start()
    return Api(server.url, aiohttp.ClientSession(), server)


async def test_record_on_a_store_that_holds_a_world_warns(tmp_path):
    first = await recording_server(tmp_path, "s.db", "first.jsonl")
    try:
        assert first.server.record_warning is None  # a new store: nothing to say
        await first.advance(30)
    finally:
        await stop_api(first)
    again = await recording_server(tmp_path, "s.db", "second.jsonl")
    try:
        warning = again.server.record_warning
        assert warning is not None and "holds a world already (t=30 s)" in warning and "edgesim replay" in warning
    finally:
        await stop_api(again)


async def test_a_real_clock_replay_reports_its_progress(tmp_path):
    session = await recording_server(tmp_path, "r.db", "r.jsonl")
    try:
        node = (await session.node_ids())[0]
        assert (await session.create("web", node)).status == 201
        await session.advance(40)
        assert (await session.create("api", node)).status == 201
        await session.advance(60)
    finally:
        await stop_api(session)
    recording = read(tmp_path / "r.jsonl")
    seen: list[Progress] = []
    await replay(recording, load_settings(), time_scale=1000, progress=seen.append)  # at 1000x the times drift: not compared here
    assert seen and [p.now for p in seen] == sorted(p.now for p in seen)  # time only moves on
    assert (seen[-1].steps, seen[-1].total_steps, seen[-1].end) == (4, 4, 100)  # two calls, two advances
    assert list(dict.fromkeys(p.steps for p in seen if p.steps)) == [1, 2, 3, 4]  # each step reported as played
    assert len(seen) == len(set(seen))  # nothing said twice
    printed = await asyncio.to_thread(CliRunner().invoke, main, ["replay", str(tmp_path / "r.jsonl"), "--time-scale", "1000"])
    assert "replay: t=100/100 s (100%), 4/4 steps" in printed.output, printed.output
    virtual = await asyncio.to_thread(CliRunner().invoke, main, ["replay", str(tmp_path / "r.jsonl")])
    assert "replay: t=" not in virtual.output  # a virtual clock replays at once: nothing to wait for
