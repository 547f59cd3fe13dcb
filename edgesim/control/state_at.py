"""GET /edgesim/state?at=T: the fleet as it was at simulated time T, for the dashboard's slider.

Decision (docs/api.md): the server rebuilds it from the current world and the whole event log
(memory and store), read once, oldest first. Instances are replayed forward from their
``instance.created`` events up to T (every instance has one); nodes, devices and deployments
are the records of the world that existed at T (``created_at`` <= T), each value that events
change (a node's state, a device's online state and node, a deployment's replicas) taken from
the last event at or before T, else from the first one after T (its ``from``), else as it is
now. Group membership is as it is now. Nodes and deployments deleted since T come back only if
their creation is in the log (nodes registered through the API, every deployment). Message
rules and batch jobs are rebuilt from their own events (``operations_at``).
"""

from __future__ import annotations

from typing import Any

from edgesim.control.operations_at import OperationsAt
from edgesim.engine.engine import Engine

MIGRATION_WINDOW = 60.0  # simulated seconds before T whose migrations the map draws


class AtT:
    """Values as they were at T, from events seen in order: the last one at or before T wins;
    without one, the value before the first event after T."""

    def __init__(self, at: float) -> None:
        self.at = at
        self.before: dict[tuple[str, str], Any] = {}
        self.after: dict[tuple[str, str], Any] = {}

    def see(self, key: tuple[str, str], time: float, old: Any, new: Any) -> None:
        if time <= self.at:
            self.before[key] = new
        elif key not in self.after:
            self.after[key] = old

    def value(self, key: tuple[str, str], now: Any) -> Any:
        if key in self.before:
            return self.before[key]
        return self.after.get(key, now)


class Replay:
    """One pass over the log, oldest first."""

    def __init__(self, at: float) -> None:
        self.at = at
        self.values = AtT(at)
        self.seq = 0
        self.instances: dict[str, dict[str, Any]] = {}
        self.deployments: dict[str, str] = {}  # created by T and not deleted: id -> name
        self.registered: dict[str, str] = {}  # nodes registered through the API by T: id -> name
        self.deleted_nodes: set[str] = set()
        self.faults: dict[str, dict[str, Any]] = {}
        self.migrations: list[dict[str, Any]] = []
        self.operations = OperationsAt(at)  # message rules and batch jobs

    def see(self, e: dict[str, Any]) -> None:
        kind, t, v = e["kind"], e["time"], self.values
        if kind == "node.state":
            v.see(("node", e["node_id"]), t, e["from"], e["to"])
            if e["to"] == "RUNNING":
                v.see(("silent", e["node_id"]), t, True, False)
        elif kind == "node.silent":
            v.see(("silent", e["node_id"]), t, False, True)
        elif kind in ("device.online", "device.offline"):
            online = kind == "device.online"
            v.see(("device", e["device_id"]), t, "offline" if online else "online", "online" if online else "offline")
        elif kind == "device.bound":
            v.see(("bound", e["device_id"]), t, None, e["node_id"])
        elif kind == "device.unbound":
            v.see(("bound", e["device_id"]), t, e["node_id"], None)
        elif kind == "deployment.scaled":
            v.see(("replicas", e["deployment_id"]), t, e["from"], e["to"])
        if t > self.at:
            return
        self.seq = e["seq"]
        self._until_t(kind, e)
        self.operations.see(e)

    def _until_t(self, kind: str, e: dict[str, Any]) -> None:
        insts = self.instances
        inst = insts.get(e.get("instance_id") or "")
        if kind == "instance.created":
            insts[e["instance_id"]] = {"id": e["instance_id"], "deployment_id": e["deployment_id"],
                                       "node_id": e.get("node_id"), "state": e.get("state"), "ready": False}
        elif inst is None:
            pass
        elif kind == "instance.scheduled":
            inst["node_id"] = e["node_id"]
        elif kind == "instance.state":
            inst["state"], inst["ready"] = e["to"], bool(e.get("ready"))
            inst["node_id"] = e.get("node_id") or inst["node_id"]
            inst["crash_loop"] = e.get("reason") == "CrashLoopBackOff"
        elif kind == "instance.ready":
            inst["ready"] = bool(e.get("ready"))
        elif kind == "instance.exited":
            inst["restarts"] = inst.get("restarts", 0) + 1
        elif kind == "instance.migrated":
            inst["stale"] = True
            self.migrations.append({key: e.get(key) for key in
                                    ("time", "deployment_id", "instance_id", "new_instance_id", "from_node", "to_node")})
        elif kind == "instance.migration_undone":
            inst.pop("stale", None)
        elif kind in ("instance.removed", "instance.cleaned_up"):
            del insts[e["instance_id"]]
        if kind == "deployment.created":
            self.deployments[e["deployment_id"]] = e.get("name") or e["deployment_id"]
        elif kind == "deployment.deleted":
            self.deployments.pop(e["deployment_id"], None)
        elif kind == "node.registered":
            self.registered[e["node_id"]] = e.get("name") or e["node_id"]
        elif kind == "node.deleted":
            self.deleted_nodes.add(e["node_id"])
        elif kind == "fault.started":
            self.faults[e["fault_id"]] = {"id": e["fault_id"], "kind": e.get("fault_kind"), "state": "active",
                                          "nodes": list(e.get("nodes") or [])}
        elif kind in ("fault.ended", "fault.deleted"):
            self.faults.pop(e["fault_id"], None)


