"""A command that fails, for whatever reason, changes nothing: not memory, timers, events or
the store. Each test runs a world twice from the same seed, once with requests that fail
half-way (a fault injected into the engine) and once without them, and compares what a user
sees afterwards: the event log, the deployments and the faults, also after a restart.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from conftest import FAST, Api, advance_to, site_group, start_api, stop_api

CRASHING = [{**FAST[0], "exit": {"after": 30, "code": 1}}]  # timers keep firing: a crash loop


class Injected(RuntimeError):
    """The failure a test makes happen in the middle of a command."""


def fail_on_call(monkeypatch: pytest.MonkeyPatch, owner: object, name: str, call: int) -> None:
    """Make ``owner.name`` raise on its ``call``-th call (counting from 1); earlier calls work."""
    real, calls = getattr(owner, name), [0]

    def wrapper(*args, **kwargs):
        calls[0] += 1
        if calls[0] == call:
            raise Injected(f"{name} failed")
        return real(*args, **kwargs)

    monkeypatch.setattr(owner, name, wrapper)


async def seen(api: Api) -> dict:
    """What a user can read of the world."""
    deployments = (await api.get(api.v2("deployments"))).body["deployments"]
    faults = (await api.get("/edgesim/chaos/faults", token=None)).body["faults"]
    return {"events": await api.events(), "deployments": deployments, "faults": faults}


async def group_app(api: Api, group_id: str, name: str, image: str = "nginx:1"):
    body = {"deployment": {"name": name, "group_id": group_id, "app": {
        "name": name, "image_url": image, "resources": {"requests": {"cpu": 0.5}}}}}
    return await api.post(api.v2("deployments"), body)


async def run_world(db: Path, monkeypatch: pytest.MonkeyPatch, failing: bool) -> tuple[dict, dict]:
    """A crash-looping group deployment and a node partition; with ``failing``, a create, a
    rolling update and a fault deletion each fail half-way. Returns what is seen before and
    after a restart."""
    api = await start_api(db)
    try:
        group_id, (n1, n2) = await site_group(api)
        assert (await api.put("/edgesim/behaviors", CRASHING, token=None)).status == 200
        web = (await group_app(api, group_id, "web")).body["deployment"]["id"]
        await advance_to(api, 10)
        if failing:
            containers = api.engine.instances.containers
            with monkeypatch.context() as patch:  # the new instance's pull draw fails
                fail_on_call(patch, containers, "begin_pull", 1)
                reply = await group_app(api, group_id, "api")
                assert reply.status == 500, reply.body
            with monkeypatch.context() as patch:  # fails after the old instances were stopped
                fail_on_call(patch, containers, "begin_pull", 1)
                body = {"deployment": {"image_url": "nginx:2"}}
                reply = await api.put(api.v2(f"deployments/{web}"), body)
                assert reply.status == 500, reply.body
        fault = await api.post("/edgesim/chaos/faults", {"kind": "node_partition", "target": {"node_ids": [n1, n2]}}, token=None)
        await advance_to(api, 60)
        if failing:
            with monkeypatch.context() as patch:  # fails after the first node came back
                fail_on_call(patch, api.engine.failover, "back", 2)
                reply = await api.delete(f"/edgesim/chaos/faults/{fault.body['id']}", token=None)
                assert reply.status == 500, reply.body
        await advance_to(api, 400)
        before = await seen(api)
    finally:
        await stop_api(api)
    api = await start_api(db)
    try:
        await advance_to(api, 500)
        return before, await seen(api)
    finally:
        await stop_api(api)


async def test_a_command_that_fails_half_way_changes_nothing(tmp_path, monkeypatch):
    clean = await run_world(tmp_path / "clean.db", monkeypatch, failing=False)
    failed = await run_world(tmp_path / "failed.db", monkeypatch, failing=True)
    assert failed[0] == clean[0]
    assert failed[1] == clean[1]


async def test_the_name_of_a_failed_create_stays_free(api, monkeypatch):
    group_id, _ = await site_group(api)
    with monkeypatch.context() as patch:
        fail_on_call(patch, api.engine.instances.containers, "begin_pull", 1)
        assert (await group_app(api, group_id, "api")).status == 500
    assert (await api.get(api.v2("deployments"))).body["deployments"] == []
    assert await api.events(kind="deployment.created") == []
    assert (await group_app(api, group_id, "api")).status == 201


@pytest.mark.parametrize("seconds", [
    {"lognormal": [1000, 1]},  # exp(1000): the draw overflows
    {"lognormal": [5, 1000]},
    {"normal": [1e308, 1]},
    {"uniform": [0, 1e308]},
    1e308,
])
async def test_a_pull_time_that_cannot_be_simulated_is_refused(api, seconds):
    profiles = (await api.get("/edgesim/behaviors", token=None)).body["profiles"]
    reply = await api.put("/edgesim/behaviors", [{"match": "*", "pull": {"seconds": seconds}}], token=None)
    assert reply.status == 400, reply.body
    assert reply.body["error_code"] == "EDGESIM.0400"
    assert "[0].pull.seconds" in reply.body["error_msg"], reply.body
    assert (await api.get("/edgesim/behaviors", token=None)).body["profiles"] == profiles
    assert (await api.create("web")).status == 201


async def test_a_long_lognormal_tail_is_clamped_to_what_the_clock_can_run(api):
    # mu and sigma within bounds, but a draw far out in the tail would still overflow exp()
    profile = [{"match": "*", "pull": {"seconds": {"lognormal": [24, 10]}}}]
    assert (await api.put("/edgesim/behaviors", profile, token=None)).status == 200
    for n in range(20):
        assert (await api.create(f"web-{n}")).status == 201
    dues = [i.due for i in api.engine.world.instances.values()]
    assert all(0 <= d <= 1000 * 365 * 86400.0 for d in dues), dues
