"""The dashboard (/edgesim/ui) and the timeline page in a real headless chromium.

The server runs in this process on a virtual clock, so a test moves time itself and then gives
the page a wall-clock bound to show it. Bounds are generous except the one the dashboard
promises: a node failure is on screen within a second of its event.
"""

from __future__ import annotations

import time
from importlib import resources

import pytest

from edgesim.settings import load_settings
from edgesim.ui.timeline import render_timeline

from browser import ARGS, CHROMIUM, open_page, require_browser, screenshot
from conftest import Api, start_api, stop_api

FAST = [
    {"match": "*/edgesim-demo/crashloop*", "pull": {"seconds": 2}, "start": {"seconds": 1}, "exit": {"after": 20, "code": 1}},
    {"match": "*", "pull": {"seconds": 2}, "start": {"seconds": 1}},
]
UNIFORM = {"cpu": [8, 8], "memory_mb": [16384, 16384]}


def v3(api: Api, path: str) -> str:
    return f"/v3/{api.project_id}/edgemgr/{path}"


async def group_deployment(api: Api, name: str, group_id: str, replicas: int, image: str = "nginx:1.25",
                           migration: bool = True, toleration: int = 60) -> str:
    body = {"name": name, "group_id": group_id, "deployment": {"replicas": replicas, "template": {
        "configs": {"restart_policy": "Always", "migration": migration, "toleration_seconds": toleration},
        "containers": [{"name": name, "image_url": image, "resources": {"requests": {"cpu": "1", "memory": "256"}}}]}}}
    reply = await api.post(v3(api, "deployments"), body)
    assert reply.status == 201, reply.body
    return reply.body["id"]


async def demo_world(api: Api) -> dict:
    """Two node groups and the default nodes, four deployments, one of them crash-looping."""
    assert (await api.put("/edgesim/behaviors", FAST, token=None)).status == 200
    fleet = await api.post("/edgesim/fleet", {"nodes": 24, "groups": {"factory-a": 10, "factory-b": 8},
                                              "profile": UNIFORM, "name_prefix": "site"}, token=None)
    groups = {g["name"]: g for g in fleet.body["groups"]}
    deps = {
        "camera-ingest": await group_deployment(api, "camera-ingest", groups["factory-a"]["id"], 4),
        "vision": await group_deployment(api, "vision", groups["factory-b"]["id"], 3),
        "crashy": await group_deployment(api, "crashy", groups["factory-b"]["id"], 1,
                                         image="registry.local/edgesim-demo/crashloop:1"),
    }
    reply = await api.create("web")
    deps["web"] = reply.body["deployment"]["id"]
    await api.advance(30)
    return {"groups": groups, "deployments": deps}


def node_of(api: Api, dep_id: str) -> str:
    dep = api.engine.world.deployments[dep_id]
    return next(i.node_id for i in api.engine.world.instances_of(dep) if i.node_id)


@pytest.fixture
async def browser():
    async_playwright = require_browser()
    async with async_playwright() as p:
        chromium = await p.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        yield chromium
        await chromium.close()


async def dashboard(browser, api: Api, query: str = ""):
    watched = await open_page(browser, api.url + "/edgesim/ui" + query)
    await watched.page.wait_for_selector('#status[data-status="live"]', timeout=10_000)
    return watched


async def node_count(page) -> int:
    return await page.locator("#fleet .node").count()


