"""Node and node group certificates (ief-api-more.md 7.1-7.3). Bodies have no wrapper.

The PEMs are edgesim's stand-ins (base64 of the certificate's facts between PEM armour lines),
carrying the certificate's serial number and its notBefore/notAfter; ``package`` is a base64
tar.gz of the three, offered only in the create answer (show and list answer ``""``)."""

from __future__ import annotations

import base64
import gzip
import io
import math
import tarfile
from typing import Any

import orjson
from aiohttp import web

from edgesim.api.cert_models import GroupCertBody, NodeCertBody
from edgesim.api.errors import json_response
from edgesim.api.paging import page_params
from edgesim.api.paths import V2
from edgesim.api.routing import ENGINE, IEF, Query, Route
from edgesim.api.serializers import contract_time
from edgesim.api.validation import parse
from edgesim.domain.models import Cert
from edgesim.engine.certs import DAY, GROUP, NODE
from edgesim.engine.engine import Engine

NODE_CERTS = V2 + "/nodes/{node_id}/certs"
GROUP_CERTS = V2 + "/groups/{group_id}/certs"
LIMIT_OFFSET = (Query("limit", "integer", "page size", 1), Query("offset", "integer", "first item", 0))


def _time(engine: Engine, seconds: float) -> str:
    """The time inside a PEM stand-in (ISO 8601 with offset, as the certificate facts carry it)."""
    return engine.clock.timestamp(seconds).isoformat()


def _pem(label: str, facts: dict[str, Any]) -> str:
    return f"-----BEGIN {label}-----\n{base64.b64encode(orjson.dumps(facts)).decode()}\n-----END {label}-----\n"


def pems(engine: Engine, cert: Cert) -> dict[str, str]:
    facts = {"serial": cert.serial_num, "subject": cert.name, "owner": cert.owner_id,
             "not_before": _time(engine, cert.created_at), "not_after": _time(engine, cert.not_after)}
    return {
        "ca": _pem("CERTIFICATE", {"subject": "edgesim-ca", "project": cert.project_id}),
        "certificate": _pem("CERTIFICATE", facts),
        "private_key": _pem("PRIVATE KEY", {"serial": cert.serial_num}),
    }


def package(engine: Engine, cert: Cert, files: dict[str, str]) -> str:
    """A tar.gz of the PEMs, byte-identical for the same certificate."""
    raw = io.BytesIO()
    with tarfile.open(fileobj=raw, mode="w") as tar:
        for name, text in files.items():
            data = text.encode()
            info = tarfile.TarInfo(f"{cert.name}/{name}.pem" if name != "certificate" else f"{cert.name}/{cert.name}.crt")
            info.size, info.mtime = len(data), int(engine.clock.timestamp(cert.created_at).timestamp())
            tar.addfile(info, io.BytesIO(data))
    return base64.b64encode(gzip.compress(raw.getvalue(), mtime=0)).decode()


def remaining_days(engine: Engine, cert: Cert) -> int:
    """Whole days left (ief-api-more.md 7.3), never below 0."""
    return max(0, math.floor((cert.not_after - engine.clock.now()) / DAY))


def expired(engine: Engine, cert: Cert) -> bool:
    """Expired from the very second of ``not_after`` (the timer's event marks the same moment)."""
    return cert.expired or engine.clock.now() >= cert.not_after


def node_cert(engine: Engine, cert: Cert, with_keys: bool = False) -> dict[str, Any]:
    body: dict[str, Any] = {
        "id": cert.id, "name": cert.name, "description": cert.description,
        "created_at": contract_time(engine, cert.created_at), "node_id": cert.owner_id, "type": cert.type,
        "serial_num": cert.serial_num,
        # edgesim additions: when it expires and whether it has
        "expires_at": contract_time(engine, cert.not_after), "expired": expired(engine, cert),
    }
    if with_keys:
        files = pems(engine, cert)
        body.update(files, package=package(engine, cert, files))
    return body


def group_cert(engine: Engine, cert: Cert, with_keys: bool = False) -> dict[str, Any]:
    files = pems(engine, cert)
    return {
        "id": cert.id, "name": cert.name, "description": cert.description,
        "created_at": contract_time(engine, cert.created_at), "updated_at": contract_time(engine, cert.updated_at),
        "group_id": cert.owner_id, "is_deleted": False, "project_id": cert.project_id, "type": cert.type,
        "serial_num": cert.serial_num, "ca": files["ca"], "certificate": files["certificate"],
        "private_key": files["private_key"] if with_keys else "",
        "package": package(engine, cert, files) if with_keys else "",
        "cert_remaining_valid_time": remaining_days(engine, cert),
        "expires_at": contract_time(engine, cert.not_after), "expired": expired(engine, cert),
    }


