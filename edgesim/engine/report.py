"""The experiment report, computed by replaying the event log over a time window.

Per deployment: availability (the share of the window during which as many instances as it
wants replicas were RUNNING and ready), its restarts and migrations, and for each fault that
made it unavailable, how long after the fault started it was available again. Per node: how
long it was not RUNNING.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any


@dataclass
class _Deployment:
    name: str = ""
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


def build_report(
    events: list[dict[str, Any]],
    start: float,
    end: float,
    replicas: dict[str, int],
    names: dict[str, str],
    node_names: dict[str, str],
) -> dict[str, Any]:
    """``replicas``/``names``: what each deployment wants and is called (deleted ones: 1, "")."""
    deps: dict[str, _Deployment] = defaultdict(_Deployment)
    owner: dict[str, str] = {}  # instance -> deployment
    ready: dict[str, bool] = {}  # instance -> RUNNING and ready
    stale: set[str] = set()  # instances recreated elsewhere
    node_state: dict[str, tuple[str, float]] = {}
    node_down: dict[str, float] = defaultdict(float)
    faults: dict[str, dict[str, Any]] = {}

    def clip(t: float) -> float:
        return min(max(t, start), end)

    def in_force(t: float) -> list[str]:
        return [f["id"] for f in faults.values() if f["start"] <= t and (f["end"] is None or f["end"] >= t)]

    def settle(dep_id: str, now: float) -> None:
        d = deps[dep_id]
        count = sum(1 for i, ok in ready.items() if ok and owner.get(i) == dep_id and i not in stale)
        available = d.gone_at is None and count >= d.replicas
        if available == d.available:
            return
        if d.available:
            d.up_seconds += clip(now) - clip(d.since)
            d.down_faults = in_force(now)
        else:
            d.recoveries += [
                {"fault_id": f, "fault_kind": faults[f]["kind"], "recovered_after": round(now - faults[f]["start"], 6)}
                for f in d.down_faults
            ]
            d.down_faults = []
        d.available, d.since = available, now

    for e in events:
        t, kind = e["time"], e["kind"]
        if t > end:
            break
        if kind == "deployment.created":
            d = deps[e["deployment_id"]]
            d.first_seen, d.since = t, t
            d.name = names.get(e["deployment_id"], e.get("name", ""))
            d.replicas = replicas.get(e["deployment_id"], 1)
        elif kind == "deployment.deleted":
            deps[e["deployment_id"]].gone_at = t
            settle(e["deployment_id"], t)
        elif kind == "instance.created":
            owner[e["instance_id"]] = e["deployment_id"]
        elif kind == "instance.state":
            ready[e["instance_id"]] = e["to"] == "RUNNING" and bool(e.get("ready"))
            if e["from"] == "FAILED" and e["to"] == "RUNNING" and t >= start:
                deps[e["deployment_id"]].restarts += 1
            settle(e["deployment_id"], t)
        elif kind == "instance.ready":  # only while RUNNING
            ready[e["instance_id"]] = bool(e["ready"])
            settle(e["deployment_id"], t)
        elif kind == "instance.removed":
            ready.pop(e["instance_id"], None)
            settle(e["deployment_id"], t)
        elif kind == "instance.migrated":
            stale.add(e["instance_id"])
            if t >= start:
                deps[e["deployment_id"]].migrations += 1
        elif kind == "instance.migration_undone":
            stale.discard(e["instance_id"])
        elif kind in ("node.state", "node.registered"):
            node = e["node_id"]
            old, since = node_state.get(node, ("RUNNING", start))
            if old != "RUNNING":
                node_down[node] += clip(t) - clip(since)
            node_state[node] = (e.get("to") or e.get("state", "UNCONNECTED"), t)
        elif kind == "fault.started":
            faults[e["fault_id"]] = {"id": e["fault_id"], "kind": e["fault_kind"], "start": t, "end": None}
        elif kind in ("fault.ended", "fault.deleted") and e["fault_id"] in faults:
            faults[e["fault_id"]]["end"] = faults[e["fault_id"]]["end"] or t

    for node, (state, since) in node_state.items():
        if state != "RUNNING":
            node_down[node] += clip(end) - clip(since)
    rows = []
    for dep_id, d in deps.items():
        if d.first_seen is None or (d.gone_at is not None and d.gone_at < start):
            continue
        seen_from, seen_to = clip(d.first_seen), clip(d.gone_at if d.gone_at is not None else end)
        up = d.up_seconds + (clip(end) - clip(d.since) if d.available else 0.0)
        still_down = [{"fault_id": f, "fault_kind": faults[f]["kind"], "recovered_after": None} for f in d.down_faults]
        rows.append({
            "id": dep_id,
            "name": d.name,
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
        "faults": [f for f in faults.values() if f["start"] <= end and (f["end"] is None or f["end"] >= start)],
    }
