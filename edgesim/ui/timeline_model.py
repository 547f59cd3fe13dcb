"""Replay an event log into what a timeline draws: state bands per instance and node, fault
spans, migrations and instant marks. Pure data; ``timeline.py`` turns it into SVG.

Every event up to the window's end is replayed (earlier ones give the state at the window's
start); bands are clipped to the window afterwards.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any


@dataclass
class Band:
    start: float
    end: float | None  # None: still open at the end of the log
    state: str
    ready: bool = False


@dataclass
class Lane:
    """One instance's (or node's) life: its bands and the nodes it was bound to, in order."""

    id: str
    owner: str  # the deployment (instance lanes) or "" (node lanes)
    bands: list[Band] = field(default_factory=list)
    nodes: list[str] = field(default_factory=list)
    gone_at: float | None = None

    def set(self, t: float, state: str, ready: bool) -> None:
        last = self.bands[-1] if self.bands else None
        if last is not None and last.end is None:
            if (last.state, last.ready) == (state, ready):
                return
            last.end = t
        self.bands.append(Band(t, None, state, ready))

    def close(self, t: float) -> None:
        if self.bands and self.bands[-1].end is None:
            self.bands[-1].end = t
        self.gone_at = t

    def bind(self, node_id: str | None) -> None:
        if node_id and (not self.nodes or self.nodes[-1] != node_id):
            self.nodes.append(node_id)


@dataclass
class Deployment:
    id: str
    name: str = ""
    created_at: float | None = None
    deleted_at: float | None = None
    lanes: list[Lane] = field(default_factory=list)


@dataclass
class FaultSpan:
    id: str
    kind: str
    start: float
    end: float | None
    nodes: list[str] = field(default_factory=list)


@dataclass
class Migration:
    time: float
    deployment_id: str
    from_instance: str
    to_instance: str
    from_node: str | None
    to_node: str | None


@dataclass
class Mark:
    """An instant on an instance lane: an exit or a fault's hit."""

    time: float
    instance_id: str
    kind: str  # "exit" | "hit"
    label: str


@dataclass
class Timeline:
    start: float
    end: float
    deployments: list[Deployment]
    nodes: list[Lane]  # nodes whose state changed
    faults: list[FaultSpan]
    migrations: list[Migration]
    marks: list[Mark]
    node_names: dict[str, str]
    epoch: str | None  # the timestamp of simulated time 0, when the log shows it


def build(events: list[dict[str, Any]], start: float | None = None, end: float | None = None) -> Timeline:
    times = [e["time"] for e in events]
    lo = min(times, default=0.0) if start is None else start
    hi = max(times, default=lo) if end is None else end
    if hi <= lo:
        hi = lo + 1.0  # a window of one instant still needs a width to draw

    deployments: dict[str, Deployment] = {}
    lanes: dict[str, Lane] = {}
    nodes: dict[str, Lane] = {}
    node_names: dict[str, str] = {}
    faults: dict[str, FaultSpan] = {}
    migrations: list[Migration] = []
    marks: list[Mark] = []
    epoch = None

    def deployment(dep_id: str) -> Deployment:
        if dep_id not in deployments:
            deployments[dep_id] = Deployment(dep_id)
        return deployments[dep_id]

    def lane(e: dict) -> Lane:
        inst_id = e["instance_id"]
        if inst_id not in lanes:  # first seen mid-life (a log that starts late): begin it here
            lanes[inst_id] = Lane(inst_id, e.get("deployment_id", ""))
            deployment(lanes[inst_id].owner).lanes.append(lanes[inst_id])
        return lanes[inst_id]

    def node_lane(node_id: str, t: float, initial: str) -> Lane:
        if node_id not in nodes:
            nodes[node_id] = Lane(node_id, "")
            nodes[node_id].set(t, initial, False)
        return nodes[node_id]

    for e in events:
        t, kind = e["time"], e["kind"]
        if t > hi:
            break
        if epoch is None and "timestamp" in e:
            epoch = _epoch(e["timestamp"], t)
        if kind == "deployment.created":
            d = deployment(e["deployment_id"])
            d.name, d.created_at = e.get("name", ""), t
        elif kind == "deployment.deleted":
            deployment(e["deployment_id"]).deleted_at = t
        elif kind == "instance.created":
            inst = lane(e)
            inst.set(t, e.get("state", "PENDING_CREATE"), False)
            inst.bind(e.get("node_id"))
        elif kind == "instance.scheduled":
            lane(e).bind(e.get("node_id"))
        elif kind == "instance.state":
            inst = lane(e)
            inst.set(t, e["to"], bool(e.get("ready")))
            inst.bind(e.get("node_id"))
        elif kind == "instance.ready":
            inst = lane(e)
            current = inst.bands[-1].state if inst.bands else "RUNNING"
            inst.set(t, current, bool(e.get("ready")))
        elif kind == "instance.removed":
            lane(e).close(t)
        elif kind == "instance.migrated":
            migrations.append(Migration(t, e["deployment_id"], e["instance_id"], e["new_instance_id"],
                                        e.get("from_node"), e.get("to_node")))
        elif kind == "instance.exited":
            marks.append(Mark(t, e["instance_id"], "exit", f"exit {e.get('code')} ({e.get('reason') or 'exited'})"))
        elif kind == "fault.hit" and e.get("instance_id"):
            marks.append(Mark(t, e["instance_id"], "hit", f"hit by fault {e['fault_id']} ({e.get('fault_kind')})"))
        elif kind == "node.registered":
            node_names[e["node_id"]] = e.get("name", "")
            node_lane(e["node_id"], t, e.get("state", "UNCONNECTED"))
        elif kind == "node.state":
            node_lane(e["node_id"], t, e["from"]).set(t, e["to"], False)
        elif kind == "node.deleted" and e["node_id"] in nodes:
            nodes[e["node_id"]].close(t)
        elif kind == "fault.started":
            faults[e["fault_id"]] = FaultSpan(e["fault_id"], e.get("fault_kind", ""), t, None, list(e.get("nodes") or []))
        elif kind in ("fault.ended", "fault.deleted") and e["fault_id"] in faults:
            span = faults[e["fault_id"]]
            span.end = t if span.end is None else span.end

    def visible(lane: Lane) -> bool:
        return any(b.start <= hi and (b.end is None or b.end >= lo) for b in lane.bands)

    shown = []
    for d in sorted(deployments.values(), key=lambda d: (d.created_at is None, d.created_at or 0.0, d.name)):
        d.lanes = [ln for ln in d.lanes if visible(ln)]
        if d.lanes:
            shown.append(d)
    # a node lane that never changed state says nothing; keep those that did
    changed = [n for n in nodes.values() if len(n.bands) > 1 and visible(n)]
    return Timeline(
        start=lo, end=hi, deployments=shown,
        nodes=sorted(changed, key=lambda n: node_names.get(n.id) or n.id),
        faults=[f for f in faults.values() if f.start <= hi and (f.end is None or f.end >= lo)],
        migrations=[m for m in migrations if lo <= m.time <= hi],
        marks=[m for m in marks if lo <= m.time <= hi],
        node_names=node_names, epoch=epoch,
    )


def _epoch(timestamp: str, t: float) -> str | None:
    """The ISO timestamp of simulated time 0, so the page can show when the window is."""
    try:
        return (datetime.fromisoformat(timestamp.replace("Z", "+00:00")) - timedelta(seconds=t)).isoformat()
    except ValueError:
        return None
