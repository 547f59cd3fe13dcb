"""Seeded random draws that do not depend on the order things happen in.

Each draw is keyed (for example by instance id and purpose), so the pull time of one instance
is the same whatever other requests ran before it.
"""

import random
from collections.abc import Sequence

Seconds = float | Sequence[float]


class Draws:
    def __init__(self, seed: int) -> None:
        self.seed = seed

    def rng(self, *key: object) -> random.Random:
        return random.Random(":".join(str(k) for k in (self.seed, *key)))

    def seconds(self, setting: Seconds, *key: object) -> float:
        """A fixed number of seconds, or a uniform draw from a [low, high] setting."""
        if isinstance(setting, (int, float)):
            return float(setting)
        low, high = setting
        return round(self.rng(*key).uniform(low, high), 3)
