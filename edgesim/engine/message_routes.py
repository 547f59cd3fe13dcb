"""Message routing commands (ief-api-more.md 5.1, 5.2): endpoints and the rules between them,
and a rule's state, which follows its nodes.

A stopped rule drops its messages uncounted; a started one fails them while the node at an
eventbus end is not RUNNING (failed, stopped, or partitioned and marked failed). Every node
state change (``Core.node_state_listeners``) re-marks the rules touching that node in the same
change, so the outage starts at the same simulated moment. Counts come from ``rule_counts``.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

from edgesim.domain.errors import DomainError, DuplicateName, NotAllowed, NotFound, ReferenceNotFound
from edgesim.domain.models import Endpoint, Node, Rule
from edgesim.domain.states import NodeState
from edgesim.engine.change import Change
from edgesim.engine.core import Core
from edgesim.engine.rule_counts import STOPPED, mark

EVENTBUS, REST = "eventbus", "rest"
# The built-in shared endpoints (UG-0018): ids are UUID5 of their names, stable across runs.
SHARED = tuple(
    Endpoint(id=str(uuid.uuid5(uuid.NAMESPACE_URL, f"edgesim:endpoint:{name}")), project_id="", name=name, type=kind)
    for name, kind in (("SystemEventBus", EVENTBUS), ("SystemREST", REST))
)
_SHARED_BY_ID = {e.id: e for e in SHARED}
# source type -> target types (UG-0018, FAQ-0029)
ROUTES = {REST: ("servicebus", EVENTBUS), EVENTBUS: ("dis", "apigw")}


def is_shared(endpoint: Endpoint) -> bool:
    return endpoint.id in _SHARED_BY_ID


class MessageRoutes:
    def __init__(self, core: Core) -> None:
        self.core = core
        self.world = core.world
        self.endpoints: dict[str, Endpoint] = core.world.tables["endpoint"]  # type: ignore[assignment]
        self.rules: dict[str, Rule] = core.world.tables["rule"]  # type: ignore[assignment]
        # the system events part's hooks: rule names are unique with subscription names, and an
        # endpoint a subscription targets is in use
        self.names_taken: list[Callable[[str, str], bool]] = []
        self.users: list[Callable[[str, str], list[str]]] = []
        core.node_state_listeners.append(self._node_changed)

    # --- reads ----------------------------------------------------------------------------------

    def endpoint(self, project_id: str, endpoint_id: str) -> Endpoint:
        found = _SHARED_BY_ID.get(endpoint_id) or self.endpoints.get(endpoint_id)
        if found is None or (found.project_id != project_id and not is_shared(found)):
            raise NotFound(f"endpoint {endpoint_id} not found")
        return found

    def endpoints_of(self, project_id: str) -> list[Endpoint]:
        return [e for e in self.endpoints.values() if e.project_id == project_id]

    def rule(self, project_id: str, rule_id: str) -> Rule:
        found = self.rules.get(rule_id)
        if found is None or found.project_id != project_id:
            raise NotFound(f"rule {rule_id} not found")
        return found

    def rules_of(self, project_id: str) -> list[Rule]:
        return [r for r in self.rules.values() if r.project_id == project_id]

    def cause(self, rule: Rule) -> str:
        """Why the rule's messages fail now, "" if they are delivered."""
        if not rule.in_using:
            return STOPPED
        for node_id in _nodes_of(rule):
            node = self.world.nodes.get(node_id)
            if node is None or node.state != NodeState.RUNNING:
                return f"node {node_id} is offline"
        return ""

    # --- endpoints ----------------------------------------------------------------------------------

    async def create_endpoint(
        self, project_id: str, *, name: str, type: str, properties: dict[str, Any], description: str, ief_instance_id: str,
    ) -> Endpoint:
        if any(e.name == name for e in (*SHARED, *self.endpoints_of(project_id))):
            raise DuplicateName(f"endpoint name {name!r} already exists", field="endpoint.name")
        async with self.core.command() as change:
            now = self.core.clock.now()
            endpoint = Endpoint(
                id=self.core.ids.next(), project_id=project_id, name=name, type=type, properties=properties,
                description=description, ief_instance_id=ief_instance_id, created_at=now, updated_at=now,
            )
            change.touch(endpoint)
            self.endpoints[endpoint.id] = endpoint
            change.event(self.core.events.record("endpoint.created", endpoint_id=endpoint.id, name=name, type=type))
        return endpoint

    async def delete_endpoint(self, project_id: str, endpoint_id: str) -> None:
        endpoint = self.endpoint(project_id, endpoint_id)
        if is_shared(endpoint):
            raise NotAllowed(f"endpoint {endpoint.name} is shared and built in: it cannot be deleted")
        users = sorted(f"rule {r.name}" for r in self.rules_of(project_id) if endpoint_id in (r.source, r.target))
        users += [user for found in self.users for user in found(project_id, endpoint_id)]
        if users:
            raise NotAllowed(f"endpoint {endpoint_id} is used by {', '.join(users)}")
        async with self.core.command() as change:
            change.touch(endpoint)
            del self.endpoints[endpoint.id]
            change.event(self.core.events.record("endpoint.deleted", endpoint_id=endpoint.id))

    # --- rules -------------------------------------------------------------------------------------

    async def create_rule(
        self, project_id: str, *, name: str, description: str, source: str, source_resource: dict[str, str],
        target: str, target_resource: dict[str, str], in_using: bool, ief_instance_id: str,
    ) -> Rule:
        if any(r.name == name for r in self.rules_of(project_id)) or any(t(project_id, name) for t in self.names_taken):
            raise DuplicateName(f"name {name!r} is taken by a rule or system event", field="rule.name")
        src, dst = self._end(project_id, source, "rule.source"), self._end(project_id, target, "rule.target")
        if dst.type not in ROUTES.get(src.type, ()):
            raise DomainError(
                f"a route from a {src.type} endpoint to a {dst.type} endpoint is not supported "
                "(rest -> servicebus|eventbus, eventbus -> dis|apigw)", field="rule.target",
            )
        self._check_resource(project_id, "rule.source_resource", src.type, source_resource, source=True)
        self._check_resource(project_id, "rule.target_resource", dst.type, target_resource, source=False)
        async with self.core.command() as change:
            now = self.core.clock.now()
            rule = Rule(
                id=self.core.ids.next(), project_id=project_id, name=name, description=description,
                source=source, source_resource=source_resource, target=target, target_resource=target_resource,
                in_using=in_using, ief_instance_id=ief_instance_id, created_at=now, updated_at=now,
                rate=self.core.settings.simulation.routing.message_rate, origin=now,
            )
            change.touch(rule)
            self.rules[rule.id] = rule
            mark(rule, now, self.cause(rule))
            change.event(self.core.events.record(
                "rule.created", rule_id=rule.id, name=name, cause=self.cause(rule), rate=rule.rate,
            ))
        return rule

    async def delete_rule(self, project_id: str, rule_id: str) -> None:
        rule = self.rule(project_id, rule_id)
        async with self.core.command() as change:
            change.touch(rule)
            del self.rules[rule.id]
            change.event(self.core.events.record("rule.deleted", rule_id=rule.id))

    async def set_in_using(self, project_id: str, rule_id: str, in_using: bool) -> Rule:
        """Start or stop a rule; idempotent (ief-api-more.md 5.2)."""
        rule = self.rule(project_id, rule_id)
        if rule.in_using == in_using:
            return rule
        async with self.core.command() as change:
            change.touch(rule)
            rule.in_using = in_using
            rule.updated_at = self.core.clock.now()
            change.event(self.core.events.record("rule.started" if in_using else "rule.stopped", rule_id=rule.id))
            self._remark(rule, change)
        return rule

    def _remark(self, rule: Rule, change: Change) -> None:
        change.touch(rule)
        cause = self.cause(rule)
        if mark(rule, self.core.clock.now(), cause):
            change.event(self.core.events.record("rule.state", rule_id=rule.id, cause=cause))

    def _node_changed(self, node: Node, old: str, change: Change) -> None:
        for rule in sorted(self.rules_of(node.project_id), key=lambda r: (r.created_at, r.id)):
            if node.id in _nodes_of(rule) and self.cause(rule) != rule.timeline[-1][1]:
                self._remark(rule, change)

    def _end(self, project_id: str, endpoint_id: str, field: str) -> Endpoint:
        try:
            return self.endpoint(project_id, endpoint_id)
        except NotFound:
            raise ReferenceNotFound(f"endpoint {endpoint_id} not found", field=field) from None

    def _check_resource(self, project_id: str, field: str, kind: str, resource: dict[str, str], *, source: bool) -> None:
        """Each endpoint type's resource keys (ief-api-more.md 5.2); a key no type knows is refused."""
        keys = {EVENTBUS: ("topic", "node_id"), REST: ("path",), "servicebus": ("path",), "dis": ("channel",),
                "apigw": ("resource",)}[kind]
        unknown = sorted(set(resource) - set(keys))
        if unknown:
            raise DomainError(f"unknown key {unknown[0]!r} for a {kind} endpoint (keys: {', '.join(keys)})", field=field)
        for key in keys:
            if not resource.get(key):
                raise DomainError(f"{key} is required for a {kind} endpoint", field=f"{field}.{key}")
        if kind in (REST, "servicebus") and not resource["path"].startswith("/"):
            raise DomainError("path must start with /", field=f"{field}.path")
        if kind == "apigw" and not resource["resource"].startswith(("http://", "https://")):
            raise DomainError("resource must be an http:// or https:// URL", field=f"{field}.resource")
        if kind == EVENTBUS:
            node_id = resource["node_id"]
            node = self.world.nodes.get(node_id)
            if node is None or node.project_id != project_id:
                raise ReferenceNotFound(f"edge node {node_id} not found", field=f"{field}.node_id")
            prefix = f"{project_id}/nodes/{node_id}/user/"
            if source and (not resource["topic"].startswith(prefix) or len(resource["topic"]) == len(prefix)):
                raise DomainError(f"topic must be {prefix}<custom topic>", field=f"{field}.topic")


def _nodes_of(rule: Rule) -> tuple[str, ...]:
    """The edge nodes at the rule's eventbus ends: their state is the route's."""
    return tuple(r["node_id"] for r in (rule.source_resource, rule.target_resource) if "node_id" in r)
