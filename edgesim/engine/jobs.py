"""Batch jobs (ief-api-more.md 8.1): create, stop, restore, retry, delete, and their progress.

A job has one task per target and runs at most ``concurrency`` of them at once, in target
order. A ``node_upgrade`` task is that node's upgrade (``engine.upgrades``); a
``deployment_deploy`` or ``deployment_upgrade`` task creates or rolls a deployment
(``engine.job_tasks``). So the only timers are the upgrading nodes' own, the app tasks'
deadlines, and one deadline per running job (``job:<id>``). A target that cannot start when
its turn comes (a node not RUNNING or already newest, a deployment being deleted) fails at once.
"""

from __future__ import annotations

from typing import Any

from edgesim.domain.errors import DomainError, DuplicateName, NotAllowed, NotFound, ReferenceNotFound
from edgesim.domain.models import BatchJob
from edgesim.engine.change import Change
from edgesim.engine.core import Core
from edgesim.engine.job_tasks import APP_TYPES, AppTasks
from edgesim.engine.upgrades import Upgrades

JOB_TYPES = ("node_upgrade", "deployment_deploy", "deployment_upgrade")
# decision (the SDK leaves it open): what each job type targets
TARGET_TYPES = {"node_upgrade": ("node",), "deployment_deploy": ("node", "node_group"),
                "deployment_upgrade": ("deployment",)}
TARGET_NAMES = {"node": "edge node", "node_group": "node group", "deployment": "deployment"}
ACTIVE = ("queued", "running", "stopping")  # a job that may still start tasks
RETRYABLE = ("failed", "partial_success", "timeout")


