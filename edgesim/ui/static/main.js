// The dashboard: loads the fleet once (GET /edgesim/state), follows the event stream from there
// and redraws at most every FLUSH_MS, touching only what the events changed. A change of the
// fleet's shape fetches a fresh snapshot, at most once per RELOAD_MS.

import { adoptTokenFromUrl, call, setToken, withToken } from "./api.js";
import { ChaosPanel, ReportPanel } from "./chaos.js";
import { Details } from "./details.js";
import { DeploymentFilter, NodeFilter } from "./filters.js";
import { FleetMap } from "./fleet-map.js";
import { FleetModel, newChanges } from "./fleet-model.js";
import { OperationsPanel } from "./operations.js";
import { ClockPanel, Feed, renderDeployments, renderSummary } from "./panels.js";
import { TimeSlider } from "./time-slider.js";

const FLUSH_MS = 50;
const RELOAD_MS = 1000;
const CLOCK_POLL_MS = 5000; // another client may advance the clock without any event following
const HISTORY = 100; // events shown on arrival, so the feed does not open empty

const $ = (id) => document.getElementById(id);

adoptTokenFromUrl();
const model = new FleetModel();
const showError = (err) => {
  if (err && err.status === 401) return; // the token banner says it
  $("error-banner").textContent = String(err && err.message ? err.message : err);
  $("error-banner").hidden = false;
  setTimeout(() => ($("error-banner").hidden = true), 6000);
};
const map = new FleetMap($("fleet"), model, (id) => select(id));
const clock = new ClockPanel(showError);
const details = new Details(model, detailAction, showError);
const feed = new Feed(model);
const chaos = new ChaosPanel(model, showError);
const report = new ReportPanel(showError);
const operations = new OperationsPanel(model, showError);
const nodeFilter = new NodeFilter(model, () => applyNodeFilter());
const depFilter = new DeploymentFilter(() => drawDeployments());
const slider = new TimeSlider(showPast, () => reload(), showError);
clock.onTick = (now) => slider.clock(now);
let tab = "deployments";

// --- applying events in batches -------------------------------------------------------------

let pending = [];
let flushTimer = null;

function receive(event) {
  model.remember(event);
  pending.push(event);
  flushTimer ??= setTimeout(flush, FLUSH_MS);
}

function flush() {
  flushTimer = null;
  if (model.at !== null) {
    // the map shows the past: events are kept (remember) and applied when it goes live again
    feed.add(pending);
    if (pending.length) clock.seen(pending.at(-1));
    pending = [];
    return;
  }
  const changes = newChanges();
  for (const e of pending) model.apply(e, changes);
  pending = [];
  redraw(changes);
}

function redraw(changes) {
  for (const id of changes.nodes) map.update(id);
  for (const m of changes.migrations) map.moved(m.from_node, m.to_node);
  if (changes.deployments || changes.reshape) {
    model.recount();
    drawDeployments();
  }
  if (changes.nodes.size || changes.reshape) renderSummary(model);
  if (details.nodeId && (changes.nodes.has(details.nodeId) || changes.reshape)) details.touched();
  if (details.kind === "deployment" && changes.deploymentIds.has(details.id)) details.touched();
  if (nodeFilter.active() && changes.nodes.size) applyNodeFilter(); // a state filter follows the states
  feed.add(changes.feed);
  if (changes.feed.length) clock.seen(changes.feed.at(-1));
  if (changes.faults) refreshChaos();
  if (changes.feed.length && tab === "report") refreshReport();
  if (changes.operations || (changes.feed.length && (tab === "operations" || model.jobs.some((j) => j.status === "running")))) refreshOperations();
  if (changes.reshape) reload();
}

// --- the fleet as drawn: live, or the past -------------------------------------------------

function drawAll() {
  nodeFilter.groups();
  map.matches = nodeFilter.matcher();
  map.build();
  showMatchCount();
  model.recount();
  drawDeployments();
  renderSummary(model);
  details.render();
}

function showPast(snapshot) {
  model.load(snapshot);
  drawAll();
  details.touched();
  operations.render(); // the rules and jobs as they were then
}

function drawDeployments() {
  renderDeployments(model, depFilter.matcher(), details.kind === "deployment" ? details.id : null);
}

function applyNodeFilter() {
  map.matches = nodeFilter.matcher();
  showMatchCount(map.filter());
  map.drawMoves();
}

function showMatchCount(shown) {
  if (shown === undefined) {
    const matches = nodeFilter.matcher();
    shown = [...model.nodes.values()].filter(matches).length;
    map.matches = matches;
  }
  $("node-match").textContent = nodeFilter.active() ? `${shown} of ${model.nodes.size} nodes` : "";
}

// --- snapshots, throttled --------------------------------------------------------------------

let reloading = null;
let reloadAgain = false;
let lastReload = 0;

function reload() {
  if (reloading) {
    reloadAgain = true;
    return reloading;
  }
  const wait = Math.max(0, lastReload + RELOAD_MS - performance.now());
  reloading = new Promise((resolve) => setTimeout(resolve, wait))
    .then(() => call("GET", "/edgesim/state"))
    .then((snapshot) => {
      lastReload = performance.now();
      if (slider.at !== null) return; // the map went to the past meanwhile
      const replayed = model.load(snapshot);
      drawAll();
      chaos.suggest();
      // drawAll() drew what the replayed events changed; the feed showed them when they came
      replayed.reshape = false;
      replayed.feed = [];
      replayed.nodes.clear();
      redraw(replayed);
      details.touched(); // what the snapshot brought may concern the panel: read it again
      operations.render();
      clock.set(model.clock);
    })
    .catch(showError)
    .finally(() => {
      reloading = null;
      if (reloadAgain) {
        reloadAgain = false;
        reload();
      }
    });
  return reloading;
}

