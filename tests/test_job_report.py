"""Batch job progress in the experiment report (GET /edgesim/report, ``edgesim report``,
report.html): per job, done / failed / running counts over simulated time, next to availability."""

from __future__ import annotations

import asyncio

from click.testing import CliRunner

from edgesim.client_commands import report as report_command

JOBS = "/v2/{p}/productmgr/jobs"
TEN_SECONDS = {"seconds": 10.0, "reconnect_seconds": 0.0, "failure_probability": 0.0, "concurrency": 10}


async def upgrade_fleet(api, count: int) -> tuple[str, list[str]]:
    assert (await api.put("/edgesim/upgrade-behavior", TEN_SECONDS, token=None)).status == 200
    reply = await api.post("/edgesim/fleet", {"nodes": count, "groups": {"fleet": count}, "name_prefix": "up"}, token=None)
    group = reply.body["groups"][0]
    return group["id"], sorted(group["node_ids"])


async def upgrade_job(api, node_ids: list[str], name: str = "fleet-upgrade") -> str:
    body = {"job_name": name, "job_type": "node_upgrade",
            "job_content": {"target_type": "node", "targets": [{"target_id": n} for n in node_ids]}}
    reply = await api.post(JOBS.format(p=api.project_id), body)
    assert reply.status == 201, reply.body
    return reply.body["job_id"]


def point(t: float, done: int, failed: int, running: int) -> dict:
    return {"time": t, "done": done, "failed": failed, "running": running}


async def test_the_report_shows_a_jobs_progress_over_time_next_to_availability(api):
    _, nodes = await upgrade_fleet(api, 30)
    assert (await api.create("web", node_id=nodes[0])).status == 201
    job_id = await upgrade_job(api, nodes)
    await api.advance(40)
    report = (await api.get("/edgesim/report", token=None)).body
    [job] = report["jobs"]
    assert (job["id"], job["name"], job["job_type"], job["status"], job["tasks"]) == (
        job_id, "fleet-upgrade", "node_upgrade", "success", 30)
    assert job["series"] == [point(0, 0, 0, 10), point(10, 10, 0, 10), point(20, 20, 0, 10), point(30, 30, 0, 0)]
    assert (job["done"], job["failed"], job["running"]) == (30, 0, 0)
    assert report["deployments"][0]["availability"] is not None  # side by side in one answer

    window = (await api.get("/edgesim/report?from=15&to=25", token=None)).body["jobs"][0]
    assert window["series"] == [point(15, 10, 0, 10), point(20, 20, 0, 10)]
    assert (window["status"], window["done"], window["running"]) == ("running", 20, 10)


async def test_failed_and_retried_tasks_move_between_the_counts(api):
    group, nodes = await upgrade_fleet(api, 4)
    fault = {"kind": "upgrade_failure", "target": {"node_ids": nodes[:2]}, "duration": 11}
    assert (await api.post("/edgesim/chaos/faults", fault, token=None)).status == 201
    job_id = await upgrade_job(api, nodes)
    await api.advance(10)
    assert (await api.post(JOBS.format(p=api.project_id) + f"/{job_id}/retry")).status == 200
    await api.advance(10)
    [job] = (await api.get("/edgesim/report", token=None)).body["jobs"]
    assert job["series"] == [point(0, 0, 0, 4), point(10, 2, 0, 2), point(20, 4, 0, 0)]
    # at t=10 the two failures and the retry happen in the same moment: the point holds the last
    events = [e for e in await api.events(kind="job.task") if e["time"] == 10 and e["status"] == "failed"]
    assert len(events) == 2 and job["status"] == "success"


async def test_report_html_draws_the_jobs_and_the_cli_prints_them(api):
    _, nodes = await upgrade_fleet(api, 3)
    await upgrade_job(api, nodes, "html-upgrade")
    await api.advance(20)
    page = await api.session.get(api.url + "/edgesim/report.html")
    html = await page.text()
    assert "<h2>Batch jobs</h2>" in html and "html-upgrade" in html and 'class="job-done"' in html
    result = await asyncio.to_thread(CliRunner().invoke, report_command, ["--url", api.url])
    assert result.exit_code == 0, result.output
    assert "html-upgrade" in result.output and "node_upgrade" in result.output and "success" in result.output


async def test_no_job_no_section(api):
    await api.advance(1)
    assert (await api.get("/edgesim/report", token=None)).body["jobs"] == []
    html = await (await api.session.get(api.url + "/edgesim/report.html")).text()
    assert "Batch jobs" not in html
