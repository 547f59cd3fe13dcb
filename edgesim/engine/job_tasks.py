"""The tasks of ``deployment_deploy`` and ``deployment_upgrade`` batch jobs (ief-api-more.md 8.1).

A deploy task creates a deployment from the job's ``task_data`` on its target node or group
(named ``<job_name>-<8 hex>``) through the same engine command as ``POST /v3/.../deployments``
(``Deployments.check_create`` + ``add``); it succeeds when the deployment's instances are
RUNNING and fails when one ends CREATE_FAIL or when it is not done ``task_timeout_seconds``
(300) after it started. An upgrade task replaces the target deployment's template as ``PUT
/v3/.../deployments/{id}`` does (``check_update`` + ``apply_update``) and succeeds when the
rolled instances are all RUNNING and ready, with no old one left; it fails the same ways.

Nothing polls: every command and step that touched a watched deployment or its instances
judges that task again (``Core.change_listeners``); the only timer is each running task's
deadline (``jobtask:<job>:<task>``).
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any, cast

from edgesim.domain.app_spec import AppSpec
from edgesim.domain.errors import DomainError, ReferenceNotFound
from edgesim.domain.models import BatchJob, Deployment, Instance
from edgesim.domain.states import DeploymentState, InstanceState
from edgesim.engine.change import Change
from edgesim.engine.core import Core
from edgesim.engine.deployments import Deployments, changed_extras
from edgesim.engine.rollouts import available
from edgesim.settings import UpgradeProfile

DEPLOY, UPGRADE = "deployment_deploy", "deployment_upgrade"
APP_TYPES = (DEPLOY, UPGRADE)
MAX_NAME = 32  # a v3 deployment name: the job name is cut so that name-<8 hex> fits

# called (job id, target id, failure reason or "", change) when a task ends
Finished = Callable[[str, str, str, Change], None]


def deployment_name(job_name: str, hex8: str) -> str:
    """``<job_name>-<8 hex>``, the job name cut (and stripped of a trailing ``-``) to fit 32."""
    return f"{job_name[: MAX_NAME - 9].rstrip('-')}-{hex8}"


class AppTasks:
    def __init__(self, core: Core, deployments: Deployments, profile: Callable[[], UpgradeProfile]) -> None:
        """``profile``: the upgrade profile in force (``Upgrades.profile``), for the task timeout."""
        self.core = core
        self.world = core.world
        self.deployments = deployments
        self.profile = profile
        self.finished: list[Finished] = []
        core.change_listeners.append(self._on_change)

    @property
    def jobs(self) -> dict[str, BatchJob]:
        return cast(dict[str, BatchJob], self.world.tables["batch_job"])

    # --- at job creation ------------------------------------------------------------------------

    def check(self, job_type: str, target_type: str, target_ids: list[str], spec: dict[str, Any]) -> None:
        """The task_data fits the (existing) targets as the v3 routes would judge it now: a
        deployment to a node runs one instance; a deployment being deleted takes no update."""
        if job_type == DEPLOY and target_type == "node" and spec.get("replicas", 1) != 1:
            raise DomainError("a deployment to a node runs one instance; replicas must be 1",
                              field="job_content.task_data.replicas")
        if job_type == UPGRADE:
            for target_id in target_ids:
                self.deployments.check_update(self.world.deployments[target_id], spec.get("replicas"),
                                              field_prefix="job_content.task_data.")

    # --- a task's life --------------------------------------------------------------------------

    def begin(self, job: BatchJob, task: dict[str, Any], change: Change) -> str:
        """Start the task within ``change``: "" when it runs, else why it failed at once."""
        try:
            dep = self._deploy(job, task, change) if job.job_type == DEPLOY else self._upgrade(job, task, change)
        except DomainError as error:
            return str(error)
        change.touch(job)
        change.touch(dep)  # judged when the change ends, even if nothing else moves
        task["deployment_id"] = dep.id
        job.task_due[task["task_id"]] = self.core.clock.now() + self._timeout()
        change.after_commit.append(lambda: self.arm(job))
        return ""

    def _deploy(self, job: BatchJob, task: dict[str, Any], change: Change) -> Deployment:
        """The task's deployment: the one an earlier attempt made, if it is still there (a retry
        waits for it again), else a new one."""
        earlier = self.world.deployments.get(task.get("deployment_id") or "")
        if earlier is not None and earlier.state != DeploymentState.PENDING_DELETE:
            return earlier
        spec, target = copy.deepcopy(job.spec), task["target_id"]  # each deployment its own spec
        app = AppSpec.from_dict(spec["app"])
        node_ids, group_id = ([target], None) if job.target_type == "node" else ([], target)
        # keyed by the earlier attempt's deployment too: a retry's name differs from one still terminating
        rng = self.core.draws.rng(job.id, task["task_id"], task.get("deployment_id") or "", "name")
        hex8 = f"{rng.getrandbits(32):08x}"
        name = deployment_name(job.name, hex8)
        nodes = self.deployments.check_create(
            job.project_id, name=name, app=app, node_ids=node_ids, group_id=group_id,
            replicas=spec["replicas"], field_prefix="",
        )
        return self.deployments.add(
            job.project_id, change, name=name, app=app, node_ids=[n.id for n in nodes], group_id=group_id,
            replicas=spec["replicas"], extras=spec["extras"],
        )

    def _upgrade(self, job: BatchJob, task: dict[str, Any], change: Change) -> Deployment:
        dep = self.world.deployments.get(task["target_id"])
        if dep is None or dep.project_id != job.project_id:
            raise ReferenceNotFound(f"deployment {task['target_id']} no longer exists")
        spec = copy.deepcopy(job.spec)  # each deployment its own spec
        replicas = self.deployments.check_update(dep, spec.get("replicas"), field_prefix="")
        extras = changed_extras(dep, spec["extras"])
        app = AppSpec.from_dict(spec["app"])
        if app != dep.spec or replicas != dep.replicas or extras:
            self.deployments.apply_update(dep, change, description=None, app=app, replicas=replicas, extras=extras)
        return dep

    def _timeout(self) -> float:
        return self.profile().task_timeout_seconds

    def arm(self, job: BatchJob) -> None:
        for task in job.tasks:
            due = job.task_due.get(task["task_id"])
            if task["status"] == "running" and due is not None and job.id in self.jobs:
                self.core.timers.set(f"jobtask:{job.id}:{task['task_id']}", due, self._on_due, job.id, task["task_id"])

    def disarm(self, job: BatchJob) -> None:
        for task in job.tasks:
            self.core.timers.cancel(f"jobtask:{job.id}:{task['task_id']}")

    def _on_due(self, job_id: str, task_id: str) -> None:
        job = self.jobs.get(job_id)
        task = None if job is None else next((t for t in job.tasks if t["task_id"] == task_id), None)
        if job is None or task is None or task["status"] != "running":
            return
        with self.core.step() as change:
            what = "deployed" if job.job_type == DEPLOY else "upgraded"
            self._end(job, task, f"not {what} within {self._timeout():g} s: {self._progress(job, task)}", change)

    # --- judging ---------------------------------------------------------------------------------

    def _on_change(self, change: Change) -> None:
        touched: set[str] = set()
        for record in list(change.touched()):
            if isinstance(record, Instance):
                touched.add(record.deployment_id)
            elif isinstance(record, Deployment):
                touched.add(record.id)
        if not touched:
            return
        for job in list(self.jobs.values()):
            if job.job_type not in APP_TYPES or not job.task_due:  # task_due: its running tasks
                continue
            for task in job.tasks:
                if task["status"] == "running" and task.get("deployment_id") in touched:
                    self._judge(job, task, change)

    def _judge(self, job: BatchJob, task: dict[str, Any], change: Change) -> None:
        dep = self.world.deployments.get(task["deployment_id"])
        if dep is None or dep.state == DeploymentState.PENDING_DELETE:
            self._end(job, task, f"deployment {task['deployment_id']} was deleted", change)
            return
        wanted = len(dep.node_ids) or dep.replicas
        serving = self.deployments.serving(dep)
        new = [i for i in serving if i.revision == dep.revision]
        failed = next((i for i in new if i.state == InstanceState.CREATE_FAIL), None)
        if failed is not None:
            self._end(job, task, f"instance {failed.id} of deployment {dep.name} is CREATE_FAIL: {failed.message}", change)
        elif job.job_type == DEPLOY and sum(i.state == InstanceState.RUNNING for i in new) >= wanted:
            self._end(job, task, "", change)
        elif (job.job_type == UPGRADE and len(serving) == len(new) == wanted
              and all(available(i) for i in new)):
            self._end(job, task, "", change)

    def _progress(self, job: BatchJob, task: dict[str, Any]) -> str:
        dep = self.world.deployments.get(task.get("deployment_id") or "")
        if dep is None:
            return "its deployment is gone"
        new = [i for i in self.deployments.serving(dep) if i.revision == dep.revision]
        wanted = len(dep.node_ids) or dep.replicas
        done = sum(i.state == InstanceState.RUNNING if job.job_type == DEPLOY else available(i) for i in new)
        state = "RUNNING" if job.job_type == DEPLOY else "RUNNING and ready"
        return f"{done} of {wanted} instances of deployment {dep.name} {state}"

    def _end(self, job: BatchJob, task: dict[str, Any], reason: str, change: Change) -> None:
        change.touch(job)
        job.task_due.pop(task["task_id"], None)
        self.core.timers.cancel(f"jobtask:{job.id}:{task['task_id']}")
        for listener in self.finished:
            listener(job.id, task["target_id"], reason, change)
