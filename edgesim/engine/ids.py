"""Deterministic ids: the n-th id of a seed is always the same UUID.

The sequence number is persisted, so a restarted server never hands out an id twice.
"""

import hashlib
import uuid


class IdFactory:
    def __init__(self, seed: int, seq: int = 0) -> None:
        self.seed = seed
        self.seq = seq

    def next(self) -> str:
        self.seq += 1
        digest = hashlib.sha256(f"edgesim:{self.seed}:{self.seq}".encode()).digest()
        return str(uuid.UUID(bytes=digest[:16], version=4))
