"""The experiment report's devices and message routes, folded from the event log like the
deployments of ``engine/report.py`` (constant work per event, one fold per report).

Per device: the seconds it was online and offline in the window, from its creation (or the
window's start) to its deletion (or the window's end), and the share online; a device that is
not bound to a node is offline. The seconds are kept per node the device was bound to at the
time, so the metrics can add them up by node exactly (``by_label``).

Per message rule: the seconds it was delivering, failing and stopped, its availability (the
share of its started time spent delivering: a stopped rule drops its messages by choice, so
stopped time is not an outage), and the messages it delivered and failed in the window,
computed from its rate as ``engine/rule_counts`` does.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from edgesim.engine.rule_counts import outcome, sent_since

ONLINE, OFFLINE = "online", "offline"
DELIVERING, FAILING, STOPPED = "delivering", "failing", "stopped"


@dataclass
class _Track:
    """Something that is in one state at a time: the seconds spent in each, clipped to the
    window's start (the end is clipped when the result is made)."""

    name: str = ""
    state: str = ""
    since: float = 0.0
    node: str = ""  # a device's node ("" unbound); a rule's cause
    created: float = 0.0
    gone: float | None = None
    seconds: defaultdict[tuple[str, str], float] = field(default_factory=lambda: defaultdict(float))  # (state, node) -> s


@dataclass
class _Rule(_Track):
    rate: float = 1.0
    delivered: int = 0
    failed: int = 0


def _rule_state(cause: str) -> str:
    goes_to = outcome(cause)
    return STOPPED if goes_to is None else FAILING if goes_to == "failed" else DELIVERING


class FleetFold:
    """Devices and rules after the events fed so far, for a window starting at ``start``."""

    def __init__(self, start: float) -> None:
        self.start = start
        self.devices: dict[str, _Track] = {}
        self.templates: dict[str, str] = {}  # device template id -> name
        self.device_template: dict[str, str] = {}  # device id -> its template's name
        self.rules: dict[str, _Rule] = {}

    def _clip(self, t: float) -> float:
        return max(t, self.start)

    def _spend(self, track: _Track, t: float) -> None:
        """Count the time since the last change in the track's current state (and node)."""
        spent = self._clip(t) - self._clip(track.since)
        if spent > 0:
            track.seconds[(track.state, track.node)] += spent
        track.since = t

    def _rule_messages(self, rule: _Rule, t: float) -> None:
        """Add the messages of the segment that ends at ``t`` to the rule's counts."""
        since, until = self._clip(rule.since), self._clip(t)
        if until <= since:
            return
        n = sent_since(rule.created, rule.rate, until) - sent_since(rule.created, rule.rate, since)
        goes_to = outcome(rule.node)
        if goes_to == "delivered":
            rule.delivered += n
        elif goes_to == "failed":
            rule.failed += n

    def feed(self, e: dict[str, Any]) -> None:
        kind, t = e["kind"], e["time"]
        if kind == "device_template.created":
            self.templates[e["device_template_id"]] = e.get("name", "")
        elif kind == "device.created":
            self.devices[e["device_id"]] = _Track(name=e.get("name", ""), state=OFFLINE, since=t, created=t)
            self.device_template[e["device_id"]] = self.templates.get(e.get("device_template_id") or "", "")
        elif kind in ("device.online", "device.offline", "device.bound", "device.unbound", "device.deleted"):
            device = self.devices.get(e["device_id"])
            if device is None or device.gone is not None:
                return
            self._spend(device, t)
            if kind == "device.online":
                device.state = ONLINE
            elif kind == "device.offline":
                device.state = OFFLINE
            elif kind == "device.bound":
                device.node = e["node_id"]
            elif kind == "device.unbound":
                device.node = ""
            else:
                device.gone = t
        elif kind == "rule.created":
            cause = e.get("cause", "")
            self.rules[e["rule_id"]] = _Rule(
                name=e.get("name", ""), state=_rule_state(cause), since=t, node=cause, created=t, rate=e.get("rate", 1.0),
            )
        elif kind in ("rule.state", "rule.deleted"):
            rule = self.rules.get(e["rule_id"])
            if rule is None or rule.gone is not None:
                return
            self._rule_messages(rule, t)
            self._spend(rule, t)
            if kind == "rule.deleted":
                rule.gone = t
            else:
                rule.node, rule.state = e["cause"], _rule_state(e["cause"])

    def _closed(self, track: _Track, end: float) -> defaultdict[tuple[str, str], float]:
        """The track's seconds with the open span counted up to ``end`` (the fold unchanged)."""
        seconds = defaultdict(float, track.seconds)
        if track.gone is None:
            spent = self._clip(end) - self._clip(track.since)
            if spent > 0:
                seconds[(track.state, track.node)] += spent
        return seconds

    def _seen(self, track: _Track, end: float) -> bool:
        return track.created <= end and (track.gone is None or track.gone >= self.start)

    def device_rows(self, end: float, node_names: dict[str, str]) -> list[dict[str, Any]]:
        rows = []
        for device_id, d in self.devices.items():
            if not self._seen(d, end):
                continue
            by_state: defaultdict[str, float] = defaultdict(float)
            for (state, _node), s in self._closed(d, end).items():
                by_state[state] += s
            online, offline = by_state[ONLINE], by_state[OFFLINE]
            rows.append({
                "id": device_id, "name": d.name, "template": self.device_template.get(device_id, ""),
                "node_id": d.node, "node": node_names.get(d.node, ""),
                "online_seconds": round(online, 6), "offline_seconds": round(offline, 6),
                "availability": round(online / (online + offline), 6) if online + offline > 0 else None,
            })
        return rows

    def route_rows(self, end: float) -> list[dict[str, Any]]:
        rows = []
        for rule_id, r in self.rules.items():
            if not self._seen(r, end):
                continue
            by_state: defaultdict[str, float] = defaultdict(float)
            for (state, _cause), s in self._closed(r, end).items():
                by_state[state] += s
            delivered, failed = r.delivered, r.failed
            if r.gone is None:  # the open segment's messages, up to the end
                open_rule = _Rule(since=r.since, node=r.node, created=r.created, rate=r.rate)
                self._rule_messages(open_rule, end)
                delivered, failed = delivered + open_rule.delivered, failed + open_rule.failed
            started = by_state[DELIVERING] + by_state[FAILING]
            rows.append({
                "id": rule_id, "name": r.name,
                "delivering_seconds": round(by_state[DELIVERING], 6), "failing_seconds": round(by_state[FAILING], 6),
                "stopped_seconds": round(by_state[STOPPED], 6),
                "availability": round(by_state[DELIVERING] / started, 6) if started > 0 else None,
                "delivered": delivered, "failed": failed,
            })
        return rows

    def by_label(self, end: float, label: str) -> dict[tuple[str, str], float]:
        """Device seconds by (state, label value): ``label`` is "node" (the node bound to at
        the time, "" unbound), "template" (its template's name) or "device" (its id)."""
        totals: dict[tuple[str, str], float] = {}
        for device_id, d in self.devices.items():
            for (state, node), s in self._closed(d, end).items():
                value = node if label == "node" else device_id if label == "device" else self.device_template.get(device_id, "")
                totals[(state, value)] = totals.get((state, value), 0.0) + s
        return totals

    def result(self, end: float, node_names: dict[str, str]) -> dict[str, Any]:
        return {"devices": self.device_rows(end, node_names), "routes": self.route_rows(end)}
