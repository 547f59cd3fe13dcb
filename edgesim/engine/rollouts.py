"""Rolling updates of group deployments, as a Kubernetes Deployment rolls by default.

IEF has no strategy field, so the Kubernetes defaults apply (docs/behaviors.md, "Rolling
updates"): max surge 25% of ``replicas`` rounded up, max unavailable 25% rounded down, and max
unavailable 1 if both come to 0. New instances (the deployment's current ``revision``) are
created while at most ``replicas + surge`` instances serve; old ones (any earlier revision)
are terminated while at least ``replicas - unavailable`` stay available (RUNNING and ready).

The rollout is event-driven: every command and step that touched an instance of a rolling
deployment reconciles it (``Core.change_listeners``). The only timer is the progress deadline:
``PROGRESS_DEADLINE_SECONDS`` without progress marks the rollout stuck (Kubernetes condition
Progressing=False, reason ProgressDeadlineExceeded); it goes on trying, as a Deployment does.
"""

from __future__ import annotations

import math

from edgesim.domain.models import Deployment, Instance
from edgesim.domain.states import DeploymentState, InstanceState
from edgesim.engine.change import Change
from edgesim.engine.core import Core
from edgesim.engine.instances import Instances
from edgesim.engine.world import WAIT

PROGRESS_DEADLINE_SECONDS = 600.0  # Kubernetes progressDeadlineSeconds default

ROLLING, COMPLETE, STUCK = "rolling", "complete", "stuck"


def budgets(replicas: int) -> tuple[int, int]:
    """(max surge, max unavailable) for ``replicas``, rounded as Kubernetes rounds 25%."""
    surge = math.ceil(replicas * 25 / 100)
    unavailable = math.floor(replicas * 25 / 100)
    if surge == 0 and unavailable == 0:
        unavailable = 1
    return surge, unavailable


def available(inst: Instance) -> bool:
    return inst.state == InstanceState.RUNNING and bool(inst.is_ready)


def _newest_unwanted_first(inst: Instance) -> tuple[bool, float]:
    # as a ReplicaSet scales down: waiting ones first, then the newest
    return (inst.phase != WAIT, -inst.created_at)


