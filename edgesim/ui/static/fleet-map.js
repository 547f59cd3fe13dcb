// The fleet map: a section per node group (nodes in no group last), one element per node
// coloured by its state (data-state), its instances as dots inside. Built as one HTML string
// when the fleet's shape changes; a state change afterwards touches only its node's element.

const COMPACT_ABOVE = 300; // nodes; beyond this they are drawn as small squares without names

export function esc(text) {
  return String(text ?? "").replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c]);
}

export class FleetMap {
  constructor(root, model, onSelect) {
    this.root = root;
    this.model = model;
    this.elements = new Map(); // node id -> element
    this.selected = null;
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
    this.root.innerHTML = sections.join("");
    this.elements = new Map();
    for (const el of this.root.querySelectorAll(".node")) this.elements.set(el.dataset.id, el);
    this.select(this.selected);
  }

  section(name, ids, groupId) {
    const nodes = ids.map((id) => this.nodeHtml(this.model.nodes.get(id))).join("");
    return `<section class="group" data-group="${esc(groupId)}"><h3>${esc(name)} <span class="muted">${ids.length} nodes</span></h3>`
      + `<div class="nodes">${nodes}</div></section>`;
  }

  nodeHtml(node) {
    return `<div class="node${node.instances.length ? " has-insts" : ""}" ${this.attrs(node)}>`
      + `<span class="name">${esc(node.name)}</span><span class="insts">${this.instancesHtml(node)}</span></div>`;
  }

  attrs(node) {
    return `data-id="${esc(node.id)}" data-name="${esc(node.name)}" data-state="${esc(node.state)}" `
      + `data-silent="${Boolean(node.silent)}" data-fault="${node.faults.size > 0}" title="${esc(this.title(node))}"`;
  }

  title(node) {
    const extra = [node.silent && node.state === "RUNNING" ? "silent" : "", node.faults.size ? "under a fault" : ""].filter(Boolean);
    return `${node.name} · ${node.state}${extra.length ? " (" + extra.join(", ") + ")" : ""} · ${node.instances.length} instances`;
  }

  instancesHtml(node) {
    return node.instances.map((id) => {
      const i = this.model.instances.get(id);
      const dep = this.model.deployments.get(i.deployment_id);
      return `<i class="inst" data-id="${esc(i.id)}" data-state="${esc(i.state)}" data-ready="${Boolean(i.ready)}" `
        + `data-stale="${Boolean(i.stale)}" title="${esc((dep ? dep.name : i.deployment_id) + " · " + i.state + (i.state === "RUNNING" && !i.ready ? ", not ready" : ""))}"></i>`;
    }).join("");
  }

  update(nodeId) {
    const el = this.elements.get(nodeId);
    const node = this.model.nodes.get(nodeId);
    if (!el || !node) return;
    el.dataset.state = node.state;
    el.dataset.silent = String(Boolean(node.silent));
    el.dataset.fault = String(node.faults.size > 0);
    el.title = this.title(node);
    el.querySelector(".insts").innerHTML = this.instancesHtml(node);
  }

  select(nodeId) {
    if (this.selected) this.elements.get(this.selected)?.classList.remove("selected");
    this.selected = nodeId;
    if (nodeId) this.elements.get(nodeId)?.classList.add("selected");
  }
}
