"""Encoded v2 deployment documents, kept per deployment revision (``engine/revisions.py``), so
a read answers with bytes encoded once instead of serializing the deployment and its
instances anew. An entry is used only while its revision is current, the clock's epoch is the
one it was encoded with, and no change on the deployment is open; anything else encodes
afresh. ``EDGESIM_CHECK_DOCUMENT_CACHE=1`` compares every hit with a fresh encoding (a test
switch: a difference raises).
"""

from __future__ import annotations

import os
from weakref import WeakKeyDictionary

import orjson

from edgesim.api.serializers import v2_deployment
from edgesim.domain.models import Deployment
from edgesim.engine.engine import Engine
from edgesim.engine.revisions import Revisions

Entry = tuple[tuple[int, int], object, bytes]  # (revision, clock epoch, encoded document)
# One table per world: a reset builds a new world, whose revisions start again from zero.
_TABLES: WeakKeyDictionary[Revisions, dict[str, Entry]] = WeakKeyDictionary()


class StaleDocument(AssertionError):
    """A cached document differs from a fresh encoding: something changed it unannounced."""


def encoded_deployment(engine: Engine, dep: Deployment) -> bytes:
    """The v2 document of ``dep`` as JSON bytes, equal to ``orjson.dumps(v2_deployment(...))``."""
    revisions = engine.world.revisions
    table = _TABLES.get(revisions)
    entry = None if CHECK or table is None else table.get(dep.id)
    if entry is not None and entry[1] == engine.clock.epoch and entry[0] == revisions.stamp(dep.id):
        return entry[2]  # a GET's usual case, without a page's list
    return encoded_deployments(engine, [dep])[0]


def encoded_deployments(engine: Engine, deps: list[Deployment]) -> list[bytes]:
    """``encoded_deployment`` of each (one table lookup for a whole page)."""
    revisions = engine.world.revisions
    table = _TABLES.setdefault(revisions, {})
    epoch = engine.clock.epoch
    out: list[bytes] = []
    for dep in deps:  # a current entry inline (a list's 100 hits), anything else through _encoded
        entry = None if CHECK else table.get(dep.id)
        if entry is not None and entry[1] == epoch and entry[0] == revisions.stamp(dep.id):
            out.append(entry[2])
        else:
            out.append(_encoded(engine, dep, revisions, table, epoch))
    return out


def _encoded(engine: Engine, dep: Deployment, revisions: Revisions, table: dict[str, Entry], epoch: object) -> bytes:
    stamp = revisions.stamp(dep.id)
    if stamp is None:
        return orjson.dumps(v2_deployment(engine, dep))
    entry = table.get(dep.id)
    if entry is not None and entry[0] == stamp and entry[1] == epoch:
        if CHECK:
            _check(engine, dep, entry[2])
        return entry[2]
    encoded = orjson.dumps(v2_deployment(engine, dep))
    if len(table) > 2 * len(engine.world.deployments) + 64:  # deleted deployments' entries: let them go
        for gone in [i for i in table if i not in engine.world.deployments]:
            del table[gone]
    table[dep.id] = (stamp, epoch, encoded)
    return encoded


def _check(engine: Engine, dep: Deployment, cached: bytes) -> None:
    fresh = orjson.dumps(v2_deployment(engine, dep))
    if fresh != cached:
        raise StaleDocument(f"deployment {dep.id}: cached document differs from a fresh one\n{cached!r}\n{fresh!r}")


CHECK = os.environ.get("EDGESIM_CHECK_DOCUMENT_CACHE") == "1"
