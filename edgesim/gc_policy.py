"""Garbage-collector settings for a long-running edgesim process.

A simulated fleet is millions of long-lived objects (records, app specs, the event log). With
CPython's defaults the collector walks them again and again: young collections every 700
allocations promote into older generations whose collections scan the whole world, which
halved the API's create rate and stalls the event loop for up to seconds (see
benchmarks/README.md). Nothing in edgesim relies on prompt cycle collection.
"""

from __future__ import annotations

import gc

THRESHOLDS = (50_000, 50, 100)  # young collections every 50k allocations; older ones rarely


def tune() -> None:
    """Collect less often (call once, at process start)."""
    gc.set_threshold(*THRESHOLDS)


def settle() -> None:
    """After a bulk load: collect once, then exempt every surviving object from later scans.

    Only for processes that own their lifetime (``edgesim serve``, benchmarks); frozen objects
    are never freed."""
    gc.collect()
    gc.freeze()
