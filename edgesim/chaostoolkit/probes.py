"""Chaos Toolkit probes on a running edgesim (see the package docstring and docs/chaos.md).

No ``from __future__ import annotations`` here: the toolkit's discovery reads the parameter
types from the signatures, and a postponed annotation reads as a bare string.
"""

from typing import Any
from urllib.parse import urlencode

from chaoslib.exceptions import ActivityFailed

from edgesim.chaostoolkit.connection import call, client
from edgesim.chaostoolkit.lookup import find_deployment

__all__ = ["availability", "deployment_ready_replicas", "events", "report"]

Configuration = dict[str, Any] | None
Secrets = dict[str, Any] | None


def deployment_ready_replicas(name: str, configuration: Configuration = None, secrets: Secrets = None) -> int:
    """How many instances of the deployment (by name, or id) are RUNNING and ready now."""
    return int(find_deployment(client(configuration, secrets), name)["ready_replicas"])


def availability(deployment: str, since: float = 0, configuration: Configuration = None,
                 secrets: Secrets = None) -> float:
    """The deployment's (by name, or id) availability from simulated time ``since`` until now:
    the share of that time it had all its replicas running and ready, 0..1 (the report's)."""
    edgesim = client(configuration, secrets)
    found = find_deployment(edgesim, deployment)
    body = call(lambda: edgesim.control("GET", f"report?{urlencode({'from': since})}"))
    for entry in body["deployments"]:
        if entry["id"] == found["id"]:
            if entry["availability"] is None:
                raise ActivityFailed(f"edgesim: deployment {deployment!r} has no availability since t={since:g} (the window is empty)")
            return float(entry["availability"])
    raise ActivityFailed(f"edgesim: deployment {deployment!r} is not in the report since t={since:g}")


def events(kind: str | None = None, deployment_id: str | None = None, instance_id: str | None = None,
           node_id: str | None = None, group_id: str | None = None, since: float | None = None,
           limit: int = 1000, configuration: Configuration = None, secrets: Secrets = None) -> list:
    """Events of the log, oldest first, matching every filter given (GET /edgesim/events)."""
    filters = {"kind": kind, "deployment_id": deployment_id, "instance_id": instance_id, "node_id": node_id,
               "group_id": group_id, "since": since, "limit": limit}
    query = urlencode({k: v for k, v in filters.items() if v is not None})
    edgesim = client(configuration, secrets)
    return call(lambda: edgesim.control("GET", f"events?{query}"))["events"]


def report(start: float | None = None, end: float | None = None, configuration: Configuration = None,
           secrets: Secrets = None) -> dict:
    """The experiment report (GET /edgesim/report) from ``start`` to ``end`` simulated seconds
    (default: the whole run)."""
    query = urlencode({k: v for k, v in (("from", start), ("to", end)) if v is not None})
    edgesim = client(configuration, secrets)
    return call(lambda: edgesim.control("GET", f"report?{query}"))
