"""The dashboard's routes without a browser: GET /edgesim/state, the static files, report.html,
and the admin token on all of them."""

from __future__ import annotations

import re
from importlib import resources

import aiohttp

from edgesim.settings import load_settings
from edgesim.ui import palette

from conftest import start_api, stop_api

FAST = [{"match": "*", "pull": {"seconds": 2}, "start": {"seconds": 1}}]


async def test_state_holds_the_fleet_in_one_answer(api):
    assert (await api.put("/edgesim/behaviors", FAST, token=None)).status == 200
    fleet = (await api.post("/edgesim/fleet", {"nodes": 4, "groups": {"line-1": 3}, "name_prefix": "line"}, token=None)).body
    [group] = fleet["groups"]
    web = (await api.create("web", node_id=group["node_ids"][0])).body["deployment"]["id"]
    await api.advance(10)
    node_id = group["node_ids"][1]
    await api.post("/edgesim/chaos/faults", {"kind": "node_partition", "target": {"node_ids": [node_id]}}, token=None)

    state = (await api.get("/edgesim/state", token=None)).body
    assert state["seq"] == api.engine.events.events[-1]["seq"]
    assert state["clock"] == (await api.get("/edgesim/clock", token=None)).body
    assert (state["clock"]["now"], state["clock"]["mode"]) == (10, "virtual")
    assert state["groups"] == [{"id": group["id"], "name": "line-1", "node_ids": group["node_ids"]}]
    nodes = {n["id"]: n for n in state["nodes"]}
    assert len(nodes) == len(api.engine.world.nodes) == 9  # 5 configured + 4 made here
    [inst] = nodes[group["node_ids"][0]]["instances"]
    assert inst == {"id": inst["id"], "deployment_id": web, "state": "RUNNING", "ready": True}
    assert nodes[node_id]["silent"] is True and nodes[node_id]["state"] == "RUNNING"
    assert [(d["id"], d["name"], d["replicas"], d["ready"], d["instances"]) for d in state["deployments"]] == [(web, "web", 1, 1, 1)]
    assert [(f["kind"], f["state"], f["nodes"]) for f in state["faults"]] == [("node_partition", "active", [node_id])]
    assert state["unplaced"] == []
    assert state["records"] == {"node": 9, "group": 1, "deployment": 1, "instance": 1, "configmap": 0, "secret": 0}


async def test_the_dashboard_files_are_served_from_the_package(api):
    async with aiohttp.ClientSession() as session:
        for path in ("/edgesim/ui", "/edgesim/ui/"):
            async with session.get(api.url + path) as resp:
                assert resp.status == 200 and resp.content_type == "text/html"
                page = await resp.text()
        scripts = re.findall(r'(?:src|href)="(/edgesim/ui/[^"]+)"', page)
        assert "/edgesim/ui/main.js" in scripts and "/edgesim/ui/dashboard.css" in scripts
        for path in scripts:
            async with session.get(api.url + path) as resp:
                assert resp.status == 200 and resp.content_type in ("text/javascript", "text/css"), path
        for path in ("/edgesim/ui/nope.js", "/edgesim/ui/..%2F__init__.py", "/edgesim/ui/%2e%2e%2ftimeline.py"):
            async with session.get(api.url + path) as resp:
                assert resp.status == 404, path


def test_the_dashboard_fetches_nothing_from_elsewhere():
    folder = resources.files("edgesim.ui") / "static"
    names = sorted(f.name for f in folder.iterdir())
    assert {"index.html", "dashboard.css", "main.js"} <= set(names)
    for f in folder.iterdir():
        text = f.read_text()
        assert not re.findall(r"https?://", text), f.name
        # module imports stay inside the folder
        for target in re.findall(r'from "([^"]+)"', text):
            assert target.startswith("./") and (folder / target[2:]).is_file(), (f.name, target)


def test_the_dashboard_colours_match_the_timeline_palette():
    css = (resources.files("edgesim.ui") / "static" / "dashboard.css").read_text()
    declared = dict(re.findall(r"--([in]-[\w-]+):\s*(#[0-9a-f]{6})", css))
    assert {k[2:]: v for k, v in declared.items() if k.startswith("i-") and k != "i-RUNNING-not-ready"} == palette.INSTANCE
    assert {k[2:]: v for k, v in declared.items() if k.startswith("n-")} == palette.NODE
    assert declared["i-RUNNING-not-ready"] == palette.RUNNING_NOT_READY


async def test_report_html_draws_the_live_experiment(api):
    assert (await api.put("/edgesim/behaviors", FAST, token=None)).status == 200
    await api.create("web")
    await api.advance(30)
    async with aiohttp.ClientSession() as session:
        async with session.get(api.url + "/edgesim/report.html") as resp:
            assert resp.status == 200 and resp.content_type == "text/html"
            html = await resp.text()
        async with session.get(api.url + "/edgesim/report.html?from=20&to=10") as resp:
            assert resp.status == 400 and (await resp.json())["error_code"] == "EDGESIM.0400"
    assert "<svg" in html and html.count('class="band"') >= 2 and "@ edge-node-001" in html  # nodes by name


async def test_the_admin_token_guards_data_but_not_the_page(tmp_path):
    config = tmp_path / "config"
    config.mkdir()
    accounts = (resources.files("edgesim.config") / "accounts.toml").read_text()
    (config / "accounts.toml").write_text(accounts + '\n[admin]\ntoken = "s3cret"\n')
    api = await start_api(tmp_path / "e.db", settings=load_settings(config))
    try:
        async with aiohttp.ClientSession() as session:

            async def status(method: str, path: str, **kw) -> int:
                async with session.request(method, api.url + path, **kw) as resp:
                    return resp.status

            assert await status("GET", "/edgesim/ui") == 200  # no data in it; a browser cannot send the header
            assert await status("GET", "/edgesim/ui/main.js") == 200
            for path in ("/edgesim/state", "/edgesim/report.html", "/edgesim/events/stream"):
                assert await status("GET", path) == 401, path
                assert await status("GET", path + "?token=wrong") == 401, path
            assert await status("GET", "/edgesim/state", headers={"X-Admin-Token": "s3cret"}) == 200
            assert await status("GET", "/edgesim/state?token=s3cret") == 200
            assert await status("GET", "/edgesim/report.html?token=s3cret") == 200
            # a query token opens reads only: changes still need the header
            assert await status("POST", "/edgesim/clock/advance?token=s3cret", json={"seconds": 1}) == 401
            async with session.get(api.url + "/edgesim/events/stream?token=s3cret") as resp:
                assert resp.status == 200 and resp.headers["Content-Type"] == "text/event-stream"
    finally:
        await stop_api(api)
