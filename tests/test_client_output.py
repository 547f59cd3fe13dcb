"""What the client commands print for a newcomer: `edgesim report` on a window that reaches
into the future, `edgesim chaos list` naming the nodes a fault hit. Run in a thread against
the in-process server (the commands block on HTTP)."""

from __future__ import annotations

import asyncio

from click.testing import CliRunner

from edgesim.cli import main

from conftest import Api, site_group


async def edgesim(*args: str):
    return await asyncio.to_thread(CliRunner().invoke, main, list(args))


async def test_a_report_without_deployments_says_so(api: Api):
    await api.advance(10)
    printed = await edgesim("report", "--url", api.url)
    assert printed.exit_code == 0 and "experiment 0s - 10s: no deployment in the window" in printed.output


async def test_a_report_window_past_now_counts_only_the_time_that_has_passed(api: Api):
    _, nodes = await site_group(api)
    assert (await api.create("web", nodes[0])).status == 201
    await api.advance(94)
    reply = await api.get("/edgesim/report?from=0&to=3600", token=None)
    assert reply.status == 200
    assert (reply.body["to"], reply.body["to_requested"]) == (94, 3600)
    [web] = reply.body["deployments"]
    assert web["availability"] == round((94 - 3) / 94, 6)  # running from 3 s: not 3506 s of "down" to come
    within = (await api.get("/edgesim/report?from=0&to=50", token=None)).body
    assert within["to"] == 50 and "to_requested" not in within  # a window in the past is as asked
    future = await api.get("/edgesim/report?from=200", token=None)
    assert (future.status, future.body["error_code"]) == (400, "EDGESIM.0400")
    assert "from 200 is after the current time (94 s)" in future.body["error_msg"]
    printed = await edgesim("report", "--url", api.url, "--from", "0", "--to", "3600")
    assert printed.exit_code == 0, printed.output
    assert "note: --to 3600 is still to come; the report counts 0s - 94s" in printed.output
    assert "96.81%" in printed.output
    plain = await edgesim("report", "--url", api.url)
    assert "note:" not in plain.output


async def test_chaos_list_shows_the_nodes_a_fault_hit(api: Api):
    group, nodes = await site_group(api, nodes=5)
    reply = await api.post("/edgesim/chaos/faults", {"kind": "node_crash", "target": {"group_id": group},
                                                     "duration": 60}, token=None)
    assert reply.status == 201, reply.body
    later = await api.post("/edgesim/chaos/faults", {"kind": "node_crash", "target": {"node_ids": [nodes[0]]},
                                                     "start": 500, "duration": 60}, token=None)
    await api.advance(1)
    listed = await edgesim("chaos", "list", "--url", api.url)
    assert listed.exit_code == 0, listed.output
    assert "hit" in listed.output
    row = next(line for line in listed.output.splitlines() if reply.body["id"] in line)
    shown = (await api.get(f"/edgesim/chaos/faults/{reply.body['id']}", token=None)).body
    assert sorted(shown["nodes"]) == nodes and len(shown["node_names"]) == 5
    assert all(name.startswith("site-") for name in shown["node_names"])
    assert ", ".join(shown["node_names"][:3]) + " (+2 more)" in row  # three named, the rest counted
    pending = next(line for line in listed.output.splitlines() if later.body["id"] in line)
    assert pending.rstrip(" │|").endswith("-")  # scheduled: it hit nothing yet
