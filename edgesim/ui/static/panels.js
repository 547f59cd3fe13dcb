// The clock, the header counts, the deployments table and the live event feed.

import { call } from "./api.js";
import { deploymentState } from "./filters.js";
import { esc } from "./fleet-map.js";
import { looks } from "./fleet-model.js";

const $ = (id) => document.getElementById(id);
const FEED_ROWS = 300; // the feed keeps the newest rows only; the full log is GET /edgesim/events

export function secondsLabel(t) {
  if (Math.abs(t) < 60) return `${+t.toFixed(3)}s`;
  const whole = Math.floor(t);
  const h = Math.floor(whole / 3600), m = Math.floor((whole % 3600) / 60), s = whole % 60;
  const two = (n) => String(n).padStart(2, "0");
  return h ? `${h}:${two(m)}:${two(s)}` : `${m}:${two(s)}`;
}

export class ClockPanel {
  constructor(onError) {
    this.clock = null;
    this.seenAt = 0; // performance.now() when `clock` was read: a real clock runs on between reads
    $("advance-form").addEventListener("submit", (ev) => {
      ev.preventDefault();
      this.advance(Number($("advance-seconds").value));
    });
    for (const b of document.querySelectorAll("#advance-form .quick")) {
      b.addEventListener("click", () => this.advance(Number(b.dataset.seconds)));
    }
    this.onError = onError;
    this.onTick = null; // told the simulated time at every render (the time slider)
    setInterval(() => this.render(), 1000);
  }

  // Answers may arrive out of order (a poll overtaken by an advance): time only moves forward.
  set(clock) {
    if (this.clock && clock.mode === this.clock.mode && clock.now < this.clock.now) return;
    this.clock = { now: clock.now, time: clock.time, mode: clock.mode, scale: clock.scale };
    this.seenAt = performance.now();
    this.render();
  }

  // An event happened at its simulated time: the clock is at least there.
  seen(event) {
    if (this.clock && event.time > this.clock.now) this.set({ ...this.clock, now: event.time, time: event.timestamp });
  }

  async advance(seconds) {
    if (!(seconds >= 0)) return;
    const button = $("advance-button");
    button.disabled = true;
    try {
      const body = await call("POST", "/edgesim/clock/advance", { seconds });
      this.set(body);
    } catch (err) {
      this.onError(err);
    } finally {
      button.disabled = false;
    }
  }

  render() {
    const c = this.clock;
    if (!c) return;
    let now = c.now;
    let time = c.time;
    if (c.mode === "real") {
      const ran = ((performance.now() - this.seenAt) / 1000) * c.scale;
      now += ran;
      time = new Date(Date.parse(c.time) + ran * 1000).toISOString().replace(".000Z", "Z");
    }
    $("clock-time").textContent = time.replace("T", " ").replace(/\.\d+Z$/, "Z");
    $("clock-now").textContent = `t=${secondsLabel(now)}`;
    $("clock-now").dataset.now = String(c.now);
    $("clock-mode").textContent = c.mode === "real" ? `real ×${c.scale}` : "virtual";
    $("advance-form").hidden = c.mode !== "virtual";
    this.onTick?.(now);
  }
}

// Header counts: a silent RUNNING node (partitioned, its agent quiet) is counted unreachable,
// not running; instances are counted by how they look (fleet-model.js looks()).
export function renderSummary(model) {
  const nodes = {};
  for (const n of model.nodes.values()) {
    const s = model.reach(n);
    nodes[s] = (nodes[s] || 0) + 1;
  }
  const insts = {};
  for (const i of model.instances.values()) {
    if (i.stale) continue;
    const s = looks(i);
    insts[s] = (insts[s] || 0) + 1;
  }
  const words = { RUNNING: "running", PENDING: "starting", UNKNOWN: "unknown", CRASHLOOP: "crash-looping", FAILED: "failed" };
  const part = (cls, text) => `<span class="count" data-count="${cls}">${text}</span>`;
  const nodeParts = Object.entries(nodes).sort().map(([s, n]) => part(s, `${n} ${s}`)).join(", ");
  const instParts = ["FAILED", "CRASHLOOP", "UNKNOWN", "PENDING", "RUNNING"].filter((s) => insts[s])
    .map((s) => part("i-" + s, `${insts[s]} ${words[s]}`)).join(", ");
  const count = [...model.instances.values()].filter((i) => !i.stale).length;
  $("summary").innerHTML = `${model.nodes.size} nodes (${nodeParts || "none"}) · ${count} instances${instParts ? ` (${instParts})` : ""}`
    + ` · ${model.deployments.size} deployments`;
}

