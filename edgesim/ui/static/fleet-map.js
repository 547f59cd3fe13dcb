// The fleet map: a section per node group (nodes in no group last), one element per node
// coloured by its state (data-state), its instances as dots inside and its devices below them.
// Built as one HTML string when the fleet's shape changes; a state change afterwards touches
// only its node's element. Each node also carries its worst instance (data-worst), so on the
// compact map a failed or crash-looping instance shows in its node's square.

import { looks } from "./fleet-model.js";

const COMPACT_ABOVE = 300; // nodes; beyond this they are drawn as small squares without names
const DEVICES_SHOWN = 12; // per node; more are counted
const MOVE_MS = 6000; // how long a migration's arrow stays on a live map

export function esc(text) {
  return String(text ?? "").replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c]);
}

export class FleetMap {
  constructor(root, model, onSelect) {
    this.root = root;
    this.model = model;
    this.elements = new Map(); // node id -> element
    this.selected = null;
    this.matches = () => true; // the node filter (filters.js)
    this.moves = []; // migrations drawn: {from, to, until (performance.now(), Infinity: until the next build)}
    root.addEventListener("click", (ev) => {
      const el = ev.target.closest(".node");
      if (el) onSelect(el.dataset.id);
    });
  }

  build() {
    const model = this.model;
    const sections = [];
    const seen = new Set();
    for (const g of model.groups) {
      const members = g.node_ids.filter((id) => model.nodes.has(id) && !seen.has(id));
      members.forEach((id) => seen.add(id)); // a node in two groups is drawn in the first
      sections.push(this.section(g.name, members, g.id));
    }
    const loose = [...model.nodes.keys()].filter((id) => !seen.has(id));
    if (loose.length) sections.push(this.section(model.groups.length ? "not in a group" : "nodes", loose, ""));
    this.root.classList.toggle("compact", model.nodes.size > COMPACT_ABOVE);
    this.root.innerHTML = sections.join("") + `<svg class="moves" id="moves" aria-hidden="true"><defs><marker id="arrow-head" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" markerHeight="7" orient="auto-start-reverse"><path d="M0,0L10,5L0,10z"/></marker></defs></svg>`;
    this.elements = new Map();
    for (const el of this.root.querySelectorAll(".node")) this.elements.set(el.dataset.id, el);
    this.select(this.selected);
    this.filter();
    if (model.at !== null) {
      // a snapshot of the past: the migrations of the minute before it stay drawn
      this.moves = model.migrations.map((m) => ({ from: m.from_node, to: m.to_node, until: Infinity }));
    } else {
      this.moves = this.moves.filter((m) => m.until !== Infinity);
    }
    this.drawMoves();
  }

  section(name, ids, groupId) {
    const nodes = ids.map((id) => this.nodeHtml(this.model.nodes.get(id))).join("");
    return `<section class="group" data-group="${esc(groupId)}"><h3>${esc(name)} <span class="muted">${ids.length} nodes</span></h3>`
      + `<div class="nodes">${nodes}</div></section>`;
  }

  nodeHtml(node) {
    return `<div class="node${node.instances.length ? " has-insts" : ""}" ${this.attrs(node)}>`
      + `<span class="name">${esc(node.name)}</span><span class="insts">${this.instancesHtml(node)}</span>`
      + `<span class="devs">${this.devicesHtml(node)}</span></div>`;
  }

  attrs(node) {
    return `data-id="${esc(node.id)}" data-name="${esc(node.name)}" data-state="${esc(node.state)}" `
      + `data-silent="${Boolean(node.silent)}" data-fault="${node.faults.size > 0}" data-worst="${this.model.worst(node)}" `
      + `title="${esc(this.title(node))}"`;
  }

  title(node) {
    const extra = [node.silent && node.state === "RUNNING" ? "unreachable" : "", node.faults.size ? "under a fault" : ""].filter(Boolean);
    const worst = this.model.worst(node);
    const bad = worst && worst !== "RUNNING" ? ` · worst instance ${worst.toLowerCase()}` : "";
    const devices = node.devices.length ? ` · ${node.devices.length} devices` : "";
    return `${node.name} · ${node.state}${extra.length ? " (" + extra.join(", ") + ")" : ""} · ${node.instances.length} instances${bad}${devices}`;
  }

