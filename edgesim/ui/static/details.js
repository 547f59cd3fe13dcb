// The detail panel: one node (resources, IPs, instances, devices, its states over time) or one
// deployment (instances, rollout and conditions, its newest events). What the map knows is
// shown at once; the rest comes from GET /edgesim/state/nodes/{id} or .../deployments/{id},
// fetched again (at most every REFRESH_MS) while events touch what is shown.

import { call } from "./api.js";
import { esc } from "./fleet-map.js";
import { crashLooping } from "./fleet-model.js";
import { secondsLabel } from "./panels.js";

const $ = (id) => document.getElementById(id);
const REFRESH_MS = 500;
const EVENTS_SHOWN = 30;
const HISTORY_SHOWN = 20;

export class Details {
  constructor(model, onAction, onError) {
    this.model = model;
    this.kind = null; // "node" or "deployment"
    this.id = null;
    this.body = null; // the server's answer for it
    this.timer = null;
    this.onError = onError;
    this.el = $("details");
    this.el.addEventListener("click", (ev) => {
      const b = ev.target.closest("button[data-action]");
      if (b) onAction(b.dataset.action, this.id, this.kind);
      const pick = ev.target.closest("[data-pick-node]");
      if (pick) {
        ev.preventDefault();
        onAction("pick-node", pick.dataset.pickNode);
      }
    });
  }

  get nodeId() {
    return this.kind === "node" ? this.id : null;
  }

  show(kind, id) {
    if (this.kind !== kind || this.id !== id) this.body = null;
    this.kind = id ? kind : null;
    this.id = id;
    this.render();
    this.fetch();
  }

  // An event touched what is shown: read it again soon.
  touched() {
    if (!this.id) return;
    this.timer ??= setTimeout(() => {
      this.timer = null;
      this.fetch();
    }, REFRESH_MS);
  }

  async fetch() {
    const { kind, id } = this;
    if (!id) return;
    try {
      const body = await call("GET", `/edgesim/state/${kind === "node" ? "nodes" : "deployments"}/${encodeURIComponent(id)}`);
      if (this.kind === kind && this.id === id) {
        this.body = body;
        this.render();
      }
    } catch (err) {
      if (err.status !== 404) this.onError(err); // gone meanwhile: the map's copy says what is known
    }
  }

  render() {
    this.el.hidden = !this.id;
    if (!this.id) return;
    this.el.dataset.kind = this.kind;
    this.el.innerHTML = this.kind === "node" ? this.nodeHtml() : this.deploymentHtml();
  }

  nodeHtml() {
    const node = this.model.nodes.get(this.id);
    const body = this.body;
    const name = node?.name || body?.node.name || this.id;
    const state = node ? this.model.reach(node) : body?.node.state || "gone";
    const past = this.model.at !== null ? ` <span class="badge replay">at t=${secondsLabel(this.model.at)}</span>` : "";
    let html = `<h3>${esc(name)} <span class="badge" data-state="${esc(node?.state || state)}">${esc(state)}</span>${past}</h3>`
      + `<div class="muted">${esc(this.id)}${node?.faults.size ? " · under a fault" : ""}</div>`;
    if (body) {
      const n = body.node;
      html += `<dl class="facts">`
        + `<dt>resources</dt><dd class="resources">${n.cpu} CPU · ${n.memory} MiB${n.arch ? " · " + esc(n.arch) : ""}${n.os_name ? " · " + esc(n.os_name + " " + n.os_version) : ""}</dd>`
        + `<dt>IPs</dt><dd class="ips">${esc((n.host_ips || []).join(", ") || "none")}</dd>`
        + `<dt>version</dt><dd>${esc(n.ief_node_version || "–")}${n.upgrade_flag ? " (upgrade available)" : ""}</dd></dl>`;
    }
    html += `<h4>Instances</h4>` + this.nodeInstances(node, body);
    html += `<h4>Devices</h4>` + this.nodeDevices(node, body);
    if (body) {
      const rows = body.history.slice(0, HISTORY_SHOWN).map((h) =>
        `<li><span class="t">${secondsLabel(h.time)}</span> ${esc(h.from)} → <b>${esc(h.to)}</b></li>`).join("");
      html += `<h4>History</h4>` + (rows ? `<ul class="history">${rows}</ul>` : `<div class="muted">no state changes</div>`);
    }
    return html + `<div class="actions"><button data-action="disconnect">Disconnect</button><button data-action="connect">Connect</button>`
      + `<button data-action="target">Chaos target</button><button data-action="close">Close</button></div>`;
  }

