"""Each fault kind has its own keys, from one table (engine.faults.PARAMETERS): a fault's body
shows only those (no ``exit_code`` or ``down`` on a node_partition), a body giving another
kind's key is refused naming it (it would do nothing), older stores that kept every default
still load, and docs/chaos.md lists the same table."""

from __future__ import annotations

import asyncio
import re
import sqlite3
import typing
from pathlib import Path

import orjson
import pytest
from click.testing import CliRunner

from edgesim.cli import main
from edgesim.engine.faults import COMMON_KEYS, KIND_KEYS, PARAMETERS, FaultSpec, Kind

from conftest import Api, start_api, stop_api

FAULTS = "/edgesim/chaos/faults"
DOCS = Path(__file__).resolve().parents[1] / "docs" / "chaos.md"
BODY_KEYS = {"id", "end", "state", "created_at", "started_at", "ended_at", "nodes", "node_names", "devices", "firings"}


async def add(api: Api, **fault) -> dict:
    reply = await api.post(FAULTS, fault, token=None)
    assert reply.status == 201, reply.body
    return reply.body


async def test_a_fault_body_shows_only_its_kinds_keys(api):
    node = (await api.node_ids())[0]
    partition = await add(api, kind="node_partition", target={"node_ids": [node]}, duration=60)
    assert set(partition) - BODY_KEYS == {"kind", "target", "start", "duration", "probability"}
    crash = await add(api, kind="instance_crash", target={"image": "*"})
    assert crash["exit_code"] == 1 and "every" not in crash and "status" not in crash  # its default shown
    flap = await add(api, kind="node_flap", target={"node_ids": [node]}, up=5)
    assert (flap["down"], flap["up"]) == (30, 5) and "exit_code" not in flap
    error = await add(api, kind="api_error", target={"path": "/v2/*"}, status=503)
    assert {k: error[k] for k in ("status", "error_code")} == {"status": 503, "error_code": "IEF.120001"}
    assert "down" not in error and "probe" not in error
    listed = (await api.get(FAULTS, token=None)).body["faults"]
    assert [set(f) - BODY_KEYS for f in listed] == [set(f) - BODY_KEYS for f in (partition, crash, flap, error)]


@pytest.mark.parametrize(("kind", "target", "key", "value"), [
    ("node_partition", "node", "exit_code", 3),
    ("node_partition", "node", "down", 10),
    ("node_crash", "node", "every", 30),
    ("instance_crash", "image", "status", 503),
    ("oom_kill", "image", "exit_code", 2),
    ("api_error", "path", "seconds", 1),
    ("slow_start", "image", "probe", "readiness"),
])
async def test_a_key_the_kind_does_not_use_is_refused_naming_it(api, kind, target, key, value):
    node = (await api.node_ids())[0]
    targets = {"node": {"node_ids": [node]}, "image": {"image": "*"}, "path": {"path": "/v2/*"}}
    fault = {"kind": kind, "target": targets[target], key: value, **({"seconds": 1} if kind == "slow_start" else {})}
    before = await api.events()
    reply = await api.post(FAULTS, fault, token=None)
    assert reply.status == 400 and reply.body["error_code"] == "EDGESIM.0400"
    assert reply.body["error_msg"].startswith(f"invalid {key}: a {kind} fault does not use {key}"), reply.body
    assert (await api.get(FAULTS, token=None)).body["faults"] == [] and await api.events() == before


async def test_the_keys_of_the_kind_are_accepted(api):
    node = (await api.node_ids())[0]
    await add(api, kind="instance_crash", target={"image": "*"}, exit_code=3, every=30)
    await add(api, kind="oom_kill", target={"image": "*"}, every=30)
    await add(api, kind="node_flap", target={"node_ids": [node]}, down=10, up=20)
    await add(api, kind="probe_failure", target={"image": "*"}, probe="readiness")
    await add(api, kind="api_error", target={"path": "/v2/*"}, status=503, error_code="APIGW.0503", error_msg="busy")
    await add(api, kind="node_partition", target={"node_ids": [node]}, every=None)  # null: not given


async def test_an_older_stored_fault_with_every_default_still_loads(tmp_path):
    """Stores written before the table kept every key's default: they load, act as before, and
    their bodies show only the kind's keys."""
    db = tmp_path / "old.db"
    api = await start_api(db)
    node = (await api.node_ids())[0]
    fault_id = (await add(api, kind="node_partition", target={"node_ids": [node]}, start=100, duration=100))["id"]
    await stop_api(api)
    with sqlite3.connect(db) as conn:  # as the older edgesim wrote it
        (body,) = conn.execute("SELECT body FROM documents WHERE kind = 'fault' AND id = ?", (fault_id,)).fetchone()
        doc = orjson.loads(body)
        doc["spec"] |= {"exit_code": 1, "probe": "liveness", "status": 500, "error_code": "IEF.120001",
                        "error_msg": "Injected fault: the service is having a bad day.", "down": 30.0, "up": 30.0}
        conn.execute("UPDATE documents SET body = ? WHERE kind = 'fault' AND id = ?", (orjson.dumps(doc).decode(), fault_id))
    api = await start_api(db)
    try:
        await api.advance(150)
        shown = (await api.get(f"{FAULTS}/{fault_id}", token=None)).body
        assert shown["state"] == "active" and shown["nodes"] == [node]
        assert set(shown) - BODY_KEYS == {"kind", "target", "start", "duration", "probability"}
    finally:
        await stop_api(api)


def test_the_table_covers_every_kind_and_key():
    assert set(PARAMETERS) == set(typing.get_args(Kind))
    assert {key for keys in PARAMETERS.values() for key in keys} == set(KIND_KEYS)
    assert set(FaultSpec.model_fields) == set(COMMON_KEYS) | set(KIND_KEYS)


def test_docs_chaos_md_lists_the_same_table():
    section = DOCS.read_text().split("## Keys by kind", 1)[1].split("\n## ", 1)[0]
    rows = [line for line in section.splitlines() if line.startswith("| `")]
    documented = {}
    for row in rows:
        kind_cell, keys_cell = row.split("|")[1:3]
        keys = tuple(re.findall(r"`(\w+)`", keys_cell))
        documented[kind_cell.strip().strip("`")] = keys
    assert documented == PARAMETERS


async def test_chaos_list_shows_the_kinds_own_keys_only(api):
    node = (await api.node_ids())[0]
    partition = await add(api, kind="node_partition", target={"node_ids": [node]})
    crash = await add(api, kind="instance_crash", target={"image": "*"}, exit_code=3)
    listed = await asyncio.to_thread(CliRunner().invoke, main, ["chaos", "list", "--url", api.url])
    assert listed.exit_code == 0, listed.output
    rows = {fault["id"]: next(line for line in listed.output.splitlines() if fault["id"] in line) for fault in (partition, crash)}
    assert "exit_code=3" in rows[crash["id"]]
    assert "exit_code" not in rows[partition["id"]] and "down" not in rows[partition["id"]]
