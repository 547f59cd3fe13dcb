"""A scenario or experiment timeline as ONE self-contained HTML page (inline CSS and SVG; no
script, no external asset), so it can be mailed, attached to a CI run or opened offline.

Per deployment, each instance is a lane of coloured bands (its states over simulated time);
faults are shaded spans, migrations arrows from the lost copy's lane to its replacement's,
expectations pass/fail marks. Nodes whose state changed get lanes of their own below.
Hovering any shape shows its details (SVG <title>).
"""

from __future__ import annotations

import math
from html import escape

from edgesim.ui import palette
from edgesim.ui.figures import figures_html
from edgesim.ui.job_chart import jobs_section
from edgesim.ui.timeline_model import Band, Lane, Timeline, build

WIDTH = 1280
LABEL = 300  # the label column left of the plot
RIGHT = 24
PLOT = WIDTH - LABEL - RIGHT
TOP = 64  # room for fault labels and expectation marks above the lanes
LANE = 16
GAP = 4
HEADER = 24  # a deployment's title row
MAX_LANES = 2000  # beyond this a page gets too heavy to be useful; say what was left out
NICE_STEPS = (1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 10800, 21600, 43200, 86400)


def render_timeline(
    events: list[dict],
    *,
    title: str,
    expectations: list[dict] | None = None,
    start: float | None = None,
    end: float | None = None,
) -> str:
    """The HTML page for ``events`` (an edgesim event log, oldest first) in [start, end]
    (default: the log's span). ``expectations``: ``[{time, description, passed}]``."""
    return render_page(events, title=title, expectations=expectations, start=start, end=end)


def render_page(
    events: list[dict],
    *,
    title: str,
    expectations: list[dict] | None = None,
    start: float | None = None,
    end: float | None = None,
    node_names: dict[str, str] | None = None,
) -> str:
    """``render_timeline`` plus names for nodes the log does not name (a live server knows them)."""
    if end is None and expectations:  # an expectation checked after the last event still shows
        times = [float(e["time"]) for e in expectations if e.get("time") is not None]
        end = max([*times, *(e["time"] for e in events[-1:])], default=None)
    timeline = build(events, start, end)
    names = {**(node_names or {}), **{k: v for k, v in timeline.node_names.items() if v}}
    drawing = _Svg(timeline, names, expectations or [])
    svg = drawing.render()
    jobs = jobs_section(events, timeline.start, timeline.end, width=WIDTH, label=LABEL, plot=PLOT)
    figures = figures_html(events, timeline.start, timeline.end, names)  # devices and routes
    return _page(title, timeline, drawing.axis_strip() + svg, expectations or [], jobs, figures)


# --- the SVG --------------------------------------------------------------------------------------


