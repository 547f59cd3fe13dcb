"""Play a recording back on a fresh server and check that the event log comes out the same;
turn a recording into a scenario file."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import aiohttp
import orjson
import yaml

from edgesim.engine.clock import VirtualClock
from edgesim.scenario.model import ScenarioError
from edgesim.server import Server, ServerOptions
from edgesim.settings import Settings

# Event fields that depend on wall time, not on the simulation.
UNSTABLE = ("timestamp",)


@dataclass
class Recording:
    header: dict[str, Any]
    steps: list[dict[str, Any]] = field(default_factory=list)  # {"call": ...} or {"advance_to": t}
    events: list[dict[str, Any]] = field(default_factory=list)
    end: float = 0.0


def read(path: str | Path) -> Recording:
    try:
        lines = Path(path).read_bytes().splitlines()
    except OSError as exc:
        raise ScenarioError(f"{path}: {exc.strerror}") from None
    recording: Recording | None = None
    for number, line in enumerate(lines, 1):
        try:
            entry = orjson.loads(line)
        except orjson.JSONDecodeError:
            raise ScenarioError(f"{path}:{number}: not a JSON line") from None
        if "edgesim_recording" in entry:
            if recording is not None:
                raise ScenarioError(f"{path}:{number}: a second recording starts here; record each session to its own file")
            recording = Recording(entry)
        elif recording is None:
            raise ScenarioError(f"{path}:{number}: not an edgesim recording (no header)")
        elif "event" in entry:
            recording.events.append(entry["event"])
        elif "call" in entry or "advance_to" in entry:
            recording.steps.append(entry)
        if "end" in entry and recording is not None:
            recording.end = entry["end"]
    if recording is None:
        raise ScenarioError(f"{path}: empty recording")
    last = max([e["time"] for e in recording.events] + [s.get("advance_to", s.get("call", {}).get("t", 0)) for s in recording.steps] + [0])
    recording.end = max(recording.end, last)
    return recording


@dataclass
class ReplayResult:
    events: list[dict[str, Any]]
    status_mismatches: list[str]
    first_difference: str | None
    compared: int
    max_drift: float = 0.0  # seconds, the largest time difference between paired events


def _comparable(event: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in event.items() if k not in UNSTABLE and k != "time"}


def drift(recorded: list[dict], replayed: list[dict]) -> float:
    """The largest time difference between paired events (seconds)."""
    return max((abs(a["time"] - b["time"]) for a, b in zip(recorded, replayed, strict=False)), default=0.0)


def compare(recorded: list[dict], replayed: list[dict], tolerance: float) -> str | None:
    """The first difference: in content, or in time by more than ``tolerance`` seconds. Times are
    compared by their distance, not by rounding to a grid (a grid splits two times 0.047 s apart)."""
    for index, (a, b) in enumerate(zip(recorded, replayed, strict=False)):
        if _comparable(a) != _comparable(b) or abs(a["time"] - b["time"]) > tolerance + 1e-9:
            return f"event {index + 1} differs:\n  recorded: {orjson.dumps(a).decode()}\n  replayed: {orjson.dumps(b).decode()}"
    if len(recorded) != len(replayed):
        return f"the recording has {len(recorded)} events, the replay {len(replayed)}"
    return None


@dataclass(frozen=True)
class Progress:
    """Where a replay on a real clock is: simulated time of the total, steps (calls and clock
    advances) played of all."""

    now: float
    end: float
    steps: int
    total_steps: int


PROGRESS_EVERY = 1.0  # wall seconds between two progress reports while a real-clock replay waits


async def replay(recording: Recording, settings: Settings, time_scale: float | None = None,
                 progress: Callable[[Progress], None] | None = None) -> ReplayResult:
    """``progress`` hears of each call and, while a real clock is waited for, of the time once
    every ``PROGRESS_EVERY`` wall seconds (a virtual clock is not waited for)."""
    header = recording.header
    settings = settings.model_copy(update={"auth": settings.auth.model_copy(update={"dev_tokens": True})})
    options = ServerOptions(
        port=0, db=":memory:", clock="virtual" if time_scale is None else "real", time_scale=time_scale or 1.0,
        seed=header["seed"], epoch=datetime.fromisoformat(header["epoch"]),
    )
    server = Server(settings, options)
    await server.start()
    engine = server.engine
    account = settings.account(settings.fleet.project_id) or settings.accounts[0]
    headers = {"Content-Type": "application/json", "X-Auth-Token": account.tokens[0] if account.tokens else ""}
    if settings.admin.token:
        headers["X-Admin-Token"] = settings.admin.token
    mismatches: list[str] = []
    played = 0
    last: list[Progress] = []

    def report() -> None:
        at = Progress(min(engine.clock.now(), recording.end), recording.end, played, len(recording.steps))
        if progress is not None and (not last or last[-1] != at):  # a line only when something moved
            last[:] = [at]
            progress(at)

    async def reach(t: float) -> None:
        clock = engine.clock
        if isinstance(clock, VirtualClock):  # no time scale: the server runs on a virtual clock
            if t > clock.now():
                await clock.advance(t - clock.now())
        else:
            while clock.now() < t:
                await asyncio.sleep(min(PROGRESS_EVERY, (t - clock.now()) / options.time_scale))
                report()

    try:
        async with aiohttp.ClientSession() as session:
            for step in recording.steps:
                if "advance_to" in step:
                    await reach(step["advance_to"])
                    played += 1
                    report()
                    continue
                call = step["call"]
                await reach(call["t"])
                body = call["body"]
                data = body["__raw__"].encode() if isinstance(body, dict) and "__raw__" in body else (
                    None if body is None else orjson.dumps(body))
                async with session.request(call["method"], server.url + call["path"], data=data, headers=headers) as resp:
                    await resp.read()
                    if resp.status != call["status"]:
                        mismatches.append(f"t={call['t']:g} {call['method']} {call['path']}: recorded {call['status']}, replayed {resp.status}")
                played += 1
                report()
            await reach(recording.end)
            report()  # the last word: the whole recording played
        events = (await engine.events.find())[1]
    finally:
        await server.stop()
    tolerance = 0.0 if header.get("clock") == "virtual" and time_scale is None else 0.05
    return ReplayResult(events, mismatches, compare(recording.events, events, tolerance), len(events),
                        drift(recording.events, events))


def to_scenario(recording: Recording, name: str) -> str:
    """A scenario that makes the same calls at the same times and expects the same end state."""
    steps: list[dict[str, Any]] = []
    for step in recording.steps:
        if "call" not in step:
            continue
        call = step["call"]
        entry: dict[str, Any] = {"at": f"{call['t']:g}s", "call": f"{call['method']} {call['path']}"}
        if call["body"] is not None:
            entry["body"] = call["body"]
        entry["status"] = call["status"]
        steps.append(entry)
    final: dict[str, dict[str, int]] = {}
    alive: dict[str, tuple[str, str]] = {}
    for event in recording.events:
        if event["kind"] == "instance.created":
            alive[event["instance_id"]] = (event["deployment_id"], event["state"])
        elif event["kind"] == "instance.state" and event["instance_id"] in alive:
            alive[event["instance_id"]] = (event["deployment_id"], event["to"])
        elif event["kind"] == "instance.removed":
            alive.pop(event["instance_id"], None)
    for dep_id, state in alive.values():
        final.setdefault(dep_id, {}).setdefault(state, 0)
        final[dep_id][state] += 1
    steps.append({"at": f"{recording.end:g}s", "expect": {"event": {"kind": "deployment.created"}, "events": sum(
        1 for e in recording.events if e["kind"] == "deployment.created")}})
    for dep_id, states in final.items():
        for state, count in states.items():
            if state != "TERMINATING":
                steps.append({"expect": {"deployment": dep_id, "state": state, "count": count}})
    if not steps:
        raise ScenarioError("the recording has no calls to turn into steps")
    scenario = {"name": name, "description": "converted from an edgesim recording", "seed": recording.header["seed"], "steps": steps}
    return yaml.safe_dump(scenario, sort_keys=False, allow_unicode=True, width=100)
