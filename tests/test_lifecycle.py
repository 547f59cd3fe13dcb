"""The instance lifecycle on the virtual clock: exact timelines for probes, crashes, back-off,
restart policies, OOM kills, image pulls and readiness.

Every test fixes the pull (2 s) and start-up (1 s) times, so a container created at t=0 runs
from t=3 and ages are easy to read: a container event at age A happens at t = 3 + A.
"""

from __future__ import annotations

import pytest

from conftest import Api

FAST = {"pull": {"seconds": 2}, "start": {"seconds": 1}}


async def behave(api: Api, **profile) -> None:
    reply = await api.put("/edgesim/behaviors", [{"match": "*", **FAST, **profile}], token=None)
    assert reply.status == 200, reply.body


async def deploy(api: Api, name: str = "app", policy: str = "Always", **app) -> str:
    reply = await api.create(name, configs={"restart_policy": policy}, **app)
    assert reply.status == 201, reply.body
    return reply.body["deployment"]["id"]


async def instance(api: Api, dep_id: str) -> dict:
    return (await api.get(api.v2(f"deployments/{dep_id}"))).body["deployment"]["instances"][0]


def transitions(api: Api, dep_id: str) -> list[tuple[float, str, str | None]]:
    return [(e["time"], e["to"], e["reason"]) for e in api.engine.events.query(kind="instance.state", deployment_id=dep_id)]


LIVENESS = {"exec_command": "check", "initial_delay_seconds": 10, "timeout_seconds": 1}


async def test_liveness_failing_from_100s_kills_at_the_third_failed_probe_and_restarts(api):
    await behave(api, liveness={"fail_from": 100})
    dep = await deploy(api, liveness_probe=LIVENESS)
    await api.advance(300)
    # probes at ages 10, 20, ...; 100, 110, 120 fail; the third result comes after its 1 s timeout
    assert transitions(api, dep)[:4] == [
        (3.0, "RUNNING", None),
        (124.0, "FAILED", "CrashLoopBackOff"),
        (124.0, "RUNNING", None),  # the first restart is at once (kubelet doBackOff)
        (245.0, "FAILED", "CrashLoopBackOff"),  # the new container fails the same way
    ]
    [exited, *_] = api.engine.events.query(kind="instance.exited", deployment_id=dep)
    assert (exited["code"], exited["reason"], exited["ran_for"]) == (137, "Error", 121.0)
    inst = await instance(api, dep)
    assert inst["restarts"] == 2 and inst["state"] == "RUNNING"  # restarted again at 255 after 10 s


async def test_liveness_failing_only_briefly_does_not_kill(api):
    await behave(api, liveness={"fail_from": 100, "fail_until": 125})  # probes 100, 110, 120 fail
    dep = await deploy(api, "brief", liveness_probe=LIVENESS)
    await api.advance(5)  # its container started under the first profile
    await behave(api, liveness={"fail_from": 100, "fail_until": 115})  # only 100 and 110 fail
    dep2 = await deploy(api, "briefer", liveness_probe=LIVENESS)
    await api.advance(1000)
    assert [t for t, to, _ in transitions(api, dep) if to == "FAILED"] == [124.0]  # once: restarted under the new profile
    assert [to for _, to, _ in transitions(api, dep2)] == ["RUNNING"]


async def test_crash_loop_back_off_doubles_to_300_seconds(api):
    await behave(api, exit={"after": 30, "code": 1})
    dep = await deploy(api)
    await api.advance(1200)
    events = transitions(api, dep)
    failures = [t for t, to, _ in events if to == "FAILED"]
    starts = [t for t, to, _ in events if to == "RUNNING"]
    assert failures[:8] == [33, 63, 103, 153, 223, 333, 523, 853]
    gaps = [start - fail for fail, start in zip(failures, starts[1:], strict=False)]
    assert gaps[:8] == [0, 10, 20, 40, 80, 160, 300, 300]  # the first restart is at once (kubelet)
    inst = await instance(api, dep)
    assert inst["restarts"] == len(starts) - 1
    assert inst["reason"] in ("CrashLoopBackOff", None)


