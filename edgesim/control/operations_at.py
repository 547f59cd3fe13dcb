"""Message rules and batch jobs as they were at T, for GET /edgesim/state?at=T (the dashboard's
time slider), rebuilt from the ``rule.*`` and ``job.*`` events up to T, as the fleet is.

A rule's state changes are its ``rule.created`` and ``rule.state`` events (each carries the
cause: "" delivers, ``STOPPED`` drops, anything else fails), so its counts at T are the same
arithmetic ``engine.rule_counts`` does over the rule's own timeline, over the segments up to
T. A job's progress at T is the report's fold of its ``job.*`` events (``JobProgress``). At
T = now both equal GET /edgesim/state/operations.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, cast

from edgesim.domain.models import Rule
from edgesim.engine.engine import Engine
from edgesim.engine.job_progress import JobProgress
from edgesim.engine.rule_counts import STOPPED, outcome, sent_since


@dataclass
class _RuleAt:
    name: str
    origin: float
    rate: float
    timeline: list[tuple[float, str]] = field(default_factory=list)  # (since, cause), oldest first

    def counts(self, at: float) -> tuple[int, int]:
        delivered = failed = 0
        for i, (since, cause) in enumerate(self.timeline):
            until = min(self.timeline[i + 1][0] if i + 1 < len(self.timeline) else at, at)
            n = max(0, sent_since(self.origin, self.rate, until) - sent_since(self.origin, self.rate, since))
            goes_to = outcome(cause)
            delivered += n if goes_to == "delivered" else 0
            failed += n if goes_to == "failed" else 0
        return delivered, failed


class OperationsAt:
    """Fed the events at or before T, oldest first."""

    def __init__(self, at: float) -> None:
        self.at = at
        self.rules: dict[str, _RuleAt] = {}
        self.jobs = JobProgress()

    def see(self, e: dict[str, Any]) -> None:
        kind = e["kind"]
        if kind == "rule.created":
            self.rules[e["rule_id"]] = _RuleAt(e.get("name", ""), e["time"], e.get("rate", 1.0), [(e["time"], e.get("cause", ""))])
        elif kind == "rule.state" and e["rule_id"] in self.rules:
            self.rules[e["rule_id"]].timeline.append((e["time"], e["cause"]))
        elif kind == "rule.deleted":
            self.rules.pop(e["rule_id"], None)
        elif kind.startswith("job."):
            self.jobs.feed(e)

    def result(self, engine: Engine) -> dict[str, Any]:
        """``rules`` and ``jobs`` in the shape of GET /edgesim/state/operations, creation order.
        A rule's endpoints are named as they are now (``null`` for a rule deleted since T)."""
        now_rules = cast(dict[str, Rule], engine.world.tables["rule"])
        routes = engine.message_routes
        rules = []
        for rule_id, r in self.rules.items():
            delivered, failed = r.counts(self.at)
            cause = r.timeline[-1][1]
            live = now_rules.get(rule_id)
            rules.append({"id": rule_id, "name": r.name, "in_using": cause != STOPPED,
                          "source": routes.endpoint(live.project_id, live.source).name if live else None,
                          "target": routes.endpoint(live.project_id, live.target).name if live else None,
                          "success_messages": delivered, "fail_messages": failed, "failing": cause})
        jobs = [{"id": job_id, "name": j.name, "job_type": j.job_type, "status": j.status, "total": j.tasks,
                 "success": j.counts["success"], "failed": j.counts["failed"], "running": j.counts["running"]}
                for job_id, j in self.jobs.jobs.items() if j.gone_at is None]
        return {"rules": rules, "jobs": jobs}
