"""Rolling updates of group deployments on the virtual clock, as a Kubernetes Deployment rolls.

Reference: Kubernetes Deployment docs, "Rolling Update Deployment" (maxSurge 25% rounded up,
maxUnavailable 25% rounded down, not both 0) and "Progress Deadline Seconds" (600 s default,
condition Progressing=False reason ProgressDeadlineExceeded). Timelines use FAST behaviours
(pull 2 s, start 1 s, no readiness probe: a new instance is available 3 s after it is created),
so with U = the update's time each round of the rollout is 3 s.
"""

from __future__ import annotations

import orjson
import pytest

from edgesim.engine.rollouts import budgets

from conftest import FAST, PROJECT_ID, site_group, start_api, stop_api

BAD = "nginx:bad"  # exits 5 s after each start, before its readiness probe's first success at 10 s
CRASHING = [{"match": BAD, "pull": {"seconds": 2}, "start": {"seconds": 1}, "exit": {"after": 5, "code": 1}}, *FAST]


def v3(path: str) -> str:
    return f"/v3/{PROJECT_ID}/edgemgr/{path.lstrip('/')}"


async def deploy(api, replicas: int, nodes: int = 4, **container) -> str:
    group_id, _ = await site_group(api, nodes)
    assert (await api.put("/edgesim/behaviors", CRASHING, token=None)).status == 200
    body = {"name": "web", "group_id": group_id, "deployment": {"replicas": replicas, "template": {
        "configs": {"restart_policy": "Always"}, "containers": [{"name": "web", "image_url": "nginx:1.0", **container}]}}}
    reply = await api.post(v3("deployments"), body)
    assert reply.status == 201, reply.body
    await api.advance(10)
    return reply.body["id"]


async def update_image(api, dep_id: str, image: str, **container) -> dict:
    template = (await api.get(v3(f"deployments/{dep_id}"))).body["template"]
    template["containers"][0].update(image_url=image, **container)
    reply = await api.put(v3(f"deployments/{dep_id}"), {"deployment": {"template": template}})
    assert reply.status == 200, reply.body
    return reply.body


class Watch:
    """Checks the budgets after every committed instance.state event and every advance step."""

    def __init__(self, api, dep_id: str, min_ready: int, max_serving: int) -> None:
        self.api, self.dep_id, self.min_ready, self.max_serving = api, dep_id, min_ready, max_serving
        self.checks = 0
        api.engine.events.listeners.append(self._on_event)

    def _on_event(self, event: dict) -> None:
        if event["kind"] == "instance.state" and event["deployment_id"] == self.dep_id:
            self.check()

    def check(self) -> None:
        world = self.api.engine.world
        dep = world.deployments[self.dep_id]
        mine = world.instances_of(dep)
        ready = sum(1 for i in mine if i.state == "RUNNING" and i.is_ready)
        serving = sum(1 for i in mine if i.state != "TERMINATING")
        assert ready >= self.min_ready, (self.api.engine.clock.now(), ready)
        assert serving <= self.max_serving, (self.api.engine.clock.now(), serving)
        self.checks += 1

    async def advance(self, seconds: float, step: float = 0.5) -> None:
        for _ in range(round(seconds / step)):
            await self.api.advance(step)
            self.check()


async def rollout_events(api, dep_id: str) -> list[tuple[str, float]]:
    events = await api.events(deployment_id=dep_id)
    return [(e["kind"], e["time"]) for e in events if e["kind"].startswith("deployment.rollout")]


async def images(api, dep_id: str) -> list[tuple[str, str]]:
    pods = (await api.get(v3(f"pods?deployment_id={dep_id}"))).body["pods"]
    return sorted((p["state"], p["containers"][0]["image_url"]) for p in pods)


@pytest.mark.parametrize(("replicas", "surge", "unavailable"), [(1, 1, 0), (2, 1, 0), (4, 1, 1), (10, 3, 2), (3, 1, 0)])
def test_budgets_round_as_kubernetes(replicas, surge, unavailable):
    assert budgets(replicas) == (surge, unavailable)


