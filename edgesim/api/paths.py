"""Where a path belongs: a project's IEF API, the simulated IAM, or edgesim's control surface.

The route declarations build their paths from these prefixes, and everything that treats IEF
calls apart (the error middleware, auth, chaos API faults, the recorder) asks the functions
below, so "is this an IEF path" has one answer.
"""

from __future__ import annotations

import re

API_VERSIONS = ("v2", "v3")
EDGEMGR = "edgemgr"  # the IEF service's segment after the project
V2 = f"/v2/{{project_id}}/{EDGEMGR}"
V3 = f"/v3/{{project_id}}/{EDGEMGR}"
PRODUCTMGR = "productmgr"  # the service segment of products (batch node registration)
V2_PRODUCTMGR = f"/v2/{{project_id}}/{PRODUCTMGR}"
EDM = "edm"  # the service segment of encrypted data (ief-api-more.md 7.4)
V2_EDM = f"/v2/{{project_id}}/{EDM}"
ROUTEMGR = "routemgr"  # the service segment of message routing (endpoints, rules, system events)
V2_ROUTEMGR = f"/v2/{{project_id}}/{ROUTEMGR}"
IEF_SERVICES = (EDGEMGR, PRODUCTMGR, EDM, ROUTEMGR)
IAM_TOKENS = "/v3/auth/tokens"
CONTROL = "/edgesim"

_VERSION = "|".join(API_VERSIONS)
# Any path under a project; the router answers unknown IEF APIs (IEF.011002) from it.
ANY_PROJECT_ROUTE = f"/{{version:{_VERSION}}}/{{project_id}}/{{tail:.*}}"
_PROJECT_PATH = re.compile(rf"^/(?:{_VERSION})/(?P<project_id>[^/]+)/")
# The tag API lives beside edgemgr, under its resource types (ief-api-more.md section 3).
TAG_RESOURCE_TYPES = ("ief-edge_node", "ief-deployment", "ief-application", "ief-device")
_IEF_PATH = re.compile(rf"^/(?:{_VERSION})/[^/]+/(?:{'|'.join((*IEF_SERVICES, *TAG_RESOURCE_TYPES))})/")


def project_in(path: str) -> str | None:
    """The project a ``/v2|v3/{project_id}/...`` path names (IAM's ``/v3/auth/`` reads as
    project ``auth``), None for any other path."""
    match = _PROJECT_PATH.match(path)
    return match["project_id"] if match is not None else None


def is_ief(path: str) -> bool:
    """Under ``/v2|v3/{project_id}/edgemgr/`` (or another IEF service's segment, or a tag
    resource type): the IEF API proper."""
    return _IEF_PATH.match(path) is not None


def is_control(path: str) -> bool:
    """Under ``/edgesim/``: the simulator's own surface."""
    return path.startswith(CONTROL + "/")
