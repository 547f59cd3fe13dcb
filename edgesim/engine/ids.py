"""Deterministic ids (docs/scale-out.md, 1.3): the same seed and the same requests give the
same UUIDs, whatever the number of shards.

- a vertex (node, group, device) is named by its birth: ``edgesim:{seed}:b{birth}``;
- a record a partition owns (deployment, instance, cert) by the partition's key and its local
  sequence: ``edgesim:{seed}:{key}:{pseq}`` (``Core.partition_id``);
- a record of the front by the front's sequence: ``edgesim:{seed}:{seq}`` (``next``).

The three forms never meet (a birth is never given twice, nor a (key, pseq) pair, nor a
front number), and the sequences are persisted, so a restarted server never repeats an id.
"""

import hashlib

from edgesim.engine import undo


class IdFactory:
    def __init__(self, seed: int, seq: int = 0) -> None:
        self.seed = seed
        self.seq = seq

    def next(self) -> str:
        """The next id of the front's sequence."""
        return self._uuid(str(undo.next_number(self, "seq")))

    def of_birth(self, birth: int) -> str:
        return self._uuid(f"b{birth}")

    def in_partition(self, key: int, pseq: int) -> str:
        return self._uuid(f"{key}:{pseq}")

    def _uuid(self, name: str) -> str:
        raw = bytearray(hashlib.sha256(f"edgesim:{self.seed}:{name}".encode()).digest()[:16])
        # what str(uuid.UUID(bytes=raw, version=4)) gives, without its slow constructor
        raw[6] = (raw[6] & 0x0F) | 0x40  # version 4
        raw[8] = (raw[8] & 0x3F) | 0x80  # RFC 4122 variant
        h = raw.hex()
        return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"