const throttled = (fn, ms) => {
  let timer = null;
  return () => {
    timer ??= setTimeout(() => {
      timer = null;
      fn().catch(showError);
    }, ms);
  };
};
const refreshChaos = throttled(() => chaos.refresh(), 300);
const refreshReport = throttled(() => report.refresh(), 2000);
const refreshOperations = throttled(() => operations.refresh(), 1000);

// --- the stream ------------------------------------------------------------------------------

let stream = null;

function follow(after) {
  stream?.close();
  stream = new EventSource(withToken(`/edgesim/events/stream?after=${after}`));
  const status = $("status");
  stream.onopen = () => {
    status.dataset.status = "live";
    status.textContent = "live";
  };
  stream.onerror = () => {
    status.dataset.status = "reconnecting";
    status.textContent = "reconnecting"; // EventSource retries by itself, with Last-Event-ID
  };
  // Frames carry `event: <kind>` and EventSource has no catch-all listener: one per kind.
  const parse = (m) => receive(JSON.parse(m.data));
  for (const kind of KINDS) stream.addEventListener(kind, parse);
}

// Every kind the engine records (docs/api.md); an unknown kind is still caught by a reload.
const KINDS = [
  "deployment.created", "deployment.updated", "deployment.deleting", "deployment.deleted", "deployment.scaled",
  "instance.created", "instance.scheduled", "instance.pull_failed", "instance.pulled", "instance.state",
  "instance.exited", "instance.ready", "instance.removed", "instance.restarting", "instance.deleted",
  "instance.migrated", "instance.migration_undone", "instance.cleaned_up",
  "behaviors.set", "node.registered", "node.updated", "node.state", "node.deleted", "node.silent",
  "group.created", "group.updated", "group.nodes", "group.deleted", "fleet.created",
  "fault.added", "fault.started", "fault.hit", "fault.ended", "fault.deleted",
  "deployment.rollout_started", "deployment.rollout_complete", "deployment.rollout_stuck",
  "device.created", "device.updated", "device.deleted", "device.bound", "device.unbound", "device.online", "device.offline",
  "rule.created", "rule.started", "rule.state", "rule.deleted",
  "job.created", "job.status", "job.task", "job.deleted", "node.upgrade_started", "node.upgrade_finished", "node.refused",
];

// --- user actions ----------------------------------------------------------------------------

function select(nodeId) {
  map.select(nodeId);
  details.show("node", nodeId);
  drawDeployments();
}

function selectDeployment(depId) {
  map.select(null);
  details.show("deployment", depId);
  drawDeployments();
}

async function detailAction(action, id) {
  if (action === "close") return select(null);
  if (action === "pick-node") return select(id);
  if (action === "target") {
    showTab("chaos");
    return chaos.targetNode(id);
  }
  try {
    await call("POST", `/edgesim/nodes/${encodeURIComponent(id)}/${action}`);
    if (action === "connect") reload(); // a silent node reporting again before it failed has no event
  } catch (err) {
    showError(err);
  }
}

$("deployments").addEventListener("click", (ev) => {
  const row = ev.target.closest("tr[data-id]");
  if (row) selectDeployment(row.dataset.id);
});

function showTab(name) {
  tab = name;
  for (const b of document.querySelectorAll(".tabs button")) b.setAttribute("aria-selected", String(b.dataset.tab === name));
  for (const t of ["deployments", "operations", "chaos", "report"]) $("tab-" + t).hidden = t !== name;
  if (name === "chaos") refreshChaos();
  if (name === "report") report.refresh();
  if (name === "operations") operations.refresh();
}

for (const b of document.querySelectorAll(".tabs button")) b.addEventListener("click", () => showTab(b.dataset.tab));

document.addEventListener("edgesim:unauthorized", () => ($("token-banner").hidden = false));
$("token-form").addEventListener("submit", (ev) => {
  ev.preventDefault();
  setToken($("token-input").value.trim());
  $("token-banner").hidden = true;
  start();
});

function legend() {
  const states = ["RUNNING", "UNCONNECTED", "FAIL", "STOPPED"];
  const insts = ["RUNNING", "PENDING_CREATE", "FAILED", "UNKNOWN"];
  $("legend").innerHTML = states.map((s) => `<span><i style="background:var(--n-${s})"></i>${s.toLowerCase()}</span>`).join("")
    + `<span><i class="unreachable"></i>unreachable</span>`
    + `<span class="muted">instances:</span>`
    + insts.map((s) => `<span><i style="background:var(--i-${s});border-radius:50%"></i>${s.toLowerCase()}</span>`).join("")
    + `<span><i class="crashloop"></i>crash-looping</span><span class="muted">devices:</span>`
    + `<span><i class="dev-key" data-state="online"></i>online</span><span><i class="dev-key" data-state="offline"></i>offline</span>`;
}

let polling = null;

async function history() {
  const head = await call("GET", "/edgesim/events?limit=1");
  const from = Math.max(0, head.count - HISTORY);
  const body = await call("GET", `/edgesim/events?offset=${from}&limit=${HISTORY}`);
  feed.add(body.events.filter((e) => e.seq <= model.seq)); // later ones come with the stream
}

async function start() {
  await reload();
  await history().catch(showError);
  if (model.clock) follow(model.seq);
  refreshChaos();
  polling ??= setInterval(() => call("GET", "/edgesim/clock").then((c) => clock.set(c)).catch(() => {}), CLOCK_POLL_MS);
}

legend();
start();