async def test_a_container_that_ran_10_minutes_resets_its_back_off(api):
    await behave(api, exit={"after": 30, "code": 1})
    dep = await deploy(api)
    await api.advance(70)  # crashed at 33, back at once, crashed at 63, back at 73 (10 s) -> next back-off 20 s
    await behave(api, exit={"after": 700, "code": 1})  # containers started from now run 700 s
    await api.advance(2000)
    events = transitions(api, dep)
    failures = [t for t, to, _ in events if to == "FAILED"]
    starts = [t for t, to, _ in events if to == "RUNNING"]
    assert failures[:3] == [33, 63, 773]  # restarted at 73, ran 700 s
    assert starts[:4] == [3, 33, 73, 773]  # at once again, not 20 s: the back-off was reset


@pytest.mark.parametrize(
    ("policy", "code", "final_state", "reason", "restarts"),
    [
        ("OnFailure", 0, "SUCCEEDED", "Completed", False),
        ("OnFailure", 2, "FAILED", "CrashLoopBackOff", True),
        ("Never", 0, "SUCCEEDED", "Completed", False),
        ("Never", 3, "FAILED", "Error", False),
        ("Always", 0, "FAILED", "CrashLoopBackOff", True),
    ],
)
async def test_restart_policies(api, policy, code, final_state, reason, restarts):
    await behave(api, exit={"after": 20, "code": code})
    dep = await deploy(api, policy=policy)
    await api.advance(44)  # exited at 23; a restarting one restarted at once and exited again at 43
    inst = await instance(api, dep)
    assert (inst["state"], inst["reason"], inst["is_ready"]) == (final_state, reason, False)
    await api.advance(500)
    restarted = sum(1 for _, to, _ in transitions(api, dep) if to == "RUNNING") > 1
    assert restarted is restarts
    if not restarts:
        assert (await instance(api, dep))["state"] == final_state


async def test_liveness_kill_with_restart_policy_never_fails_for_good(api):
    await behave(api, liveness={"fail_from": 0})
    dep = await deploy(api, policy="Never", liveness_probe=LIVENESS)
    await api.advance(1000)
    assert transitions(api, dep) == [(3.0, "RUNNING", None), (3 + 31.0, "FAILED", "Error")]


async def test_memory_growth_past_the_limit_is_oom_killed(api):
    await behave(api, memory={"mb": 100, "grow_mb_per_min": 20})
    dep = await deploy(api, resources={"limits": {"memory": 200}})
    no_limit = await deploy(api, "unlimited")
    await api.advance(400)
    # (200 - 100) MB at 20 MB/min: 300 s after the start
    assert transitions(api, dep)[:2] == [(3.0, "RUNNING", None), (303.0, "FAILED", "CrashLoopBackOff")]
    [exited] = api.engine.events.query(kind="instance.exited", deployment_id=dep)
    assert (exited["code"], exited["reason"]) == (137, "OOMKilled")
    assert [to for _, to, _ in transitions(api, no_limit)] == ["RUNNING"]


async def test_image_not_found_is_create_fail(api):
    await behave(api, pull={"seconds": 2, "result": "not_found"})
    dep = await deploy(api)
    await api.advance(100)
    inst = await instance(api, dep)
    assert (inst["state"], inst["reason"]) == ("CREATE_FAIL", "ImagePullBackOff")  # retried, backing off
    assert transitions(api, dep) == [(2.0, "CREATE_FAIL", "ErrImagePull")]


