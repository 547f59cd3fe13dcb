"""Finding a deployment by id or by exact name through the IEF API."""

from __future__ import annotations

from functools import partial
from typing import Any
from urllib.parse import quote

from chaoslib.exceptions import ActivityFailed

from edgesim.chaostoolkit.connection import call, ief_project
from edgesim.http_client import Client, EdgesimHTTPError

PAGE = 100  # the v2 deployment list's largest page


def find_deployment(edgesim: Client, name_or_id: str) -> dict[str, Any]:
    """The v2 deployment with this id, else the one with exactly this name."""
    ief_project(edgesim)
    try:
        return edgesim.ief("GET", f"deployments/{quote(name_or_id, safe='')}")["deployment"]
    except EdgesimHTTPError as exc:
        if exc.status != 404:
            raise ActivityFailed(f"edgesim: {exc}") from None
    offset = 0
    while True:
        page = call(partial(edgesim.ief, "GET", f"deployments?name={quote(name_or_id, safe='')}&limit={PAGE}&offset={offset}"))
        for deployment in page["deployments"]:
            if deployment["name"] == name_or_id:
                return deployment
        offset += PAGE
        if offset >= page["count"]:
            raise ActivityFailed(f"edgesim: no deployment named or with id {name_or_id!r} in project {edgesim.project_id}")
