// The dashboard's copy of the world: loaded from GET /edgesim/state, then kept current by the
// event stream. Events that only change a state are applied here; events that change the
// fleet's shape (nodes, groups, instances appearing or moving) ask for a fresh snapshot.

const RESHAPE = new Set([
  "node.registered", "node.deleted", "node.updated", "fleet.created",
  "group.created", "group.updated", "group.deleted", "group.nodes",
  "deployment.created", "deployment.updated", "deployment.scaled", "deployment.deleting", "deployment.deleted",
  "instance.created", "instance.scheduled", "instance.removed", "instance.migrated",
  "instance.migration_undone", "instance.cleaned_up",
]);
const KEEP_RECENT = 5000; // events replayed over a snapshot that was taken before they arrived

export class FleetModel {
  constructor() {
    this.seq = 0;
    this.clock = null;
    this.groups = [];
    this.nodes = new Map(); // id -> {id, name, state, silent, instances: [instance ids], faults: Set}
    this.instances = new Map(); // id -> {id, deployment_id, node_id, state, ready, stale}
    this.deployments = new Map(); // id -> {id, name, replicas, ready, instances, group_id, state}
    this.unplaced = [];
    this.recent = [];
  }

  load(snapshot) {
    this.seq = snapshot.seq;
    this.clock = snapshot.clock;
    this.groups = snapshot.groups;
    this.nodes = new Map();
    this.instances = new Map();
    for (const n of snapshot.nodes) {
      this.nodes.set(n.id, { id: n.id, name: n.name, state: n.state, silent: n.silent, instances: n.instances.map((i) => i.id), faults: new Set() });
      for (const i of n.instances) this.instances.set(i.id, { ...i, node_id: n.id });
    }
    this.unplaced = snapshot.unplaced.map((i) => i.id);
    for (const i of snapshot.unplaced) this.instances.set(i.id, { ...i, node_id: null });
    this.deployments = new Map(snapshot.deployments.map((d) => [d.id, d]));
    for (const f of snapshot.faults) if (f.state === "active") this.markFault(f.id, f.nodes, true);
    // what arrived while the snapshot was on its way
    const missed = this.recent.filter((e) => e.seq > this.seq);
    const changes = newChanges();
    for (const e of missed) this.apply(e, changes);
    return changes;
  }

  remember(event) {
    this.recent.push(event);
    if (this.recent.length > KEEP_RECENT * 2) this.recent = this.recent.slice(-KEEP_RECENT);
  }

  // Applies one event; records what it touched in `changes` (see newChanges).
  apply(e, changes) {
    if (e.seq <= this.seq) return;
    this.seq = e.seq;
    changes.feed.push(e);
    if (RESHAPE.has(e.kind)) changes.reshape = true;
    if (e.kind.startsWith("fault.")) changes.faults = true;
    switch (e.kind) {
      case "node.state": {
        const node = this.nodes.get(e.node_id);
        if (!node) { changes.reshape = true; break; }
        node.state = e.to;
        if (e.to === "RUNNING") node.silent = false;
        changes.nodes.add(node.id);
        break;
      }
      case "node.silent": {
        const node = this.nodes.get(e.node_id);
        if (node) { node.silent = true; changes.nodes.add(node.id); }
        break;
      }
      case "instance.state":
      case "instance.ready": {
        const inst = this.instances.get(e.instance_id);
        if (!inst) { changes.reshape = true; break; }
        if (e.kind === "instance.state") inst.state = e.to;
        inst.ready = Boolean(e.ready);
        if (e.node_id && e.node_id !== inst.node_id) changes.reshape = true;
        if (inst.node_id) changes.nodes.add(inst.node_id);
        changes.deployments = true;
        break;
      }
      case "fault.started":
        this.markFault(e.fault_id, e.nodes || [], true, changes);
        break;
      case "fault.ended":
      case "fault.deleted":
        this.markFault(e.fault_id, null, false, changes);
        break;
    }
  }

  markFault(faultId, nodeIds, on, changes) {
    const ids = nodeIds ?? [...this.nodes.keys()].filter((id) => this.nodes.get(id).faults.has(faultId));
    for (const id of ids) {
      const node = this.nodes.get(id);
      if (!node) continue;
      if (on) node.faults.add(faultId);
      else node.faults.delete(faultId);
      if (changes) changes.nodes.add(id);
    }
  }

  // Recounts ready replicas for every deployment in one pass over the instances.
  recount() {
    const ready = new Map();
    for (const inst of this.instances.values()) {
      if (inst.state === "RUNNING" && inst.ready && !inst.stale) ready.set(inst.deployment_id, (ready.get(inst.deployment_id) || 0) + 1);
    }
    for (const d of this.deployments.values()) d.ready = ready.get(d.id) || 0;
  }
}

export function newChanges() {
  return { nodes: new Set(), deployments: false, faults: false, reshape: false, feed: [] };
}
