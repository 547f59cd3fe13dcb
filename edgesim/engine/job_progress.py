"""Batch job progress over time, for the experiment report: a fold over the ``job.*`` events.

Per job: its done (success), failed and running task counts after every change, as a step
series ``[{time, done, failed, running}]`` (one point per moment: changes at the same simulated
time collapse into the last), with its name, type, task count and status. The report shows it
next to availability (``engine.report``), ``edgesim report`` as a table and report.html as a
chart (``ui.job_chart``). Kept apart from the rest of the report so that each part stays small.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

COUNTED = ("success", "failed", "running")  # what a task's status adds to: done, failed, running


@dataclass
class _Job:
    name: str
    job_type: str
    tasks: int
    created_at: float
    status: str = "running"
    gone_at: float | None = None
    task_status: dict[str, str] = field(default_factory=dict)  # target id -> its task's status
    counts: dict[str, int] = field(default_factory=lambda: dict.fromkeys(COUNTED, 0))
    series: list[dict[str, Any]] = field(default_factory=list)

    def point(self, t: float) -> None:
        point = {"time": t, "done": self.counts["success"], "failed": self.counts["failed"],
                 "running": self.counts["running"]}
        if self.series and self.series[-1]["time"] == t:
            self.series[-1] = point
        else:
            self.series.append(point)


class JobProgress:
    def __init__(self) -> None:
        self.jobs: dict[str, _Job] = {}

    def feed(self, e: dict[str, Any]) -> None:
        kind, t = e["kind"], e["time"]
        if kind == "job.created":
            made = self.jobs[e["job_id"]] = _Job(e.get("name", ""), e.get("job_type", "node_upgrade"), e["tasks"], t)
            made.point(t)
            return
        job = self.jobs.get(e.get("job_id", ""))
        if job is None:
            return
        if kind == "job.task":
            old = job.task_status.get(e["target_id"])
            if old in COUNTED:
                job.counts[old] -= 1
            if e["status"] in COUNTED:
                job.counts[e["status"]] += 1
            job.task_status[e["target_id"]] = e["status"]
            job.point(t)
        elif kind == "job.status":
            job.status = e["to"]
        elif kind == "job.deleted":
            job.gone_at = t

    def result(self, start: float, end: float) -> list[dict[str, Any]]:
        """The jobs alive in [start, end], each with its series clipped to the window (the
        counts in force at ``start`` come first, at ``start``)."""
        rows = []
        for job_id, job in self.jobs.items():
            if job.created_at > end or (job.gone_at is not None and job.gone_at < start):
                continue
            before = [p for p in job.series if p["time"] <= start]
            inside = [p for p in job.series if start < p["time"] <= end]
            series = ([{**before[-1], "time": start}] if before else []) + inside
            last = series[-1] if series else {"done": 0, "failed": 0, "running": 0}
            rows.append({
                "id": job_id, "name": job.name, "job_type": job.job_type, "tasks": job.tasks,
                "status": job.status, "done": last["done"], "failed": last["failed"], "running": last["running"],
                "series": series,
            })
        return rows