def _instance_row(inst: dict[str, Any]) -> dict[str, Any]:
    row = {"id": inst["id"], "deployment_id": inst["deployment_id"], "state": inst["state"], "ready": inst["ready"]}
    if inst.get("stale"):
        row["stale"] = True
    if inst.get("restarts"):
        row["restarts"] = inst["restarts"]
    if inst.get("crash_loop"):
        row["reason"] = "CrashLoopBackOff"
    return row


async def state_at(engine: Engine, at: float) -> dict[str, Any]:
    replay = Replay(at)
    async for batch in engine.events.after(0):
        for e in batch:
            replay.see(e)
    world, values = engine.world, replay.values
    names = {n.id: n.name for n in world.nodes.values() if n.created_at <= at}
    names.update({i: name for i, name in replay.registered.items() if i not in replay.deleted_nodes})
    placed: dict[str, list[dict]] = {}
    unplaced = []
    ready: dict[str, int] = {}
    for inst in replay.instances.values():
        row = _instance_row(inst)
        if inst["node_id"] in names:
            placed.setdefault(inst["node_id"], []).append(row)
        else:
            unplaced.append(row)
        if inst["state"] == "RUNNING" and inst["ready"] and not inst.get("stale"):
            ready[inst["deployment_id"]] = ready.get(inst["deployment_id"], 0) + 1
    devices: dict[str, list[dict]] = {}
    for d in sorted(world.devices.values(), key=lambda d: (d.bound_seq, d.id)):
        node_id = values.value(("bound", d.id), d.node_id)
        if d.created_at <= at and node_id in names:
            devices.setdefault(node_id, []).append(
                {"id": d.id, "name": d.name, "state": values.value(("device", d.id), engine.devices.state(d))})
    nodes = []
    for node_id, name in sorted(names.items(), key=lambda item: item[1]):
        now = world.nodes.get(node_id)
        nodes.append({
            "id": node_id, "name": name,
            "state": values.value(("node", node_id), now.state if now else "RUNNING"),
            "silent": bool(values.value(("silent", node_id), bool(now and now.silent_since is not None))),
            "instances": placed.get(node_id, []), "devices": devices.get(node_id, []),
        })
    deployments = []
    for dep_id, name in replay.deployments.items():  # creation order
        dep = world.deployments.get(dep_id)
        count = sum(1 for i in replay.instances.values() if i["deployment_id"] == dep_id and not i.get("stale"))
        deployments.append({
            "id": dep_id, "name": name, "replicas": values.value(("replicas", dep_id), dep.replicas if dep else count),
            "ready": ready.get(dep_id, 0), "instances": count,
            "group_id": dep.group_id if dep else None, "state": None,
        })
    return {
        "at": at,
        "seq": replay.seq,  # the last event at or before T
        "groups": [
            {"id": g.id, "name": g.name, "node_ids": [i for i in g.node_ids if i in names]}
            for g in sorted(world.groups.values(), key=lambda g: g.name) if g.created_at <= at
        ],
        "nodes": nodes,
        "unplaced": unplaced,
        "deployments": deployments,
        "faults": list(replay.faults.values()),
        "migrations": [m for m in replay.migrations if m["time"] > at - MIGRATION_WINDOW],
        **replay.operations.result(engine),  # rules and jobs as they were at T too
    }
