"""Crash restarts follow the kubelet's back-off exactly (issue 19 item 1).

Reference: kubelet ``doBackOff`` (pkg/kubelet/kuberuntime/kuberuntime_manager.go) with
``flowcontrol.Backoff`` (client-go/util/flowcontrol/backoff.go): the first failure has no
back-off entry, so the container is restarted at once; later failures wait 10, 20, 40 ... s,
capped at 300 s (MaxContainerBackOff); an entry older than 2 x max (10 minutes running,
strictly more) is reset. Kubernetes docs, "Container restarts" in Pod Lifecycle.

Pull 2 s and start 1 s: a container created at t=0 runs from t=3.
"""

from __future__ import annotations

from test_lifecycle import LIVENESS, behave, deploy, instance, transitions

from conftest import Api


def failures_and_starts(api: Api, dep: str) -> tuple[list[float], list[float]]:
    events = transitions(api, dep)
    return [t for t, to, _ in events if to == "FAILED"], [t for t, to, _ in events if to == "RUNNING"]


async def test_a_container_exiting_30s_after_each_start_exits_at_33_63_103_153(api):
    """kubelet doBackOff: no back-off for the first failure, then 10, 20, 40 s."""
    await behave(api, exit={"after": 30, "code": 1})
    dep = await deploy(api)
    await api.advance(160)
    failures, starts = failures_and_starts(api, dep)
    assert failures == [33, 63, 103, 153]
    assert starts == [3, 33, 73, 123]


async def test_restarts_counts_the_immediate_restart(api):
    """The restart count goes up when the container runs again: at once after the first exit."""
    await behave(api, exit={"after": 30, "code": 1})
    dep = await deploy(api)
    await api.advance(32)
    assert (await instance(api, dep))["restarts"] == 0
    await api.advance(2)  # 34: exited at 33 and already running again
    inst = await instance(api, dep)
    assert (inst["state"], inst["restarts"]) == ("RUNNING", 1)
    await api.advance(30)  # 64: exited at 63, waiting 10 s
    inst = await instance(api, dep)
    assert (inst["state"], inst["reason"], inst["restarts"]) == ("FAILED", "CrashLoopBackOff", 1)


async def _ran_then_crashed(api: Api, ran: float) -> list[float]:
    await behave(api, exit={"after": 30, "code": 1})
    dep = await deploy(api)
    await api.advance(70)  # exits at 33 and 63; the third container starts at 73, next wait 20 s
    await behave(api, exit={"after": ran, "code": 1})
    await api.advance(ran + 60)
    return failures_and_starts(api, dep)[1]


async def test_a_container_that_ran_more_than_600s_restarts_at_once(api):
    """flowcontrol.Backoff resets an entry idle for more than 2 x 300 s: strictly greater."""
    assert (await _ran_then_crashed(api, 601))[:4] == [3, 33, 73, 73 + 601]


async def test_a_container_that_ran_exactly_600s_keeps_its_back_off(api):
    """600 s is not more than 600 s: the back-off goes on doubling (20 s here)."""
    assert (await _ran_then_crashed(api, 600))[:4] == [3, 33, 73, 73 + 600 + 20]


async def test_an_oom_kill_restarts_at_once_the_first_time(api):
    """OOM kills go through the same back-off (kubelet: any container exit)."""
    await behave(api, memory={"mb": 100, "grow_mb_per_min": 20})
    dep = await deploy(api, resources={"limits": {"memory": 200}})
    await api.advance(700)
    failures, starts = failures_and_starts(api, dep)
    assert failures[:2] == [303, 603] and starts[:3] == [3, 303, 613]


async def test_a_liveness_kill_restarts_at_once_the_first_time(api):
    """Liveness kills go through the same back-off (kubelet: the container is killed, then restarted)."""
    await behave(api, liveness={"fail_from": 100})
    dep = await deploy(api, liveness_probe=LIVENESS)
    await api.advance(300)
    failures, starts = failures_and_starts(api, dep)
    assert failures[:2] == [124, 245] and starts[:3] == [3, 124, 255]

