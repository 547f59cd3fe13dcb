"""Encrypted data records and their distribution to nodes (ief-api-more.md 7.4).

A record bound to a node is delivered to it: at once when the node is connected (RUNNING),
otherwise it is pending until the node connects (``Core.node_state_listeners``). An update is
delivered again the same way. Values are never kept in plaintext: a plaintext item is stored as
edgesim's stand-in ciphertext, ``base64("edgesim:" + plaintext)``.
"""

from __future__ import annotations

import base64
from typing import Any, cast

from edgesim.domain.errors import DomainError, DuplicateName, NotAllowed, NotFound
from edgesim.domain.models import EncryptData, Node
from edgesim.domain.states import NodeState
from edgesim.engine.change import Change
from edgesim.engine.core import Core

PENDING, DELIVERED = "pending", "delivered"
CIPHER_PREFIX = "edgesim:"


def ciphertext(item: dict[str, Any]) -> dict[str, Any]:
    """The item as stored: its value ciphertext, ``is_encrypted`` true."""
    value = item["value"]
    if not item.get("is_encrypted", True):
        value = base64.b64encode((CIPHER_PREFIX + value).encode()).decode()
    return {"name": item["name"], "value": value, "is_encrypted": True}


def connected(node: Node) -> bool:
    """RUNNING and reporting (a cut-off node stays RUNNING for the grace period, unreachable)."""
    return node.state == NodeState.RUNNING and node.silent_since is None


class EncryptDatas:
    def __init__(self, core: Core) -> None:
        self.core = core
        self.world = core.world
        core.node_state_listeners.append(self._node_changed)
        core.reconnect_listeners.append(self._reconnected)

    @property
    def table(self) -> dict[str, EncryptData]:
        return cast(dict[str, EncryptData], self.world.tables["encryptdata"])

    # --- reads ----------------------------------------------------------------------------------

    def of_project(self, project_id: str) -> list[EncryptData]:
        return sorted((r for r in self.table.values() if r.project_id == project_id), key=lambda r: (r.created_at, r.name))

    def get(self, project_id: str, record_id: str) -> EncryptData:
        record = self.table.get(record_id)
        if record is None or record.project_id != project_id:
            raise NotFound(f"encrypt data {record_id} not found")
        return record

    def node(self, project_id: str, node_id: str) -> Node:
        node = self.world.nodes.get(node_id)
        if node is None or node.project_id != project_id:
            raise NotFound(f"edge node {node_id} not found")
        return node

    def bound_nodes(self, record: EncryptData) -> list[tuple[Node, str]]:
        """The nodes the record is bound to (that still exist), with each one's delivery state."""
        return [(self.world.nodes[n], state) for n, state in record.nodes.items() if n in self.world.nodes]

    def of_node(self, node_id: str) -> list[tuple[EncryptData, str]]:
        found = sorted((r for r in self.table.values() if node_id in r.nodes), key=lambda r: (r.created_at, r.name))
        return [(r, r.nodes[node_id]) for r in found]

    # --- commands -------------------------------------------------------------------------------

    async def create(self, project_id: str, *, name: str, description: str, config: list[dict[str, Any]]) -> EncryptData:
        if any(r.name == name for r in self.of_project(project_id)):
            raise DuplicateName(f"encrypt data name {name!r} already exists", field="encrypt_data.name")
        now = self.core.clock.now()
        async with self.core.command() as change:
            record = EncryptData(
                id=self.core.ids.next(), project_id=project_id, name=name, description=description,
                config=[ciphertext(i) for i in config], created_at=now, updated_at=now,
            )
            change.touch(record)
            self.world.put(record)
            change.event(self.core.events.record("encryptdata.created", encryptdata_id=record.id, name=name, items=len(config)))
        return record

    async def update(
        self, project_id: str, record_id: str, *, name: str, description: str, config: list[dict[str, Any]]
    ) -> EncryptData:
        record = self.get(project_id, record_id)
        if name != record.name:
            raise DomainError(f"the name cannot be changed (it is {record.name!r})", field="encrypt_data.name")
        async with self.core.command() as change:
            change.touch(record)
            record.description = description
            record.config = [ciphertext(i) for i in config]
            record.updated_at = self.core.clock.now()
            change.event(self.core.events.record("encryptdata.updated", encryptdata_id=record.id, items=len(config)))
            for node_id in list(record.nodes):  # every bound node gets the new version
                self._deliver(record, node_id, change)
        return record

    async def delete(self, project_id: str, record_id: str) -> None:
        record = self.get(project_id, record_id)
        bound = self.bound_nodes(record)
        if bound:
            raise NotAllowed(f"encrypt data {record.name} is still bound to node {bound[0][0].name}; unbind it first")
        async with self.core.command() as change:
            change.touch(record)
            self.world.discard(record)
            change.event(self.core.events.record("encryptdata.deleted", encryptdata_id=record.id))

    async def bind(self, project_id: str, node_id: str, record_ids: list[str]) -> None:
        """Idempotent: a record already bound stays as it is."""
        self.node(project_id, node_id)
        records = [self.get(project_id, r) for r in dict.fromkeys(record_ids)]
        async with self.core.command() as change:
            for record in records:
                if node_id not in record.nodes:
                    change.touch(record)
                    record.nodes = {n: s for n, s in record.nodes.items() if n in self.world.nodes}
                    change.event(self.core.events.record("encryptdata.bound", encryptdata_id=record.id, node_id=node_id))
                    self._deliver(record, node_id, change)

    async def unbind(self, project_id: str, node_id: str, record_id: str) -> None:
        self.node(project_id, node_id)
        record = self.get(project_id, record_id)
        if node_id not in record.nodes:
            raise NotFound(f"encrypt data {record_id} is not bound to edge node {node_id}")
        async with self.core.command() as change:
            change.touch(record)
            record.nodes = {n: s for n, s in record.nodes.items() if n != node_id}
            change.event(self.core.events.record("encryptdata.unbound", encryptdata_id=record.id, node_id=node_id))

    # --- delivery -------------------------------------------------------------------------------

    def _deliver(self, record: EncryptData, node_id: str, change: Change) -> None:
        """The node receives the record now if it is connected; else it waits for it."""
        node = self.world.nodes.get(node_id)
        state = DELIVERED if node is not None and connected(node) else PENDING
        change.touch(record)
        record.nodes = {**record.nodes, node_id: state}
        change.event(self.core.events.record("encryptdata.delivery", encryptdata_id=record.id, node_id=node_id, state=state))

    def _node_changed(self, node: Node, old: str, change: Change) -> None:
        self._reconnected(node, change)

    def _reconnected(self, node: Node, change: Change) -> None:
        if not connected(node):
            return
        for record, state in self.of_node(node.id):
            if state == PENDING:
                self._deliver(record, node.id, change)

