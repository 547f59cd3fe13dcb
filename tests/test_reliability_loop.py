"""The event loop stays responsive, and memory stays bounded, on a busy world.

A loop-lag probe (a task that measures how late ``call_later(0.01)`` fires) and requests made
while long operations run give the measurements as counts and ratios, not wall-clock limits.
"""

from __future__ import annotations

import asyncio
import sqlite3
import time

import orjson

from edgesim.settings import Settings, load_settings
from edgesim.store.sqlite import Store
from tests.conftest import Api, start_api, stop_api

CRASH_LOOP = [{"match": "*", "pull": {"seconds": 1}, "start": {"seconds": 1}, "exit": {"after": 1, "code": 1}}]


class LoopLag:
    """Records the longest delay of a 10 ms ``call_later`` while it runs: the longest stall.

    Counted in the loop thread's CPU time (``time.thread_time``), so that the machine's other
    processes taking the core away (CI neighbours, parallel test runs) do not count as a
    stall of edgesim's loop; ``cpu()`` is the same clock for the whole run."""

    def __init__(self) -> None:
        self.longest = 0.0
        self._task: asyncio.Task | None = None

    async def _probe(self) -> None:
        while True:
            asked = time.thread_time()
            await asyncio.sleep(0.01)  # a call_later(0.01) underneath; sleeping costs no CPU
            self.longest = max(self.longest, time.thread_time() - asked)

    @staticmethod
    def cpu() -> float:
        return time.thread_time()

    def __enter__(self) -> LoopLag:
        self._task = asyncio.get_running_loop().create_task(self._probe())
        return self

    def __exit__(self, *exc: object) -> None:
        self._task.cancel()


async def crash_looping_world(api: Api, deployments: int) -> None:
    """``deployments`` single-instance deployments that crash a second after they start."""
    assert (await api.put("/edgesim/behaviors", CRASH_LOOP, token=None)).status == 200
    nodes = await api.node_ids()
    for n in range(deployments):
        reply = await api.create(f"crash-{n}", node_id=nodes[n % len(nodes)])
        assert reply.status == 201, reply.body


async def test_health_and_reads_answer_while_a_long_advance_runs(api):
    await crash_looping_world(api, 40)
    with LoopLag() as lag:
        started = lag.cpu()
        advance = asyncio.create_task(api.advance(24 * 3600))
        answered = 0
        while not advance.done():
            health = await api.get("/edgesim/health", token=None)
            clock = await api.get("/edgesim/clock", token=None)
            assert health.status == 200 and clock.status == 200
            answered += 1
        await advance
        took = lag.cpu() - started
    assert advance.result()["timers_run"] > 5_000
    print(f"answered {answered}, longest stall {lag.longest:.3f}s of {took:.3f}s")
    assert answered >= 20
    assert lag.longest < took / 5  # before: a quarter to all of it


async def test_a_write_during_an_advance_waits_and_applies_at_the_advanced_time(api):
    await crash_looping_world(api, 25)
    start = api.engine.clock.now()
    advance = asyncio.create_task(api.advance(6 * 3600))
    while api.engine.clock.now() == start:  # the advance has begun
        await asyncio.sleep(0)
    created = await api.create("late")
    assert created.status == 201
    assert advance.done()
    dep_id = created.body["deployment"]["id"]
    [event] = await api.events(kind="deployment.created", deployment_id=dep_id)
    assert event["time"] == start + 6 * 3600


# --- memory over long runs: a bounded window of events, older ones from the store ----------

QUERIES = [
    {}, {"limit": "7"}, {"offset": "40", "limit": "25"}, {"offset": "100000"},
    {"kind": "instance.state"}, {"kind": "instance.state", "offset": "30", "limit": "30"},
    {"since": "600"}, {"since": "600", "kind": "instance.exited", "limit": "5", "offset": "3"},
    {"since": "1e9"}, {"kind": "no.such.kind"},
]


def windowed(window: int) -> Settings:
    settings = load_settings()
    events = settings.simulation.events.model_copy(update={"memory_window": window})
    simulation = settings.simulation.model_copy(update={"events": events})
    return settings.model_copy(update={"simulation": simulation})


async def event_answers(api: Api, dep_id: str) -> list[dict]:
    answers = []
    for query in [*QUERIES, {"deployment_id": dep_id, "limit": "9", "offset": "4"}]:
        reply = await api.get("/edgesim/events?" + "&".join(f"{k}={v}" for k, v in query.items()), token=None)
        assert reply.status == 200, reply.body
        answers.append(reply.body)
    return answers