  nodeInstances(node, body) {
    // the server's rows (restarts, reason) when they are in; the map's copy until then, and in the past
    const rows = body && this.model.at === null
      ? body.instances.map((i) => ({ id: i.id, dep: i.deployment_name, state: i.state, ready: i.is_ready, stale: i.stale,
                                     restarts: i.restarts, reason: i.reason }))
      : (node?.instances || []).map((id) => {
        const i = this.model.instances.get(id);
        return { id, dep: this.model.deployments.get(i.deployment_id)?.name || i.deployment_id, state: i.state, ready: i.ready,
                 stale: i.stale, restarts: i.restarts, reason: i.reason };
      });
    if (!rows.length) return `<div class="muted">no instances</div>`;
    return `<ul class="instances">${rows.map((i) => `<li data-state="${esc(i.state)}">${esc(i.dep)} <span class="muted">${esc(i.id.slice(0, 8))}</span> `
      + `${esc(i.state)}${i.state === "RUNNING" ? (i.ready ? ", ready" : ", not ready") : ""}${i.stale ? " (stale copy)" : ""}`
      + `${crashLooping(i) ? ` <b class="crashloop">crash-looping</b>` : ""}${i.restarts ? ` <span class="muted">${i.restarts} restarts</span>` : ""}</li>`).join("")}</ul>`;
  }

  nodeDevices(node, body) {
    const rows = body && this.model.at === null ? body.devices : (node?.devices || []).map((id) => this.model.devices.get(id));
    if (!rows.length) return `<div class="muted">no devices</div>`;
    return `<ul class="devices">${rows.map((d) => `<li class="device" data-state="${esc(d.state)}">${esc(d.name)} <b>${esc(d.state)}</b></li>`).join("")}</ul>`;
  }

  deploymentHtml() {
    const dep = this.model.deployments.get(this.id);
    const body = this.body;
    const d = body?.deployment;
    const name = dep?.name || d?.name || this.id;
    const ready = dep ? `${dep.ready}/${dep.replicas}` : d ? `${d.ready_replicas}/${d.replicas}` : "";
    let html = `<h3>${esc(name)} <span class="badge">${esc(ready)} ready</span></h3><div class="muted">${esc(this.id)}</div>`;
    if (!body) return html + `<div class="muted">loading…</div>` + this.closeButton();
    const r = body.rollout;
    const rollout = r
      ? `revision ${r.revision} <b class="rollout" data-status="${esc(r.status)}">${esc(r.status)}</b> · ${r.available ?? 0} of ${d.replicas} updated and available`
      : `revision ${body.revision} · no rolling update yet`;
    const conditions = d.conditions.map((c) => `<li>${esc(c.type)} ${esc(c.status)} · ${esc(c.reason)}: ${esc(c.message)}</li>`).join("");
    const names = (id) => this.model.nodes.get(id)?.name || (id || "no node").slice(0, 8);
    const insts = d.instances.map((i) => `<li data-state="${esc(i.state)}"><a href="#" data-pick-node="${esc(i.node_id)}">${esc(names(i.node_id))}</a> `
      + `<span class="muted">${esc(i.id.slice(0, 8))}</span> ${esc(i.state)}${i.state === "RUNNING" ? (i.is_ready ? ", ready" : ", not ready") : ""}`
      + `${i.restarts ? ` <span class="muted">${i.restarts} restarts</span>` : ""}${i.reason ? ` <span class="muted">${esc(i.reason)}</span>` : ""}</li>`).join("");
    const events = body.events.slice(0, EVENTS_SHOWN).map((e) => `<li data-kind="${esc(e.kind)}"><span class="t">${secondsLabel(e.time)}</span> `
      + `<b>${esc(e.kind)}</b> ${esc(eventWords(e, names))}</li>`).join("");
    return html
      + `<h4>Rollout</h4><div class="rollout-line">${rollout}</div>${conditions ? `<ul class="conditions">${conditions}</ul>` : ""}`
      + `<h4>Instances</h4>${insts ? `<ul class="instances">${insts}</ul>` : `<div class="muted">none</div>`}`
      + `<h4>Events</h4><ul class="events">${events}</ul>` + this.closeButton();
  }

  closeButton() {
    return `<div class="actions"><button data-action="close">Close</button></div>`;
  }
}

function eventWords(e, names) {
  if (e.from !== undefined && e.to !== undefined) return `${e.from} → ${e.to}${e.reason ? " " + e.reason : ""}`;
  if (e.from_node) return `${names(e.from_node)} → ${names(e.to_node)}`;
  if (e.node_id) return names(e.node_id);
  return e.reason || "";
}
