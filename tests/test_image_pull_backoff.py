"""A failed pull alternates ``ErrImagePull`` (from the failed attempt until the kubelet's next
sync, 10 s later) and ``ImagePullBackOff`` (while the back-off lasts, and during the retried
pull); pulls are retried after 10, 20, 40 ... 300 s. A missing image is retried the same way
and shows ``CREATE_FAIL`` all along; a transient failure shows ``PENDING_CREATE``.

References: Kubernetes docs, Images, "ImagePullBackOff" ("Kubernetes will keep trying to pull
the image, with an increasing back-off delay ... a compiled-in limit, which is 300 seconds");
kubelet pkg/kubelet/images (flowcontrol.Backoff, 10 s initial, MaxContainerBackOff 300 s) and
pkg/kubelet/pod_workers.go (a failed sync is re-queued after backOffPeriod, 10 s).
"""

from __future__ import annotations

from conftest import PROJECT_ID, Api, advance_to, instances, start_api, stop_api


async def behave(api: Api, pull: dict) -> None:
    profiles = [{"match": "*/missing:*", "pull": pull, "start": {"seconds": 1}},
                {"match": "*", "pull": {"seconds": 2}, "start": {"seconds": 1}}]
    assert (await api.put("/edgesim/behaviors", profiles, token=None)).status == 200


async def seen(api: Api, dep_id: str) -> tuple[str, str]:
    inst = (await instances(api, dep_id))[0]
    return inst["state"], inst["reason"]


def failures(api: Api, dep_id: str) -> list[tuple[float, float]]:
    return [(e["time"], e["backoff"]) for e in api.engine.events.query(kind="instance.pull_failed", deployment_id=dep_id)]


async def test_a_missing_image_is_retried_with_back_off_and_stays_create_fail(api):
    """Pull 2 s: fails at 2 (back-off 10: the sync at 12 pulls again), 14 (20: ErrImagePull to 24,
    ImagePullBackOff to 34), 36 (40), 78 (80), 160 (160), 322 (300), 624 (300) ..."""
    await behave(api, {"seconds": 2, "result": "not_found"})
    dep = (await api.create("app", image_url="registry/missing:1")).body["deployment"]["id"]
    timeline = {1: ("PENDING_CREATE", "ContainerCreating"), 2: ("CREATE_FAIL", "ErrImagePull"),
                11: ("CREATE_FAIL", "ErrImagePull"), 13: ("CREATE_FAIL", "ImagePullBackOff"),
                14: ("CREATE_FAIL", "ErrImagePull"), 23: ("CREATE_FAIL", "ErrImagePull"),
                24: ("CREATE_FAIL", "ImagePullBackOff"), 35: ("CREATE_FAIL", "ImagePullBackOff"),
                36: ("CREATE_FAIL", "ErrImagePull")}
    for t, expected in timeline.items():
        await advance_to(api, t)
        assert await seen(api, dep) == expected, t
    await advance_to(api, 700)
    assert failures(api, dep) == [(2, 10), (14, 20), (36, 40), (78, 80), (160, 160), (322, 300), (624, 300)]
    states = [(e["time"], e["to"]) for e in api.engine.events.query(kind="instance.state", deployment_id=dep)]
    assert states == [(2, "CREATE_FAIL")]  # one state all along: no flapping


async def test_the_image_appearing_lets_the_next_retry_succeed(api):
    """The profile is fixed at t=20 (the image was pushed): the retry at 34 pulls, RUNNING at 37."""
    await behave(api, {"seconds": 2, "result": "not_found"})
    dep = (await api.create("app", image_url="registry/missing:1")).body["deployment"]["id"]
    await advance_to(api, 20)
    await behave(api, {"seconds": 2})
    await advance_to(api, 36)
    assert await seen(api, dep) == ("PENDING_CREATE", "ContainerCreating")
    await advance_to(api, 37)
    inst = (await instances(api, dep))[0]
    assert (inst["state"], inst["restarts"]) == ("RUNNING", 0)
    assert failures(api, dep) == [(2, 10), (14, 20)]


async def test_a_flaky_registry_shows_pending_create_with_the_same_alternation(api):
    await behave(api, {"seconds": 2, "result": "flaky", "flaky_failures": 3})
    dep = (await api.create("app", image_url="registry/missing:1")).body["deployment"]["id"]
    for t, expected in {2: "ErrImagePull", 13: "ImagePullBackOff", 14: "ErrImagePull", 30: "ImagePullBackOff",
                        36: "ErrImagePull", 50: "ImagePullBackOff"}.items():
        await advance_to(api, t)
        assert await seen(api, dep) == ("PENDING_CREATE", expected), t
    await advance_to(api, 79)  # pulls again at 76, works at 78, starts at 79
    assert (await instances(api, dep))[0]["state"] == "RUNNING"
    assert failures(api, dep) == [(2, 10), (14, 20), (36, 40)]


async def test_v3_pods_show_the_same_reasons(api):
    await behave(api, {"seconds": 2, "result": "not_found"})
    dep = (await api.create("app", image_url="registry/missing:1")).body["deployment"]["id"]
    await advance_to(api, 30)
    pod = (await api.get(f"/v3/{PROJECT_ID}/edgemgr/pods?deployment_id={dep}")).body["pods"][0]
    assert (pod["state"], pod["reason"]) == ("CREATE_FAIL", "ImagePullBackOff")
    assert pod["containers"][0]["reason"] == "ImagePullBackOff"


async def test_a_retrying_instance_keeps_its_back_off_across_a_restart(tmp_path):
    db = tmp_path / "edgesim.db"
    api = await start_api(db)
    try:
        await behave(api, {"seconds": 2, "result": "not_found"})
        dep = (await api.create("app", image_url="registry/missing:1")).body["deployment"]["id"]
        await advance_to(api, 30)
    finally:
        await stop_api(api)
    api = await start_api(db)
    try:
        assert await seen(api, dep) == ("CREATE_FAIL", "ImagePullBackOff")
        await advance_to(api, 100)
        assert failures(api, dep) == [(2, 10), (14, 20), (36, 40), (78, 80)]
    finally:
        await stop_api(api)


async def test_a_retrying_instance_holds_its_requests_and_is_deleted_like_any(api):
    """Unlike a finished one, a pod whose pull is retried keeps its node's resources (the
    kubelet keeps trying); deleting it removes it after its termination."""
    await behave(api, {"seconds": 2, "result": "not_found"})
    node = (await api.node_ids())[0]
    dep = (await api.create("app", node_id=node, image_url="registry/missing:1",
                            resources={"requests": {"cpu": 0.5}})).body["deployment"]["id"]
    await advance_to(api, 30)
    assert api.engine.world.allocated_on(node).cpu == 0.5
    assert (await api.delete(api.v2(f"deployments/{dep}"))).status == 204
    await api.advance(60)
    assert (await api.get(api.v2(f"deployments/{dep}"))).status == 404
    assert api.engine.world.allocated_on(node).cpu == 0
