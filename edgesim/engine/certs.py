"""Node and node group certificates, and their expiry on the simulated clock (ief-api-more.md 7).

A certificate record expires at ``not_after``: one timer per certificate marks it expired at that
moment (``cert.expired``). A node's own (system) certificate is issued at registration for
``certs.node_system_validity_days``; it exists as a record only when something shortened it (the
``cert_expiry`` chaos fault). A node whose system certificate expired cannot connect again: a
connected node keeps running until its next reconnect, then stays FAIL ("certificate expired").
"""

from __future__ import annotations

import hashlib
from typing import cast

from edgesim.domain.errors import DuplicateName, NotAllowed, NotFound, QuotaExceeded
from edgesim.domain.models import Cert, Node
from edgesim.engine.change import Change
from edgesim.engine.core import Core
from edgesim.engine.failover import CERT_EXPIRED
from edgesim.engine.quotas import Quotas

DAY = 86400.0
MAX_PER_NODE = 10  # node certificates per node (ief-api-more.md 7.1, quota node_cert)
NODE, GROUP = "node", "group"
SYSTEM = "system"


class Certs:
    def __init__(self, core: Core, quotas: Quotas) -> None:
        self.core = core
        self.world = core.world
        self.quotas = quotas
        core.connect_gates.append(self._gate)

    @property
    def table(self) -> dict[str, Cert]:
        return cast(dict[str, Cert], self.world.tables["cert"])

    # --- reads ----------------------------------------------------------------------------------

    def of(self, scope: str, owner_id: str) -> list[Cert]:
        """The owner's certificates, oldest first (a node's system certificate not among them)."""
        found = [c for c in self.table.values() if c.scope == scope and c.owner_id == owner_id
                 and not (scope == NODE and c.type == SYSTEM)]
        return sorted(found, key=lambda c: (c.created_at, c.name))

    def get(self, scope: str, project_id: str, owner_id: str, cert_id: str) -> Cert:
        cert = self.table.get(cert_id)
        if cert is None or cert.project_id != project_id or cert.scope != scope or cert.owner_id != owner_id:
            raise NotFound(f"certificate {cert_id} not found")
        return cert

    def system_cert(self, node_id: str) -> Cert | None:
        return next((c for c in self.table.values() if c.scope == NODE and c.owner_id == node_id and c.type == SYSTEM), None)

    def system_not_after(self, node: Node) -> float:
        """When the node's own certificate expires."""
        own = self.system_cert(node.id)
        if own is not None:
            return own.not_after
        return node.created_at + self.core.settings.simulation.certs.node_system_validity_days * DAY

    def system_expired(self, node: Node) -> bool:
        return self.core.clock.now() >= self.system_not_after(node)

    # --- commands -------------------------------------------------------------------------------

    async def create(
        self, scope: str, project_id: str, owner_id: str, *, name: str | None, type_: str, description: str
    ) -> Cert:
        if name is not None and any(c.name == name for c in self.of(scope, owner_id)):
            raise DuplicateName(f"certificate name {name!r} already exists", field="name")
        if scope == NODE:
            if len(self.of(NODE, owner_id)) >= MAX_PER_NODE:
                raise QuotaExceeded(f"a node has at most {MAX_PER_NODE} certificates")
            self.quotas.check(project_id, "node_cert", used=len(self.of(NODE, owner_id)))
        else:
            self.quotas.check(project_id, "group_cert", used=len(self.of(GROUP, owner_id)))
        async with self.core.command() as change:
            cert = self._issue(scope, project_id, owner_id, name=name, type_=type_, description=description,
                               days=self.core.settings.simulation.certs.validity_days, change=change)
        return cert

    async def delete(self, scope: str, project_id: str, owner_id: str, cert_id: str) -> None:
        cert = self.get(scope, project_id, owner_id, cert_id)
        if scope == NODE:
            refuse_system(cert)
        async with self.core.command() as change:
            self._remove(cert, change)

    def delete_all(self, scope: str, owner_id: str, change: Change) -> None:
        """The owner is deleted: its certificates go with it (within the owner's change)."""
        for cert in [c for c in self.table.values() if c.scope == scope and c.owner_id == owner_id]:
            self._remove(cert, change)

    def refuse_node_delete(self, node: Node) -> str | None:
        """ief-api-more.md 4: a node with application or device certificates is not deleted
        (the user guide: delete them first); its own system certificate goes with it."""
        left = self.of(NODE, node.id)
        if not left:
            return None
        names = ", ".join(c.name for c in left[:3]) + (f" (+{len(left) - 3} more)" if len(left) > 3 else "")
        return f"edge node {node.name} still has certificates ({names}); delete them first"

    def expire_system_early(self, node: Node, at: float, change: Change) -> None:
        """Chaos: the node's own certificate expires at ``at`` if that is sooner than it would."""
        not_after = min(self.system_not_after(node), at)
        own = self.system_cert(node.id)
        if own is None:
            days = (not_after - node.created_at) / DAY
            own = self._issue(NODE, node.project_id, node.id, name=f"{node.name}-system", type_=SYSTEM,
                              description="", days=days, change=change, issued_at=node.created_at)
        change.touch(own)
        own.not_after = not_after
        own.updated_at = self.core.clock.now()
        self.core.timers.cancel(f"cert:{own.id}")
        change.after_commit.append(lambda: self.arm(own))

    def expire_now(self, cert: Cert, change: Change) -> None:
        """Chaos: the certificate expires now, within ``change`` (``cert.expired`` marks it)."""
        if cert.expired:
            return
        now = self.core.clock.now()
        change.touch(cert)
        cert.not_after = min(cert.not_after, now)
        cert.updated_at = now
        self.core.timers.cancel(f"cert:{cert.id}")
        self._mark_expired(cert, change)

    def renew_system(self, node: Node, change: Change) -> None:
        """The node's own certificate is issued anew (the chaos fault is lifted)."""
        own = self.system_cert(node.id)
        if own is not None:
            self._remove(own, change)
            change.event(self.core.events.record("cert.renewed", node_id=node.id, type=SYSTEM))

    def owner_exists(self, cert: Cert) -> bool:
        owners = self.world.nodes if cert.scope == NODE else self.world.groups
        return cert.owner_id in owners

    def arm(self, cert: Cert) -> None:
        # a deleted owner's certificates are unreachable (the API answers 404 for its paths)
        if cert.id in self.table and not cert.expired and self.owner_exists(cert):
            self.core.timers.set(f"cert:{cert.id}", cert.not_after, self._on_expiry, cert.id)

    # --- internals ------------------------------------------------------------------------------

    def _issue(
        self, scope: str, project_id: str, owner_id: str, *, name: str | None, type_: str, description: str,
        days: float, change: Change, issued_at: float | None = None,
    ) -> Cert:
        now = self.core.clock.now() if issued_at is None else issued_at
        cert_id = self.core.partition_id(owner_id)
        serial = hashlib.sha256(cert_id.encode()).hexdigest()[:32]
        if name is None:  # decision (ief-api-more.md 7.2): cert-<8 hex>
            name = f"cert-{serial[:8]}"
        cert = Cert(
            id=cert_id, project_id=project_id, scope=scope, owner_id=owner_id, name=name, type=type_,
            description=description, serial_num=serial,
            created_at=now, updated_at=now, not_after=now + days * DAY,
        )
        change.touch(cert)
        self.world.put(cert)
        change.event(self.core.events.record(
            "cert.created", cert_id=cert.id, **{f"{scope}_id": owner_id}, type=type_, not_after=cert.not_after,
        ))
        change.after_commit.append(lambda: self.arm(cert))
        return cert

    def _remove(self, cert: Cert, change: Change) -> None:
        change.touch(cert)
        self.world.discard(cert)
        self.core.timers.cancel(f"cert:{cert.id}")
        change.event(self.core.events.record("cert.deleted", cert_id=cert.id, **{f"{cert.scope}_id": cert.owner_id}))

    def _on_expiry(self, cert_id: str) -> None:
        cert = self.table.get(cert_id)
        if cert is None or cert.expired or not self.owner_exists(cert):
            return
        with self.core.step() as change:
            self._mark_expired(cert, change)

    def _mark_expired(self, cert: Cert, change: Change) -> None:
        change.touch(cert)
        cert.expired = True
        change.event(self.core.events.record(
            "cert.expired", cert_id=cert.id, **{f"{cert.scope}_id": cert.owner_id}, type=cert.type,
        ))

    def _gate(self, node: Node) -> str | None:
        """A node whose own certificate expired cannot connect (ief-api-more.md 7.3)."""
        return CERT_EXPIRED if self.system_expired(node) else None


def refuse_system(cert: Cert) -> None:
    if cert.type == SYSTEM:
        raise NotAllowed("the system certificate cannot be deleted; only application and device certificates can")
