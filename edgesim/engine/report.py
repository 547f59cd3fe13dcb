"""The experiment report, computed by replaying the event log over a time window.

The replay is a fold (``ReportBuilder.feed``, constant work per event) read in slices that give
the event loop a turn; the report from the start of the run (the default one) is kept up to date
between requests (``LiveReport``), so each request only replays what happened since the last.

Per deployment: availability (the share of the window during which as many instances as it
wants replicas were RUNNING and ready), its restarts and migrations, and for each fault that
made it unavailable, how long after the fault started it was available again. Per node: how
long it was not RUNNING. Per batch job: its progress over time (``engine.job_progress``).
Per device and per message rule: ``engine/report_fleet.py``.
"""

from __future__ import annotations

import asyncio
import math
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from edgesim.engine.events import EventLog
from edgesim.engine.job_progress import JobProgress
from edgesim.engine.report_fleet import FleetFold


@dataclass
class _Deployment:
    name: str = ""  # as created (a deployment since deleted keeps it)
    replicas: int = 1
    first_seen: float | None = None
    gone_at: float | None = None
    available: bool = False
    since: float = 0.0  # when ``available`` last changed
    up_seconds: float = 0.0
    restarts: int = 0
    migrations: int = 0
    down_faults: list[str] = field(default_factory=list)  # faults in force when it went down
    recoveries: list[dict[str, Any]] = field(default_factory=list)
    ready_count: int = 0  # its instances that are RUNNING, ready and not stale


class ReportBuilder:
    """The report's state after the events fed so far, for a window starting at ``start``."""

    def __init__(self, start: float, replicas: dict[str, int]) -> None:
        """``replicas``: what each deployment wants (deleted ones: 1)."""
        self.start = start
        self.replicas = replicas
        self.last_seq, self.last_time = 0, -math.inf  # the last event fed
        self.deps: dict[str, _Deployment] = defaultdict(_Deployment)
        self.owner: dict[str, str] = {}  # instance -> deployment
        self.ready: dict[str, bool] = {}  # instance -> RUNNING and ready
        self.stale: set[str] = set()  # instances recreated elsewhere
        self.node_state: dict[str, tuple[str, float]] = {}
        self.node_down: dict[str, float] = defaultdict(float)
        self.faults: dict[str, dict[str, Any]] = {}
        self.jobs = JobProgress()
        self.fleet = FleetFold(start)  # devices and message routes (engine/report_fleet.py)

    def _clip(self, t: float) -> float:
        return max(t, self.start)

    def _in_force(self, t: float) -> list[str]:
        return [f["id"] for f in self.faults.values() if f["start"] <= t and (f["end"] is None or f["end"] >= t)]

    def _counted(self, inst: str) -> str | None:
        """The deployment whose ready count ``inst`` adds to, if any."""
        if self.ready.get(inst) and inst not in self.stale:
            return self.owner.get(inst)
        return None

    def _change(self, inst: str, apply) -> None:
        """Apply a change to ``inst``'s readiness, staleness or existence; keep counts exact."""
        before = self._counted(inst)
        apply()
        after = self._counted(inst)
        if before != after:
            if before is not None:
                self.deps[before].ready_count -= 1
            if after is not None:
                self.deps[after].ready_count += 1

    def _settle(self, dep_id: str, now: float) -> None:
        d = self.deps[dep_id]
        available = d.gone_at is None and d.ready_count >= d.replicas
        if available == d.available:
            return
        if d.available:
            d.up_seconds += self._clip(now) - self._clip(d.since)
            d.down_faults = self._in_force(now)
        else:
            d.recoveries += [
                {"fault_id": f, "fault_kind": self.faults[f]["kind"], "recovered_after": round(now - self.faults[f]["start"], 6)}
                for f in d.down_faults
            ]
            d.down_faults = []
        d.available, d.since = available, now

    def feed(self, e: dict[str, Any]) -> None:
        t, kind = e["time"], e["kind"]
        self.last_seq, self.last_time = e["seq"], t
        self.fleet.feed(e)
        if kind.startswith("job."):
            self.jobs.feed(e)
        elif kind == "deployment.created":
            d = self.deps[e["deployment_id"]]
            d.first_seen, d.since = t, t
            d.name = e.get("name", "")
            d.replicas = self.replicas.get(e["deployment_id"], 1)
        elif kind == "deployment.deleted":
            self.deps[e["deployment_id"]].gone_at = t
            self._settle(e["deployment_id"], t)
        elif kind == "instance.created":
            self._change(e["instance_id"], lambda: self.owner.__setitem__(e["instance_id"], e["deployment_id"]))
        elif kind == "instance.state":
            ok = e["to"] == "RUNNING" and bool(e.get("ready"))
            self._change(e["instance_id"], lambda: self.ready.__setitem__(e["instance_id"], ok))
            if e["from"] == "FAILED" and e["to"] == "RUNNING" and t >= self.start:
                self.deps[e["deployment_id"]].restarts += 1
            self._settle(e["deployment_id"], t)
        elif kind == "instance.ready":  # only while RUNNING
            self._change(e["instance_id"], lambda: self.ready.__setitem__(e["instance_id"], bool(e["ready"])))
            self._settle(e["deployment_id"], t)
        elif kind == "instance.removed":
            self._change(e["instance_id"], lambda: self.ready.pop(e["instance_id"], None))
            self._settle(e["deployment_id"], t)
        elif kind == "instance.migrated":
            self._change(e["instance_id"], lambda: self.stale.add(e["instance_id"]))
            if t >= self.start:
                self.deps[e["deployment_id"]].migrations += 1
        elif kind == "instance.migration_undone":
            self._change(e["instance_id"], lambda: self.stale.discard(e["instance_id"]))
        elif kind in ("node.state", "node.registered"):
            node = e["node_id"]
            old, since = self.node_state.get(node, ("RUNNING", self.start))
            if old != "RUNNING":
                self.node_down[node] += self._clip(t) - self._clip(since)
            self.node_state[node] = (e.get("to") or e.get("state", "UNCONNECTED"), t)
        elif kind == "fault.started":
            self.faults[e["fault_id"]] = {"id": e["fault_id"], "kind": e["fault_kind"], "start": t, "end": None}
        elif kind in ("fault.ended", "fault.deleted") and e["fault_id"] in self.faults:
            fault = self.faults[e["fault_id"]]
            fault["end"] = fault["end"] or t

    def replayed_with(self, replicas: dict[str, int]) -> bool:
        """Whether every deployment seen so far was replayed wanting what ``replicas`` says."""
        return all(d.replicas == replicas.get(dep_id, 1) for dep_id, d in self.deps.items() if d.first_seen is not None)

    def result(self, end: float, names: dict[str, str], node_names: dict[str, str]) -> dict[str, Any]:
        """The report for [start, end], every event up to ``end`` fed (the state is not changed);
        ``names``: what each deployment is called now (deleted ones: their name as created)."""
        start, faults = self.start, self.faults

        def clip(t: float) -> float:
            return min(max(t, start), end)

        node_down = dict(self.node_down)
        for node, (state, since) in self.node_state.items():
            if state != "RUNNING":
                node_down[node] = node_down.get(node, 0.0) + clip(end) - clip(since)
        rows = []
        for dep_id, d in self.deps.items():
            if d.first_seen is None or (d.gone_at is not None and d.gone_at < start):
                continue
            seen_from, seen_to = clip(d.first_seen), clip(d.gone_at if d.gone_at is not None else end)
            up = d.up_seconds + (clip(end) - clip(d.since) if d.available else 0.0)
            still_down = [{"fault_id": f, "fault_kind": faults[f]["kind"], "recovered_after": None} for f in d.down_faults]
            rows.append({
                "id": dep_id,
                "name": names.get(dep_id, d.name),
                "replicas": d.replicas,
                "availability": round(up / (seen_to - seen_from), 6) if seen_to > seen_from else None,
                "restarts": d.restarts,
                "migrations": d.migrations,
                "recoveries": [r for r in d.recoveries + still_down if faults[r["fault_id"]]["start"] >= start],
            })
        return {
            "from": start,
            "to": end,
            "deployments": rows,
            "nodes": [
                {"id": n, "name": node_names.get(n, ""), "down_seconds": round(s, 6)}
                for n, s in sorted(node_down.items()) if s > 0
            ],
            "faults": [dict(f) for f in faults.values() if f["start"] <= end and (f["end"] is None or f["end"] >= start)],
            "jobs": self.jobs.result(start, end),
            **self.fleet.result(end, node_names),
        }


