"""The dashboard's past view (GET /edgesim/state?at=T) shows message rules and batch jobs as
they were at T, rebuilt from their rule.* and job.* events, not as they are now: what the live
view showed at T is what the past view shows of T, also after a restart."""

from __future__ import annotations

from test_jobs import create_job, fleet, jobs_path, profile
from test_routing import rest_to_node

from conftest import start_api, stop_api

OPERATIONS = "/edgesim/state/operations"


async def live(api) -> dict:
    return (await api.get(OPERATIONS, token=None)).body


async def past(api, t: float) -> dict:
    reply = await api.get(f"/edgesim/state?at={t}", token=None)
    assert reply.status == 200, reply.body
    return {"rules": reply.body["rules"], "jobs": reply.body["jobs"]}


async def test_rules_and_jobs_at_t_are_as_the_live_view_showed_them_then(tmp_path):
    db = tmp_path / "edgesim.db"
    api = await start_api(db)
    node_id = (await api.node_ids())[0]
    await api.advance(2)
    seen = {2.0: await live(api)}  # nothing yet
    await api.advance(3)
    rule = await rest_to_node(api, node_id, name="down")
    await profile(api)
    job_id = await create_job(api, await fleet(api, 20))
    await api.advance(15)  # delivering; ten nodes upgraded, ten upgrading
    seen[api.engine.clock.now()] = await live(api)
    await api.post(f"/edgesim/nodes/{node_id}/disconnect", token=None)
    await api.advance(60)  # the rule's node FAIL: its messages fail; the job done
    seen[api.engine.clock.now()] = await live(api)
    await api.advance(1)  # "at T" includes what happened at T: stop it after the look at 80
    assert (await api.post(f"/v2/{api.project_id}/routemgr/rules/{rule['id']}/stop")).status in (200, 204)
    await api.advance(10)
    seen[api.engine.clock.now()] = await live(api)
    stopped_at = api.engine.clock.now()

    # the moments differ: nothing; delivering and half done; failing and done; stopped
    assert seen[2.0] == {"rules": [], "jobs": []}
    assert (seen[20.0]["rules"][0]["failing"], seen[20.0]["jobs"][0]["running"]) == ("", 10)
    assert seen[80.0]["rules"][0]["failing"] and seen[80.0]["rules"][0]["fail_messages"] > 0
    assert seen[80.0]["jobs"][0]["status"] != "running"
    assert seen[stopped_at]["rules"][0]["in_using"] is False
    for t, shown in seen.items():
        assert await past(api, t) == shown, t
    # both deleted later: the past still shows them (a deleted rule's endpoints are not named)
    await api.advance(1)
    assert (await api.delete(f"/v2/{api.project_id}/routemgr/rules/{rule['id']}")).status in (200, 204)
    assert (await api.delete(jobs_path(api, f"/{job_id}"))).status in (200, 204)
    assert await live(api) == {"rules": [], "jobs": []}
    then = await past(api, stopped_at)
    assert then["jobs"] == seen[stopped_at]["jobs"]
    [r] = then["rules"]
    assert (r["source"], r["target"]) == (None, None)
    assert {**r, "source": "SystemREST", "target": "SystemEventBus"} == seen[stopped_at]["rules"][0]
    await stop_api(api)
    api = await start_api(db)  # rebuilt from the stored log after a restart
    try:
        for t, shown in seen.items():
            if t < stopped_at:
                rebuilt = await past(api, t)
                assert rebuilt["jobs"] == shown["jobs"]
                assert [{**x, "source": None, "target": None} for x in shown["rules"]] == rebuilt["rules"]
    finally:
        await stop_api(api)
