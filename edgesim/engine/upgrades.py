"""Node upgrades (ief-api-more.md 8.2): one room for the single upgrade and for batch jobs.

A RUNNING node that is not on the newest version goes ``UPGRADING`` for a drawn time (install
plus agent reconnect, ``UpgradeProfile``); its instances keep running. Then it is ``RUNNING``
again with the new version, or, on a drawn failure, rolled back to the old one; either way an
``upgrade_history`` entry records it. A node that stops reporting during its upgrade (a
partition, a stop) fails it: at once if it leaves ``UPGRADING`` (it came back, or was
stopped), else when the upgrade was due. One timer per upgrading node (``upgrade:<node>``).

Chaos reaches in through the fault book: on a node hit by an ``upgrade_failure`` fault an
upgrade that ends while the fault is in force fails and rolls back; on a node hit by an
``upgrade_hang`` fault an upgrade that is due while the fault is in force stays UPGRADING
(``node.upgrade_hung``) and ends when the fault does (``resume``), as drawn.
"""

from __future__ import annotations

from collections.abc import Callable

from edgesim.domain.errors import NotAllowed, NotFound
from edgesim.domain.models import Node, UpgradeBehavior
from edgesim.domain.states import NodeState
from edgesim.engine.change import Change
from edgesim.engine.core import Core
from edgesim.engine.fault_book import FaultBook
from edgesim.engine.node_state import set_node_state
from edgesim.settings import UpgradeProfile

PROFILE_ID = "upgrade"
SUCCESS = "upgrade_success"
FAILED = "upgrade_failed"  # interrupted: the node stopped reporting
ROLLED_BACK = "upgrade_failed_rollback_success"  # a drawn failure: the old version stays

# called (job id or "", node id, failure reason or "", change) when an upgrade ends
Finished = Callable[[str, str, str, Change], None]