async def feed_until(builder: ReportBuilder, events: EventLog, end: float) -> None:
    """Feed ``builder`` the events after its last one, up to time ``end``, in slices."""
    async for batch in events.after(builder.last_seq):
        for event in batch:
            if event["time"] > end:
                return
            builder.feed(event)


class LiveReport:
    """The report from the start of the run, brought up to date at each request."""

    def __init__(self, events: EventLog) -> None:
        self._events = events
        self._lock = asyncio.Lock()  # one catch-up at a time
        self._builder: ReportBuilder | None = None
        self._discards = events.discards

    async def report(
        self, start: float, end: float, replicas: dict[str, int], names: dict[str, str], node_names: dict[str, str]
    ) -> dict[str, Any]:
        async with self._lock:
            if self._events.discards != self._discards:  # events it was fed were taken back
                self._builder, self._discards = None, self._events.discards
            builder = self._builder
            if start != 0 or builder is None or end < builder.last_time or not builder.replayed_with(replicas):
                builder = ReportBuilder(start, replicas)  # replay from the first event
            builder.replicas = replicas
            await feed_until(builder, self._events, end)
            if start == 0:
                self._builder = builder
            return builder.result(end, names, node_names)

    async def fleet(self, end: float, replicas: dict[str, int]) -> FleetFold:
        """The devices and routes fold from the start of the run up to ``end`` (the metrics'
        device seconds), caught up as the default report is."""
        await self.report(0, end, replicas, {}, {})
        assert self._builder is not None  # a report from 0 keeps its builder
        return self._builder.fleet