class _Svg:
    def __init__(self, timeline: Timeline, names: dict[str, str], expectations: list[dict]) -> None:
        self.t = timeline
        self.names = names
        self.expectations = expectations
        self.parts: list[str] = []
        self.lane_y: dict[str, float] = {}  # instance id -> its lane's top
        self.y = TOP

    def x(self, t: float) -> float:
        span = self.t.end - self.t.start
        return round(LABEL + (min(max(t, self.t.start), self.t.end) - self.t.start) / span * PLOT, 2)

    def node(self, node_id: str | None) -> str:
        if not node_id:
            return "-"
        return self.names.get(node_id) or node_id[:8]

    def render(self) -> str:
        lanes_drawn = 0
        left_out = 0
        for dep in self.t.deployments:
            if lanes_drawn >= MAX_LANES:
                left_out += len(dep.lanes)
                continue
            self._deployment_header(dep.name or dep.id[:8], dep.id, len(dep.lanes))
            for lane in dep.lanes:
                if lanes_drawn >= MAX_LANES:
                    left_out += 1
                    continue
                label = f"{lane.id[:8]} @ {' → '.join(self.node(n) for n in lane.nodes) or 'no node'}"
                self._lane(lane, label, instance=True)
                lanes_drawn += 1
        if self.t.nodes:
            self._deployment_header("nodes", "", len(self.t.nodes), kind="node-header")
            for lane in self.t.nodes[: max(0, MAX_LANES - lanes_drawn)]:
                self._lane(lane, self.node(lane.id), instance=False)
            left_out += max(0, len(self.t.nodes) - max(0, MAX_LANES - lanes_drawn))
        if not self.t.deployments and not self.t.nodes:
            self.parts.append(f'<text class="empty" x="{LABEL + PLOT / 2}" y="{self.y + 20}">nothing happened in this window</text>')
            self.y += 40
        if left_out:
            self.parts.append(f'<text class="note" x="{LABEL}" y="{self.y + 14}">{left_out} more lanes not drawn</text>')
            self.y += 24
        bottom = self.y + 8
        back = [*self._axis(bottom), *self._faults(bottom)]
        front = [*self._migrations(), *self._marks(), *self._expectations(bottom)]
        height = bottom + 28
        return (
            f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {height}" width="{WIDTH}" height="{height}" '
            f'role="img" aria-label="timeline">{_DEFS}{"".join(back)}{"".join(self.parts)}{"".join(front)}</svg>'
        )

    def _deployment_header(self, name: str, dep_id: str, count: int, kind: str = "dep-header") -> None:
        self.y += 6
        tip = f"deployment {dep_id}" if dep_id else "edge nodes whose state changed"
        self.parts.append(
            f'<g class="{kind}"><title>{escape(tip)}</title>'
            f'<text x="8" y="{self.y + 15}" class="dep-name">{escape(name)}</text>'
            f'<text x="{LABEL - 8}" y="{self.y + 15}" class="dep-count" text-anchor="end">{count}</text>'
            f'<line x1="8" x2="{WIDTH - RIGHT}" y1="{self.y + HEADER - 2}" y2="{self.y + HEADER - 2}" class="rule"/></g>'
        )
        self.y += HEADER

    def _lane(self, lane: Lane, label: str, *, instance: bool) -> None:
        y = self.y
        if instance:
            self.lane_y[lane.id] = y
        colour = (lambda b: palette.instance_colour(b.state, b.ready)) if instance else (lambda b: palette.node_colour(b.state))
        rects = []
        for band in lane.bands:
            if band.end is not None and band.end < self.t.start or band.start > self.t.end:
                continue
            x0, x1 = self.x(band.start), self.x(self.t.end if band.end is None else band.end)
            state = _state_label(band, instance)
            rects.append(
                f'<rect class="band" data-state="{escape(band.state)}" x="{x0}" y="{y}" width="{max(x1 - x0, 0.8):.2f}" '
                f'height="{LANE}" fill="{colour(band)}"><title>{escape(label)}: {escape(state)} '
                f'{_clock(band.start)} – {"…" if band.end is None else _clock(band.end)}</title></rect>'
            )
        cls = "lane instance" if instance else "lane node"
        self.parts.append(
            f'<g class="{cls}" data-id="{escape(lane.id)}"><text x="16" y="{y + LANE - 4}" class="lane-label">{escape(label)}</text>'
            f'{"".join(rects)}</g>'
        )
        self.y += LANE + GAP

    def _ticks(self) -> list[float]:
        span = self.t.end - self.t.start
        step = next((s for s in NICE_STEPS if span / s <= 12), NICE_STEPS[-1] * math.ceil(span / NICE_STEPS[-1] / 12))
        first = math.ceil(self.t.start / step) * step
        return [first + i * step for i in range(int((self.t.end + 1e-9 - first) // step) + 1)]

    def _axis(self, bottom: float) -> list[str]:
        out = [f'<line class="axis" x1="{LABEL}" x2="{LABEL + PLOT}" y1="{bottom}" y2="{bottom}"/>']
        for tick in self._ticks():
            x = self.x(tick)
            out.append(f'<line class="grid" x1="{x}" x2="{x}" y1="{TOP - 4}" y2="{bottom}"/>'
                       f'<text class="tick" x="{x}" y="{bottom + 16}" text-anchor="middle">{_clock(tick)}</text>')
        return out

    def axis_strip(self) -> str:
        """The time axis again, in a strip that stays at the top of the window while the page
        scrolls (CSS position: sticky; no script), so a lane far down still has its times."""
        ticks = "".join(
            f'<line class="axis" x1="{self.x(t)}" x2="{self.x(t)}" y1="16" y2="22"/>'
            f'<text class="tick" x="{self.x(t)}" y="12" text-anchor="middle">{_clock(t)}</text>'
            for t in self._ticks()
        )
        return (f'<div class="axis-strip"><svg viewBox="0 0 {WIDTH} 22" width="{WIDTH}" height="22" role="img" '
                f'aria-label="time axis"><text class="strip-label" x="8" y="14">simulated time</text>{ticks}</svg></div>')

    def _faults(self, bottom: float) -> list[str]:
        out = []
        for i, f in enumerate(self.t.faults):
            x0, x1 = self.x(f.start), self.x(self.t.end if f.end is None else f.end)
            where = f" on {', '.join(self.node(n) for n in f.nodes)}" if f.nodes else ""
            tip = f"fault {f.id} {f.kind}{where}: {_clock(f.start)} – {'…' if f.end is None else _clock(f.end)}"
            label_y = 14 + (i % 3) * 14
            out.append(
                f'<g class="fault" data-id="{escape(f.id)}"><title>{escape(tip)}</title>'
                f'<rect x="{x0}" y="{label_y - 11}" width="{max(x1 - x0, 2):.2f}" height="{bottom - label_y + 11}" fill="url(#hatch)"/>'
                f'<text class="fault-label" x="{x0 + 3}" y="{label_y}">⚡ {escape(f.kind)}</text></g>'
            )
        return out

    def _migrations(self) -> list[str]:
        out = []
        for m in self.t.migrations:
            if m.from_instance not in self.lane_y or m.to_instance not in self.lane_y:
                continue
            x = self.x(m.time)
            y0 = self.lane_y[m.from_instance] + LANE / 2
            y1 = self.lane_y[m.to_instance] + LANE / 2
            bend = 26
            tip = f"migrated at {_clock(m.time)}: {self.node(m.from_node)} → {self.node(m.to_node)}"
            out.append(
                f'<g class="migration"><title>{escape(tip)}</title>'
                f'<path d="M{x},{y0} C{x + bend},{y0} {x + bend},{y1} {x + 3},{y1}" marker-end="url(#arrow)"/>'
                f'<circle cx="{x}" cy="{y0}" r="3"/></g>'
            )
        return out

    def _marks(self) -> list[str]:
        out = []
        for m in self.t.marks:
            if m.instance_id not in self.lane_y:
                continue
            x, y = self.x(m.time), self.lane_y[m.instance_id]
            out.append(f'<g class="mark {m.kind}"><title>{escape(m.label)} at {_clock(m.time)}</title>'
                       f'<line x1="{x}" x2="{x}" y1="{y - 2}" y2="{y + LANE + 2}"/></g>')
        return out

    def _expectations(self, bottom: float) -> list[str]:
        out = []
        for n, exp in enumerate(self.expectations, 1):
            t = exp.get("time")
            t = self.t.end if t is None else float(t)
            x = self.x(t)
            ok = bool(exp.get("passed"))
            cls = "pass" if ok else "fail"
            tip = f"#{n} {'passed' if ok else 'FAILED'} at {_clock(t)}: {exp.get('description', '')}"
            out.append(
                f'<g class="expectation {cls}"><title>{escape(tip)}</title>'
                f'<line x1="{x}" x2="{x}" y1="{TOP - 10}" y2="{bottom}"/>'
                f'<circle cx="{x}" cy="{TOP - 10}" r="8"/>'
                f'<text x="{x}" y="{TOP - 6}" text-anchor="middle">{"✓" if ok else "✗"}</text></g>'
            )
        return out


def _state_label(band: Band, instance: bool) -> str:
    if instance and band.state == "RUNNING":
        return "RUNNING, ready" if band.ready else "RUNNING, not ready"
    return band.state


def _clock(t: float) -> str:
    """Simulated seconds as t=… (h:mm:ss beyond a minute), for axis and tooltips."""
    if abs(t) < 60:
        return f"{t:g}s"
    whole = int(t)
    h, rest = divmod(whole, 3600)
    m, s = divmod(rest, 60)
    frac = f"{t - whole:.3f}".lstrip("0").rstrip("0").rstrip(".") if t != whole else ""
    return (f"{h}:{m:02d}:{s:02d}" if h else f"{m}:{s:02d}") + frac


_DEFS = (
    "<defs>"
    '<pattern id="hatch" width="8" height="8" patternUnits="userSpaceOnUse" patternTransform="rotate(45)">'
    '<rect width="8" height="8" fill="rgba(224,49,49,0.07)"/><line x1="0" y1="0" x2="0" y2="8" stroke="rgba(224,49,49,0.25)" stroke-width="3"/></pattern>'
    '<marker id="arrow" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" markerHeight="7" orient="auto-start-reverse">'
    '<path d="M0,0 L10,5 L0,10 z" fill="#1864ab"/></marker>'
    "</defs>"
)


# --- the page -------------------------------------------------------------------------------------


def _legend() -> str:
    items = [("RUNNING, ready", palette.INSTANCE["RUNNING"]), ("RUNNING, not ready", palette.RUNNING_NOT_READY)]
    items += [(s, c) for s, c in palette.INSTANCE.items() if s not in ("RUNNING", "PENDING_DELETE")]
    items += [(f"node {s}", c) for s, c in palette.NODE.items() if s in ("UNCONNECTED", "FAIL", "STOPPED")]
    swatches = "".join(f'<span class="key"><i style="background:{c}"></i>{escape(s)}</span>' for s, c in items)
    return (f'<div class="legend">{swatches}<span class="key"><i class="hatch"></i>fault</span>'
            '<span class="key"><i class="arrow">→</i>migration</span></div>')


def _expectation_table(expectations: list[dict]) -> str:
    if not expectations:
        return ""
    rows = "".join(
        f'<tr class="{"pass" if e.get("passed") else "fail"}"><td>{n}</td><td>{"✓ pass" if e.get("passed") else "✗ fail"}</td>'
        f'<td>{"" if e.get("time") is None else _clock(float(e["time"]))}</td><td>{escape(str(e.get("description", "")))}</td></tr>'
        for n, e in enumerate(expectations, 1)
    )
    return f'<h2>Expectations</h2><table class="expectations"><tr><th>#</th><th>result</th><th>time</th><th>expectation</th></tr>{rows}</table>'


def _page(title: str, t: Timeline, svg: str, expectations: list[dict], jobs: str = "", figures: str = "") -> str:
    """``jobs``: the batch job progress section (``ui.job_chart``), below the timeline; ``figures``:
    the devices and message routes tables (``ui.figures``), at the end."""
    passed = sum(1 for e in expectations if e.get("passed"))
    lanes = sum(len(d.lanes) for d in t.deployments)
    facts = [
        f"window {_clock(t.start)} – {_clock(t.end)} (simulated)",
        f"{len(t.deployments)} deployments, {lanes} instances",
        f"{len(t.faults)} faults",
        f"{len(t.migrations)} migrations",
    ]
    if expectations:
        facts.append(f'<b class="{"pass" if passed == len(expectations) else "fail"}">{passed}/{len(expectations)} expectations passed</b>')
    if t.epoch:
        facts.append(f"t=0 is {escape(t.epoch)}")
    return (
        "<!DOCTYPE html>\n"
        f'<html lang="en"><head><meta charset="utf-8"><title>{escape(title)}</title>'
        '<meta name="viewport" content="width=device-width, initial-scale=1"><link rel="icon" href="data:,">'
        f"<style>{_CSS}</style></head><body>"
        f'<h1>{escape(title)}</h1><p class="facts">{" · ".join(facts)}</p>{_legend()}'
        f'<div class="chart">{svg}</div>{jobs}{_expectation_table(expectations)}{figures}'
        '<p class="foot">edgesim timeline · hover a band, span or arrow for details</p>'
        "</body></html>\n"
    )


_CSS = """
body{font:14px/1.4 system-ui,-apple-system,"Segoe UI",sans-serif;margin:24px;color:#212529;background:#fff}
h1{font-size:20px;margin:0 0 4px}h2{font-size:16px;margin:24px 0 8px}
.facts{color:#495057;margin:0 0 12px}.facts b.pass{color:#2b8a3e}.facts b.fail{color:#c92a2a}
.legend{display:flex;flex-wrap:wrap;gap:6px 14px;margin:0 0 12px;font-size:12px;color:#495057}
.key{display:inline-flex;align-items:center;gap:5px}.key i{display:inline-block;width:14px;height:10px;border-radius:2px}
.key i.hatch{background:repeating-linear-gradient(45deg,rgba(224,49,49,.25) 0 3px,rgba(224,49,49,.07) 3px 6px)}
.key i.arrow{width:auto;height:auto;color:#1864ab;font-style:normal;font-weight:bold}
.chart{border:1px solid #dee2e6;border-radius:6px;background:#fcfcfd;width:max-content}
.axis-strip{position:sticky;top:0;z-index:2;background:rgba(252,252,253,.96);border-bottom:1px solid #dee2e6;border-radius:6px 6px 0 0}
.strip-label{fill:#868e96;font-size:11px}
svg{display:block;font-size:11px}
.dep-name{font-weight:600;font-size:13px}.dep-count{fill:#868e96}.rule{stroke:#e9ecef}
.node-header .dep-name{fill:#495057}
.lane-label{fill:#495057;font-family:ui-monospace,SFMono-Regular,Menlo,monospace;font-size:11px}
.band:hover{stroke:#000;stroke-width:1}
.axis{stroke:#adb5bd}.grid{stroke:#f1f3f5}.tick{fill:#868e96}
.fault-label{fill:#c92a2a;font-size:11px}
.migration path{fill:none;stroke:#1864ab;stroke-width:1.6}.migration circle{fill:#1864ab}
.mark line{stroke:#212529;stroke-width:1.5}.mark.hit line{stroke:#c92a2a;stroke-width:2}
.expectation line{stroke-dasharray:3 3;stroke-width:1}.expectation text{font-size:11px;font-weight:bold;fill:#fff}
.expectation.pass line{stroke:#2b8a3e}.expectation.pass circle{fill:#2b8a3e}
.expectation.fail line{stroke:#c92a2a}.expectation.fail circle{fill:#c92a2a}
.empty,.note{fill:#868e96}
table.expectations{border-collapse:collapse}table.expectations td,table.expectations th{border-bottom:1px solid #e9ecef;padding:3px 10px;text-align:left}
tr.pass td:nth-child(2){color:#2b8a3e}tr.fail td:nth-child(2){color:#c92a2a;font-weight:bold}
.foot{color:#adb5bd;font-size:12px;margin-top:16px}
"""
