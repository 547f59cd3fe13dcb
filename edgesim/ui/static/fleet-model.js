// The dashboard's copy of the world: loaded from GET /edgesim/state, then kept current by the
// event stream. Events that only change a state are applied here; events that change the
// fleet's shape (nodes, groups, instances appearing or moving) ask for a fresh snapshot.
// A snapshot of the past (GET /edgesim/state?at=T, the time slider) is loaded the same way,
// without the events that came after it.

const RESHAPE = new Set([
  "node.registered", "node.deleted", "node.updated", "fleet.created",
  "group.created", "group.updated", "group.deleted", "group.nodes",
  "deployment.created", "deployment.updated", "deployment.scaled", "deployment.deleting", "deployment.deleted",
  "instance.created", "instance.scheduled", "instance.removed", "instance.migrated",
  "instance.migration_undone", "instance.cleaned_up",
  "device.created", "device.deleted", "device.bound", "device.unbound",
  // a silent node that reports again before it is marked FAIL records no event of its own
  "fault.ended", "fault.deleted",
]);
const KEEP_RECENT = 5000; // events replayed over a snapshot that was taken before they arrived
const CRASH_LOOP_RESTARTS = 3; // restarts after which an instance counts as crash-looping

// How bad an instance looks, worst highest: a node's square on the compact map shows its worst.
export const WORST = ["", "RUNNING", "PENDING", "UNKNOWN", "CRASHLOOP", "FAILED"];
const BAD_STATES = new Set(["FAILED", "CREATE_FAIL", "DELETE_FAILED"]);

export function crashLooping(inst) {
  return inst.reason === "CrashLoopBackOff" || (inst.restarts || 0) >= CRASH_LOOP_RESTARTS;
}

// A crash loop is FAILED between its runs: it is told apart as the more telling of the two.
export function looks(inst) {
  if (crashLooping(inst)) return "CRASHLOOP";
  if (BAD_STATES.has(inst.state)) return "FAILED";
  if (inst.state === "UNKNOWN") return "UNKNOWN";
  if ((inst.state === "RUNNING" && inst.ready) || inst.state === "SUCCEEDED") return "RUNNING";
  return "PENDING";
}

export class FleetModel {
  constructor() {
    this.seq = 0;
    this.clock = null;
    this.at = null; // simulated time of a snapshot of the past; null: live
    this.groups = [];
    this.nodes = new Map(); // id -> {id, name, state, silent, instances: [instance ids], devices: [device ids], faults: Set}
    this.instances = new Map(); // id -> {id, deployment_id, node_id, state, ready, stale, restarts, reason}
    this.devices = new Map(); // id -> {id, name, node_id, state}
    this.deployments = new Map(); // id -> {id, name, replicas, ready, instances, group_id, state}
    this.unplaced = [];
    this.rules = [];
    this.jobs = [];
    this.migrations = []; // of a snapshot of the past: those of the minute before it
    this.recent = [];
  }

  load(snapshot) {
    this.seq = snapshot.seq;
    this.clock = snapshot.clock;
    this.at = snapshot.at ?? null;
    this.groups = snapshot.groups;
    this.nodes = new Map();
    this.instances = new Map();
    this.devices = new Map();
    for (const n of snapshot.nodes) {
      const devices = n.devices || [];
      this.nodes.set(n.id, { id: n.id, name: n.name, state: n.state, silent: n.silent, instances: n.instances.map((i) => i.id),
                             devices: devices.map((d) => d.id), faults: new Set() });
      for (const i of n.instances) this.instances.set(i.id, { ...i, node_id: n.id });
      for (const d of devices) this.devices.set(d.id, { ...d, node_id: n.id });
    }
    this.unplaced = snapshot.unplaced.map((i) => i.id);
    for (const i of snapshot.unplaced) this.instances.set(i.id, { ...i, node_id: null });
    this.deployments = new Map(snapshot.deployments.map((d) => [d.id, d]));
    if (snapshot.rules) this.rules = snapshot.rules;
    if (snapshot.jobs) this.jobs = snapshot.jobs;
    this.migrations = snapshot.migrations || [];
    for (const f of snapshot.faults) if (f.state === "active") this.markFault(f.id, f.nodes, true);
    const changes = newChanges();
    if (this.at !== null) return changes; // the past: what came after it stays out
    // what arrived while the snapshot was on its way
    const missed = this.recent.filter((e) => e.seq > this.seq);
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
    if (e.kind.startsWith("job.") || e.kind.startsWith("rule.")) changes.operations = true;
    if (e.deployment_id) changes.deploymentIds.add(e.deployment_id);
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
        if (e.kind === "instance.state") {
          inst.state = e.to;
          inst.reason = e.reason || undefined;
        }
        inst.ready = Boolean(e.ready);
        if (e.node_id && e.node_id !== inst.node_id) changes.reshape = true;
        if (inst.node_id) changes.nodes.add(inst.node_id);
        changes.deployments = true;
        break;
      }
      case "instance.exited": {
        const inst = this.instances.get(e.instance_id);
        if (!inst) break;
        inst.restarts = (inst.restarts || 0) + 1; // the policy restarts it (or it ends): one more run
        if (inst.node_id) changes.nodes.add(inst.node_id);
        break;
      }
      case "instance.migrated":
        changes.migrations.push(e);
        break;
      case "device.online":
      case "device.offline": {
        const device = this.devices.get(e.device_id);
        if (!device) break;
        device.state = e.kind === "device.online" ? "online" : "offline";
        if (device.node_id) changes.nodes.add(device.node_id);
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

  // The worst-looking of the node's instances (WORST), "" without any; stale copies count too:
  // they are what the node still runs.
  worst(node) {
    let rank = 0;
    for (const id of node.instances) {
      const inst = this.instances.get(id);
      if (inst) rank = Math.max(rank, WORST.indexOf(looks(inst)));
    }
    return WORST[rank];
  }

  // A node its agent does not reach is not RUNNING to the user, whatever the API says yet.
  reach(node) {
    return node.state === "RUNNING" && node.silent ? "unreachable" : node.state;
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
  return { nodes: new Set(), deployments: false, faults: false, reshape: false, operations: false,
           deploymentIds: new Set(), migrations: [], feed: [] };
}
