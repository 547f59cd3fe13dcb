"""Chaos Toolkit actions on a running edgesim (see the package docstring and docs/chaos.md).

No ``from __future__ import annotations`` here: the toolkit's discovery reads the parameter
types from the signatures, and a postponed annotation reads as a bare string.
"""

from functools import partial
from typing import Any

from chaoslib.exceptions import ActivityFailed

from edgesim.chaostoolkit.connection import call, client, ief_project
from edgesim.chaostoolkit.lookup import find_deployment

__all__ = ["advance", "create_deployment", "delete_deployment", "inject_fault", "remove_all_faults", "remove_fault"]

Configuration = dict[str, Any] | None
Secrets = dict[str, Any] | None


def inject_fault(kind: str, target: dict, duration: float | None = None, start: float | None = None,
                 probability: float | None = None, every: float | None = None,
                 configuration: Configuration = None, secrets: Secrets = None, **options: Any) -> dict:
    """Add a chaos fault (the body of POST /edgesim/chaos/faults); returns the fault, with its
    ``id``. ``options`` are the kind's own keys (``exit_code``, ``probe``, ``seconds``, ``down``,
    ``up``, ``status``, ...); edgesim refuses an unknown one, naming it."""
    body: dict[str, Any] = {"kind": kind, "target": target, **options}
    for key, value in (("duration", duration), ("start", start), ("probability", probability), ("every", every)):
        if value is not None:
            body[key] = value
    edgesim = client(configuration, secrets)
    return call(lambda: edgesim.control("POST", "chaos/faults", body))


def remove_fault(id: str, configuration: Configuration = None, secrets: Secrets = None) -> None:  # noqa: A002 - the documented name
    """Remove a fault: it ends now (DELETE /edgesim/chaos/faults/{id})."""
    edgesim = client(configuration, secrets)
    call(lambda: edgesim.control("DELETE", f"chaos/faults/{id}"))


def remove_all_faults(configuration: Configuration = None, secrets: Secrets = None) -> list:
    """Remove every fault still scheduled or active (a rollback that needs no fault id); returns
    the ids removed."""
    edgesim = client(configuration, secrets)
    faults = call(lambda: edgesim.control("GET", "chaos/faults"))["faults"]
    removed = [f["id"] for f in faults if f["state"] in ("scheduled", "active")]
    for fault_id in removed:
        call(partial(edgesim.control, "DELETE", f"chaos/faults/{fault_id}"))
    return removed


def advance(seconds: float, configuration: Configuration = None, secrets: Secrets = None) -> dict:
    """Run everything due in the next ``seconds`` simulated seconds (a virtual clock); returns
    the clock (``now``, ``time``, ``timers_run``)."""
    edgesim = client(configuration, secrets)
    return call(lambda: edgesim.control("POST", "clock/advance", {"seconds": seconds}))


def create_deployment(name: str, image: str, replicas: int = 1, group_id: str | None = None,
                      node_ids: list | None = None, migration: bool = False, toleration_seconds: float = 300,
                      restart_policy: str = "Always", container: dict | None = None,
                      configuration: Configuration = None, secrets: Secrets = None) -> dict:
    """Create a deployment through the IEF v3 API (POST /v3/{project_id}/edgemgr/deployments):
    ``replicas`` instances of ``image`` on the group ``group_id``, or one on ``node_ids``.
    ``container`` adds fields of the container (envs, resources, probes, ...). Returns the
    deployment (v3 shape, with its ``id``)."""
    if (group_id is None) == (node_ids is None):
        raise ActivityFailed("create_deployment needs exactly one of group_id and node_ids")
    spec: dict[str, Any] = {"name": name, "image_url": image, **(container or {})}
    body: dict[str, Any] = {
        "name": name,
        **({"group_id": group_id} if group_id is not None else {"node_ids": node_ids}),
        "deployment": {"replicas": replicas, "template": {
            "configs": {"restart_policy": restart_policy, "migration": migration, "toleration_seconds": toleration_seconds},
            "containers": [spec]}},
    }
    edgesim = client(configuration, secrets)
    ief_project(edgesim)
    return call(lambda: edgesim.ief("POST", "deployments", body, version="v3"))


def delete_deployment(id: str, force: bool = False, configuration: Configuration = None,  # noqa: A002 - the documented name
                      secrets: Secrets = None) -> None:
    """Delete a deployment, given by id or by name (``force``: at once, without terminating)."""
    edgesim = client(configuration, secrets)
    deployment = find_deployment(edgesim, id)
    query = "?force_delete=true" if force else ""
    call(lambda: edgesim.ief("DELETE", f"deployments/{deployment['id']}{query}"))

