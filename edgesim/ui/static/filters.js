// Search and filter: nodes on the map (name or id, state, group) and deployments in their table
// (name or id, state, group). Every filter offered is applied; the counts say how many match.

import { esc } from "./fleet-map.js";

const $ = (id) => document.getElementById(id);

// node "state" choices beyond the API's own states
const NODE_CHOICES = {
  unreachable: (node) => node.state === "RUNNING" && node.silent,
  "failed-instances": (node, model) => model.worst(node) === "FAILED",
  "crash-looping": (node, model) => model.worst(node) === "CRASHLOOP",
  "under-fault": (node) => node.faults.size > 0,
};

// RUNNING means reachable: a silent RUNNING node is listed as unreachable
const sameState = (node, model, state) => node.state === state && !(state === "RUNNING" && node.silent);

export class NodeFilter {
  constructor(model, onChange) {
    this.model = model;
    for (const id of ["node-search", "node-state", "node-group"]) $(id).addEventListener("input", onChange);
  }

  active() {
    return Boolean($("node-search").value.trim() || $("node-state").value || $("node-group").value);
  }

  // The group choices follow the fleet; the chosen one is kept while it exists.
  groups() {
    const options = this.model.groups.map((g) => `<option value="${esc(g.id)}">${esc(g.name)}</option>`).join("");
    const fill = (id, none) => {
      const chosen = $(id).value;
      $(id).innerHTML = `<option value="">any group</option><option value="-">${none}</option>` + options;
      if ([...$(id).options].some((o) => o.value === chosen)) $(id).value = chosen;
    };
    fill("node-group", "no group");
    fill("dep-group", "on nodes");
  }

  matcher() {
    const text = $("node-search").value.trim().toLowerCase();
    const state = $("node-state").value;
    const group = $("node-group").value;
    const members = group && group !== "-" ? new Set(this.model.groups.find((g) => g.id === group)?.node_ids || []) : null;
    const grouped = group === "-" ? new Set(this.model.groups.flatMap((g) => g.node_ids)) : null;
    const model = this.model;
    return (node) => {
      if (!node) return false;
      if (text && !node.name.toLowerCase().includes(text) && !node.id.startsWith(text)) return false;
      if (state && !(NODE_CHOICES[state] || sameState)(node, model, state)) return false;
      if (members && !members.has(node.id)) return false;
      if (grouped && grouped.has(node.id)) return false;
      return true;
    };
  }
}

// A deployment's state as its row shows it.
export function deploymentState(d) {
  if (d.state) return "deleting";
  if (d.ready >= d.replicas) return "ready";
  return d.ready ? "short" : "down";
}

export class DeploymentFilter {
  constructor(onChange) {
    for (const id of ["dep-search", "dep-state", "dep-group"]) $(id).addEventListener("input", onChange);
  }

  matcher() {
    const text = $("dep-search").value.trim().toLowerCase();
    const state = $("dep-state").value;
    const group = $("dep-group").value;
    return (d) => {
      if (text && !d.name.toLowerCase().includes(text) && !d.id.startsWith(text)) return false;
      if (state && deploymentState(d) !== state) return false;
      if (group === "-" ? Boolean(d.group_id) : group && d.group_id !== group) return false;
      return true;
    };
  }
}
