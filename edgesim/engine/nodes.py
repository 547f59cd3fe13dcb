"""Edge node commands: register, update, delete, start/stop, fleet generation, agent connect.

A registered node is ``UNCONNECTED`` until its simulated agent connects (a drawn delay, see
``simulation.toml``), then ``RUNNING``. ``stop`` makes it ``STOPPED``; ``start`` lets its agent
connect again. Nodes made by fleet generation are connected from the start.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from edgesim.domain.errors import DuplicateName, InUse, NotAllowed, NotFound, ReferenceNotFound
from edgesim.domain.models import Group, Node
from edgesim.domain.states import NodeState
from edgesim.engine.change import Change
from edgesim.engine.fleet import generate_hardware
from edgesim.settings import FleetProfile

if TYPE_CHECKING:
    from edgesim.engine.engine import Engine

CONNECT = "connect"


class Nodes:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.world = engine.world

    # --- reads ----------------------------------------------------------------------------------

    def get(self, project_id: str, node_id: str) -> Node:
        node = self.world.nodes.get(node_id)
        if node is None or node.project_id != project_id:
            raise NotFound(f"edge node {node_id} not found")
        return node

    def referenced(self, project_id: str, node_id: str, field: str) -> Node:
        """A node named in a request body (not the path): a missing one is a bad request."""
        node = self.world.nodes.get(node_id)
        if node is None or node.project_id != project_id:
            raise ReferenceNotFound(f"edge node {node_id} not found", field=field)
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
    ) -> Node:
        engine = self.engine
        if self.world.node_named(project_id, name) is not None:
            raise DuplicateName(f"edge node name {name!r} already exists", field="node.name")
        engine.quotas.check(project_id, "edge_node")
        async with engine.command() as change:
            node_id = engine.ids.next()
            hardware = generate_hardware(
                engine.seed, node_id, engine.settings.fleet.profile,
                enable_gpu=enable_gpu, enable_npu=enable_npu, npu_type=npu_type,
            )
            hardware["docker_enable"] = enable_docker
            now = engine.clock.now()
            node = Node(
                id=node_id, project_id=project_id, name=name, state=NodeState.UNCONNECTED, description=description,
                created_at=now, hardware=hardware, attributes=attributes or [], tags=tags or [],
                log_configs=log_configs or [],
            )
            change.touch(node)
            self.world.add_node(node)
            change.event(engine.events.record("node.registered", node_id=node.id, name=name, state=node.state))
            self._schedule_connect(node, change)
        return node

    async def update(self, project_id: str, node_id: str, fields: dict[str, Any]) -> Node:
        """Change the given updatable fields (description, attributes, log_configs, ntp_servers)."""
        node = self.get(project_id, node_id)
        async with self.engine.command() as change:
            change.touch(node)
            for key, value in fields.items():
                setattr(node, key, value)
            node.updated_at = self.engine.clock.now()
            change.event(self.engine.events.record("node.updated", node_id=node.id))
        return node

    async def delete(self, project_id: str, node_id: str) -> None:
        node = self.get(project_id, node_id)
        stale = [i for i in self.world.instances_on(node.id) if i.replaced_by is not None]
        if len(stale) < len(self.world.instances_on(node.id)):
            raise InUse(f"edge node {node.name} still has application instances; delete its deployments first")
        async with self.engine.command() as change:
            for inst in stale:  # copies already recreated elsewhere go with their node
                self.engine.instances.remove(inst, change)
            for group_id in self.world.group_ids_of(node.id):
                group = self.world.groups[group_id]
                change.touch(group)
                self.world.unbind(group, node.id)
            change.touch(node)
            for key in ("node", "node-lost"):
                self.engine.timers.cancel(f"{key}:{node.id}")
            self.world.remove_node(node)
            change.event(self.engine.events.record("node.deleted", node_id=node.id))

    async def act(self, project_id: str, node_id: str, action: str) -> Node:
        """``stop``: the node goes STOPPED; ``start``: a stopped node's agent connects again."""
        node = self.get(project_id, node_id)
        async with self.engine.command() as change:
            if action == "stop" and node.state != NodeState.STOPPED:
                self.set_state(node, NodeState.STOPPED, change)
                node.connect_due = None
                self.engine.timers.cancel(f"node:{node.id}")
                self.engine.failover.go_silent(node, change, reason="stopped")
            elif action == "start" and node.state == NodeState.STOPPED:
                self.set_state(node, NodeState.UNCONNECTED, change)
                self._schedule_connect(node, change)
        return node

    async def create_fleet(
        self,
        project_id: str,
        *,
        count: int,
        groups: dict[str, int],
        profile: FleetProfile,
        name_prefix: str,
    ) -> tuple[list[Node], list[Group]]:
        """``count`` RUNNING nodes named ``{prefix}-{n:03d}`` (numbering after existing ones) and
        groups taking consecutive slices of them; all in one commit."""
        engine = self.engine
        taken = [name for name in groups if self.engine.world.group_named(project_id, name) is not None]
        if taken:
            raise DuplicateName(f"node group {taken[0]!r} already exists", field=f"groups.{taken[0]}")
        engine.quotas.check(project_id, "edge_node", adding=count)
        engine.quotas.check(project_id, "edge_group", adding=len(groups))
        async with engine.command() as change:
            now = engine.clock.now()
            index = self._next_index(project_id, name_prefix)
            nodes = []
            for _ in range(count):
                while self.world.node_named(project_id, f"{name_prefix}-{index:03d}") is not None:
                    index += 1
                node_id = engine.ids.next()
                node = Node(
                    id=node_id, project_id=project_id, name=f"{name_prefix}-{index:03d}", state=NodeState.RUNNING,
                    created_at=now, hardware=generate_hardware(engine.seed, node_id, profile),
                )
                index += 1
                change.touch(node)
                self.world.add_node(node)
                nodes.append(node)
            change.event(engine.events.record("fleet.created", nodes=count, groups=len(groups)))
            made_groups = []
            start = 0
            for name, size in groups.items():
                members = [n.id for n in nodes[start : start + size]]
                start += size
                made_groups.append(engine.groups.add(project_id, name=name, node_ids=members, change=change))
        return nodes, made_groups

    # --- the simulated agent ----------------------------------------------------------------------

    def _next_index(self, project_id: str, prefix: str) -> int:
        return 1 + sum(1 for n in self.world.nodes.values() if n.project_id == project_id and n.name.startswith(prefix + "-"))

    def _schedule_connect(self, node: Node, change: Change) -> None:
        seconds = self.engine.draws.seconds(
            self.engine.settings.simulation.node.connect_seconds, node.id, CONNECT, self.engine.events.seq
        )
        node.connect_due = self.engine.clock.now() + seconds
        change.after_commit.append(lambda: self.arm(node))

    def arm(self, node: Node) -> None:
        if node.connect_due is not None and node.id in self.world.nodes:
            self.engine.timers.set(f"node:{node.id}", node.connect_due, self._on_connect, node.id)
        self.engine.failover.arm(node)

    async def disconnect(self, node: Node) -> Node:
        """Cut the node off: its agent stops reporting (the containers run on at the edge)."""
        if node.state not in (NodeState.RUNNING, NodeState.FAIL):
            raise NotAllowed(f"edge node {node.name} is {node.state}; only a connected node can be cut off")
        async with self.engine.command() as change:
            self.engine.failover.go_silent(node, change, reason="disconnected")
        return node

    async def connect(self, node: Node) -> Node:
        """Let the node report again now (a cut-off node, or a registered one not yet connected)."""
        if node.state == NodeState.STOPPED:
            raise NotAllowed(f"edge node {node.name} is STOPPED; start it with the node action instead")
        async with self.engine.command() as change:
            change.touch(node)
            node.connect_due = None
            self.engine.timers.cancel(f"node:{node.id}")
            await self.engine.failover.back(node, change)
        return node

    async def _on_connect(self, node_id: str) -> None:
        node = self.world.nodes.get(node_id)
        if node is None or node.connect_due is None:
            return
        with self.engine.step() as change:
            change.touch(node)
            node.connect_due = None
            await self.engine.failover.back(node, change)

    def set_state(self, node: Node, state: str, change: Change) -> None:
        change.touch(node)
        old = node.state
        node.state = state
        node.updated_at = self.engine.clock.now()
        change.event(self.engine.events.record("node.state", node_id=node.id, **{"from": old, "to": state}))