class Upgrades:
    def __init__(self, core: Core, faults: FaultBook) -> None:
        self.core = core
        self.world = core.world
        self.faults = faults
        self.table: dict[str, UpgradeBehavior] = core.world.tables["upgrade_behavior"]  # type: ignore[assignment]
        self.finished: list[Finished] = []
        core.node_state_listeners.append(self._state_changed)

    # --- the profile ----------------------------------------------------------------------------

    def profile(self) -> UpgradeProfile:
        record = self.table.get(PROFILE_ID)
        return UpgradeProfile.model_validate(record.profile) if record else self.core.settings.simulation.upgrade

    async def set_profile(self, profile: UpgradeProfile) -> UpgradeProfile:
        """Upgrades and jobs started from now on follow it (running ones keep their draws)."""
        async with self.core.command() as change:
            record = self.table.get(PROFILE_ID) or UpgradeBehavior(id=PROFILE_ID)
            change.touch(record)
            record.profile = profile.model_dump(mode="json")
            self.table[PROFILE_ID] = record
            change.event(self.core.events.record("upgrade_behavior.set", **record.profile))
        return profile

    # --- reads ----------------------------------------------------------------------------------

    def needs_upgrade(self, node: Node) -> bool:
        """The SDK's ``upgrade_flag``: a newer edge software version exists for the node."""
        return node.hardware.get("edged_version") != self.profile().latest_version

    def refusal(self, node: Node | None) -> str:
        """Why the node cannot start an upgrade now ("" if it can)."""
        if node is None:
            return "the node no longer exists"
        if node.upgrade is not None:
            return f"node {node.name} is already upgrading"
        if node.state != NodeState.RUNNING or node.silent_since is not None:
            return f"node {node.name} is not running"
        if not self.needs_upgrade(node):
            return f"node {node.name} is already the latest version"
        return ""

    # --- commands -------------------------------------------------------------------------------

    async def upgrade(self, project_id: str, node_id: str) -> Node:
        node = self.world.nodes.get(node_id)
        if node is None or node.project_id != project_id:
            raise NotFound(f"edge node {node_id} not found")
        reason = self.refusal(node)
        if reason:
            raise NotAllowed(reason)
        async with self.core.command() as change:
            self.begin(node, "", change)
        return node

    def begin(self, node: Node, job_id: str, change: Change) -> None:
        """Start the node's upgrade within ``change`` (the caller checked ``refusal``). The draws
        are keyed by seed, job, node and attempt, so they do not depend on what else runs."""
        core, profile = self.core, self.profile()
        key = (job_id or "node", node.id, len(node.upgrade_history))
        seconds = core.draws.seconds(profile.seconds, *key, "install") + core.draws.seconds(
            profile.reconnect_seconds, *key, "reconnect")
        fails = core.draws.rng(*key, "fail").random() < profile.failure_probability
        now = core.clock.now()
        change.touch(node)
        node.upgrade = {
            "job_id": job_id, "started_at": now, "due": now + seconds, "fails": fails,
            "from_version": node.hardware.get("edged_version", ""), "to_version": profile.latest_version,
        }
        set_node_state(core, node, NodeState.UPGRADING, change)
        change.event(core.events.record(
            "node.upgrade_started", node_id=node.id, job_id=job_id, to_version=profile.latest_version))
        change.after_commit.append(lambda: self.arm(node))

    def arm(self, node: Node) -> None:
        if node.upgrade is not None and node.id in self.world.nodes:
            self.core.timers.set(f"upgrade:{node.id}", node.upgrade["due"], self._on_due, node.id)

    async def _on_due(self, node_id: str) -> None:
        node = self.world.nodes.get(node_id)
        if node is None or node.upgrade is None:
            return
        with self.core.step() as change:
            self._due(node, change)

    def _due(self, node: Node, change: Change) -> None:
        """The upgrade's time has come: it ends, unless an upgrade_hang fault holds it."""
        assert node.upgrade is not None
        silent = node.silent_since is not None
        hang = None if silent else self.faults.node_hit(node.id, "upgrade_hang")
        if hang is not None:
            if node.upgrade.get("hung_by") != hang.id:
                change.touch(node)
                node.upgrade = {**node.upgrade, "hung_by": hang.id}
                change.event(self.core.events.record(
                    "node.upgrade_hung", node_id=node.id, job_id=node.upgrade["job_id"], fault_id=hang.id))
            return
        self._finish(node, change, f"node {node.name} stopped reporting during the upgrade" if silent else "")

    def resume(self, node: Node, change: Change) -> None:
        """An upgrade fault no longer holds the node: a hung upgrade (past its time) ends now."""
        if node.upgrade is not None and node.upgrade.get("hung_by") and self.core.clock.now() >= node.upgrade["due"]:
            self._due(node, change)

    def _state_changed(self, node: Node, old: str, change: Change) -> None:
        """A node leaving UPGRADING by anything but its upgrade's end (its agent came back after
        a partition, it was stopped) has lost its upgrade."""
        if node.upgrade is not None and old == NodeState.UPGRADING and node.state != NodeState.UPGRADING:
            self._finish(node, change, f"node {node.name} stopped reporting during the upgrade")

    def _finish(self, node: Node, change: Change, interrupted: str) -> None:
        core, up = self.core, node.upgrade
        assert up is not None
        change.touch(node)
        node.upgrade = None
        core.timers.cancel(f"upgrade:{node.id}")
        now = core.clock.now()
        injected = None if interrupted else self.faults.node_hit(node.id, "upgrade_failure")
        if interrupted:
            result, reason = FAILED, interrupted
        elif injected is not None:
            result, reason = ROLLED_BACK, (f"upgrade of node {node.name} failed (fault {injected.id}); "
                                           f"rolled back to {up['from_version']}")
        elif up["fails"]:
            result, reason = ROLLED_BACK, f"upgrade of node {node.name} failed; rolled back to {up['from_version']}"
        else:
            result, reason = SUCCESS, ""
            node.hardware = {**node.hardware, "edged_version": up["to_version"], "ief_node_version": up["to_version"]}
        node.upgrade_history = [*node.upgrade_history, {
            "id": len(node.upgrade_history) + 1, "from_version": up["from_version"],
            "to_version": up["to_version"], "upgrade_time": int(core.clock.timestamp(now).timestamp()),
            "result": result, "dur_time": int(round(now - up["started_at"])),
        }]
        change.event(core.events.record("node.upgrade_finished", node_id=node.id, job_id=up["job_id"], result=result))
        if node.state == NodeState.UPGRADING:
            set_node_state(core, node, NodeState.FAIL if node.lost_at is not None else NodeState.RUNNING, change)
        for listener in self.finished:
            listener(up["job_id"], node.id, reason, change)
