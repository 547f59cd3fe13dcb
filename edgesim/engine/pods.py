"""Commands on one instance of a deployment (the v3 API's pods): restart it, delete it.

A restart kills the running container and starts it again after the image's start-up time, as
the kubelet does (the image is already on the node, so there is no pull): the ``restart``
trigger, then ``started`` (``engine.lifecycle``); the container's ``restarts`` count goes up
when it runs again. While it restarts the instance keeps its state, is not ready, and
shows reason ``Restarting``. A container in CrashLoopBackOff is started at once, skipping the
rest of its back-off.

A deleted instance terminates like any other and the deployment creates a new one in its place
(on the same node for a node_ids deployment, placed anew in its group otherwise).
"""

from __future__ import annotations

from edgesim.domain.errors import NotAllowed, NotFound
from edgesim.domain.models import Deployment, Instance
from edgesim.domain.states import DeploymentState, InstanceState
from edgesim.engine.core import Core
from edgesim.engine.deployments import Deployments
from edgesim.engine.instances import Instances
from edgesim.engine.lifecycle import allows


class Pods:
    def __init__(self, core: Core, deployments: Deployments, instances: Instances) -> None:
        self.core = core
        self.world = core.world
        self.deployments = deployments
        self.instances = instances

    def instance(self, dep: Deployment, instance_id: str) -> Instance:
        inst = self.world.instances.get(instance_id)
        if inst is None or inst.deployment_id != dep.id:
            raise NotFound(f"pod {instance_id} not found in deployment {dep.id}")
        return inst

    async def restart(self, project_id: str, deployment_id: str, instance_id: str, *, label: str) -> Instance:
        """Restart the instance's container. ``label`` names the pod in refusals."""
        core = self.core
        dep = self.deployments.get(project_id, deployment_id)
        inst = self.instance(dep, instance_id)
        if dep.state == DeploymentState.PENDING_DELETE:
            raise NotAllowed(f"deployment {deployment_id} is being deleted")
        if inst.state == InstanceState.PENDING_CREATE:
            return inst  # no container yet: it starts soon anyway
        if not allows(inst, "restart"):
            raise NotAllowed(
                f"pod {label} has no container to restart (state {inst.state}); delete the pod to have it recreated"
            )
        async with core.command() as change:
            if self.instances.out_of_sight(inst):
                # the API server accepts it; the node's kubelet acts on it when it reports
                # again, after what it did meanwhile (engine.autonomy)
                if inst.restart_requested is None:
                    change.touch(inst)
                    inst.restart_requested = core.clock.now()
                    change.event(core.events.record(
                        "instance.restart_requested", instance_id=inst.id, deployment_id=dep.id, node_id=inst.node_id,
                    ))
                return inst
            self.instances.containers.restart(inst, change)
        return inst

    async def delete(self, project_id: str, deployment_id: str, instance_id: str) -> Instance | None:
        """Terminate the instance; returns the one created in its place (None if none is)."""
        core = self.core
        dep = self.deployments.get(project_id, deployment_id)
        inst = self.instance(dep, instance_id)
        if inst.state == InstanceState.TERMINATING or dep.state == DeploymentState.PENDING_DELETE:
            return None  # already on its way out, like a second delete of a deployment
        async with core.command() as change:
            change.event(core.events.record(
                "instance.deleted", instance_id=inst.id, deployment_id=dep.id, node_id=inst.node_id,
            ))
            stale_copy = inst.replaced_by is not None  # its stand-in already runs elsewhere
            await self.instances.terminate(inst, change)
            replacement = None
            if not stale_copy:
                replacement = self.instances.create(dep, inst.node_id if dep.group_id is None else None, change)
        return replacement
