"""A unit of work: what one command or one simulated step changed, ready to persist or undo.

Call ``touch(record)`` *before* changing or removing a record and ``touch(new_record)`` when
adding one. At commit time the change writes the current state of every touched record (or
deletes it, if it left the world), its events and its ``extra`` ops. If the command fails,
``rollback`` puts every touched record back as it was (``Engine.command`` does that, and
undoes the rest through ``engine.undo``), so a failed request changes nothing.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import orjson

from edgesim.domain.kinds import kind_of
from edgesim.domain.models import Document, PartitionSeq
from edgesim.engine.world import World
from edgesim.store.sqlite import Delete, Op, Put


class Change:
    def __init__(self, world: World) -> None:
        self.world = world
        # record -> its JSON before the change (None: it is new); bytes, the cheapest snapshot
        self._touched: dict[tuple[str, str], tuple[Document, bytes | None]] = {}
        self.events: list[dict[str, Any]] = []  # recorded, numbered when published (engine.events)
        self.extra: list[Op] = []  # other store ops of the change (a fault, the behaviours)
        self.after_commit: list[Callable[[], None]] = []
        self._closed = False

    def close(self) -> None:
        """The change is over (committed, queued or rolled back): what it touched may be read
        from caches again (``engine/revisions.py``). Once; later calls do nothing."""
        if not self._closed:
            self._closed = True
            for record, _ in self._touched.values():
                self.world.revisions.closed(record)

    def touch(self, record: Document) -> None:
        key = (kind_of(record).name, record.id)
        if key not in self._touched:
            exists = self.world.get(key[0], record.id) is record
            self._touched[key] = (record, orjson.dumps(record) if exists else None)
            self.world.revisions.opened(record)

    def touched(self) -> list[Document]:
        """The records touched so far, in the order they were first touched."""
        return [record for record, _ in self._touched.values()]

    def event(self, event: dict[str, Any]) -> None:
        self.events.append(event)

    def record_ops(self) -> list[Op]:
        """The store ops of the touched records, the extra ops and the partitions' sequences
        changed meanwhile; the events' ops come when they are numbered (``EventLog.number``)."""
        out: list[Op] = []
        for (kind, record_id), (record, _) in self._touched.items():
            if self.world.get(kind, record_id) is record:
                out.append(Put(kind, record_id, orjson.dumps(record)))  # encoded now: later changes must not leak in
            else:
                out.append(Delete(kind, record_id))
        out.extend(self.extra)
        for key, seq in self.world.partitions.drain_changed():
            out.append(Delete("partition", str(key)) if seq is None
                       else Put("partition", str(key), orjson.dumps(PartitionSeq(str(key), seq))))
        return out

    def rollback(self) -> None:
        """Restore every touched record as it was before the change."""
        for (kind, record_id), (record, before) in reversed(self._touched.items()):
            current = self.world.get(kind, record_id)
            if current is not None:
                self.world.discard(current)
            if before is not None:
                self.world.put(type(record).from_dict(orjson.loads(before)))
