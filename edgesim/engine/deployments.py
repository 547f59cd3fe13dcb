"""Deployment commands: create, update (rolling the instances), delete."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from edgesim.domain.errors import DuplicateName, NoRoom, NotAllowed, NotFound, ReferenceNotFound
from edgesim.domain.models import Deployment, Instance
from edgesim.domain.resources import requests_of
from edgesim.domain.states import DeploymentState, InstanceState
from edgesim.engine.change import Change

if TYPE_CHECKING:
    from edgesim.engine.engine import Engine

# App fields whose change does not touch the container, so an update does not roll instances.
NON_ROLLING_FIELDS = frozenset({"toleration_seconds", "migration"})


class Deployments:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.world = engine.world

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
        app: dict[str, Any],
        node_ids: list[str] | None = None,
        group_id: str | None = None,
        description: str = "",
        visibility: str | None = None,
        tags: list[dict[str, str]] | None = None,
    ) -> Deployment:
        engine, world = self.engine, self.world
        nodes = [engine.nodes.referenced(project_id, nid, "deployment.node_ids") for nid in node_ids or []]
        if group_id is not None:
            group = world.groups.get(group_id)
            if group is None or group.project_id != project_id:
                raise ReferenceNotFound(f"node group {group_id} not found", field="deployment.group_id")
            if not engine.placement.fits_somewhere(group_id, requests_of(app)):
                raise NoRoom(f"no RUNNING node of group {group.name} has room for the instance", field="deployment.group_id")
        if world.deployment_named(project_id, name) is not None:
            raise DuplicateName(f"deployment name {name!r} already exists", field="deployment.name")
        engine.quotas.check(project_id, "deployment")
        dep = Deployment(
            id=engine.ids.next(),
            project_id=project_id,
            name=name,
            app=app,
            seq=engine.next_deployment_seq(),
            description=description,
            node_ids=[n.id for n in nodes],
            group_id=group_id,
            visibility=visibility,
            tags=tags or [],
            created_at=engine.clock.now(),
        )
        change = engine.change()
        change.touch(dep)
        world.add_deployment(dep)
        change.event(engine.events.record("deployment.created", deployment_id=dep.id, name=name))
        for node_id in dep.node_ids or [None]:
            engine.instances.create(dep, node_id, change)
        await engine.commit(change)
        return dep

    async def update(
        self,
        project_id: str,
        deployment_id: str,
        *,
        description: str | None = None,
        app_changes: dict[str, Any] | None = None,
    ) -> Deployment:
        engine = self.engine
        dep = self.get(project_id, deployment_id)
        if dep.state == DeploymentState.PENDING_DELETE:
            raise NotAllowed(f"deployment {deployment_id} is being deleted")
        new_app = {**dep.app, **(app_changes or {})}
        if description is None and new_app == dep.app:
            return dep
        rolls = any(new_app.get(k) != dep.app.get(k) for k in new_app if k not in NON_ROLLING_FIELDS)
        change = engine.change()
        change.touch(dep)
        dep.app = new_app
        if description is not None:
            dep.description = description
        dep.updated_at = engine.clock.now()
        change.event(engine.events.record("deployment.updated", deployment_id=dep.id, rolled=rolls))
        if rolls:
            for old in self.world.instances_of(dep):
                if old.state != InstanceState.TERMINATING:
                    await engine.instances.terminate(old, change)
                    engine.instances.create(dep, old.node_id if dep.group_id is None else None, change)
        await engine.commit(change)
        return dep

    async def delete(self, project_id: str, deployment_id: str, *, force: bool = False) -> None:
        engine = self.engine
        dep = self.get(project_id, deployment_id)
        change = engine.change()
        if force:
            for inst in self.world.instances_of(dep):
                engine.instances.remove(inst, change)
            self._drop(dep, change)
        elif dep.state != DeploymentState.PENDING_DELETE:
            change.touch(dep)
            dep.state = DeploymentState.PENDING_DELETE
            change.event(engine.events.record("deployment.deleting", deployment_id=dep.id))
            for inst in self.world.instances_of(dep):
                if inst.state != InstanceState.TERMINATING:
                    await engine.instances.terminate(inst, change)
            if not dep.instance_ids:
                self._drop(dep, change)
        await engine.commit(change)

    def removed_instance(self, inst: Instance, change: Change) -> None:
        """An instance finished terminating: a deleted deployment goes once its last one is gone."""
        dep = self.world.deployments.get(inst.deployment_id)
        if dep is not None and dep.state == DeploymentState.PENDING_DELETE and not dep.instance_ids:
            self._drop(dep, change)

    def _drop(self, dep: Deployment, change: Change) -> None:
        change.touch(dep)
        self.world.remove_deployment(dep)
        change.event(self.engine.events.record("deployment.deleted", deployment_id=dep.id))
