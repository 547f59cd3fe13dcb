// The Operations tab: message rules (running or stopped, delivering or failing, with their
// counts) and batch jobs with their progress, from GET /edgesim/state/operations. A running job
// is also named in the header. In the past (the time slider) they are those of GET
// /edgesim/state?at=T, as they were then.

import { call } from "./api.js";
import { esc } from "./fleet-map.js";

const $ = (id) => document.getElementById(id);

export class OperationsPanel {
  constructor(model, onError) {
    this.model = model;
    this.onError = onError;
  }

  async refresh() {
    // the map shows the past: its rules and jobs came with that snapshot (state?at=T)
    if (this.model.at !== null) return this.render();
    try {
      const body = await call("GET", "/edgesim/state/operations");
      this.model.rules = body.rules;
      this.model.jobs = body.jobs;
    } catch (err) {
      this.onError(err);
    }
    this.render();
  }

  render() {
    const rules = this.model.rules.map((r) => {
      const state = !r.in_using ? "stopped" : r.failing ? "failing" : "delivering";
      return `<tr data-id="${esc(r.id)}" data-state="${state}"><td><b>${esc(r.name)}</b><div class="muted">${esc(r.source)} → ${esc(r.target)}</div></td>`
        + `<td><span class="rule-state" data-state="${state}">${state}</span>${r.failing ? `<div class="muted">${esc(r.failing)}</div>` : ""}</td>`
        + `<td class="num ok">${r.success_messages}</td><td class="num bad">${r.fail_messages}</td></tr>`;
    }).join("");
    $("rules").innerHTML = rules || `<tr><td colspan="4" class="muted">no message rules</td></tr>`;
    const jobs = this.model.jobs.map((j) => {
      const pct = (n) => (j.total ? (100 * n / j.total).toFixed(1) : 0);
      return `<tr data-id="${esc(j.id)}" data-status="${esc(j.status)}"><td><b>${esc(j.name)}</b><div class="muted">${esc(j.job_type)}</div></td>`
        + `<td><span class="job-status" data-status="${esc(j.status)}">${esc(j.status)}</span></td>`
        + `<td><span class="progress" title="${j.success} done, ${j.failed} failed, ${j.running} running of ${j.total}">`
        + `<i class="done" style="width:${pct(j.success)}%"></i><i class="failed" style="width:${pct(j.failed)}%"></i><i class="running" style="width:${pct(j.running)}%"></i></span>`
        + `<span class="job-counts">${j.success + j.failed}/${j.total}${j.failed ? ` (${j.failed} failed)` : ""}${j.running ? ` · ${j.running} running` : ""}</span></td></tr>`;
    }).join("");
    $("jobs").innerHTML = jobs || `<tr><td colspan="3" class="muted">no batch jobs</td></tr>`;
    const running = this.model.jobs.filter((j) => j.status === "running");
    $("job-badge").hidden = !running.length;
    $("job-badge").textContent = running.map((j) => `job ${j.name}: ${j.success + j.failed}/${j.total}`).join(" · ");
  }
}
