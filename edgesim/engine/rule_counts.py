"""A message rule's counts, derived when read, never ticked.

A rule sends a message every ``1 / rate`` seconds after its ``origin`` (the k-th at
``origin + k / rate``). Its ``timeline`` holds ``[since, cause]`` for each change of state:
cause "" delivers, ``STOPPED`` drops (a stopped rule forwards nothing and counts nothing,
ief-api-more.md 5.2), any other cause fails the messages sent until the next change. So the
delivered and failed counts of any moment, and the failed messages' times, are arithmetic over
the timeline: no timer per message, only a timeline entry per state change.
"""

from __future__ import annotations

import math
from collections.abc import Iterator

from edgesim.domain.models import Rule

# Float slack: a message due exactly at a boundary belongs to the segment that ends there.
_EPS = 1e-9
MAX_SEGMENTS = 1000  # older segments are folded into the rule's counts (their errors are gone)
MAX_ERRORS = 1000  # the newest failed messages list_rule_errors keeps (ief-api-more.md 5.2)
STOPPED = "rule is stopped"  # the cause of a stopped rule's segments: dropped, neither count


def sent_by(rule: Rule, t: float) -> int:
    """Messages the rule has sent in (origin, t]."""
    return sent_since(rule.origin, rule.rate, t)


def sent_since(origin: float, rate: float, t: float) -> int:
    """Messages a rule sending ``rate`` a second from ``origin`` has sent in (origin, t]."""
    return max(0, math.floor((t - origin) * rate + _EPS))


def outcome(cause: str) -> str | None:
    """Which count a segment's messages go to: "delivered", "failed", or None (a stopped
    rule's are dropped uncounted, ief-api-more.md 5.2)."""
    if cause == STOPPED:
        return None
    return "failed" if cause else "delivered"


def _segments(rule: Rule, now: float) -> Iterator[tuple[float, float, str]]:
    for i, (since, cause) in enumerate(rule.timeline):
        until = rule.timeline[i + 1][0] if i + 1 < len(rule.timeline) else now
        yield since, min(until, now), cause


def _tally(rule: Rule, since: float, until: float, cause: str, delivered: int, failed: int) -> tuple[int, int]:
    """The counts with one segment's messages added: the one place that says which count a
    segment's messages go to (none, for a stopped rule's)."""
    n = max(0, sent_by(rule, until) - sent_by(rule, since))
    goes_to = outcome(cause)
    if goes_to is None:
        return delivered, failed
    if goes_to == "failed":
        return delivered, failed + n
    return delivered + n, failed


def counts(rule: Rule, now: float) -> tuple[int, int]:
    """(delivered, failed) up to ``now``."""
    delivered, failed = rule.folded_delivered, rule.folded_failed
    for since, until, cause in _segments(rule, now):
        delivered, failed = _tally(rule, since, until, cause, delivered, failed)
    return delivered, failed


def failures(rule: Rule, now: float, limit: int = MAX_ERRORS) -> list[tuple[float, str]]:
    """The newest ``limit`` failed messages, newest first: (time sent, cause)."""
    found: list[tuple[float, str]] = []
    for since, until, cause in reversed(list(_segments(rule, now))):
        if outcome(cause) != "failed":
            continue
        k = sent_by(rule, until)
        first = sent_by(rule, since) + 1
        while k >= first and len(found) < limit:
            found.append((rule.origin + k / rule.rate, cause))
            k -= 1
        if len(found) >= limit:
            break
    return found


def mark(rule: Rule, now: float, cause: str) -> bool:
    """Start a new segment if the cause changed; True if it did. Folds the oldest segment
    into the counts once the timeline is at its bound."""
    if rule.timeline and rule.timeline[-1][1] == cause:
        return False
    rule.timeline.append([now, cause])
    if len(rule.timeline) > MAX_SEGMENTS:
        (since, cause0), (until, _) = rule.timeline[0], rule.timeline[1]
        rule.folded_delivered, rule.folded_failed = _tally(
            rule, since, until, cause0, rule.folded_delivered, rule.folded_failed,
        )
        del rule.timeline[0]
    return True
