"""Deterministic ids: the n-th id of a seed is always the same UUID.

The sequence number is persisted, so a restarted server never hands out an id twice.
"""

import hashlib

from edgesim.engine import undo


class IdFactory:
    def __init__(self, seed: int, seq: int = 0) -> None:
        self.seed = seed
        self.seq = seq

    def next(self) -> str:
        self.seq += 1
        undo.on_undo(self._give_back(self.seq))
        raw = bytearray(hashlib.sha256(f"edgesim:{self.seed}:{self.seq}".encode()).digest()[:16])
        # what str(uuid.UUID(bytes=raw, version=4)) gives, without its slow constructor
        raw[6] = (raw[6] & 0x0F) | 0x40  # version 4
        raw[8] = (raw[8] & 0x3F) | 0x80  # RFC 4122 variant
        h = raw.hex()
        return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"

    def _give_back(self, seq: int):
        """Undo of drawing ``seq``: it is drawn again next, unless a later id was drawn since."""

        def undo_draw() -> None:
            if self.seq == seq:
                self.seq -= 1

        return undo_draw
