"""Fleet generation: many nodes and groups in one call, the same fleet for the same seed."""

from __future__ import annotations

import subprocess
import sys

import pytest

from conftest import start_api, stop_api
from processes import ServeProcess


async def all_nodes(api) -> list[dict]:
    nodes, offset = [], 0
    while True:
        page = (await api.get(api.v2(f"nodes?sort=created_at:asc&limit=1000&offset={offset}"))).body
        nodes += page["nodes"]
        offset += 1000
        if offset >= page["count"]:
            return nodes


async def test_5000_nodes_and_groups_in_one_call_same_seed_same_fleet(tmp_path):
    body = {"nodes": 5000, "groups": {"factory-a": 50, "factory-b": 2000}, "profile": {"cpu": [2, 8]}, "name_prefix": "f"}
    fleets = []
    for run in ("a", "b"):
        api = await start_api(tmp_path / f"{run}.db", seed=42)
        try:
            reply = await api.post("/edgesim/fleet", body, token=None)
            assert reply.status == 201, reply.body
            assert reply.body["nodes"] == 5000
            assert [(g["name"], len(g["node_ids"])) for g in reply.body["groups"]] == [("factory-a", 50), ("factory-b", 2000)]
            nodes = await all_nodes(api)
            assert len(nodes) == 5005  # plus the default fleet
            fleet = [n for n in nodes if n["name"].startswith("f-")]
            assert all(n["state"] == "RUNNING" and 2 <= n["cpu"] <= 8 for n in fleet)
            assert len({n["host_ips"][0] for n in fleet}) > 4900  # addresses look like a real fleet
            groups = (await api.get(api.v2("groups"))).body
            assert groups["count"] == 2
            fleets.append([(n["id"], n["name"], n["cpu"], n["memory"], n["host_name"], n["host_ips"], n["group_ids"]) for n in nodes])
        finally:
            await stop_api(api)
    assert fleets[0] == fleets[1]


async def test_a_different_seed_gives_a_different_fleet(tmp_path):
    facts = []
    for seed in (1, 2):
        api = await start_api(tmp_path / f"s{seed}.db", seed=seed)
        try:
            await api.post("/edgesim/fleet", {"nodes": 20}, token=None)
            facts.append([(n["cpu"], n["host_name"]) for n in await all_nodes(api)])
        finally:
            await stop_api(api)
    assert facts[0] != facts[1]


async def test_names_continue_after_existing_nodes(api):
    await api.post("/edgesim/fleet", {"nodes": 2, "name_prefix": "edge-node"}, token=None)
    names = [n["name"] for n in await all_nodes(api)]
    assert names[-2:] == ["edge-node-006", "edge-node-007"]


@pytest.mark.parametrize(
    ("body", "text"),
    [
        ({"nodes": -1}, "nodes"),
        ({"nodes": 100_001}, "nodes"),
        ({"nodes": "10"}, "nodes"),
        ({"nodes": 5, "groups": {"a": 6}}, "the groups take 6 nodes"),
        ({"nodes": 5, "groups": {"bad name": 1}}, "groups"),
        ({"nodes": 5, "profile": {"cpu": [8, 2]}}, "profile.cpu"),
        ({"nodes": 5, "project_id": "f" * 32}, "project_id"),
        ({}, "nodes"),
    ],
)
async def test_bad_fleet_requests_are_refused_and_create_nothing(api, body, text):
    reply = await api.post("/edgesim/fleet", body, token=None)
    assert (reply.status, reply.body["error_code"]) == (400, "EDGESIM.0400"), reply.body
    assert text in reply.body["error_msg"]
    assert (await api.get(api.v2("nodes"))).body["count"] == 5


async def test_an_existing_group_name_is_refused(api):
    assert (await api.post("/edgesim/fleet", {"nodes": 1, "groups": {"g": 1}}, token=None)).status == 201
    reply = await api.post("/edgesim/fleet", {"nodes": 1, "groups": {"g": 1}}, token=None)
    assert (reply.status, reply.body["error_code"]) == (400, "IEF.100006")
    assert (await api.get(api.v2("nodes"))).body["count"] == 6


@pytest.mark.slow
def test_fleet_command_against_a_running_server(tmp_path):
    server = ServeProcess("--db", str(tmp_path / "f.db"), "--clock", "virtual")
    try:
        command = [sys.executable, "-m", "edgesim", "fleet", "--url", server.url, "--nodes", "12",
                   "--group", "line-1=4", "--group", "line-2=8", "--cpu", "2,4", "--prefix", "plant"]
        result = subprocess.run(command, capture_output=True, text=True, timeout=60)
        assert result.returncode == 0, result.stderr
        assert "created 12 nodes" in result.stdout
        assert "group line-1" in result.stdout and "(8 nodes)" in result.stdout
        bad = subprocess.run([*command[:6], "--nodes", "1", "--group", "oops"], capture_output=True, text=True, timeout=60)
        assert bad.returncode != 0 and "NAME=COUNT" in bad.stderr
        dup = subprocess.run(command, capture_output=True, text=True, timeout=60)
        assert dup.returncode != 0 and "IEF.100006" in dup.stderr
    finally:
        server.kill()
    unreachable = subprocess.run([sys.executable, "-m", "edgesim", "fleet", "--url", "http://127.0.0.1:9", "--nodes", "1"],
                                 capture_output=True, text=True, timeout=60)
    assert unreachable.returncode != 0 and "cannot reach edgesim" in unreachable.stderr


@pytest.mark.parametrize("count", ["²", "٣"])
def test_fleet_command_takes_group_sizes_in_ascii_digits_only(count):
    from click.testing import CliRunner

    from edgesim.client_commands import fleet

    # refused before any request is sent, so no server is needed
    result = CliRunner().invoke(fleet, ["--url", "http://127.0.0.1:9", "--nodes", "3", "--group", f"line={count}"])
    assert result.exit_code == 2, result.output
    assert "NAME=COUNT" in result.output