async def test_four_replicas_never_fewer_than_three_ready(api):
    """4 replicas: surge 1, unavailable 1. U: +1 new, -1 old, +1 new (3 old, 2 new); U+3: the 2
    new are ready: -2 old, +2 new; U+6: -1 old, complete. Kubernetes: RollingUpdate defaults."""
    dep_id = await deploy(api, 4)
    watch = Watch(api, dep_id, min_ready=3, max_serving=5)
    u = api.engine.clock.now()
    answer = await update_image(api, dep_id, "nginx:2.0")
    assert answer["conditions"][0]["reason"] == "ReplicaSetUpdated"
    assert await images(api, dep_id) == [("PENDING", "nginx:2.0")] * 2 + [("RUNNING", "nginx:1.0")] * 3 + [
        ("TERMINATING", "nginx:1.0")]
    await watch.advance(20)
    assert await rollout_events(api, dep_id) == [("deployment.rollout_started", u), ("deployment.rollout_complete", u + 6)]
    assert await images(api, dep_id) == [("RUNNING", "nginx:2.0")] * 4
    dep = (await api.get(v3(f"deployments/{dep_id}"))).body
    assert dep["ready_replicas"] == 4
    assert [(c["type"], c["status"], c["reason"]) for c in dep["conditions"]] == [("Progressing", "True", "NewReplicaSetAvailable")]
    assert watch.checks > 40
    started = (await api.events(deployment_id=dep_id, kind="deployment.rollout_started"))[0]
    assert (started["max_surge"], started["max_unavailable"]) == (1, 1)


async def test_ten_replicas_surge_three_unavailable_two(api):
    """10 replicas: surge 3, unavailable 2. U: +3 new, -2 old, +2 new (8 old, 5 new); U+3: -5 old,
    +5 new; U+6: -3 old, complete. Never fewer than 8 ready nor more than 13 serving."""
    dep_id = await deploy(api, 10)
    watch = Watch(api, dep_id, min_ready=8, max_serving=13)
    u = api.engine.clock.now()
    await update_image(api, dep_id, "nginx:2.0")
    states = await images(api, dep_id)
    assert (states.count(("PENDING", "nginx:2.0")), states.count(("RUNNING", "nginx:1.0"))) == (5, 8)
    await watch.advance(20)
    assert await rollout_events(api, dep_id) == [("deployment.rollout_started", u), ("deployment.rollout_complete", u + 6)]
    assert await images(api, dep_id) == [("RUNNING", "nginx:2.0")] * 10


async def test_one_replica_the_new_is_ready_before_the_old_goes(api):
    """1 replica: surge 1, unavailable 0. The new instance is ready at U+3; only then the old
    one terminates."""
    dep_id = await deploy(api, 1)
    watch = Watch(api, dep_id, min_ready=1, max_serving=2)
    u = api.engine.clock.now()
    await update_image(api, dep_id, "nginx:2.0")
    await watch.advance(2.5)
    assert await images(api, dep_id) == [("PENDING", "nginx:2.0"), ("RUNNING", "nginx:1.0")]
    await watch.advance(0.5)
    assert await images(api, dep_id) == [("RUNNING", "nginx:2.0"), ("TERMINATING", "nginx:1.0")]
    await watch.advance(5)
    assert await rollout_events(api, dep_id) == [("deployment.rollout_started", u), ("deployment.rollout_complete", u + 3)]


async def test_a_crash_looping_image_stops_the_rollout_with_the_old_replicas_serving(api):
    """The new image never gets ready: the rollout stops at 3 old + 2 new (as a stuck Deployment
    does), and is marked ProgressDeadlineExceeded exactly 600 s after its last progress (U)."""
    dep_id = await deploy(api, 4)
    watch = Watch(api, dep_id, min_ready=3, max_serving=5)
    u = api.engine.clock.now()
    await update_image(api, dep_id, BAD, readiness_probe={"http_get": {"path": "/", "port": 80}, "initial_delay_seconds": 10})
    await watch.advance(597.5, step=2.5)
    await watch.advance(2)
    dep = (await api.get(v3(f"deployments/{dep_id}"))).body
    assert (dep["ready_replicas"], dep["conditions"][0]["status"]) == (3, "True")
    await watch.advance(0.5)
    dep = (await api.get(v3(f"deployments/{dep_id}"))).body
    assert dep["ready_replicas"] == 3
    assert [(c["status"], c["reason"]) for c in dep["conditions"]] == [("False", "ProgressDeadlineExceeded")]
    v2 = (await api.get(api.v2(f"deployments/{dep_id}"))).body["deployment"]
    assert v2["conditions"][0]["reason"] == "ProgressDeadlineExceeded"
    assert await rollout_events(api, dep_id) == [("deployment.rollout_started", u), ("deployment.rollout_stuck", u + 600)]
    states = await images(api, dep_id)
    assert states.count(("RUNNING", "nginx:1.0")) == 3 and sum(1 for _, image in states if image == BAD) == 2
    # a fix rolls on from there: the bad instances are old too
    await update_image(api, dep_id, "nginx:2.0", readiness_probe=None)
    await watch.advance(20)
    assert await images(api, dep_id) == [("RUNNING", "nginx:2.0")] * 4


