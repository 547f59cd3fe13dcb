"""System event subscriptions (ief-api-more.md 5.3): create, delete, start, stop, and the
delivery of engine events to the subscribed apigw endpoint.

Delivery follows the committed event log (an ``events`` listener): each event of a subscribed
``resource/op`` of the subscription's project, while it is started, is one delivery, recorded
as a ``systemevent.delivered`` event in its own step and counted in ``success_messages``.
edgesim makes no HTTP call, so no delivery fails (``fail_messages`` stays 0).
"""

from __future__ import annotations

from typing import Any

from edgesim.domain.errors import DomainError, DuplicateName, NotFound, ReferenceNotFound
from edgesim.domain.models import SystemEvent
from edgesim.domain.states import NodeState
from edgesim.engine.core import Core
from edgesim.engine.message_routes import MessageRoutes

OPS = ("created", "updated", "deleted")
SUBSCRIBABLE = {
    "edgeNode": (*OPS, "online", "offline"),
    "deployment": OPS,
    "instance": OPS,
    "device": OPS,
}
# engine event kind -> (resource type, operation, id field); node.state is mapped by its target state
_MAPPED = {
    "node.registered": ("edgeNode", "created", "node_id"), "node.updated": ("edgeNode", "updated", "node_id"),
    "node.deleted": ("edgeNode", "deleted", "node_id"),
    "deployment.created": ("deployment", "created", "deployment_id"),
    "deployment.updated": ("deployment", "updated", "deployment_id"),
    "deployment.scaled": ("deployment", "updated", "deployment_id"),
    "deployment.deleted": ("deployment", "deleted", "deployment_id"),
    "instance.created": ("instance", "created", "instance_id"), "instance.state": ("instance", "updated", "instance_id"),
    "instance.removed": ("instance", "deleted", "instance_id"),
    "device.created": ("device", "created", "device_id"), "device.updated": ("device", "updated", "device_id"),
    "device.deleted": ("device", "deleted", "device_id"),
}
_TABLES = {"edgeNode": "node", "deployment": "deployment", "instance": "instance", "device": "device"}


def parse_events(raw: str) -> set[tuple[str, str]]:
    """``edgeNode/offline,deployment/all`` -> {(type, op)}; ``all`` stands for every op of the type."""
    wanted: set[tuple[str, str]] = set()
    for item in raw.split(","):
        kind, _, op = item.strip().partition("/")
        ops = SUBSCRIBABLE.get(kind)
        if ops is None or (op != "all" and op not in ops):
            raise DomainError(f"unknown event {item.strip()!r}: use <resource>/<op> with resource one of "
                              f"{', '.join(SUBSCRIBABLE)} and op one of its operations or all", field="systemevent.events")
        wanted |= {(kind, o) for o in (ops if op == "all" else (op,))}
    return wanted


