// The chaos panel (add and remove faults) and the experiment report.

import { call, withToken } from "./api.js";
import { esc } from "./fleet-map.js";
import { secondsLabel } from "./panels.js";

const $ = (id) => document.getElementById(id);
const KINDS = [
  "node_crash", "node_partition", "node_flap", "instance_crash", "oom_kill", "probe_failure",
  "image_pull_failure", "slow_start", "api_latency", "api_error",
];
const PLACEHOLDERS = {
  node_ids: "node names or ids, comma separated",
  group_id: "group name",
  deployment_id: "deployment name",
  image: "image glob, e.g. nginx:*",
  path: "path glob, e.g. /v2/*/edgemgr/deployments*",
};

export class ChaosPanel {
  constructor(model, onError) {
    this.model = model;
    this.onError = onError;
    $("fault-kind").innerHTML = KINDS.map((k) => `<option>${k}</option>`).join("");
    $("fault-target-type").addEventListener("change", () => this.suggest());
    $("fault-form").addEventListener("submit", (ev) => {
      ev.preventDefault();
      this.add();
    });
    $("faults").addEventListener("click", (ev) => {
      const b = ev.target.closest("button[data-remove]");
      if (b) this.remove(b.dataset.remove);
    });
    this.suggest();
  }

  // Fills the target's suggestions from what the fleet holds now.
  suggest() {
    const type = $("fault-target-type").value;
    $("fault-target").placeholder = PLACEHOLDERS[type];
    let names = [];
    if (type === "node_ids") names = [...this.model.nodes.values()].slice(0, 500).map((n) => n.name);
    if (type === "group_id") names = this.model.groups.map((g) => g.name);
    if (type === "deployment_id") names = [...this.model.deployments.values()].map((d) => d.name);
    $("fault-target-list").innerHTML = names.map((n) => `<option value="${esc(n)}">`).join("");
  }

  targetNode(nodeId) {
    $("fault-target-type").value = "node_ids";
    this.suggest();
    $("fault-target").value = this.model.nodes.get(nodeId)?.name || nodeId;
  }

  // Names are friendlier than ids; resolve them here, leave unknown words as given (ids).
  target() {
    const type = $("fault-target-type").value;
    const raw = $("fault-target").value.trim();
    const byName = (items, name) => items.find((x) => x.name === name)?.id || name;
    if (type === "node_ids") {
      const nodes = [...this.model.nodes.values()];
      return { node_ids: raw.split(/[\s,]+/).filter(Boolean).map((w) => byName(nodes, w)) };
    }
    if (type === "group_id") {
      const target = { group_id: byName(this.model.groups, raw) };
      const fraction = $("fault-fraction").value;
      if (fraction) target.fraction = Number(fraction);
      return target;
    }
    if (type === "deployment_id") return { deployment_id: byName([...this.model.deployments.values()], raw) };
    if (type === "image") return { image: raw };
    return { path: raw };
  }

  body() {
    const body = { kind: $("fault-kind").value, target: this.target() };
    for (const key of ["start", "duration", "probability"]) {
      const value = $("fault-" + key).value;
      if (value !== "") body[key] = Number(value);
    }
    const extra = $("fault-extra").value.trim();
    if (extra) Object.assign(body, JSON.parse(extra));
    return body;
  }

  async add() {
    const error = $("fault-error");
    error.textContent = "";
    try {
      const fault = await call("POST", "/edgesim/chaos/faults", this.body());
      error.textContent = "";
      await this.refresh();
      return fault;
    } catch (err) {
      error.textContent = err.message;
    }
  }

  async remove(faultId) {
    try {
      await call("DELETE", `/edgesim/chaos/faults/${encodeURIComponent(faultId)}`);
      await this.refresh();
    } catch (err) {
      this.onError(err);
    }
  }

  async refresh() {
    const body = await call("GET", "/edgesim/chaos/faults");
    const name = (id) => this.model.nodes.get(id)?.name || id.slice(0, 8);
    const rows = body.faults.slice().reverse().map((f) => {
      const target = f.nodes && f.nodes.length ? f.nodes.map(name).join(", ") : Object.entries(f.target).map(([k, v]) => `${k}=${v}`).join(" ");
      const when = `${secondsLabel(f.start)} – ${f.end == null ? "…" : secondsLabel(f.end)}`;
      const remove = f.state === "ended" ? "" : `<button data-remove="${esc(f.id)}" title="end it now">Remove</button>`;
      return `<tr data-id="${esc(f.id)}"><td><b>${esc(f.kind)}</b><div class="muted">${esc(target)}</div></td>`
        + `<td><span class="fault-state" data-state="${esc(f.state)}">${esc(f.state)}</span></td><td>${esc(when)}</td><td>${remove}</td></tr>`;
    });
    $("faults").innerHTML = rows.join("") || `<tr><td colspan="4" class="muted">no faults</td></tr>`;
  }
}

export class ReportPanel {
  constructor(onError) {
    this.onError = onError;
    $("report-refresh").addEventListener("click", () => this.refresh());
    $("timeline-link").addEventListener("click", () => {
      $("timeline-link").href = withToken("/edgesim/report.html"); // the token may have changed
    });
  }

  async refresh() {
    let r;
    try {
      r = await call("GET", "/edgesim/report");
    } catch (err) {
      this.onError(err);
      return;
    }
    const pct = (a) => (a == null ? "–" : `${(a * 100).toFixed(1)}%`);
    const deps = r.deployments.map((d) => {
      const rec = d.recoveries.map((x) => `${x.fault_kind}: ${x.recovered_after == null ? "not yet" : secondsLabel(x.recovered_after)}`).join("; ");
      return `<tr><td>${esc(d.name || d.id.slice(0, 8))}</td><td>${pct(d.availability)}</td><td>${d.restarts}</td><td>${d.migrations}</td><td class="muted">${esc(rec)}</td></tr>`;
    }).join("");
    const nodes = r.nodes.map((n) => `<tr><td>${esc(n.name || n.id.slice(0, 8))}</td><td>${secondsLabel(n.down_seconds)}</td></tr>`).join("");
    const faults = r.faults.map((f) => `<tr><td>${esc(f.kind)}</td><td>${secondsLabel(f.start)} – ${f.end == null ? "…" : secondsLabel(f.end)}</td></tr>`).join("");
    $("report").innerHTML = `<div class="report muted">window ${secondsLabel(r.from)} – ${secondsLabel(r.to)}</div>`
      + `<h4>Deployments</h4><table><tr><th>name</th><th>available</th><th>restarts</th><th>migrations</th><th>recoveries</th></tr>${deps || '<tr><td colspan="5" class="muted">none</td></tr>'}</table>`
      + `<h4>Nodes down</h4><table><tr><th>node</th><th>down</th></tr>${nodes || '<tr><td colspan="2" class="muted">none</td></tr>'}</table>`
      + `<h4>Faults</h4><table><tr><th>kind</th><th>when</th></tr>${faults || '<tr><td colspan="2" class="muted">none</td></tr>'}</table>`;
  }
}