class Jobs:
    def __init__(self, core: Core, upgrades: Upgrades, app_tasks: AppTasks) -> None:
        self.core = core
        self.world = core.world
        self.upgrades = upgrades
        self.app_tasks = app_tasks
        self.table: dict[str, BatchJob] = core.world.tables["batch_job"]  # type: ignore[assignment]
        upgrades.finished.append(self._target_done)
        app_tasks.finished.append(self._target_done)

    # --- reads ----------------------------------------------------------------------------------

    def get(self, project_id: str, job_id: str) -> BatchJob:
        job = self.table.get(job_id)
        if job is None or job.project_id != project_id:
            raise NotFound(f"batch job {job_id} not found")
        return job

    def of_project(self, project_id: str) -> list[BatchJob]:
        return [j for j in self.table.values() if j.project_id == project_id]

    # --- commands -------------------------------------------------------------------------------

    async def create(
        self, project_id: str, *, name: str, job_type: str, target_type: str, targets: list[dict[str, Any]],
        task_data: str, description: str, tags: list[dict[str, str]], spec: dict[str, Any] | None = None,
    ) -> BatchJob:
        """``spec``: a deploy or app upgrade job's task_data as the engine's app spec
        (``{app, replicas, extras}``, made by the API layer from the v3 request models)."""
        if any(j.name == name for j in self.of_project(project_id)):
            raise DuplicateName(f"batch job name {name!r} already exists", field="job_name")
        allowed = TARGET_TYPES[job_type]
        if target_type not in allowed:
            raise DomainError(f"a {job_type} job targets {' or '.join(allowed)}: target_type must be {' or '.join(allowed)}",
                              field="job_content.target_type")
        self._check_targets(project_id, target_type, targets)
        if job_type in APP_TYPES:
            self.app_tasks.check(job_type, target_type, [t["target_id"] for t in targets], spec or {})
        core = self.core
        async with core.command() as change:
            now = core.clock.now()
            job = BatchJob(
                id=core.ids.next(), project_id=project_id, name=name, job_type=job_type, target_type=target_type,
                description=description, tags=tags, targets=targets, task_data=task_data, created_at=now,
                status_updated_at=now, concurrency=self.upgrades.profile().concurrency, spec=spec or {},
            )
            job.tasks = [{
                "task_id": f"{job.id}-{n}", "task_name": f"{name}-{n}", "status": "queued", "reason": "",
                "created_at": self._epoch(now), "target_id": t["target_id"], "extension_info": t["extension_info"],
            } for n, t in enumerate(targets)]
            change.touch(job)
            self.table[job.id] = job
            change.event(core.events.record("job.created", job_id=job.id, name=name, job_type=job_type, tasks=len(job.tasks)))
            self._start(job, change)
        return job

    def _check_targets(self, project_id: str, target_type: str, targets: list[dict[str, Any]]) -> None:
        """Every target exists in the project (nodes, groups or deployments), each once."""
        tables: dict[str, dict[str, Any]] = {"node": self.world.nodes, "node_group": self.world.groups,
                                             "deployment": self.world.deployments}
        table = tables[target_type]
        seen: set[str] = set()
        for n, target in enumerate(targets):
            found = table.get(target["target_id"])
            if found is None or found.project_id != project_id:
                raise ReferenceNotFound(f"{TARGET_NAMES[target_type]} {target['target_id']} not found",
                                        field=f"job_content.targets[{n}].target_id")
            if target["target_id"] in seen:
                raise DomainError(f"each {TARGET_NAMES[target_type]} once", field=f"job_content.targets[{n}].target_id")
            seen.add(target["target_id"])

    async def stop(self, project_id: str, job_id: str) -> BatchJob:
        """Running tasks finish; the ones not yet started are ``stopped`` (restore runs them)."""
        job = self._in(project_id, job_id, ("running",), "stopped")
        async with self.core.command() as change:
            change.touch(job)
            for task in job.tasks:
                if task["status"] == "queued":
                    task["status"] = "stopped"
            self._status(job, "stopping", change)
            self._fill(job, change)
        return job

    async def restore(self, project_id: str, job_id: str) -> BatchJob:
        job = self._in(project_id, job_id, ("stopped",), "restored")
        async with self.core.command() as change:
            change.touch(job)
            for task in job.tasks:
                if task["status"] == "stopped":
                    task["status"], task["reason"] = "queued", ""
            self._start(job, change)
        return job

    async def retry(self, project_id: str, job_id: str) -> BatchJob:
        """Re-runs every task that did not succeed (failed, or stopped by a timeout)."""
        job = self._in(project_id, job_id, RETRYABLE, "retried")
        async with self.core.command() as change:
            change.touch(job)
            for task in job.tasks:
                if task["status"] in ("failed", "stopped"):
                    task["status"], task["reason"] = "queued", ""
            self._start(job, change)
        return job

    async def delete(self, project_id: str, job_id: str) -> None:
        job = self.get(project_id, job_id)
        if job.status in ACTIVE:
            raise NotAllowed(f"batch job {job.name} is {job.status}; stop it first")
        async with self.core.command() as change:
            change.touch(job)
            self.core.timers.cancel(f"job:{job.id}")
            self.app_tasks.disarm(job)  # a timed-out job's tasks may still run: they are no one's now
            del self.table[job.id]
            change.event(self.core.events.record("job.deleted", job_id=job.id))

    # --- running --------------------------------------------------------------------------------

    def arm(self, job: BatchJob) -> None:
        if job.deadline is not None and job.id in self.table:
            self.core.timers.set(f"job:{job.id}", job.deadline, self._on_deadline, job.id)
        self.app_tasks.arm(job)

    def _in(self, project_id: str, job_id: str, states: tuple[str, ...], verb: str) -> BatchJob:
        job = self.get(project_id, job_id)
        if job.status not in states:
            raise NotAllowed(f"batch job {job.name} is {job.status}; only a {' or '.join(states)} job can be {verb}")
        return job

    def _start(self, job: BatchJob, change: Change) -> None:
        """(Re)start the job: running, with a new deadline, its queued tasks filling the slots."""
        timeout = self.upgrades.profile().job_timeout_seconds
        job.deadline = self.core.clock.now() + timeout if timeout else None
        self._status(job, "running", change)
        self._fill(job, change)
        change.after_commit.append(lambda: self.arm(job))

    def _fill(self, job: BatchJob, change: Change) -> None:
        """Start queued tasks, in target order, while fewer than ``concurrency`` run; then the
        job's status follows from its tasks once none runs or waits."""
        running = sum(t["status"] == "running" for t in job.tasks)
        if job.status == "running":
            for task in job.tasks:
                if running >= job.concurrency:
                    break
                if task["status"] != "queued":
                    continue
                reason = self._begin(job, task, change)
                if reason:
                    self._task(job, task, "failed", reason, change)
                    continue
                self._task(job, task, "running", "", change)
                running += 1
        if running or any(t["status"] == "queued" for t in job.tasks):
            return
        if job.status == "stopping":
            self._status(job, "stopped", change)
        elif job.status == "running":
            failed = sum(t["status"] == "failed" for t in job.tasks)
            self._status(job, "success" if not failed else "failed" if failed == len(job.tasks) else "partial_success", change)

    def _begin(self, job: BatchJob, task: dict[str, Any], change: Change) -> str:
        """Start one task: "" when it runs, else why it failed at once."""
        if job.job_type in APP_TYPES:
            return self.app_tasks.begin(job, task, change)
        node = self.world.nodes.get(task["target_id"])
        reason = self.upgrades.refusal(node)
        if reason or node is None:
            return reason or "the node no longer exists"
        self.upgrades.begin(node, job.id, change)
        return ""

    def _target_done(self, job_id: str, target_id: str, reason: str, change: Change) -> None:
        job = self.table.get(job_id)
        if job is None:
            return
        task = next((t for t in job.tasks if t["target_id"] == target_id and t["status"] == "running"), None)
        if task is None:
            return
        change.touch(job)
        self._task(job, task, "failed" if reason else "success", reason, change)
        self._fill(job, change)

    async def _on_deadline(self, job_id: str) -> None:
        """Queued and running longer than the timeout: the tasks not started are stopped; the
        running ones finish and count, but the job stays ``timeout`` (retry re-runs the rest)."""
        job = self.table.get(job_id)
        if job is None or job.status not in ACTIVE:
            return
        with self.core.step() as change:
            change.touch(job)
            for task in job.tasks:
                if task["status"] == "queued":
                    self._task(job, task, "stopped", "the job timed out", change)
            self._status(job, "timeout", change)

    def _task(self, job: BatchJob, task: dict[str, Any], status: str, reason: str, change: Change) -> None:
        change.touch(job)
        task["status"], task["reason"] = status, reason
        made = {"deployment_id": task["deployment_id"]} if "deployment_id" in task else {}  # an app task's
        change.event(self.core.events.record(
            "job.task", job_id=job.id, target_id=task["target_id"], status=status, reason=reason, **made))

    def _status(self, job: BatchJob, status: str, change: Change) -> None:
        change.touch(job)
        old, job.status = job.status, status
        job.status_updated_at = self.core.clock.now()
        if status not in ACTIVE:
            job.deadline = None
            self.core.timers.cancel(f"job:{job.id}")
        change.event(self.core.events.record("job.status", job_id=job.id, **{"from": old, "to": status}))

    def _epoch(self, t: float) -> int:
        return int(self.core.clock.timestamp(t).timestamp())
