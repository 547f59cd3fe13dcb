"""Revisions of what a deployment's API document shows, so an encoded document can be reused
until something it shows changes (``api/document_cache.py``).

A deployment's document shows the deployment, its instances and the names of groups. Every
change goes through a ``Change`` (``engine/change.py``), which tells this book when it first
touches such a record (``opened``) and when the change is over, committed or rolled back
(``closed``); both count as a new revision. While a change that touched it is open, a
deployment has no stamp: a read between the touch and the end of the change sees the record
mid-change, so it must not be cached, nor use a cache. Records put into or taken out of the
world outside a change (loading, rollback) count too, through ``World.put``/``discard``.
"""

from __future__ import annotations

from collections import Counter

from edgesim.domain.models import Deployment, Document, Group, Instance


class Revisions:
    def __init__(self) -> None:
        self._of: Counter[str] = Counter()  # deployment id -> revision
        self._open: Counter[str] = Counter()  # deployment id -> changes open on it
        self._all = 0  # revision of what every document shows (group names)
        self._all_open = 0

    def stamp(self, deployment_id: str) -> tuple[int, int] | None:
        """The deployment's current revision, or None while a change on it is open."""
        # .get, not [ ]: a Counter's missing key goes through Python-level __missing__ (the
        # usual case, read for each of a list's 100 documents)
        if self._all_open or self._open.get(deployment_id):
            return None
        return self._all, self._of.get(deployment_id, 0)

    def changed(self, record: Document) -> None:
        """The record changed, outside any open change, or as a change ended."""
        if isinstance(record, Instance):
            self._of[record.deployment_id] += 1
        elif isinstance(record, Deployment):
            self._of[record.id] += 1
        elif isinstance(record, Group):
            self._all += 1

    def opened(self, record: Document) -> None:
        self.changed(record)
        self._count(record, 1)

    def closed(self, record: Document) -> None:
        self.changed(record)
        self._count(record, -1)

    def _count(self, record: Document, step: int) -> None:
        if isinstance(record, Group):
            self._all_open += step
            return
        if isinstance(record, Instance):
            key = record.deployment_id
        elif isinstance(record, Deployment):
            key = record.id
        else:
            return
        self._open[key] += step
        if not self._open[key]:
            del self._open[key]