class Rollouts:
    def __init__(self, core: Core, instances: Instances) -> None:
        self.core = core
        self.world = core.world
        self.instances = instances
        core.change_listeners.append(self._on_change)

    def rolling(self, dep: Deployment) -> bool:
        return dep.rollout is not None and dep.rollout["status"] != COMPLETE

    def start(self, dep: Deployment, change: Change) -> None:
        """The template changed (``dep.revision`` is the new one): roll towards it. A rollout
        under way rolls on to the newest template: older instances are all old."""
        now = self.core.clock.now()
        surge, unavailable = budgets(dep.replicas)
        change.touch(dep)
        dep.rollout = {"revision": dep.revision, "started_at": now, "progress_at": now, "available": 0,
                       "status": ROLLING}
        change.event(self.core.events.record(
            "deployment.rollout_started", deployment_id=dep.id, revision=dep.revision,
            max_surge=surge, max_unavailable=unavailable,
        ))
        self.reconcile(dep, change)

    def _on_change(self, change: Change) -> None:
        seen: list[str] = []
        for record in change.touched():
            dep_id = record.deployment_id if isinstance(record, Instance) else None
            if dep_id is not None and dep_id not in seen:
                seen.append(dep_id)
        for dep_id in seen:
            dep = self.world.deployments.get(dep_id)
            if dep is not None and self.rolling(dep):
                self.reconcile(dep, change)

    def serving(self, dep: Deployment) -> list[Instance]:
        return [i for i in self.world.instances_of(dep)
                if i.state != InstanceState.TERMINATING and i.replaced_by is None]

    def reconcile(self, dep: Deployment, change: Change) -> None:
        """Scale the new instances up and the old down within the budgets, until nothing more
        can be done now; then note progress, or the end of the rollout."""
        if dep.rollout is None or dep.state == DeploymentState.PENDING_DELETE:
            return
        progressed = False
        while self._step(dep, change):
            progressed = True
        rollout = dep.rollout
        old, new = self._split(dep)
        new_available = sum(1 for i in new if available(i))
        if new_available > rollout["available"]:
            progressed = True
        if progressed or new_available != rollout["available"]:
            change.touch(dep)
            rollout["available"] = new_available
        if not old and len(new) == dep.replicas and new_available == dep.replicas:
            change.touch(dep)
            rollout["status"] = COMPLETE
            rollout["progress_at"] = self.core.clock.now()
            change.event(self.core.events.record(
                "deployment.rollout_complete", deployment_id=dep.id, revision=dep.revision,
            ))
            self.core.timers.cancel(f"rollout:{dep.id}")
            return
        if progressed:
            change.touch(dep)
            rollout["progress_at"] = self.core.clock.now()
            rollout["status"] = ROLLING  # a stuck rollout that moves again is progressing again
            change.after_commit.append(lambda: self.arm(dep))

    def _split(self, dep: Deployment) -> tuple[list[Instance], list[Instance]]:
        serving = self.serving(dep)
        return ([i for i in serving if i.revision != dep.revision],
                [i for i in serving if i.revision == dep.revision])

    def _step(self, dep: Deployment, change: Change) -> bool:
        """One round of the Deployment controller: True if it created or terminated any."""
        replicas = dep.replicas
        surge, unavailable = budgets(replicas)
        old, new = self._split(dep)
        acted = False
        for inst in sorted(new, key=_newest_unwanted_first)[: max(0, len(new) - replicas)]:
            self.instances.stop(inst, change)  # scaled down during the rollout
            new.remove(inst)
            acted = True
        for _ in range(max(0, min(replicas + surge - len(old) - len(new), replicas - len(new)))):
            new.append(self.instances.create(dep, None, change))
            acted = True
        min_available = replicas - unavailable
        new_unavailable = sum(1 for i in new if not available(i))
        max_down = len(old) + len(new) - min_available - new_unavailable
        if max_down <= 0:
            return acted
        # old instances that do not serve anyway go first, then available ones down to the floor
        unhealthy = sorted((i for i in old if not available(i)), key=_newest_unwanted_first)[:max_down]
        for inst in unhealthy:
            self.instances.stop(inst, change)
            old.remove(inst)
        acted = acted or bool(unhealthy)
        total_available = sum(1 for i in [*old, *new] if available(i))
        down = min(max_down - len(unhealthy), total_available - min_available)
        for inst in sorted(old, key=_newest_unwanted_first)[: max(0, down)]:
            self.instances.stop(inst, change)
            acted = True
        return acted

    # --- the progress deadline ------------------------------------------------------------------

    def arm(self, dep: Deployment) -> None:
        rollout = dep.rollout
        if rollout is None or rollout["status"] != ROLLING or dep.id not in self.world.deployments:
            self.core.timers.cancel(f"rollout:{dep.id}")
            return
        due = rollout["progress_at"] + PROGRESS_DEADLINE_SECONDS
        self.core.timers.set(f"rollout:{dep.id}", due, self._deadline, dep.id, rollout["progress_at"])

    def _deadline(self, deployment_id: str, progress_at: float) -> None:
        dep = self.world.deployments.get(deployment_id)
        if dep is None or dep.rollout is None or dep.rollout["status"] != ROLLING:
            return
        if dep.rollout["progress_at"] != progress_at:
            return  # it progressed after this timer was set
        with self.core.step() as change:
            change.touch(dep)
            dep.rollout["status"] = STUCK
            change.event(self.core.events.record(
                "deployment.rollout_stuck", deployment_id=dep.id, revision=dep.revision,
                reason="ProgressDeadlineExceeded", progress_at=progress_at,
            ))