async def test_flaky_pull_backs_off_then_succeeds(api):
    await behave(api, pull={"seconds": 2, "result": "flaky", "flaky_failures": 2})
    dep = await deploy(api)
    await api.advance(20)
    inst = await instance(api, dep)  # the second pull failed at 14: ErrImagePull until the sync at 24
    assert (inst["state"], inst["reason"]) == ("PENDING_CREATE", "ErrImagePull")
    await api.advance(100)
    fails = [(e["time"], e["backoff"]) for e in api.engine.events.query(kind="instance.pull_failed", deployment_id=dep)]
    assert fails == [(2.0, 10.0), (14.0, 20.0)]  # pull again at 12 and 34
    assert transitions(api, dep) == [(37.0, "RUNNING", None)]


async def test_readiness_window_moves_is_ready_and_the_ready_count(api):
    await behave(api, readiness={"fail_from": 50, "fail_until": 80})
    probe = {"exec_command": "ready?", "initial_delay_seconds": 10, "timeout_seconds": 1}
    dep = await deploy(api, readiness_probe=probe)

    async def seen():
        body = (await api.get(api.v2(f"deployments/{dep}"))).body["deployment"]
        return body["instances"][0]["is_ready"], body["ready_replicas"]

    await api.advance(12)
    assert await seen() == (None, 0)  # running, first probe at age 10 (t=13)
    await api.advance(1)
    assert await seen() == (True, 1)
    await api.advance(60.9)
    assert await seen() == (True, 1)
    await api.advance(0.1)  # probes at ages 50, 60, 70 fail: not ready at age 71 (t=74)
    assert await seen() == (False, 0)
    await api.advance(9)  # age 80 succeeds (t=83)
    assert await seen() == (True, 1)
    changes = [(e["time"], e["ready"]) for e in api.engine.events.query(kind="instance.ready", deployment_id=dep)]
    assert changes == [(13.0, True), (74.0, False), (83.0, True)]
    await api.advance(86400)
    assert len(api.engine.events.query(kind="instance.ready", deployment_id=dep)) == 3


async def test_flapping_readiness_is_deterministic_and_counts_agree(api, tmp_path):
    from conftest import start_api, stop_api

    async def run(client: Api) -> list:
        await behave(client, readiness={"fail_from": 0, "probability": 0.5})
        dep = await deploy(client, readiness_probe={"exec_command": "ready?"})
        await client.advance(3600)
        body = (await client.get(client.v2(f"deployments/{dep}"))).body["deployment"]
        assert body["ready_replicas"] == (1 if body["instances"][0]["is_ready"] else 0)
        return [(e["time"], e["ready"]) for e in client.engine.events.query(kind="instance.ready")]

    first = await run(api)
    other = await start_api(tmp_path / "again.db")
    try:
        assert await run(other) == first
    finally:
        await stop_api(other)
    assert len(first) > 10  # it really flaps
    assert all(a[1] != b[1] for a, b in zip(first, first[1:], strict=False))  # every event is a change


async def test_without_a_readiness_probe_a_running_instance_is_ready(api):
    await behave(api)
    dep = await deploy(api)
    await api.advance(3)
    assert (await instance(api, dep))["is_ready"] is True


async def test_1000_healthy_instances_cost_no_events_over_24_hours(api):
    await behave(api)
    fleet = await api.post("/edgesim/fleet", {"nodes": 100, "profile": {"cpu": [64, 64], "memory_mb": [65536, 65536]}}, token=None)
    nodes = fleet.body["node_ids"]
    probes = {"liveness_probe": {"exec_command": "ok"}, "readiness_probe": {"http_get": {"path": "/", "port": 80}}}
    for i in range(1000):
        assert (await api.create(f"svc-{i}", node_id=nodes[i % 100], **probes)).status == 201
    await api.advance(60)  # everything pulled, started, and its first readiness result in
    running = sum(1 for i in api.engine.world.instances.values() if i.state == "RUNNING" and i.is_ready)
    assert running == 1000
    events_at_start = api.engine.events.seq
    timers_at_start = api.engine.clock.pending
    assert timers_at_start == 0  # nothing scheduled for a healthy fleet
    await api.advance(24 * 3600)
    assert api.engine.events.seq == events_at_start
    assert api.engine.clock.pending == 0
