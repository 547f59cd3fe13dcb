"""The timeline page's tables of device and message route availability: the report's fold
(``engine/report_fleet.py``) over the same events, so the page and ``/edgesim/report`` agree."""

from __future__ import annotations

from html import escape
from typing import Any

from edgesim.engine.report_fleet import FleetFold


def _percent(share: float | None) -> str:
    return "-" if share is None else f"{share * 100:.2f}%"


def _table(title: str, head: tuple[str, ...], rows: list[tuple[str, ...]]) -> str:
    cells = "".join("<tr>" + "".join(f"<td>{escape(c)}</td>" for c in row) + "</tr>" for row in rows)
    header = "".join(f"<th>{escape(h)}</th>" for h in head)
    return f'<h2>{escape(title)}</h2><table class="expectations figures"><tr>{header}</tr>{cells}</table>'


def figures_html(events: list[dict[str, Any]], start: float, end: float, node_names: dict[str, str]) -> str:
    """Tables of the devices' and rules' availability in [start, end]; "" when there are none."""
    fold = FleetFold(start)
    for event in events:
        if event["time"] > end:
            break
        fold.feed(event)
    found = fold.result(end, node_names)
    html = ""
    if found["devices"]:
        html += _table("Devices", ("device", "availability", "online (s)", "offline (s)", "node"), [
            (d["name"] or d["id"], _percent(d["availability"]), f"{d['online_seconds']:g}", f"{d['offline_seconds']:g}",
             d["node"] or d["node_id"] or "-")
            for d in found["devices"]
        ])
    if found["routes"]:
        html += _table("Message routes", ("rule", "availability", "delivered", "failed", "failing (s)", "stopped (s)"), [
            (r["name"] or r["id"], _percent(r["availability"]), str(r["delivered"]), str(r["failed"]),
             f"{r['failing_seconds']:g}", f"{r['stopped_seconds']:g}")
            for r in found["routes"]
        ])
    return html