async def test_the_dashboard_shows_the_fleet_with_no_console_errors(api, browser):
    await demo_world(api)
    watched = await dashboard(browser, api)
    page = watched.page
    nodes = api.engine.world.nodes
    assert await node_count(page) == len(nodes) == 29
    # every node is coloured by its state and holds its instances
    for node in nodes.values():
        el = page.locator(f'.node[data-id="{node.id}"]')
        assert await el.get_attribute("data-state") == node.state
        assert await el.locator(".inst").count() == len(api.engine.world.instances_on(node.id))
    groups = await page.locator("#fleet .group h3").all_inner_texts()
    assert [g.split()[0] for g in groups] == ["factory-a", "factory-b", "not"]  # then the ungrouped nodes
    # deployments with ready / replicas
    ready = {await row.locator("td").first.inner_text(): await row.locator(".ready").inner_text()
             for row in await page.locator("#deployments tr").all()}
    listed = (await api.get(api.v2("deployments"))).body["deployments"]
    assert ready == {d["name"]: f'{d["ready_replicas"]}/{d["replicas"]}' for d in listed}
    assert ready["camera-ingest"] == "4/4" and ready["crashy"] == "1/1"  # crashy exited and restarted at once
    assert (await page.locator("#clock-mode").inner_text()) == "virtual"
    assert (await page.locator("#clock-now").inner_text()) == "t=30s"
    # the feed opens with the latest events, newest first, and goes on live
    last = api.engine.events.events[-1]["seq"]
    assert await page.get_attribute("#feed li:first-child", "data-seq") == str(last)
    assert await page.locator("#feed li").count() == min(100, last)
    await api.advance(30)  # crashy exits again within 30 s of its immediate restart: a new event
    await page.wait_for_selector(f"#feed li[data-seq='{last + 1}']", timeout=5_000)
    await screenshot(page, "dashboard-fleet")
    assert watched.errors == []


async def test_a_node_failure_is_on_screen_within_a_second(api, browser):
    world = await demo_world(api)
    watched = await dashboard(browser, api)
    page = watched.page
    node_id = node_of(api, world["deployments"]["camera-ingest"])
    target = f'.node[data-id="{node_id}"]'
    assert await page.get_attribute(target, "data-state") == "RUNNING"
    assert (await api.post(f"/edgesim/nodes/{node_id}/disconnect", token=None)).status == 200
    await api.advance(40)  # the grace period: the node turns FAIL, its instances UNKNOWN
    failed_at = time.monotonic()
    assert [e["to"] for e in await api.events(kind="node.state", node_id=node_id)] == ["FAIL"]
    await page.wait_for_selector(f'{target}[data-state="FAIL"]', timeout=1_000)
    assert time.monotonic() - failed_at < 1.0
    await page.wait_for_selector(f'{target} .inst[data-state="UNKNOWN"]', timeout=1_000)
    # the toleration runs out: the instance is recreated on another node of the group
    await api.advance(60)
    await page.wait_for_selector('#feed li[data-kind="instance.migrated"]', timeout=5_000)
    # the replacement appears on its new node (the fleet's shape changed: a fresh snapshot)
    instances = len(api.engine.world.instances)
    await page.wait_for_function(f"document.querySelectorAll('#fleet .inst').length === {instances}", timeout=5_000)
    await page.click(target)
    await page.wait_for_selector("#details:not([hidden])")
    assert "FAIL" in await page.inner_text("#details h3")
    await screenshot(page, "dashboard-node-failure")
    assert watched.errors == []