  instancesHtml(node) {
    return node.instances.map((id) => {
      const i = this.model.instances.get(id);
      const dep = this.model.deployments.get(i.deployment_id);
      const loop = looks(i) === "CRASHLOOP";
      return `<i class="inst" data-id="${esc(i.id)}" data-state="${esc(i.state)}" data-ready="${Boolean(i.ready)}" `
        + `data-stale="${Boolean(i.stale)}" data-crashloop="${loop}" title="${esc((dep ? dep.name : i.deployment_id) + " · " + i.state
        + (i.state === "RUNNING" && !i.ready ? ", not ready" : "") + (loop ? `, crash-looping (${i.restarts || 0} restarts)` : ""))}"></i>`;
    }).join("");
  }

  devicesHtml(node) {
    const shown = node.devices.slice(0, DEVICES_SHOWN).map((id) => {
      const d = this.model.devices.get(id);
      return `<b class="dev" data-id="${esc(d.id)}" data-state="${esc(d.state)}" title="${esc(d.name + " · " + d.state)}"></b>`;
    }).join("");
    const more = node.devices.length - DEVICES_SHOWN;
    return shown + (more > 0 ? `<span class="more">+${more}</span>` : "");
  }

  update(nodeId) {
    const el = this.elements.get(nodeId);
    const node = this.model.nodes.get(nodeId);
    if (!el || !node) return;
    el.dataset.state = node.state;
    el.dataset.silent = String(Boolean(node.silent));
    el.dataset.fault = String(node.faults.size > 0);
    el.dataset.worst = this.model.worst(node);
    el.title = this.title(node);
    el.querySelector(".insts").innerHTML = this.instancesHtml(node);
    el.querySelector(".devs").innerHTML = this.devicesHtml(node);
    el.hidden = !this.matches(node);
  }

  // Shows only the nodes the filter keeps, and the groups holding any; returns how many.
  filter() {
    let shown = 0;
    for (const [id, el] of this.elements) {
      const keep = this.matches(this.model.nodes.get(id));
      el.hidden = !keep;
      if (keep) shown += 1;
    }
    for (const section of this.root.querySelectorAll(".group")) {
      section.hidden = !section.querySelector(".node:not([hidden])");
    }
    return shown;
  }

  select(nodeId) {
    if (this.selected) this.elements.get(this.selected)?.classList.remove("selected");
    this.selected = nodeId;
    if (nodeId) this.elements.get(nodeId)?.classList.add("selected");
  }

  // A migration: an arrow from the node it left to the node it went to, for MOVE_MS.
  moved(fromNode, toNode) {
    if (!fromNode || !toNode) return;
    this.moves.push({ from: fromNode, to: toNode, until: performance.now() + MOVE_MS });
    this.drawMoves();
    setTimeout(() => this.drawMoves(), MOVE_MS + 50);
  }

  drawMoves() {
    const svg = this.root.querySelector("#moves");
    if (!svg) return;
    const now = performance.now();
    this.moves = this.moves.filter((m) => m.until > now);
    svg.querySelectorAll("line").forEach((l) => l.remove());
    const box = this.root.getBoundingClientRect();
    svg.setAttribute("width", this.root.scrollWidth);
    svg.setAttribute("height", this.root.scrollHeight);
    const centre = (el) => {
      const r = el.getBoundingClientRect();
      return [r.left - box.left + this.root.scrollLeft + r.width / 2, r.top - box.top + this.root.scrollTop + r.height / 2];
    };
    for (const m of this.moves) {
      const a = this.elements.get(m.from), b = this.elements.get(m.to);
      if (!a || !b || a.hidden || b.hidden) continue;
      const [x1, y1] = centre(a), [x2, y2] = centre(b);
      const line = document.createElementNS(svg.namespaceURI, "line"); // the SVG namespace, without spelling it
      Object.entries({ x1, y1, x2, y2, class: "move", "data-from": m.from, "data-to": m.to, "marker-end": "url(#arrow-head)" })
        .forEach(([k, v]) => line.setAttribute(k, v));
      svg.appendChild(line);
    }
  }
}
