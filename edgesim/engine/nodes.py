"""Edge node commands: register, update, delete, start/stop, fleet agent connect.

A registered node is ``UNCONNECTED`` until its simulated agent connects (a drawn delay, see
``simulation.toml``), then ``RUNNING``. ``stop`` makes it ``STOPPED``; ``start`` lets its agent
connect again. Nodes made by fleet generation (``engine.fleet_builder``) are connected from the
start.
"""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Callable
from typing import Any

from edgesim.domain.errors import DuplicateName, InUse, NotAllowed, NotFound
from edgesim.domain.models import Node
from edgesim.domain.states import NodeState
from edgesim.engine.change import Change
from edgesim.engine.core import Core
from edgesim.engine.failover import Failover
from edgesim.engine.fleet import generate_hardware
from edgesim.engine.instances import Instances
from edgesim.engine.node_state import set_node_state
from edgesim.engine.quotas import Quotas

CONNECT = "connect"


class Nodes:
    def __init__(self, core: Core, failover: Failover, instances: Instances, quotas: Quotas) -> None:
        self.core = core
        self.world = core.world
        self.failover = failover
        self.instances = instances
        self.quotas = quotas
        # what else a node's delete needs: a reason to refuse it (something of the user's still
        # refers to it), and what goes with it in the same command (its own system certificate)
        self.delete_refusals: list[Callable[[Node], str | None]] = []
        self.deleting: list[Callable[[Node, Change], None]] = []

    # --- reads ----------------------------------------------------------------------------------

    def get(self, project_id: str, node_id: str) -> Node:
        node = self.world.nodes.get(node_id)
        if node is None or node.project_id != project_id:
            raise NotFound(f"edge node {node_id} not found")
        return node

    # --- commands -------------------------------------------------------------------------------

    async def register(
        self,
        project_id: str,
        *,
        name: str,
        description: str = "",
        enable_gpu: bool = False,
        enable_npu: bool = False,
        npu_type: str = "",
        enable_docker: bool = True,
        attributes: list[dict[str, str]] | None = None,
        tags: list[dict[str, str]] | None = None,
        log_configs: list[dict[str, Any]] | None = None,
        product_id: str = "",
        mqtt_config: dict[str, Any] | None = None,
        also: Callable[[Node, Change], None] | None = None,
    ) -> Node:
        """``also`` does more within the same command (binds devices): if it refuses, the
        node is not registered either."""
        core = self.core
        if self.world.node_named(project_id, name) is not None:
            raise DuplicateName(f"edge node name {name!r} already exists", field="node.name")
        self.quotas.check(project_id, "edge_node")
        async with core.command() as change:
            node_id, birth = core.vertex_id()
            hardware = generate_hardware(
                core.seed, node_id, core.settings.fleet.profile,
                enable_gpu=enable_gpu, enable_npu=enable_npu, npu_type=npu_type,
            )
            hardware["docker_enable"] = enable_docker
            now = core.clock.now()
            node = Node(
                id=node_id, project_id=project_id, name=name, state=NodeState.UNCONNECTED, description=description,
                created_at=now, hardware=hardware, attributes=attributes or [], tags=tags or [],
                log_configs=with_ids(node_id, log_configs or []), product_id=product_id,
                mqtt_config=mqtt_config, birth=birth,
            )
            change.touch(node)
            self.world.add_node(node)
            change.event(core.events.record("node.registered", node_id=node.id, name=name, state=node.state))
            if also is not None:
                also(node, change)
            self._schedule_connect(node, change)
        return node

    async def update(self, project_id: str, node_id: str, fields: dict[str, Any]) -> Node:
        """Change the given updatable fields (description, attributes, log_configs, ntp_servers)."""
        node = self.get(project_id, node_id)
        async with self.core.command() as change:
            change.touch(node)
            for key, value in fields.items():
                setattr(node, key, with_ids(node.id, value) if key == "log_configs" else value)
            node.updated_at = self.core.clock.now()
            change.event(self.core.events.record("node.updated", node_id=node.id))
            if "attributes" in fields:  # its labels changed: node affinity may take it now
                self.instances.retry_waiting(node.id, change)
        return node

    async def delete(self, project_id: str, node_id: str) -> None:
        node = self.get(project_id, node_id)
        if node.upgrade is not None:  # its upgrade (and a job's task) would never end
            raise NotAllowed(f"edge node {node.name} is upgrading; delete it when the upgrade has ended")
        stale = [i for i in self.world.instances_on(node.id) if i.replaced_by is not None]
        if len(stale) < len(self.world.instances_on(node.id)):
            raise InUse(f"edge node {node.name} still has application instances; delete its deployments first")
        if self.world.devices_on(node.id):
            raise InUse(f"edge node {node.name} still has devices bound; unbind them first")
        for refusal in self.delete_refusals:
            if (reason := refusal(node)) is not None:
                raise InUse(reason)
        async with self.core.command() as change:
            for inst in stale:  # copies already recreated elsewhere go with their node
                self.instances.remove(inst, change)
            for group_id in self.world.group_ids_of(node.id):
                group = self.world.groups[group_id]
                change.touch(group)
                self.world.unbind(group, node.id)
            for listener in self.deleting:
                listener(node, change)
            change.touch(node)
            for key in ("node", "node-lost"):
                self.core.timers.cancel(f"{key}:{node.id}")
            change.event(self.core.events.record("node.deleted", node_id=node.id))  # while it has a partition
            self.world.remove_node(node)

    async def act(self, project_id: str, node_id: str, action: str) -> Node:
        """``stop``: the node goes STOPPED; ``start``: a stopped node's agent connects again."""
        node = self.get(project_id, node_id)
        async with self.core.command() as change:
            if action == "stop" and node.state != NodeState.STOPPED:
                set_node_state(self.core, node, NodeState.STOPPED, change)
                node.connect_due = None
                self.core.timers.cancel(f"node:{node.id}")
                self.failover.go_silent(node, change, reason="stopped")
            elif action == "start" and node.state == NodeState.STOPPED:
                set_node_state(self.core, node, NodeState.UNCONNECTED, change)
                self._schedule_connect(node, change)
        return node

    # --- the simulated agent ----------------------------------------------------------------------

    def _schedule_connect(self, node: Node, change: Change) -> None:
        seconds = self.core.draws.seconds(
            self.core.settings.simulation.node.connect_seconds, node.id, CONNECT,
            self.world.partitions.seq(self.world.partitions.key_of(node.id)),  # its partition's last event
        )
        node.connect_due = self.core.clock.now() + seconds
        change.after_commit.append(lambda: self.arm(node))

    def arm(self, node: Node) -> None:
        if node.connect_due is not None and node.id in self.world.nodes:
            self.core.timers.set(f"node:{node.id}", node.connect_due, self._on_connect, node.id)
        self.failover.arm(node)

    async def disconnect(self, node: Node) -> Node:
        """Cut the node off: its agent stops reporting (the containers run on at the edge)."""
        if node.state not in (NodeState.RUNNING, NodeState.FAIL, NodeState.UPGRADING):  # upgrading: it fails
            raise NotAllowed(f"edge node {node.name} is {node.state}; only a connected node can be cut off")
        async with self.core.command() as change:
            self.failover.go_silent(node, change, reason="disconnected")
        return node

    async def connect(self, node: Node) -> Node:
        """Let the node report again now (a cut-off node, or a registered one not yet connected)."""
        if node.state == NodeState.STOPPED:
            raise NotAllowed(f"edge node {node.name} is STOPPED; start it with the node action instead")
        async with self.core.command() as change:
            change.touch(node)
            node.connect_due = None
            self.core.timers.cancel(f"node:{node.id}")
            await self.failover.back(node, change)
        return node

    async def _on_connect(self, node_id: str) -> None:
        node = self.world.nodes.get(node_id)
        if node is None or node.connect_due is None:
            return
        with self.core.step() as change:
            change.touch(node)
            node.connect_due = None
            await self.failover.back(node, change)


def with_ids(node_id: str, log_configs: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Log configs keep the id they were given; a new one gets an id as the service's database
    gives (derived from the node and its place, so the same requests give the same ids)."""
    return [config if config.get("id") else
            {**config, "id": str(uuid.UUID(bytes=hashlib.sha256(f"{node_id}:log:{n}:{config.get('component')}".encode()).digest()[:16]))}
            for n, config in enumerate(log_configs)]