def _body(raw: bytes) -> bytes:
    return raw if raw.strip() else b"{}"  # every field of a group certificate is optional


# --- node certificates ------------------------------------------------------------------------


async def create_node_cert(request: web.Request) -> web.Response:
    engine = request.app[ENGINE]
    project_id, node_id = request.match_info["project_id"], request.match_info["node_id"]
    engine.nodes.get(project_id, node_id)
    body = parse(NodeCertBody, await request.read())
    cert = await engine.certs.create(NODE, project_id, node_id, name=body.name, type_=body.type,
                                     description=body.description or "")
    return json_response(node_cert(engine, cert, with_keys=True), status=201)


async def list_node_certs(request: web.Request) -> web.Response:
    engine = request.app[ENGINE]
    limit, offset = page_params(request, default_limit=10, max_limit=1000)
    project_id, node_id = request.match_info["project_id"], request.match_info["node_id"]
    engine.nodes.get(project_id, node_id)
    certs = engine.certs.of(NODE, node_id)
    page = certs[offset:offset + limit]
    return json_response({"count": len(certs), "node_certs": [node_cert(engine, c) for c in page]})


async def delete_node_cert(request: web.Request) -> web.Response:
    engine = request.app[ENGINE]
    project_id, node_id = request.match_info["project_id"], request.match_info["node_id"]
    engine.nodes.get(project_id, node_id)
    await engine.certs.delete(NODE, project_id, node_id, request.match_info["cert_id"])
    return web.Response(status=204)


# --- group certificates -----------------------------------------------------------------------


async def create_group_cert(request: web.Request) -> web.Response:
    engine = request.app[ENGINE]
    project_id, group_id = request.match_info["project_id"], request.match_info["group_id"]
    engine.groups.get(project_id, group_id)
    body = parse(GroupCertBody, _body(await request.read()))
    cert = await engine.certs.create(GROUP, project_id, group_id, name=body.name, type_=body.type,
                                     description=body.description or "")
    return json_response(group_cert(engine, cert, with_keys=True), status=201)


async def list_group_certs(request: web.Request) -> web.Response:
    engine = request.app[ENGINE]
    limit, offset = page_params(request, default_limit=10, max_limit=1000)
    project_id, group_id = request.match_info["project_id"], request.match_info["group_id"]
    engine.groups.get(project_id, group_id)
    certs = engine.certs.of(GROUP, group_id)
    page = certs[offset:offset + limit]
    # the documented body is a JSON array of one object (DOC-ListEdgeGroupCerts)
    return json_response([{"count": len(certs), "groupcerts": [group_cert(engine, c) for c in page]}])


async def show_group_cert(request: web.Request) -> web.Response:
    engine = request.app[ENGINE]
    project_id, group_id = request.match_info["project_id"], request.match_info["group_id"]
    engine.groups.get(project_id, group_id)
    cert = engine.certs.get(GROUP, project_id, group_id, request.match_info["group_cert_id"])
    return json_response(group_cert(engine, cert))


async def delete_group_cert(request: web.Request) -> web.Response:
    engine = request.app[ENGINE]
    project_id, group_id = request.match_info["project_id"], request.match_info["group_id"]
    engine.groups.get(project_id, group_id)
    await engine.certs.delete(GROUP, project_id, group_id, request.match_info["group_cert_id"])
    return web.Response(status=204)


ROUTES = (
    Route("POST", NODE_CERTS, create_node_cert, "Create a node certificate", IEF, NodeCertBody, ok=(201,)),
    Route("GET", NODE_CERTS, list_node_certs, "List a node's certificates", IEF, query=LIMIT_OFFSET),
    Route("DELETE", NODE_CERTS + "/{cert_id}", delete_node_cert, "Delete a node certificate", IEF, ok=(204,)),
    Route("POST", GROUP_CERTS, create_group_cert, "Create a node group certificate", IEF, GroupCertBody, ok=(201,)),
    Route("GET", GROUP_CERTS, list_group_certs, "List a node group's certificates", IEF, query=LIMIT_OFFSET),
    Route("GET", GROUP_CERTS + "/{group_cert_id}", show_group_cert, "Show a node group certificate", IEF),
    Route("DELETE", GROUP_CERTS + "/{group_cert_id}", delete_group_cert, "Delete a node group certificate", IEF, ok=(204,)),
)