async def crash_loop_run(db, window: int) -> tuple[Api, list[dict]]:
    api = await start_api(db, settings=windowed(window))
    await crash_looping_world(api, 5)
    await api.advance(3600)
    dep_id = (await api.events(kind="deployment.created"))[0]["deployment_id"]
    return api, await event_answers(api, dep_id)


async def test_event_queries_past_the_memory_window_answer_as_with_the_whole_log_in_memory(tmp_path):
    whole, expected = await crash_loop_run(tmp_path / "whole.db", 100_000)
    await stop_api(whole)
    api, answers = await crash_loop_run(tmp_path / "windowed.db", 50)
    try:
        assert expected[0]["count"] > 200
        assert len(api.engine.events.events) <= 50  # before: every event stayed in memory
        assert answers == expected
    finally:
        await stop_api(api)
    api = await start_api(tmp_path / "windowed.db", settings=windowed(50))
    try:  # a restart loads only the window, and answers the same
        assert len(api.engine.events.events) == 50
        dep_id = expected[-1]["events"][0]["deployment_id"]
        assert await event_answers(api, dep_id) == expected
    finally:
        await stop_api(api)


async def test_a_stream_resumed_from_an_old_event_replays_what_left_memory(tmp_path):
    api, expected = await crash_loop_run(tmp_path / "s.db", 50)
    try:
        url = api.url + "/edgesim/events/stream?after=10&kind=instance.state"
        seqs = []
        async with api.session.get(url) as resp:
            while len(seqs) < 60:
                line = (await resp.content.readline()).decode()
                if line.startswith("id: "):
                    seqs.append(int(line[4:]))
        wanted = (await api.get("/edgesim/events?kind=instance.state&limit=100000", token=None)).body["events"]
        assert seqs == [e["seq"] for e in wanted if e["seq"] > 10][:60]
    finally:
        await stop_api(api)


async def test_a_version_1_store_gets_the_event_indexes_and_keeps_its_events(tmp_path):
    db = tmp_path / "v1.db"
    with sqlite3.connect(db) as conn:  # what edgesim wrote before the event indexes
        conn.executescript(
            "CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);"
            "CREATE TABLE documents (kind TEXT NOT NULL, id TEXT NOT NULL, body TEXT NOT NULL, PRIMARY KEY (kind, id));"
            "CREATE TABLE events (seq INTEGER PRIMARY KEY, body TEXT NOT NULL);"
            "PRAGMA user_version=1;"
        )
        conn.executemany("INSERT INTO events VALUES (?, ?)", [
            (seq, orjson.dumps({"seq": seq, "time": float(seq), "timestamp": "", "kind": "old"}).decode())
            for seq in (1, 2, 3)
        ])
    store = Store(str(db))
    await store.open()
    try:
        assert await store.count_events(10, 2.0, {"kind": "old"}) == 2
        assert [e["seq"] for e in await store.find_events(10, None, {}, 1, 5)] == [2, 3]
    finally:
        await store.close()
    with sqlite3.connect(db) as conn:
        assert conn.execute("PRAGMA user_version").fetchone()[0] == 2
        indexes = {name for (name,) in conn.execute("SELECT name FROM sqlite_master WHERE type = 'index'")}
    assert {"events_by_kind", "events_by_time"} <= indexes


# --- reports on a long log -------------------------------------------------------------------


async def test_the_report_on_a_long_log_does_not_stall_the_loop_and_matches_a_fresh_replay(tmp_path):
    api = await start_api(tmp_path / "r.db")
    try:
        await crash_looping_world(api, 40)
        await api.advance(24 * 3600)
        with LoopLag() as lag:
            started = lag.cpu()
            report = asyncio.create_task(api.get("/edgesim/report", token=None))
            answered = 0
            while not report.done():
                assert (await api.get("/edgesim/health", token=None)).status == 200
                answered += 1
            took = lag.cpu() - started
        events = (await api.get("/edgesim/events?limit=1", token=None)).body["count"]
        print(f"report of {events} events: {answered} health answers, longest stall {lag.longest:.3f}s of {took:.3f}s")
        assert events > 20_000
        assert answered >= 3  # before: 1, after the whole report
        assert lag.longest < max(took / 3, 0.05)
        await api.advance(3600)  # the kept report catches up on what happened since
        kept = (await api.get("/edgesim/report", token=None)).body
        async with api.session.get(api.url + "/edgesim/report.html") as page:
            assert page.status == 200 and "crash-0" in await page.text()
    finally:
        await stop_api(api)
    api = await start_api(tmp_path / "r.db")
    try:
        assert (await api.get("/edgesim/report", token=None)).body == kept  # replayed from the store
    finally:
        await stop_api(api)
