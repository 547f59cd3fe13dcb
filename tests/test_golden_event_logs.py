"""Event logs of the shipped scenarios, byte for byte as the engine wrote them before the
architecture rework (recorded from main at e39c016).

A refactoring must not change what the simulation does: the same seed and the same requests
give the same events. A change that is meant to alter behaviour (a fidelity fix) regenerates the
files with ``EDGESIM_REGENERATE_GOLDEN=1 python -m pytest tests/test_golden_event_logs.py`` and
says why in its commit.
"""

from __future__ import annotations

import os
from pathlib import Path

import orjson
import pytest

from edgesim.scenario.model import load
from edgesim.scenario.runner import run_scenario

ROOT = Path(__file__).parent.parent
SHIPPED = sorted((ROOT / "scenarios").glob("*.yaml"))
GOLDEN = Path(__file__).parent / "golden"


def encode(events: list[dict]) -> bytes:
    return b"".join(orjson.dumps(e, option=orjson.OPT_SORT_KEYS) + b"\n" for e in events)


@pytest.mark.parametrize("path", SHIPPED, ids=[p.stem for p in SHIPPED])
async def test_event_log_is_unchanged(path):
    golden = GOLDEN / f"{path.stem}.events.jsonl"
    log = encode((await run_scenario(load(path))).events)
    if os.environ.get("EDGESIM_REGENERATE_GOLDEN"):
        golden.write_bytes(log)
    assert log == golden.read_bytes()


def test_every_shipped_scenario_has_a_golden_log():
    assert sorted(p.name for p in GOLDEN.glob("*.events.jsonl")) == sorted(f"{p.stem}.events.jsonl" for p in SHIPPED)
