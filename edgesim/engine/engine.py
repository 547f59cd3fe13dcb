"""The simulation engine: the in-memory world, the commands that change it, and its timers.

Commands from the API (create/update/delete a deployment) change memory at once, then wait for
the store to commit before they return; if the commit fails they undo the change, so a failed
request changes nothing. Simulated progress (an image pulled, a container started or stopped)
happens in clock timers; those changes are queued to the store and share the next commit.

Every timer an instance waits for is recorded on it (``phase``, ``due``), so ``start()`` on a
restarted server re-arms exactly the timers that were pending.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from edgesim.domain.errors import DuplicateName, NotAllowed, NotFound, ReferenceNotFound, Unsupported
from edgesim.domain.models import Deployment, Instance, Node
from edgesim.domain.states import DeploymentState, InstanceState
from edgesim.engine.clock import Clock, Timer
from edgesim.engine.draws import Draws
from edgesim.engine.events import EventLog
from edgesim.engine.fleet import generate_nodes
from edgesim.engine.ids import IdFactory
from edgesim.engine.lifecycle import fire
from edgesim.settings import Settings
from edgesim.store.sqlite import AppendEvent, Delete, Op, Put, Store, StoreError

log = logging.getLogger(__name__)

# App fields whose change does not touch the container, so an update does not roll instances.
NON_ROLLING_FIELDS = frozenset({"toleration_seconds", "migration"})

# Instance phases: the timer an instance is waiting for.
PULL, START, TERMINATE = "pull", "start", "terminate"


@dataclass
class _Change:
    """Store ops of one command, how to undo it in memory, and what to do once it is durable."""

    ops: list[Op] = field(default_factory=list)
    undo: list[Callable[[], None]] = field(default_factory=list)
    after_commit: list[Callable[[], None]] = field(default_factory=list)


class Engine:
    def __init__(self, settings: Settings, clock: Clock, store: Store, seed: int = 0) -> None:
        self.settings = settings
        self.clock = clock
        self.store = store
        self.seed = seed
        self.ids = IdFactory(seed)
        self.draws = Draws(seed)
        self.events = EventLog(clock.now)
        self.nodes: dict[str, Node] = {}
        self.deployments: dict[str, Deployment] = {}
        self.instances: dict[str, Instance] = {}
        self._names: dict[tuple[str, str], str] = {}  # (project_id, name) -> deployment id
        self._deployment_seq = 0
        self._timers: dict[str, Timer] = {}  # instance id -> its pending timer
        store.meta_provider = self._meta

    # --- start-up ---------------------------------------------------------------------------

    def _meta(self) -> dict[str, Any]:
        return {
            "clock_now": self.clock.now(),
            "epoch": self.clock.epoch.isoformat(),
            "seed": self.seed,
            "id_seq": self.ids.seq,
            "event_seq": self.events.seq,
            "deployment_seq": self._deployment_seq,
        }

    async def start(self) -> None:
        """Load the store's world (or create the configured fleet on an empty store)."""
        meta = await self.store.load_meta()
        self.ids.seq = meta.get("id_seq", 0)
        self.events.seq = meta.get("event_seq", 0)
        self._deployment_seq = meta.get("deployment_seq", 0)
        for body in await self.store.load_documents("node"):
            node = Node.from_dict(body)
            self.nodes[node.id] = node
        for body in await self.store.load_documents("deployment"):
            dep = Deployment.from_dict(body)
            self.deployments[dep.id] = dep
            self._names[(dep.project_id, dep.name)] = dep.id
        for body in await self.store.load_documents("instance"):
            inst = Instance.from_dict(body)
            self.instances[inst.id] = inst
        self.events.restore(await self.store.load_events())
        if not meta:
            await self._create_default_fleet()
        for inst in self.instances.values():
            if inst.phase is not None and inst.due is not None:
                self._arm(inst, inst.phase, inst.due)
        await self.checkpoint()  # the seed and epoch are on disk from the start

    async def _create_default_fleet(self) -> None:
        fleet = self.settings.fleet
        nodes = generate_nodes(
            project_id=fleet.project_id,
            count=fleet.nodes,
            name_prefix=fleet.name_prefix,
            profile=fleet.profile,
            ids=self.ids,
            seed=self.seed,
            now=self.clock.now(),
        )
        for node in nodes:
            self.nodes[node.id] = node
        await self.store.commit(Put("node", n.id, n.to_dict()) for n in nodes)

    async def checkpoint(self) -> None:
        """Commit the current meta (simulated time above all), e.g. after the clock advanced."""
        await self.store.commit([])

    # --- reads ------------------------------------------------------------------------------

    def node(self, project_id: str, node_id: str) -> Node:
        node = self.nodes.get(node_id)
        if node is None or node.project_id != project_id:
            raise NotFound(f"edge node {node_id} not found")
        return node

    def project_nodes(self, project_id: str) -> list[Node]:
        return [n for n in self.nodes.values() if n.project_id == project_id]

    def deployment_count_on(self, node_id: str) -> int:
        """Deployments with an instance on the node (terminating ones included)."""
        return len({i.deployment_id for i in self.instances.values() if i.node_id == node_id})

    def deployment(self, project_id: str, deployment_id: str) -> Deployment:
        dep = self.deployments.get(deployment_id)
        if dep is None or dep.project_id != project_id:
            raise NotFound(f"deployment {deployment_id} not found")
        return dep

    def project_deployments(self, project_id: str) -> list[Deployment]:
        return [d for d in self.deployments.values() if d.project_id == project_id]

    def instances_of(self, dep: Deployment) -> list[Instance]:
        return [self.instances[i] for i in dep.instance_ids if i in self.instances]

    # --- commands ---------------------------------------------------------------------------

    async def create_deployment(
        self,
        project_id: str,
        *,
        name: str,
        app: dict[str, Any],
        node_ids: list[str] | None = None,
        group_id: str | None = None,
        description: str = "",
        visibility: str | None = None,
    ) -> Deployment:
        if group_id is not None:
            raise Unsupported(
                "deployments to a node group (group_id) are not available yet; deploy to one node "
                "with node_ids",
                field="deployment.group_id",
            )
        nodes = [self._referenced_node(project_id, nid, "deployment.node_ids") for nid in node_ids or []]
        if (project_id, name) in self._names:
            raise DuplicateName(f"deployment name {name!r} already exists", field="deployment.name")
        now = self.clock.now()
        self._deployment_seq += 1
        dep = Deployment(
            id=self.ids.next(),
            project_id=project_id,
            name=name,
            app=app,
            seq=self._deployment_seq,
            description=description,
            node_ids=[n.id for n in nodes],
            visibility=visibility,
            created_at=now,
        )
        change = _Change()
        self.deployments[dep.id] = dep
        self._names[(project_id, name)] = dep.id
        change.undo.append(lambda: (self.deployments.pop(dep.id, None), self._names.pop((project_id, name), None)))
        change.ops.append(self.events.record("deployment.created", deployment_id=dep.id, name=name))
        for node in nodes:
            self._add_instance(dep, node, change)
        change.ops.append(Put("deployment", dep.id, dep.to_dict()))
        await self._commit(change)
        return dep

    async def update_deployment(
        self,
        project_id: str,
        deployment_id: str,
        *,
        description: str | None = None,
        app_changes: dict[str, Any] | None = None,
    ) -> Deployment:
        dep = self.deployment(project_id, deployment_id)
        if dep.state == DeploymentState.PENDING_DELETE:
            raise NotAllowed(f"deployment {deployment_id} is being deleted")
        new_app = {**dep.app, **(app_changes or {})}
        rolls = any(new_app.get(k) != dep.app.get(k) for k in new_app if k not in NON_ROLLING_FIELDS)
        if description is None and new_app == dep.app:
            return dep
        before = dep.to_dict()
        change = _Change()
        change.undo.append(lambda: self._restore_deployment(before))
        dep.app = new_app
        if description is not None:
            dep.description = description
        dep.updated_at = self.clock.now()
        change.ops.append(self.events.record("deployment.updated", deployment_id=dep.id, rolled=rolls))
        if rolls:
            for old in [i for i in self.instances_of(dep) if i.state != InstanceState.TERMINATING]:
                await self._begin_terminate(old, change)
                self._add_instance(dep, self.nodes[old.node_id], change)
        change.ops.append(Put("deployment", dep.id, dep.to_dict()))
        await self._commit(change)
        return dep

    async def delete_deployment(self, project_id: str, deployment_id: str, *, force: bool = False) -> None:
        dep = self.deployment(project_id, deployment_id)
        change = _Change()
        if force:
            self._remove_deployment(dep, change)
        elif dep.state != DeploymentState.PENDING_DELETE:
            before = dep.to_dict()
            change.undo.append(lambda: self._restore_deployment(before))
            dep.state = DeploymentState.PENDING_DELETE
            change.ops.append(self.events.record("deployment.deleting", deployment_id=dep.id))
            for inst in self.instances_of(dep):
                if inst.state != InstanceState.TERMINATING:
                    await self._begin_terminate(inst, change)
            if dep.instance_ids:
                change.ops.append(Put("deployment", dep.id, dep.to_dict()))
            else:
                self._remove_deployment(dep, change)
        await self._commit(change)

    # --- helpers for commands ---------------------------------------------------------------

    def _referenced_node(self, project_id: str, node_id: str, field_name: str) -> Node:
        node = self.nodes.get(node_id)
        if node is None or node.project_id != project_id:
            raise ReferenceNotFound(f"edge node {node_id} not found", field=field_name)
        return node

    async def _commit(self, change: _Change) -> None:
        try:
            await self.store.commit(change.ops)
        except StoreError:
            for undo in reversed(change.undo):
                undo()
            self.events.discard({op.seq for op in change.ops if isinstance(op, AppendEvent)})
            raise
        for action in change.after_commit:
            action()

    def _restore_deployment(self, body: dict[str, Any]) -> None:
        dep = Deployment.from_dict(body)
        self.deployments[dep.id] = dep
        self._names[(dep.project_id, dep.name)] = dep.id

    def _add_instance(self, dep: Deployment, node: Node, change: _Change) -> Instance:
        """A new PENDING_CREATE instance of ``dep`` on ``node``; its pull starts on commit."""
        now = self.clock.now()
        inst = Instance(
            id=self.ids.next(),
            deployment_id=dep.id,
            project_id=dep.project_id,
            node_id=node.id,
            app=dep.app,
            group_id=dep.group_id,
            created_at=now,
        )
        timings = self.settings.simulation.instance
        pull = self.draws.seconds(timings.pull_seconds, inst.id, PULL)
        self._set_phase(inst, PULL, now + pull, "ContainerCreating", f"pulling image {dep.app['image_url']}")
        self.instances[inst.id] = inst
        dep.instance_ids.append(inst.id)

        def undo() -> None:
            self.instances.pop(inst.id, None)
            if inst.id in dep.instance_ids:
                dep.instance_ids.remove(inst.id)

        change.undo.append(undo)
        change.after_commit.append(lambda: self._arm(inst, inst.phase, inst.due))
        change.ops.append(self.events.record(
            "instance.created", instance_id=inst.id, deployment_id=dep.id, node_id=node.id,
            state=inst.state,
        ))
        change.ops.append(Put("instance", inst.id, inst.to_dict()))
        return inst

    async def _begin_terminate(self, inst: Instance, change: _Change) -> None:
        before = inst.to_dict()
        old_state = inst.state
        self._disarm(inst)
        await fire(inst, "terminate")
        seconds = self.draws.seconds(self.settings.simulation.instance.terminate_seconds, inst.id, TERMINATE)
        self._set_phase(inst, TERMINATE, self.clock.now() + seconds, None, None)

        def undo() -> None:
            restored = Instance.from_dict(before)
            self.instances[inst.id] = restored
            if restored.phase is not None:
                self._arm(restored, restored.phase, restored.due)

        change.undo.append(undo)
        change.after_commit.append(lambda: self._arm(inst, inst.phase, inst.due))
        change.ops.append(self._state_event(inst, old_state))
        change.ops.append(Put("instance", inst.id, inst.to_dict()))

    def _remove_deployment(self, dep: Deployment, change: _Change) -> None:
        """Drop the deployment and its instances from memory and store (force delete)."""
        removed = [self.instances.pop(i) for i in dep.instance_ids if i in self.instances]
        for inst in removed:
            self._disarm(inst)
            change.ops.append(Delete("instance", inst.id))
        self.deployments.pop(dep.id, None)
        self._names.pop((dep.project_id, dep.name), None)

        def undo() -> None:
            self.deployments[dep.id] = dep
            self._names[(dep.project_id, dep.name)] = dep.id
            for inst in removed:
                self.instances[inst.id] = inst
                if inst.phase is not None:
                    self._arm(inst, inst.phase, inst.due)

        change.undo.append(undo)
        change.ops.append(self.events.record("deployment.deleted", deployment_id=dep.id))
        change.ops.append(Delete("deployment", dep.id))

    # --- timers: the simulated world moving on ----------------------------------------------

    @staticmethod
    def _set_phase(inst: Instance, phase: str | None, due: float | None, reason: str | None, message: str | None) -> None:
        inst.phase, inst.due, inst.reason, inst.message = phase, due, reason, message

    def _arm(self, inst: Instance, phase: str | None, due: float | None) -> None:
        self._disarm(inst)
        if phase is not None and due is not None:
            self._timers[inst.id] = self.clock.call_at(due, self._on_timer, inst.id, phase)

    def _disarm(self, inst: Instance) -> None:
        timer = self._timers.pop(inst.id, None)
        if timer is not None:
            timer.cancel()

    async def _on_timer(self, instance_id: str, phase: str) -> None:
        inst = self.instances.get(instance_id)
        if inst is None or inst.phase != phase:
            return  # the instance moved on (deleted, rolled) after this timer was set
        self._timers.pop(instance_id, None)
        ops: list[Op] = []
        if phase == PULL:
            seconds = self.draws.seconds(self.settings.simulation.instance.start_seconds, inst.id, START)
            self._set_phase(inst, START, self.clock.now() + seconds, "ContainerCreating", "starting container")
            self._arm(inst, inst.phase, inst.due)
            ops.append(self.events.record("instance.pulled", instance_id=inst.id, deployment_id=inst.deployment_id))
        elif phase == START:
            old_state = inst.state
            await fire(inst, "started")
            self._set_phase(inst, None, None, None, None)
            ops.append(self._state_event(inst, old_state))
        elif phase == TERMINATE:
            self._finish_terminate(inst, ops)
            self.store.submit(ops)
            return
        ops.append(Put("instance", inst.id, inst.to_dict()))
        self.store.submit(ops)

    def _finish_terminate(self, inst: Instance, ops: list[Op]) -> None:
        self.instances.pop(inst.id, None)
        ops.append(Delete("instance", inst.id))
        ops.append(self.events.record("instance.removed", instance_id=inst.id, deployment_id=inst.deployment_id))
        dep = self.deployments.get(inst.deployment_id)
        if dep is None:
            return
        if inst.id in dep.instance_ids:
            dep.instance_ids.remove(inst.id)
        if dep.state == DeploymentState.PENDING_DELETE and not dep.instance_ids:
            self.deployments.pop(dep.id, None)
            self._names.pop((dep.project_id, dep.name), None)
            ops.append(Delete("deployment", dep.id))
            ops.append(self.events.record("deployment.deleted", deployment_id=dep.id))
        else:
            ops.append(Put("deployment", dep.id, dep.to_dict()))

    def _state_event(self, inst: Instance, old_state: str) -> Op:
        return self.events.record(
            "instance.state", instance_id=inst.id, deployment_id=inst.deployment_id,
            node_id=inst.node_id, **{"from": old_state, "to": inst.state},
        )