class SystemEvents:
    def __init__(self, core: Core, routes: MessageRoutes) -> None:
        self.core = core
        self.world = core.world
        self.routes = routes
        self.table: dict[str, SystemEvent] = core.world.tables["systemevent"]  # type: ignore[assignment]
        # id -> (project, name) of the resources events name, so a delete (its record gone) is
        # still known; filled from the world after a load and kept by the events
        self._known: dict[str, tuple[str, str]] = {}
        routes.names_taken.append(self.name_taken)
        routes.users.append(self.users_of)
        core.events.listeners.append(self._delivered)

    def loaded(self) -> None:
        self._known.clear()
        for table in _TABLES.values():
            for record in self.world.tables[table].values():
                self._known[record.id] = (getattr(record, "project_id", ""), getattr(record, "name", record.id))

    # --- reads ----------------------------------------------------------------------------------

    def get(self, project_id: str, event_id: str) -> SystemEvent:
        """By id or by name (the SDK documents both)."""
        found = self.table.get(event_id)
        if found is None or found.project_id != project_id:
            found = next((e for e in self.of_project(project_id) if e.name == event_id), None)
        if found is None:
            raise NotFound(f"system event {event_id} not found")
        return found

    def of_project(self, project_id: str) -> list[SystemEvent]:
        return [e for e in self.table.values() if e.project_id == project_id]

    def name_taken(self, project_id: str, name: str) -> bool:
        return any(e.name == name for e in self.of_project(project_id))

    def users_of(self, project_id: str, endpoint_id: str) -> list[str]:
        return sorted(f"system event {e.name}" for e in self.of_project(project_id) if e.target == endpoint_id)

    # --- commands -------------------------------------------------------------------------------

    async def create(
        self, project_id: str, *, name: str, description: str, events: str, target: str, target_resource: dict[str, str],
    ) -> SystemEvent:
        if self.name_taken(project_id, name) or any(r.name == name for r in self.routes.rules_of(project_id)):
            raise DuplicateName(f"name {name!r} is taken by a rule or system event", field="systemevent.name")
        parse_events(events)
        try:
            endpoint = self.routes.endpoint(project_id, target)
        except NotFound:
            raise ReferenceNotFound(f"endpoint {target} not found", field="systemevent.target") from None
        if endpoint.type != "apigw":
            raise DomainError(f"the target must be an apigw endpoint, not {endpoint.type}", field="systemevent.target")
        async with self.core.command() as change:
            now = self.core.clock.now()
            sub = SystemEvent(
                id=self.core.ids.next(), project_id=project_id, name=name, events=events, target=target,
                target_resource=target_resource, description=description, created_at=now, updated_at=now,
            )
            change.touch(sub)
            self.table[sub.id] = sub
            change.event(self.core.events.record("systemevent.created", systemevent_id=sub.id, name=name, events=events))
        return sub

    async def delete(self, project_id: str, event_id: str) -> None:
        sub = self.get(project_id, event_id)
        async with self.core.command() as change:
            change.touch(sub)
            del self.table[sub.id]
            change.event(self.core.events.record("systemevent.deleted", systemevent_id=sub.id))

    async def set_in_using(self, project_id: str, event_id: str, in_using: bool) -> SystemEvent:
        sub = self.get(project_id, event_id)
        if sub.in_using == in_using:
            return sub
        async with self.core.command() as change:
            change.touch(sub)
            sub.in_using, sub.updated_at = in_using, self.core.clock.now()
            change.event(self.core.events.record(
                "systemevent.started" if in_using else "systemevent.stopped", systemevent_id=sub.id))
        return sub

    # --- delivery -------------------------------------------------------------------------------

    def _delivered(self, event: dict[str, Any]) -> None:
        what = self._what(event)
        if what is None:
            return
        kind, op, resource_id = what
        project_id, name = self._known.get(resource_id, ("", resource_id))
        if op == "deleted":
            self._known.pop(resource_id, None)
        subs = [s for s in self.table.values()
                if s.project_id == project_id and s.in_using and (kind, op) in parse_events(s.events)]
        if not subs:
            return
        with self.core.step() as change:
            for sub in sorted(subs, key=lambda s: (s.created_at, s.id)):
                change.touch(sub)
                sub.success_messages += 1
                change.event(self.core.events.record(
                    "systemevent.delivered", systemevent_id=sub.id, event_type=kind, operation=op,
                    topic=operation_topic(kind, op), name=name, source_seq=event["seq"],
                ))

    def _what(self, event: dict[str, Any]) -> tuple[str, str, str] | None:
        kind = event["kind"]
        if kind == "node.state":
            op = {NodeState.FAIL: "offline", NodeState.RUNNING: "online"}.get(event["to"])
            mapped = ("edgeNode", op, "node_id") if op else None
        else:
            mapped = _MAPPED.get(kind)
        if mapped is None:
            return None
        res_kind, op, id_field = mapped
        resource_id = event[id_field]
        record = self.world.tables[_TABLES[res_kind]].get(resource_id)
        if record is not None:
            self._known[resource_id] = (getattr(record, "project_id", ""), getattr(record, "name", record.id))
        return res_kind, op, resource_id


def operation_topic(kind: str, op: str) -> str:
    """The topic the delivered CloudEvent carries (``$hw/events/<type>/+/<op>``)."""
    return f"$hw/events/{kind}/+/{op}"