async def test_a_new_instance_with_nowhere_to_go_stops_the_rollout(api):
    """One node of 8192 MB, one replica requesting 5000 MB: the surge instance cannot be placed,
    so the old one serves on, and the rollout is stuck at U+600 (a Pending surge pod)."""
    big = {"requests": {"cpu": "0.5", "memory": "5000"}, "limits": {"cpu": "1", "memory": "5000"}}
    dep_id = await deploy(api, 1, nodes=1, resources=big)
    watch = Watch(api, dep_id, min_ready=1, max_serving=2)
    u = api.engine.clock.now()
    await update_image(api, dep_id, "nginx:2.0")
    await watch.advance(600, step=5)
    pods = (await api.get(v3(f"pods?deployment_id={dep_id}"))).body["pods"]
    assert sorted((p["state"], p["containers"][0]["image_url"]) for p in pods) == [
        ("PENDING", "nginx:2.0"), ("RUNNING", "nginx:1.0")]
    assert await rollout_events(api, dep_id) == [("deployment.rollout_started", u), ("deployment.rollout_stuck", u + 600)]


async def test_an_update_during_a_rollout_rolls_to_the_newest_template(api):
    """At U+1 (2.0 instances not ready yet) a 3.0 template: the two 2.0 instances are old and not
    available, so they go at once and two 3.0 come (U+1); ready at U+4: -2 old 1.0, +2 3.0;
    U+7: complete. Never fewer than 3 ready."""
    dep_id = await deploy(api, 4)
    watch = Watch(api, dep_id, min_ready=3, max_serving=5)
    u = api.engine.clock.now()
    await update_image(api, dep_id, "nginx:2.0")
    await watch.advance(1)
    await update_image(api, dep_id, "nginx:3.0")
    assert [s for s in await images(api, dep_id) if s[0] != "TERMINATING"] == [("PENDING", "nginx:3.0")] * 2 + [
        ("RUNNING", "nginx:1.0")] * 3
    await watch.advance(20)
    assert await rollout_events(api, dep_id) == [
        ("deployment.rollout_started", u), ("deployment.rollout_started", u + 1), ("deployment.rollout_complete", u + 7)]
    assert await images(api, dep_id) == [("RUNNING", "nginx:3.0")] * 4


async def test_a_scale_change_is_not_a_rollout(api):
    dep_id = await deploy(api, 2)
    reply = await api.put(v3(f"deployments/{dep_id}"), {"deployment": {"replicas": 4}})
    assert reply.status == 200 and "conditions" not in reply.body
    await api.advance(5)
    assert await rollout_events(api, dep_id) == []
    assert await images(api, dep_id) == [("RUNNING", "nginx:1.0")] * 4


async def test_a_restart_mid_rollout_continues(tmp_path):
    """Stopped at U+1 and started again: the rollout goes on from the stored records and
    completes at U+6 as without the restart; its progress deadline is re-armed."""
    db = tmp_path / "edgesim.db"
    api = await start_api(db)
    try:
        dep_id = await deploy(api, 4)
        u = api.engine.clock.now()
        await update_image(api, dep_id, "nginx:2.0")
        await api.advance(1)
    finally:
        await stop_api(api)
    api = await start_api(db)
    try:
        assert f"rollout:{dep_id}" in api.engine.core.timers
        watch = Watch(api, dep_id, min_ready=3, max_serving=5)
        await watch.advance(10)
        assert await rollout_events(api, dep_id) == [("deployment.rollout_started", u), ("deployment.rollout_complete", u + 6)]
        assert await images(api, dep_id) == [("RUNNING", "nginx:2.0")] * 4
    finally:
        await stop_api(api)


async def rolled_log(api) -> bytes:
    dep_id = await deploy(api, 4)
    await update_image(api, dep_id, "nginx:2.0")
    await api.advance(1)
    await update_image(api, dep_id, BAD)
    await api.advance(700)
    return orjson.dumps(api.engine.events.events)


async def test_same_seed_byte_identical_event_log(api, tmp_path):
    first = await rolled_log(api)
    other = await start_api(tmp_path / "again.db")
    try:
        assert await rolled_log(other) == first
    finally:
        await stop_api(other)
