"""Check that two versions of the golden event logs hold the same events, instant by instant.

    python tests/golden_normalise.py [--ids] OLD_REV [NEW_REV]

compares ``tests/golden/*.events.jsonl`` at git revision OLD_REV with NEW_REV (default: the
files in the work tree). Each log is normalised: ``seq``, ``partition`` and ``pseq`` are
dropped (numbering and the batch order's keys) and the events of one simulated instant are
compared as a multiset. It passes when only the order of events within an instant differs,
which is what the batch order of docs/scale-out.md (section 2) may change; it prints the first
instant that differs otherwise. Exit status 0 when every log matches.

``--ids`` also replaces every id (a UUID) by the order of its first appearance in the log: the
check of the id switch (section 8, commit 2), under which scenarios whose draws do not depend
on ids (fixed numbers, no ranges) keep the same events.
"""

from __future__ import annotations

import re
import subprocess
import sys
from collections import Counter
from itertools import groupby
from pathlib import Path

import orjson

ROOT = Path(__file__).parent.parent
GOLDEN = "tests/golden"
NUMBERING = ("seq", "partition", "pseq")
UUID = re.compile(rb"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")


def without_ids(lines: bytes) -> bytes:
    """Every UUID replaced by ``id<n>``, n its order of first appearance."""
    seen: dict[bytes, bytes] = {}
    return UUID.sub(lambda m: seen.setdefault(m.group(0), b"id%d" % len(seen)), lines)


def instants(lines: bytes) -> list[tuple[float, Counter[bytes]]]:
    """The log as (time, multiset of its events without their numbering), one per instant."""
    events = [orjson.loads(line) for line in lines.splitlines() if line.strip()]
    out = []
    for time, group in groupby(events, key=lambda e: e["time"]):
        out.append((time, Counter(
            orjson.dumps({k: v for k, v in e.items() if k not in NUMBERING}, option=orjson.OPT_SORT_KEYS)
            for e in group
        )))
    return out


def first_difference(old: bytes, new: bytes, ids: bool = False) -> str | None:
    if ids:
        old, new = without_ids(old), without_ids(new)
    a, b = instants(old), instants(new)
    for (ta, ea), (tb, eb) in zip(a, b, strict=False):
        if ta != tb or ea != eb:
            return f"at time {ta} / {tb}: only old {list((ea - eb).elements())[:2]}, only new {list((eb - ea).elements())[:2]}"
    if len(a) != len(b):
        return f"{len(a)} instants before, {len(b)} now"
    return None


def _read(rev: str | None, name: str) -> bytes:
    if rev is None:
        return (ROOT / GOLDEN / name).read_bytes()
    return subprocess.run(["git", "show", f"{rev}:{GOLDEN}/{name}"], cwd=ROOT, check=True, capture_output=True).stdout


def main(argv: list[str]) -> int:
    ids = "--ids" in argv
    revs = [a for a in argv if a != "--ids"]
    old_rev, new_rev = revs[0], (revs[1] if len(revs) > 1 else None)
    failed = 0
    for path in sorted((ROOT / GOLDEN).glob("*.events.jsonl")):
        difference = first_difference(_read(old_rev, path.name), _read(new_rev, path.name), ids)
        print(f"{path.name}: {'same events, instant by instant' if difference is None else difference}")
        failed += difference is not None
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
