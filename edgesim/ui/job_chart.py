"""Batch job progress on report.html: per job, its done / failed / running task counts over
simulated time as step lines, on the same time axis as the timeline above it (same label
column and plot width), so a fleet upgrade reads next to the availability of the apps.
Plain SVG and HTML, no script, like the rest of the page."""

from __future__ import annotations

from html import escape

from edgesim.engine.job_progress import JobProgress

LINES = (("done", "#2b8a3e"), ("failed", "#c92a2a"), ("running", "#1864ab"))
HEIGHT = 56  # one job's chart
PAD = 6


def job_rows(events: list[dict], start: float, end: float) -> list[dict]:
    progress = JobProgress()
    for event in events:
        if event["kind"].startswith("job.") and event["time"] <= end:
            progress.feed(event)
    return progress.result(start, end)


def jobs_section(events: list[dict], start: float, end: float, *, width: int, label: int, plot: int) -> str:
    """The "Batch jobs" section of the page ("" when no job ran in the window)."""
    rows = job_rows(events, start, end)
    if not rows:
        return ""
    span = max(end - start, 1e-9)

    def x(t: float) -> float:
        return round(label + (min(max(t, start), end) - start) / span * plot, 2)

    charts = []
    for n, job in enumerate(rows):
        top = n * (HEIGHT + PAD)
        scale = (HEIGHT - 8) / max(job["tasks"], 1)
        lines = []
        for key, colour in LINES:
            points, last = [], None
            for p in job["series"]:
                y = round(top + HEIGHT - 4 - p[key] * scale, 2)
                if last is not None:
                    points.append(f"{x(p['time'])},{last}")
                points.append(f"{x(p['time'])},{y}")
                last = y
            if last is not None:
                points.append(f"{x(end)},{last}")
            lines.append(f'<polyline class="job-{key}" fill="none" stroke="{colour}" stroke-width="1.6" '
                         f'points="{" ".join(points)}"><title>{key}</title></polyline>')
        tip = (f"{job['name']} ({job['job_type']}): {job['status']}, {job['done']} done, {job['failed']} failed, "
               f"{job['running']} running of {job['tasks']}")
        charts.append(
            f'<g class="job" data-id="{escape(job["id"])}"><title>{escape(tip)}</title>'
            f'<text x="8" y="{top + 16}" class="dep-name">{escape(job["name"])}</text>'
            f'<text x="8" y="{top + 32}" class="lane-label">{escape(job["job_type"])} · {escape(job["status"])}</text>'
            f'<text x="8" y="{top + 48}" class="lane-label">{job["done"]}/{job["tasks"]} done, {job["failed"]} failed</text>'
            f'<rect x="{label}" y="{top}" width="{plot}" height="{HEIGHT}" fill="#f8f9fa"/>{"".join(lines)}</g>'
        )
    height = len(rows) * (HEIGHT + PAD)
    keys = "".join(f'<span class="key"><i style="background:{c}"></i>{k}</span>' for k, c in LINES)
    return (
        f'<h2>Batch jobs</h2><div class="legend">{keys}<span class="key">tasks over time</span></div>'
        f'<div class="chart"><svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" width="{width}" '
        f'height="{height}" role="img" aria-label="batch job progress">{"".join(charts)}</svg></div>'
    )