async def test_a_fault_added_from_the_chaos_panel_takes_effect(api, browser):
    await demo_world(api)
    watched = await dashboard(browser, api)
    page = watched.page
    node = next(n for n in api.engine.world.nodes.values() if n.name == "site-003")
    await page.click('.tabs button[data-tab="chaos"]')
    await page.select_option("#fault-kind", "node_partition")
    await page.select_option("#fault-target-type", "node_ids")
    await page.fill("#fault-target", "site-003")  # a name: the panel resolves it to the node's id
    await page.fill("#fault-duration", "600")
    await page.click("#fault-add")
    row = page.locator("#faults tr").first
    await row.locator('.fault-state[data-state="active"]').wait_for(timeout=5_000)
    faults = (await api.get("/edgesim/chaos/faults", token=None)).body["faults"]
    assert [(f["kind"], f["target"], f["state"]) for f in faults] == [("node_partition", {"node_ids": [node.id]}, "active")]
    # the fleet shows the node under the fault, then failing
    target = f'.node[data-id="{node.id}"]'
    await page.wait_for_selector(f'{target}[data-fault="true"]', timeout=5_000)
    await api.advance(45)
    await page.wait_for_selector(f'{target}[data-state="FAIL"]', timeout=5_000)
    assert (await page.inner_text("#fault-error")) == ""
    await screenshot(page, "dashboard-chaos")

    # a bad fault is refused with the server's reason, and nothing is added
    await page.fill("#fault-extra", '{"exit_code": 300}')
    await page.click("#fault-add")
    await page.wait_for_function("document.getElementById('fault-error').textContent.includes('exit_code')", timeout=5_000)
    assert len((await api.get("/edgesim/chaos/faults", token=None)).body["faults"]) == 1

    # removing it from the panel ends it: the node reports again
    await row.locator("button[data-remove]").click()
    await page.wait_for_selector(f'{target}[data-state="RUNNING"][data-fault="false"]', timeout=5_000)
    assert (await api.get("/edgesim/chaos/faults", token=None)).body["faults"] == []
    errors = [e for e in watched.errors if "400" not in e]  # the refused fault's answer is logged by chromium
    assert errors == []


async def test_the_report_tab_and_the_live_timeline(api, browser):
    world = await demo_world(api)
    node_id = node_of(api, world["deployments"]["camera-ingest"])
    fault = {"kind": "node_crash", "target": {"node_ids": [node_id]}, "duration": 200}
    assert (await api.post("/edgesim/chaos/faults", fault, token=None)).status == 201
    await api.advance(300)  # FAIL after 40 s, migration after 60 s more, back at 200 s
    watched = await dashboard(browser, api)
    page = watched.page
    await page.click('.tabs button[data-tab="report"]')
    await page.wait_for_selector("#report table", timeout=5_000)
    text = await page.inner_text("#report")
    assert "camera-ingest" in text and "node_crash" in text
    await screenshot(page, "dashboard-report")
    assert watched.errors == []

    # the same experiment as one self-contained page
    timeline = await open_page(browser, api.url + "/edgesim/report.html")
    t = timeline.page
    assert await t.locator("rect.band").count() > 20
    assert await t.locator(".migration path").count() >= 1
    assert await t.locator(".fault").count() == 1
    assert await t.locator('.lane.node rect[data-state="FAIL"]').count() >= 1
    await screenshot(t, "timeline-live", full_page=True)
    assert timeline.errors == []


async def test_a_scenario_timeline_marks_expectations(api, browser):
    world = await demo_world(api)
    node_id = node_of(api, world["deployments"]["camera-ingest"])
    await api.post("/edgesim/chaos/faults", {"kind": "node_partition", "target": {"node_ids": [node_id]},
                                             "start": 60, "duration": 180}, token=None)
    await api.post("/edgesim/chaos/faults", {"kind": "instance_crash", "target": {"deployment_id": world["deployments"]["vision"]},
                                             "start": 90}, token=None)
    await api.advance(330)
    expectations = [
        {"time": 30, "description": "camera-ingest runs 4 replicas", "passed": True},
        {"time": 160, "description": "camera-ingest moved off the partitioned node", "passed": True},
        {"time": 300, "description": "crashy stays up", "passed": False},
    ]
    html = render_timeline(api.engine.events.events, title="factory failover scenario", expectations=expectations)
    assert "<script" not in html and "http" not in html.replace("http://www.w3.org/2000/svg", "")
    watched = await open_page(browser, "about:blank")
    page = watched.page
    await page.set_content(html)
    assert await page.locator(".expectation.pass").count() == 2
    assert await page.locator(".expectation.fail").count() == 1
    assert await page.locator(".migration path").count() >= 1
    assert await page.locator(".mark.hit").count() >= 1
    assert "2/3 expectations passed" in await page.inner_text(".facts")
    await screenshot(page, "timeline-scenario", full_page=True)
    assert watched.errors == []


