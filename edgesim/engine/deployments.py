"""Deployment commands: create, update (rolling or scaling the instances), delete."""

from __future__ import annotations

from typing import Any

from edgesim.domain.app_spec import AppSpec
from edgesim.domain.errors import DomainError, DuplicateName, NoRoom, NotAllowed, NotFound, ReferenceNotFound
from edgesim.domain.models import Deployment, Instance, Node
from edgesim.domain.resources import requests_of
from edgesim.domain.states import DeploymentState, InstanceState
from edgesim.engine.change import Change
from edgesim.engine.core import Core
from edgesim.engine.instances import Instances
from edgesim.engine.placement import Placement
from edgesim.engine.quotas import Quotas
from edgesim.engine.references import referenced_node
from edgesim.engine.rollouts import Rollouts
from edgesim.engine.undo import next_number
from edgesim.engine.world import WAIT


class Deployments:
    def __init__(self, core: Core, instances: Instances, placement: Placement, quotas: Quotas) -> None:
        self.core = core
        self.world = core.world
        self.instances = instances
        self.placement = placement
        self.quotas = quotas
        self.rollouts = Rollouts(core, instances)
        self.seq = 0  # deployments numbered in creation order (kept in the store's meta)

    def get(self, project_id: str, deployment_id: str) -> Deployment:
        dep = self.world.deployments.get(deployment_id)
        if dep is None or dep.project_id != project_id:
            raise NotFound(f"deployment {deployment_id} not found")
        return dep

    async def create(
        self,
        project_id: str,
        *,
        name: str,
        app: AppSpec,
        node_ids: list[str] | None = None,
        group_id: str | None = None,
        description: str = "",
        visibility: str | None = None,
        tags: list[dict[str, str]] | None = None,
        replicas: int = 1,
        extras: dict[str, Any] | None = None,
        field_prefix: str = "deployment.",
    ) -> Deployment:
        """``extras``: other Deployment fields kept as given (the v3 API's source, annotations...).
        ``field_prefix`` is where the request body holds the fields an error names."""
        nodes = self.check_create(project_id, name=name, app=app, node_ids=node_ids, group_id=group_id,
                                  replicas=replicas, field_prefix=field_prefix)
        async with self.core.command() as change:
            dep = self.add(project_id, change, name=name, app=app, node_ids=[n.id for n in nodes], group_id=group_id,
                           description=description, visibility=visibility, tags=tags, replicas=replicas, extras=extras)
        return dep

    def check_create(
        self, project_id: str, *, name: str, app: AppSpec, node_ids: list[str] | None, group_id: str | None,
        replicas: int, field_prefix: str = "deployment.",
    ) -> list[Node]:
        """Raise the domain error a create of these would meet; the referenced nodes if none."""
        world = self.world
        nodes = [referenced_node(world, project_id, nid, f"{field_prefix}node_ids") for nid in node_ids or []]
        _check_replicas(node_ids, replicas, f"{field_prefix}replicas")
        if group_id is not None:
            group = world.groups.get(group_id)
            if group is None or group.project_id != project_id:
                raise ReferenceNotFound(f"node group {group_id} not found", field=f"{field_prefix}group_id")
            # only the first replica must fit now; the others wait for room like any instance
            if not self.placement.fits_somewhere(group_id, requests_of(app)):
                raise NoRoom(f"no RUNNING node of group {group.name} has room for the instance", field=f"{field_prefix}group_id")
        if world.deployment_named(project_id, name) is not None:
            raise DuplicateName(f"deployment name {name!r} already exists", field=f"{field_prefix}name")
        self.quotas.check(project_id, "deployment")
        return nodes

    def add(
        self, project_id: str, change: Change, *, name: str, app: AppSpec, node_ids: list[str],
        group_id: str | None, description: str = "", visibility: str | None = None,
        tags: list[dict[str, str]] | None = None, replicas: int = 1, extras: dict[str, Any] | None = None,
    ) -> Deployment:
        """The deployment and its instances, within ``change`` (``check_create`` passed): also
        what a batch job's deploy task does (engine.job_tasks)."""
        core = self.core
        dep = Deployment(
            id=core.partition_id(group_id if group_id is not None else node_ids[0]),
            project_id=project_id,
            name=name,
            app=app.to_dict(),
            seq=self._next_seq(),
            description=description,
            node_ids=list(node_ids),
            group_id=group_id,
            visibility=visibility,
            tags=tags or [],
            created_at=core.clock.now(),
            replicas=replicas,
            **(extras or {}),
        )
        change.touch(dep)
        self.world.add_deployment(dep)
        change.event(core.events.record("deployment.created", deployment_id=dep.id, name=name))
        self._create_instances(dep, change)
        return dep

    async def update(
        self,
        project_id: str,
        deployment_id: str,
        *,
        description: str | None = None,
        app_changes: dict[str, Any] | None = None,
        app: AppSpec | None = None,
        replicas: int | None = None,
        extras: dict[str, Any] | None = None,
        field_prefix: str = "deployment.",
    ) -> Deployment:
        """``app_changes`` changes some app fields (v2); ``app`` replaces the whole app spec (a v3
        template). ``extras``: other Deployment fields of the pod spec (v3 init containers,
        affinity); a change of them rolls the instances like a change of the app."""
        dep = self.get(project_id, deployment_id)
        new_replicas = self.check_update(dep, replicas, field_prefix)
        new_app = app if app is not None else dep.spec.changed(app_changes or {})
        new_extras = changed_extras(dep, extras)
        if description is None and new_app == dep.spec and new_replicas == dep.replicas and not new_extras:
            return dep
        async with self.core.command() as change:
            self.apply_update(dep, change, description=description, app=new_app, replicas=new_replicas, extras=new_extras)
        return dep

    def check_update(self, dep: Deployment, replicas: int | None, field_prefix: str = "deployment.") -> int:
        """Raise the domain error an update of ``dep`` would meet; the replicas it would want."""
        if dep.state == DeploymentState.PENDING_DELETE:
            raise NotAllowed(f"deployment {dep.id} is being deleted")
        new_replicas = dep.replicas if replicas is None else replicas
        _check_replicas(dep.node_ids, new_replicas, f"{field_prefix}replicas")
        return new_replicas

    def apply_update(
        self, dep: Deployment, change: Change, *, description: str | None, app: AppSpec, replicas: int,
        extras: dict[str, Any],
    ) -> None:
        """Change ``dep`` within ``change`` (``update`` checked the values; ``extras`` holds only
        fields that differ): roll its instances if the container changed, else scale. Also what a
        batch job's app upgrade task does (engine.job_tasks)."""
        core = self.core
        rolls = bool(extras) or not app.runs_like(dep.spec)
        change.touch(dep)
        dep.spec = app
        for key, value in extras.items():
            setattr(dep, key, value)
        if replicas != dep.replicas:
            change.event(core.events.record("deployment.scaled", deployment_id=dep.id,
                                              **{"from": dep.replicas, "to": replicas}))
            dep.replicas = replicas
        if description is not None:
            dep.description = description
        dep.updated_at = core.clock.now()
        change.event(core.events.record("deployment.updated", deployment_id=dep.id, rolled=rolls))
        if rolls:
            dep.revision += 1
        if rolls and dep.group_id is not None:
            self.rollouts.start(dep, change)  # a group deployment rolls (engine.rollouts)
        elif rolls:
            # a node_ids deployment's instance is bound to its node: replaced in place
            for old in self.world.instances_of(dep):
                if old.state != InstanceState.TERMINATING:
                    self.instances.stop(old, change)
            self._create_instances(dep, change)
        elif self.rollouts.rolling(dep):
            self.rollouts.reconcile(dep, change)  # a scale change rolls on with the new count
        else:
            self._scale(dep, change)

    def _create_instances(self, dep: Deployment, change: Change) -> None:
        """A full set of new instances: one per node of a node_ids deployment, else ``replicas``."""
        targets: list[str | None] = [*dep.node_ids] or [None] * dep.replicas
        for node_id in targets:
            self.instances.create(dep, node_id, change)

    def serving(self, dep: Deployment) -> list[Instance]:
        """Instances that count towards ``replicas``: not on their way out, not stale copies."""
        return [i for i in self.world.instances_of(dep)
                if i.state != InstanceState.TERMINATING and i.replaced_by is None]

    def _scale(self, dep: Deployment, change: Change) -> None:
        """Add or remove group instances until ``replicas`` serve; waiting ones go first, then
        the newest (as a Kubernetes ReplicaSet does)."""
        if dep.group_id is None:
            return  # a node_ids deployment's instance is bound to its node and replaced in place
        serving = self.serving(dep)
        for _ in range(dep.replicas - len(serving)):
            self.instances.create(dep, None, change)
        surplus = sorted(serving, key=lambda i: (i.phase != WAIT, -i.created_at))[: max(0, len(serving) - dep.replicas)]
        for inst in surplus:
            self.instances.stop(inst, change)

    async def delete(self, project_id: str, deployment_id: str, *, force: bool = False) -> None:
        core = self.core
        dep = self.get(project_id, deployment_id)
        async with core.command() as change:
            if force:
                for inst in self.world.instances_of(dep):
                    self._forget_on_silent_node(inst, change)
                    self.instances.remove(inst, change)
                self._drop(dep, change)
            elif dep.state != DeploymentState.PENDING_DELETE:
                change.touch(dep)
                dep.state = DeploymentState.PENDING_DELETE
                change.event(core.events.record("deployment.deleting", deployment_id=dep.id))
                for inst in self.world.instances_of(dep):
                    if inst.state != InstanceState.TERMINATING:
                        await self.instances.terminate(inst, change)
                if not dep.instance_ids:
                    self._drop(dep, change)

    def _forget_on_silent_node(self, inst: Instance, change: Change) -> None:
        """A forced delete does not wait for the node (Kubernetes' --force --grace-period=0):
        a node that cannot be told now removes the container when it reports again."""
        node = self.world.nodes.get(inst.node_id or "")
        if node is not None and self.instances.out_of_sight(inst) and inst.phase != WAIT:
            change.touch(node)
            node.cleanup_on_return = [*node.cleanup_on_return,
                                      {"instance_id": inst.id, "deployment_id": inst.deployment_id}]

    def _next_seq(self) -> int:
        return next_number(self, "seq")

    def removed_instance(self, inst: Instance, change: Change) -> None:
        """An instance finished terminating: a deleted deployment goes once its last one is gone."""
        dep = self.world.deployments.get(inst.deployment_id)
        if dep is not None and dep.state == DeploymentState.PENDING_DELETE and not dep.instance_ids:
            self._drop(dep, change)

    def _drop(self, dep: Deployment, change: Change) -> None:
        change.touch(dep)
        change.event(self.core.events.record("deployment.deleted", deployment_id=dep.id))  # while it is located
        self.world.remove_deployment(dep)


def changed_extras(dep: Deployment, extras: dict[str, Any] | None) -> dict[str, Any]:
    """The ``extras`` (Deployment fields of the pod spec) whose value differs from ``dep``'s."""
    return {k: v for k, v in (extras or {}).items() if getattr(dep, k) != v}


def _check_replicas(node_ids: list[str] | None, replicas: int, field: str) -> None:
    if replicas < 1:
        raise DomainError("replicas must be at least 1", field=field)
    if node_ids and replicas != 1:
        raise DomainError("a deployment to node_ids runs exactly one instance per node; replicas must be 1", field=field)