export function renderDeployments(model, matches = () => true, selected = null) {
  const groups = new Map(model.groups.map((g) => [g.id, g.name]));
  const all = [...model.deployments.values()];
  const shown = all.filter(matches);
  const rows = shown.map((d) => {
    const share = d.replicas ? Math.min(1, d.ready / d.replicas) : 1;
    const state = deploymentState(d);
    const cls = { ready: "", short: "short", down: "down", deleting: "short" }[state];
    const where = d.group_id ? `group ${groups.get(d.group_id) || d.group_id.slice(0, 8)}` : "nodes";
    return `<tr class="${cls}${d.id === selected ? " selected" : ""}" data-id="${esc(d.id)}" data-state="${state}"><td>${esc(d.name)}${d.state ? ` <span class="muted">${esc(d.state)}</span>` : ""}</td>`
      + `<td><span class="bar"><i style="width:${(share * 100).toFixed(0)}%"></i></span><span class="ready">${d.ready}/${d.replicas}</span></td>`
      + `<td class="muted">${esc(where)}</td></tr>`;
  });
  const none = all.length ? "no deployment matches" : "no deployments yet";
  $("deployments").innerHTML = rows.join("") || `<tr class="empty"><td colspan="3" class="muted">${none}</td></tr>`;
  $("dep-match").textContent = shown.length === all.length ? "" : `${shown.length} of ${all.length}`;
  $("unplaced").textContent = model.unplaced.length ? `${model.unplaced.length} instances wait for a node` : "";
}

export class Feed {
  constructor(model) {
    this.model = model;
    this.list = $("feed");
    this.filter = "";
    this.rows = [];
    $("feed-filter").addEventListener("input", (ev) => {
      this.filter = ev.target.value.trim();
      this.list.innerHTML = this.rows.filter((r) => this.wanted(r.e)).map((r) => r.html).reverse().join("");
    });
  }

  wanted(e) {
    if (!this.filter) return true;
    return e.kind.includes(this.filter) || Object.values(e).some((v) => typeof v === "string" && v.startsWith(this.filter));
  }

  describe(e) {
    const name = (id) => this.model.nodes.get(id)?.name || (id || "").slice(0, 8);
    const dep = (id) => this.model.deployments.get(id)?.name || (id || "").slice(0, 8);
    switch (e.kind) {
      case "node.state": return `${name(e.node_id)} ${e.from} → ${e.to}`;
      case "node.silent": return `${name(e.node_id)} (${e.reason})`;
      case "instance.state": return `${dep(e.deployment_id)} ${e.from} → ${e.to}${e.reason ? " " + e.reason : ""} on ${name(e.node_id)}`;
      case "instance.migrated": return `${dep(e.deployment_id)} ${name(e.from_node)} → ${name(e.to_node)}`;
      case "device.online": case "device.offline": case "device.bound": case "device.unbound":
        return `${this.model.devices.get(e.device_id)?.name || (e.device_id || "").slice(0, 8)} on ${name(e.node_id)}`;
      case "job.status": return `${e.job_id.slice(0, 8)} ${e.from} → ${e.to}`;
      case "job.task": return `${e.job_id.slice(0, 8)} ${name(e.target_id)} ${e.status}${e.reason ? " " + e.reason : ""}`;
      case "fault.added": case "fault.started": case "fault.ended": case "fault.hit":
        return `${e.fault_kind || ""} ${e.fault_id}${e.nodes && e.nodes.length ? " on " + e.nodes.map(name).join(", ") : ""}`;
      default:
        if (e.deployment_id) return dep(e.deployment_id);
        if (e.node_id) return name(e.node_id);
        return e.name || e.fault_id || e.group_id || "";
    }
  }

  add(events) {
    if (!events.length) return;
    const fresh = events.slice(-FEED_ROWS).map((e) => ({
      e,
      html: `<li data-kind="${esc(e.kind)}" data-seq="${e.seq}"><span class="t">${secondsLabel(e.time)}</span> `
        + `<span class="k">${esc(e.kind)}</span> ${esc(this.describe(e))}</li>`,
    }));
    this.rows = this.rows.concat(fresh).slice(-FEED_ROWS);
    const shown = fresh.filter((r) => this.wanted(r.e));
    this.list.insertAdjacentHTML("afterbegin", shown.map((r) => r.html).reverse().join(""));
    while (this.list.childElementCount > FEED_ROWS) this.list.lastElementChild.remove();
  }
}
