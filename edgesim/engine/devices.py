"""End device commands: create (optionally from a template), update, delete, bind to nodes;
and the device's online state, which follows its node.

A device is online while it is bound to a node that is RUNNING, and offline otherwise; the
state is derived, never stored. When the node's state changes (``Core.node_state_listeners``,
called by every node state change) each of its devices' ``device.online`` /
``device.offline`` event is recorded in the same change, at the same simulated moment.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from edgesim.domain.errors import DomainError, DuplicateName, NotAllowed, NotFound, ReferenceNotFound
from edgesim.domain.models import Device, Node
from edgesim.domain.states import NodeState
from edgesim.engine.change import Change
from edgesim.engine.core import Core
from edgesim.engine.device_rules import check_protocol_parts
from edgesim.engine.device_templates import DeviceTemplates, stamp_twin
from edgesim.engine.fault_book import FaultBook
from edgesim.engine.quotas import Quotas

PREFIX = "device"
ONLINE, OFFLINE = "online", "offline"


@dataclass
class Binding:
    """One binding request's outcome, as both binding answers echo it."""

    relation: str = ""
    comment: str = ""
    added: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)


class Devices:
    def __init__(self, core: Core, templates: DeviceTemplates, quotas: Quotas, faults: FaultBook) -> None:
        self.core = core
        self.world = core.world
        self.templates = templates
        self.quotas = quotas
        self.faults = faults
        # called when a device may have come online or gone offline (bound, unbound, deleted,
        # its node changed state, a device fault): the twins re-arm its timer
        self.online_listeners: list[Callable[[Device, Change], None]] = []
        core.node_state_listeners.append(self._node_changed)

    # --- reads ----------------------------------------------------------------------------------

    def get(self, project_id: str, device_id: str) -> Device:
        device = self.world.devices.get(device_id)
        if device is None or device.project_id != project_id:
            raise NotFound(f"device {device_id} not found")
        return device

    def of_project(self, project_id: str) -> list[Device]:
        return [d for d in self.world.devices.values() if d.project_id == project_id]

    def state(self, device: Device) -> str:
        node = self.world.nodes.get(device.node_id or "")
        if node is None or node.state != NodeState.RUNNING or self.faults.device_hit(device.id, "device_offline"):
            return OFFLINE
        return ONLINE

    def _online_changed(self, device: Device, change: Change) -> None:
        for listener in self.online_listeners:
            listener(device, change)

    fault_changed = _online_changed  # a device fault started or ended on the device

    # --- commands -------------------------------------------------------------------------------

    async def create(
        self, project_id: str, *, name: str, device_id: str | None, access_protocol: str | None, connection_type: str,
        description: str, attributes: dict[str, Any], twin: dict[str, Any], access_config: dict[str, Any],
        property_visitors: dict[str, Any], template_id: str | None = None,
    ) -> Device:
        if device_id is not None and device_id in self.world.devices:
            raise DuplicateName(f"device id {device_id!r} already exists", field=f"{PREFIX}.id")
        if self.world.device_named(project_id, name) is not None:
            raise DuplicateName(f"device name {name!r} already exists", field=f"{PREFIX}.name")
        self.quotas.check(project_id, "device")
        if template_id is not None:
            access_protocol, attributes, twin, property_visitors = self._from_template(
                project_id, template_id, access_protocol, attributes, twin, property_visitors,
            )
        protocol = access_protocol or "userdefine"
        check_protocol_parts(PREFIX, protocol, twin, property_visitors, access_config)
        async with self.core.command() as change:
            generated, birth = self.core.vertex_id()  # a device named by its creator still has a birth
            device = Device(
                id=device_id or generated, birth=birth, project_id=project_id, name=name, access_protocol=protocol,
                connection_type=connection_type, description=description, attributes=attributes,
                twin=stamp_twin(self.core, twin), access_config=access_config, property_visitors=property_visitors,
                created_at=self.core.clock.now(), template=self._template_name(template_id),
            )
            change.touch(device)
            self.world.add_device(device)
            change.event(self.core.events.record(
                "device.created", device_id=device.id, name=name, device_template_id=template_id,
            ))
        return device

    def _template_name(self, template_id: str | None) -> str:
        template = self.templates.table.get(template_id or "")
        return template.name if template is not None else ""

    def _from_template(
        self, project_id: str, template_id: str, access_protocol: str | None, attributes: dict[str, Any],
        twin: dict[str, Any], visitors: dict[str, Any],
    ) -> tuple[str, dict[str, Any], dict[str, Any], dict[str, Any]]:
        """The template's parts with the device's own on top (a part the device names wins).
        Copied twin properties are mandatory on the device (``optional: false``)."""
        template = self.templates.table.get(template_id)
        if template is None or template.project_id != project_id:
            raise ReferenceNotFound(f"device template {template_id} not found", field=f"{PREFIX}.device_template_id")
        if access_protocol is not None and access_protocol != template.access_protocol:
            raise DomainError(
                f"access_protocol {access_protocol!r} does not match the template's {template.access_protocol!r}",
                field=f"{PREFIX}.access_protocol",
            )
        copied_twin = copy.deepcopy(template.twin)  # copies: the records share nothing
        for prop in copied_twin.values():
            prop["optional"] = False
            if "expected" in prop:  # re-stamped when the device is made
                prop["expected"] = {"value": prop["expected"]["value"]}
        return (
            template.access_protocol,
            {**copy.deepcopy(template.attributes), **attributes},
            {**copied_twin, **twin},
            {**copy.deepcopy(template.property_visitors), **visitors},
        )

    async def update(self, project_id: str, device_id: str, fields: dict[str, Any]) -> Device:
        """Change the description and/or replace the whole attributes map."""
        device = self.get(project_id, device_id)
        async with self.core.command() as change:
            change.touch(device)
            for key, value in fields.items():
                setattr(device, key, value)
            device.updated_at = self.core.clock.now()
            change.event(self.core.events.record("device.updated", device_id=device.id))
        return device

    async def delete(self, project_id: str, device_id: str) -> None:
        """Delete the device; a bound device is unbound first (its node's count drops)."""
        device = self.get(project_id, device_id)
        async with self.core.command() as change:
            if device.node_id is not None:
                self._unbind(device, change)
            change.touch(device)
            change.event(self.core.events.record("device.deleted", device_id=device.id))  # while it has a partition
            self.world.remove_device(device)
            self._online_changed(device, change)

    # --- binding --------------------------------------------------------------------------------

    async def bind_on_node(
        self, project_id: str, node_id: str, *, added: list[str], removed: list[str], relation: str, comment: str,
    ) -> Binding:
        """The node-side binding: unbind ``removed`` from this node (ids bound elsewhere or
        nowhere are left alone), then bind ``added`` to it. All or nothing."""
        node = self._node(project_id, node_id)
        added, removed = list(dict.fromkeys(added)), list(dict.fromkeys(removed))
        devices = {i: self.get(project_id, i) for i in added + removed}
        for device_id in added:
            bound = devices[device_id].node_id
            if bound is not None and bound != node.id:
                raise NotAllowed(f"device {device_id} is bound to edge node {bound}; unbind it first")
        result = Binding(relation=relation, comment=comment)
        async with self.core.command() as change:
            for device_id in removed:
                if devices[device_id].node_id == node.id:
                    self._unbind(devices[device_id], change)
                    result.removed.append(device_id)
            for device_id in added:
                self._bind(devices[device_id], node, relation, comment, change)
                result.added.append(device_id)
        return result

    async def bind_on_device(
        self, project_id: str, device_id: str, *, added: list[str], removed: list[str], relation: str, comment: str,
    ) -> Binding:
        """The device-side binding: the same, seen from the device (at most one node)."""
        device = self.get(project_id, device_id)
        nodes = [self._node(project_id, i) for i in dict.fromkeys(added + removed)]
        leaving = device.node_id in removed
        if added and device.node_id not in (None, added[0]) and not leaving:
            raise NotAllowed(f"device {device_id} is bound to edge node {device.node_id}; unbind it first")
        result = Binding(relation=relation, comment=comment)
        async with self.core.command() as change:
            if leaving:
                result.removed.append(device.node_id or "")
                self._unbind(device, change)
            for node in nodes[: len(added)]:
                self._bind(device, node, relation, comment, change)
                result.added.append(node.id)
        return result

    def bind_registering(self, node: Node, infos: list[tuple[list[str], str, str]], change: Change) -> None:
        """Bind devices (ids, relation, comment) to a node being registered, within its change."""
        for device_ids, relation, comment in infos:
            for device_id in dict.fromkeys(device_ids):
                device = self.world.devices.get(device_id)
                if device is None or device.project_id != node.project_id:
                    raise ReferenceNotFound(f"device {device_id} not found", field="node.device_infos")
                if device.node_id not in (None, node.id):
                    raise NotAllowed(f"device {device_id} is bound to edge node {device.node_id}; unbind it first")
                self._bind(device, node, relation, comment, change)

    def _node(self, project_id: str, node_id: str) -> Node:
        node = self.world.nodes.get(node_id)
        if node is None or node.project_id != project_id:
            raise NotFound(f"edge node {node_id} not found")
        return node

    def _bind(self, device: Device, node: Node, relation: str, comment: str, change: Change) -> None:
        change.touch(device)
        device.relation, device.comment = relation, comment
        if device.node_id == node.id:  # re-binding to the same node changes only the notes
            return
        self.world.bind_device(device, node.id)
        bound = self.core.events.record("device.bound", device_id=device.id, node_id=node.id)
        device.bound_seq = bound["pseq"]  # the node's partition's sequence: increasing along its binds
        change.event(bound)
        if self.state(device) == ONLINE:
            change.event(self.core.events.record("device.online", device_id=device.id, node_id=node.id))
        self._online_changed(device, change)

    def _unbind(self, device: Device, change: Change) -> None:
        change.touch(device)
        node_id = device.node_id
        was_online = self.state(device) == ONLINE
        device.relation = device.comment = ""
        self.world.bind_device(device, None)
        change.event(self.core.events.record("device.unbound", device_id=device.id, node_id=node_id))
        if was_online:
            change.event(self.core.events.record("device.offline", device_id=device.id, node_id=node_id))
        self._online_changed(device, change)

    # --- following the node ---------------------------------------------------------------------

    def _node_changed(self, node: Node, old: str, change: Change) -> None:
        was, now = old == NodeState.RUNNING, node.state == NodeState.RUNNING
        if was == now:
            return
        name = "device.online" if now else "device.offline"
        for device in self.world.devices_on(node.id):
            if self.faults.device_hit(device.id, "device_offline"):
                continue  # offline by a fault whatever its node does
            change.event(self.core.events.record(name, device_id=device.id, node_id=node.id, node_state=node.state))
            self._online_changed(device, change)
