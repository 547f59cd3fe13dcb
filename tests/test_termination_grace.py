"""Deletes, rolling updates and liveness kills honour the termination grace period: a container
told to stop takes its profile's ``stop.seconds`` and, still running at the grace period (30 s,
Kubernetes' ``terminationGracePeriodSeconds`` default: the SDK's PodConfigs has no field for
it), is killed then.

References: Kubernetes docs, Pod Lifecycle, "Termination of Pods" (SIGTERM, then SIGKILL once
the grace period, default 30 s, has passed) and "Container probes" (a failed liveness probe
kills the container, subject to the grace period); kubelet killContainer.

Pull 2 s and start 1 s: a container created at t=0 runs from t=3.
"""

from __future__ import annotations

from test_lifecycle import LIVENESS, behave, deploy, instance

from edgesim.settings import load_settings

from conftest import Api, advance_to, start_api, stop_api


def exits(api: Api, dep: str) -> list[tuple[float, int, str]]:
    return [(e["time"], e["code"], e["reason"]) for e in api.engine.events.query(kind="instance.exited", deployment_id=dep)]


def removed_at(api: Api, dep: str) -> list[float]:
    return [e["time"] for e in api.engine.events.query(kind="instance.removed", deployment_id=dep)]


async def test_a_delete_waits_for_the_container_to_stop(api):
    """Deleted at t=10, stop 5 s: TERMINATING over [10, 15), gone at 15."""
    await behave(api, stop={"seconds": 5})
    dep = await deploy(api)
    await advance_to(api, 10)
    assert (await api.delete(api.v2(f"deployments/{dep}"))).status == 204
    await advance_to(api, 14.9)
    inst = await instance(api, dep)
    assert (inst["state"], inst["message"]) == ("TERMINATING", None)
    await advance_to(api, 15)
    assert (await api.get(api.v2(f"deployments/{dep}"))).status == 404
    assert removed_at(api, dep) == [15]


async def test_a_container_that_does_not_stop_is_killed_at_the_grace_period(api):
    """Stop 90 s > grace 30 s: deleted at t=10, killed and gone at 40, and it says so meanwhile."""
    await behave(api, stop={"seconds": 90})
    dep = await deploy(api)
    await advance_to(api, 10)
    await api.delete(api.v2(f"deployments/{dep}"))
    await advance_to(api, 39)
    inst = await instance(api, dep)
    assert inst["state"] == "TERMINATING"
    assert inst["message"] == "the container does not stop within its 30s grace period: killed then"
    await advance_to(api, 40)
    assert removed_at(api, dep) == [40]


async def test_the_stop_time_is_a_distribution_drawn_from_the_seed(api):
    await behave(api, stop={"seconds": {"uniform": [4, 8]}})
    dep = await deploy(api)
    await advance_to(api, 10)
    await api.delete(api.v2(f"deployments/{dep}"))
    await api.advance(30)
    [gone] = removed_at(api, dep)
    assert 14 <= gone <= 18


async def test_an_instance_with_no_running_container_stops_in_the_setting_time(api):
    """Still pulling (pull 20 s) when deleted: no container to stop, so the profile's stop time
    does not apply; the [instance] terminate_seconds setting (1..2 s) does."""
    await behave(api, pull={"seconds": 20}, stop={"seconds": 25})
    dep = await deploy(api)
    await advance_to(api, 5)
    await api.delete(api.v2(f"deployments/{dep}"))
    await advance_to(api, 7)
    assert len(removed_at(api, dep)) == 1 and 6 <= removed_at(api, dep)[0] <= 7


async def test_a_liveness_kill_waits_for_the_container_to_stop(api):
    """Liveness failing from age 100: the third failure is known at t=124 and the container is
    told to stop; it stops 4 s later (t=128, exit 137) and restarts at once (the first time)."""
    await behave(api, liveness={"fail_from": 100}, stop={"seconds": 4})
    dep = await deploy(api, liveness_probe=LIVENESS)
    await advance_to(api, 127)
    assert (await instance(api, dep))["state"] == "RUNNING"
    await advance_to(api, 128)
    assert exits(api, dep) == [(128, 137, "Error")]
    inst = await instance(api, dep)
    assert (inst["state"], inst["restarts"]) == ("RUNNING", 1)


async def test_a_liveness_kill_of_a_container_that_does_not_stop_ends_at_the_grace(api):
    await behave(api, liveness={"fail_from": 100}, stop={"seconds": 300})
    dep = await deploy(api, policy="Never", liveness_probe=LIVENESS)
    await advance_to(api, 200)
    assert exits(api, dep) == [(154, 137, "Error")]
    inst = await instance(api, dep)
    assert (inst["state"], inst["message"]) == ("FAILED", "liveness probe failed 3 times; container killed at the end of its grace period")


async def test_without_a_stop_time_a_liveness_kill_is_at_once(api):
    """The default profile stops at once when killed (as before): exit at t=124."""
    await behave(api, liveness={"fail_from": 100})
    dep = await deploy(api, liveness_probe=LIVENESS)
    await advance_to(api, 130)
    assert exits(api, dep) == [(124, 137, "Error")]


async def test_the_grace_period_is_a_setting(tmp_path):
    settings = load_settings()
    timings = settings.simulation.instance.model_copy(update={"termination_grace_seconds": 12.0})
    settings = settings.model_copy(update={"simulation": settings.simulation.model_copy(update={"instance": timings})})
    api = await start_api(tmp_path / "edgesim.db", settings=settings)
    try:
        await behave(api, stop={"seconds": 90})
        dep = await deploy(api)
        await advance_to(api, 10)
        await api.delete(api.v2(f"deployments/{dep}"))
        await api.advance(60)
        assert removed_at(api, dep) == [22]
        assert "12s grace period" in [e for e in api.engine.events.query(kind="instance.state", deployment_id=dep)
                                      if e["to"] == "TERMINATING"][0]["message"]
    finally:
        await stop_api(api)


async def test_a_terminating_instance_finishes_its_stop_after_a_restart(tmp_path):
    db = tmp_path / "edgesim.db"
    api = await start_api(db)
    try:
        await behave(api, stop={"seconds": 20})
        dep = await deploy(api)
        await advance_to(api, 10)
        await api.delete(api.v2(f"deployments/{dep}"))
        await advance_to(api, 15)
    finally:
        await stop_api(api)
    api = await start_api(db)
    try:
        assert (await instance(api, dep))["state"] == "TERMINATING"
        await advance_to(api, 30)
        assert removed_at(api, dep) == [30]
    finally:
        await stop_api(api)


async def test_bad_stop_times_are_refused_naming_the_field(api):
    for stop, field in [({"seconds": -1}, "[0].stop.seconds"), ({}, "[0].stop.seconds"),
                        ({"seconds": 1, "grace": 3}, "[0].stop.grace")]:
        reply = await api.put("/edgesim/behaviors", [{"match": "*", "stop": stop}], token=None)
        assert (reply.status, reply.body["error_code"]) == (400, "EDGESIM.0400"), reply.body
        assert field in reply.body["error_msg"], reply.body
    reply = await api.put("/edgesim/behaviors", [{"match": "*", "stop": {"seconds": {"fixed": 3}}}], token=None)
    assert reply.status == 200 and reply.body["profiles"][0]["stop"] == {"seconds": {"fixed": 3.0}}