async def test_five_thousand_nodes_stay_responsive(tmp_path, browser):
    api = await start_api(tmp_path / "big.db")
    try:
        reply = await api.post("/edgesim/fleet", {"nodes": 5000, "groups": {f"site-{i}": 500 for i in range(10)}}, token=None)
        assert reply.status == 201
        total = len(api.engine.world.nodes)
        started = time.monotonic()
        watched = await dashboard(browser, api)
        page = watched.page
        await page.wait_for_function(f"document.querySelectorAll('#fleet .node').length === {total}", timeout=30_000)
        load_seconds = time.monotonic() - started
        # a click on advance is answered on screen (generous bound: this is about not hanging)
        await page.fill("#advance-seconds", "7")
        started = time.monotonic()
        await page.click("#advance-button")
        await page.wait_for_function("document.getElementById('clock-now').textContent === 't=7s'", timeout=10_000)
        click_seconds = time.monotonic() - started
        # and failing nodes among the 5,000 still show
        some = [reply.body["node_ids"][i] for i in (42, 777, 1234, 4321)]
        for node_id in some:
            await api.post(f"/edgesim/nodes/{node_id}/disconnect", token=None)
        await api.advance(40)
        for node_id in some:
            await page.wait_for_selector(f'.node[data-id="{node_id}"][data-state="FAIL"]', timeout=5_000)
        await screenshot(page, "dashboard-5000-nodes")
        assert watched.errors == []
        print(f"5,000 nodes: page loaded in {load_seconds:.2f} s, advance shown in {click_seconds:.2f} s")
    finally:
        await stop_api(api)


async def test_the_dashboard_works_behind_the_admin_token(tmp_path, browser):
    config = tmp_path / "config"
    config.mkdir()
    accounts = (resources.files("edgesim.config") / "accounts.toml").read_text()
    (config / "accounts.toml").write_text(accounts + '\n[admin]\ntoken = "s3cret"\n')
    api = await start_api(tmp_path / "guarded.db", settings=load_settings(config))
    try:
        # without the token the page asks for it
        watched = await open_page(browser, api.url + "/edgesim/ui")
        await watched.page.wait_for_selector("#token-banner:not([hidden])", timeout=5_000)
        # with ?token= it loads the fleet and follows the stream (EventSource sends it as a query)
        watched = await dashboard(browser, api, "?token=s3cret")
        page = watched.page
        assert "token" not in page.url  # kept in localStorage, off the address bar
        assert await node_count(page) == len(api.engine.world.nodes)
        node_id = next(iter(api.engine.world.nodes))
        await api.call("POST", f"/edgesim/nodes/{node_id}/disconnect", token=None, headers={"X-Admin-Token": "s3cret"})
        await api.call("POST", "/edgesim/clock/advance", json={"seconds": 40}, token=None, headers={"X-Admin-Token": "s3cret"})
        await page.wait_for_selector(f'.node[data-id="{node_id}"][data-state="FAIL"]', timeout=5_000)
        assert [e for e in watched.errors if "401" not in e] == []
    finally:
        await stop_api(api)


@pytest.mark.slow
async def test_on_a_real_clock_time_runs_and_there_is_no_advance_button(tmp_path, browser):
    from processes import ServeProcess

    server = ServeProcess("--db", str(tmp_path / "real.db"), "--time-scale", "60")
    try:
        watched = await open_page(browser, server.url + "/edgesim/ui")
        page = watched.page
        await page.wait_for_selector('#status[data-status="live"]', timeout=10_000)
        assert await page.inner_text("#clock-mode") == "real ×60"
        assert await page.is_hidden("#advance-form")
        first = await page.inner_text("#clock-now")
        await page.wait_for_function(f"document.getElementById('clock-now').textContent !== {first!r}", timeout=5_000)
        assert await node_count(page) == 5
        assert watched.errors == []
    finally:
        server.kill()
