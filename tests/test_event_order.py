"""Readers of the event log see committed events only, in seq order.

A request's events settle when its commit is acknowledged; a timer's step that runs while the
request waits settles at once. Before this rule, the step's later-numbered events reached
listeners (``--record``, live streams, metrics) first, so a recording made on a loaded machine
had its events out of order and its replay failed, and a stream's backlog could show an event
that was then taken back.
"""

from __future__ import annotations

import asyncio

from edgesim.engine import undo
from edgesim.engine.events import EventLog
from edgesim.store.sqlite import StoreError


class NoStore:
    events_written = 0


def event_log() -> tuple[EventLog, list[int]]:
    log = EventLog(now=lambda: 1.0, timestamp=lambda t: f"t{t}", store=NoStore())  # type: ignore[arg-type]
    told: list[int] = []
    log.listeners.append(lambda event: told.append(event["seq"]))
    return log, told


def publish(log: EventLog, *kinds: str) -> None:
    """Record and publish events as one batch (what a command does before its commit)."""
    log.number([log.record(kind) for kind in kinds], settled=False)


async def backlog(log: EventLog, after: int = 0) -> list[int]:
    return [e["seq"] async for batch in log.after(after) for e in batch]


async def test_a_step_that_commits_first_waits_for_the_earlier_request():
    log, told = event_log()
    with undo.journal() as request:  # a request recorded seq 1 and awaits its commit
        publish(log, "deployment.created")
    with undo.journal() as step:  # meanwhile a timer's step records seq 2 and 3, committed at once
        publish(log, "instance.pulled")
        publish(log, "instance.state")
    step.committed()
    assert told == []
    assert await backlog(log) == []
    assert (await log.find())[1] == []
    request.committed()
    assert told == [1, 2, 3]
    assert log.released == 3
    assert await backlog(log) == [1, 2, 3]


async def test_a_request_taken_back_lets_the_later_events_through_without_it():
    log, told = event_log()
    with undo.journal() as request:
        publish(log, "deployment.created")
    with undo.journal() as step:
        publish(log, "instance.pulled")
    step.committed()
    request.rollback()
    assert told == [2]
    assert [e["seq"] for e in (await log.find())[1]] == [2]
    assert await backlog(log) == [2]


async def test_events_outside_a_command_are_told_at_once():
    log, told = event_log()
    publish(log, "fleet.created")
    assert told == [1] and log.released == 1


async def test_a_live_stream_never_shows_an_event_its_request_takes_back(api):
    """Over HTTP: while a create waits for its commit, a stream opened meanwhile shows nothing
    of it; when the commit fails, the stream goes on with the next real event."""
    store = api.engine.store
    real_commit, gate = store.commit, asyncio.Event()

    async def failing_commit(ops):
        store.commit = real_commit  # only this one
        await gate.wait()
        raise StoreError("disk full")

    store.commit = failing_commit
    body = {"deployment": {"name": "web", "node_ids": [(await api.node_ids())[0]],
                           "app": {"name": "web", "image_url": "nginx"}}}
    create = asyncio.create_task(api.post(api.v2("deployments"), body))
    while not any(e["kind"] == "deployment.created" for e in api.engine.events.events):
        await asyncio.sleep(0.01)
    seq_before = api.engine.events.released
    state = (await api.get("/edgesim/state", token=None)).body
    assert state["seq"] == seq_before
    frames: list[str] = []

    async def read_stream():
        async with api.session.get(api.url + f"/edgesim/events/stream?after={seq_before - 1}") as response:
            async for line in response.content:
                if line.startswith(b"data:"):
                    frames.append(line.decode())
                    if len(frames) == 2:
                        return

    reader = asyncio.create_task(read_stream())
    await asyncio.sleep(0.2)
    assert len(frames) == 1 and "deployment.created" not in frames[0]  # the backlog: the last settled event
    gate.set()
    refused = await create
    assert (refused.status, refused.body["error_code"]) == (500, "IEF.120001")
    await api.post("/edgesim/chaos/faults", {"kind": "node_crash", "target": {"node_ids": [(await api.node_ids())[1]]}},
                   token=None)
    await asyncio.wait_for(reader, 5)
    assert "deployment.created" not in frames[1]
    assert "fault.added" in frames[1]


async def test_a_listener_that_records_sees_every_event_in_order():
    """System event delivery records an event from inside a listener: every listener still sees
    the log in seq order (the inner event after the outer one, for all of them)."""
    log, told = event_log()
    second: list[int] = []

    def deliver(event):
        if event["kind"] == "node.state":
            with undo.journal() as inner:
                publish(log, "systemevent.delivered")
            inner.committed()

    log.listeners.insert(0, deliver)
    log.listeners.append(lambda event: second.append(event["seq"]))
    publish(log, "node.state")
    publish(log, "instance.state")
    assert told == second == [1, 2, 3]
