"""The dashboard for real fleets, in headless chromium: search and filter, the node and
deployment panels, devices under their node, rules and jobs, header counts during a partition,
migrations on the map, the time slider, failures visible among 5,000 nodes, and report.html's
time axis staying in view. The server runs in this process on a virtual clock."""

from __future__ import annotations

import pytest
from test_dashboard_browser import FAST, dashboard, demo_world, node_of, v3
from test_devices import bind_on_node, make_device
from test_jobs import create_job, fleet, profile
from test_routing import rest_to_node

from browser import ARGS, CHROMIUM, open_page, require_browser, screenshot
from conftest import start_api, stop_api

pytestmark = pytest.mark.slow

BROKEN = {"match": "*/edgesim-demo/broken*", "pull": {"seconds": 2}, "start": {"seconds": 1}, "exit": {"after": 5, "code": 1}}


@pytest.fixture
async def browser():
    async_playwright = require_browser()
    async with async_playwright() as p:
        chromium = await p.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        yield chromium
        await chromium.close()


async def visible_nodes(page) -> list[str]:
    return await page.eval_on_selector_all("#fleet .node:not([hidden])", "els => els.map(e => e.dataset.name)")


async def summary(page) -> str:
    return await page.inner_text("#summary")


async def test_search_and_filter_nodes_and_deployments(api, browser):
    world = await demo_world(api)
    watched = await dashboard(browser, api)
    page = watched.page
    await page.fill("#node-search", "site-01")
    assert sorted(await visible_nodes(page)) == [f"site-01{i}" for i in range(10)]
    assert await page.inner_text("#node-match") == "10 of 29 nodes"
    await page.fill("#node-search", "edge-node")
    assert len(await visible_nodes(page)) == 5
    groups = world["groups"]
    for name in ("factory-a", "factory-b"):  # no node of theirs matches: their sections go
        assert await page.is_hidden(f'.group[data-group="{groups[name]["id"]}"]')
    await page.fill("#node-search", "")
    await page.select_option("#node-group", world["groups"]["factory-b"]["id"])
    assert len(await visible_nodes(page)) == 8
    await page.select_option("#node-group", "")
    # a state filter follows the states as they change
    node_id = node_of(api, world["deployments"]["vision"])
    name = api.engine.world.nodes[node_id].name
    await page.select_option("#node-state", "FAIL")
    assert await visible_nodes(page) == []
    await api.post(f"/edgesim/nodes/{node_id}/disconnect", token=None)
    await api.advance(40)
    await page.wait_for_function("document.getElementById('node-match').textContent === '1 of 29 nodes'", timeout=5_000)
    assert await visible_nodes(page) == [name]
    await page.select_option("#node-state", "RUNNING")
    assert name not in await visible_nodes(page) and len(await visible_nodes(page)) == 28

    # deployments: by name, by state, by group
    def rows():
        return page.eval_on_selector_all("#deployments tr[data-id]", "els => els.map(e => e.cells[0].innerText.split(' ')[0])")

    await page.fill("#dep-search", "cam")
    assert await rows() == ["camera-ingest"]
    await page.fill("#dep-search", "")
    await page.select_option("#dep-group", world["groups"]["factory-b"]["id"])
    assert sorted(await rows()) == ["crashy", "vision"]
    await page.select_option("#dep-group", "-")
    assert await rows() == ["web"]
    await page.select_option("#dep-group", "")
    await page.select_option("#dep-state", "short")  # vision lost a replica on the failed node
    await page.wait_for_function("document.querySelectorAll('#deployments tr[data-id]').length === 1", timeout=5_000)
    assert await rows() == ["vision"]
    assert await page.inner_text("#dep-match") == "1 of 4"
    await screenshot(page, "dashboard-search")
    assert watched.errors == []


async def test_the_node_panel_with_resources_ips_devices_and_history(api, browser):
    world = await demo_world(api)
    node_id = node_of(api, world["deployments"]["camera-ingest"])
    device = await make_device(api, "press-7")
    assert (await bind_on_node(api, node_id, [device["id"]])).status == 200
    await api.advance(5)
    watched = await dashboard(browser, api)
    page = watched.page
    target = f'.node[data-id="{node_id}"]'
    assert await page.get_attribute(f'{target} .dev[data-id="{device["id"]}"]', "data-state") == "online"
    await page.click(target)
    await page.wait_for_selector("#details .resources", timeout=5_000)
    node = api.engine.world.nodes[node_id]
    assert await page.inner_text("#details .resources") == f"8 CPU · 16384 MiB · {node.hardware['arch']} · " \
        f"{node.hardware['os_name']} {node.hardware['os_version']}"
    assert await page.inner_text("#details .ips") == ", ".join(node.hardware["host_ips"])
    instances = await page.locator("#details ul.instances li").all_inner_texts()
    assert len(instances) == len(api.engine.world.instances_on(node_id)) and "camera-ingest" in instances[0]
    assert await page.inner_text("#details .device") == "press-7 online"
    assert "no state changes" in await page.inner_text("#details")

    # the node fails and comes back: its device follows, its history lists both changes
    await page.click('#details button[data-action="disconnect"]')
    await page.wait_for_function("document.querySelector('#summary').innerText.includes('1 unreachable')", timeout=5_000)
    await api.advance(40)
    await page.wait_for_selector(f'{target} .dev[data-state="offline"]', timeout=5_000)
    await page.wait_for_selector('#details .device[data-state="offline"]', timeout=5_000)
    await page.click('#details button[data-action="connect"]')
    await page.wait_for_selector('#details ul.history li:nth-child(2)', timeout=5_000)
    changes = [e for e in api.engine.events.query(node_id=node_id) if e["kind"] == "node.state"]
    assert [(e["from"], e["to"]) for e in changes] == [("RUNNING", "FAIL"), ("FAIL", "RUNNING")]
    shown = [f"{int(e['time']) // 60}:{int(e['time']) % 60:02d} {e['from']} → {e['to']}" for e in reversed(changes)]
    assert await page.locator("#details ul.history li").all_inner_texts() == shown  # newest first
    await page.wait_for_selector('#details .device[data-state="online"]', timeout=5_000)
    await screenshot(page, "dashboard-node-panel")
    assert watched.errors == []


async def test_the_deployment_panel_with_instances_events_and_rollout(api, browser):
    world = await demo_world(api)
    dep_id = world["deployments"]["camera-ingest"]
    watched = await dashboard(browser, api)
    page = watched.page
    await page.click(f'#deployments tr[data-id="{dep_id}"]')
    await page.wait_for_selector("#details ul.events li", timeout=5_000)
    assert (await page.inner_text("#details h3")).startswith("camera-ingest")
    assert await page.locator("#details ul.instances li").count() == 4
    assert "no rolling update yet" in await page.inner_text("#details .rollout-line")
    assert await page.locator('#details ul.events li[data-kind="deployment.created"]').count() == 1
    # a rolling update: the panel follows its progress to complete
    template = (await api.get(v3(api, f"deployments/{dep_id}"))).body["template"]
    template["containers"][0]["image_url"] = "nginx:1.27"
    assert (await api.put(v3(api, f"deployments/{dep_id}"), {"deployment": {"template": template}})).status == 200
    await page.wait_for_selector('#details .rollout[data-status="rolling"]', timeout=5_000)
    await api.advance(60)
    await page.wait_for_selector('#details .rollout[data-status="complete"]', timeout=5_000)
    assert "Progressing True" in await page.inner_text("#details ul.conditions")
    assert await page.locator('#details ul.events li[data-kind="deployment.rollout_complete"]').count() == 1
    await screenshot(page, "dashboard-deployment-panel")
    # an instance's node is a link to that node's panel
    await page.click("#details ul.instances li a")
    await page.wait_for_selector('#details[data-kind="node"] .resources', timeout=5_000)
    assert watched.errors == []


async def test_rules_and_a_running_job_with_its_progress(api, browser):
    node_id = (await api.node_ids())[0]
    await rest_to_node(api, node_id, name="commands-down")
    await profile(api)
    targets = await fleet(api, 30)
    await create_job(api, targets, name="edge-upgrade")
    await api.advance(15)
    watched = await dashboard(browser, api)
    page = watched.page
    await page.wait_for_selector("#job-badge:not([hidden])", timeout=5_000)
    assert await page.inner_text("#job-badge") == "job edge-upgrade: 10/30"
    await page.click('.tabs button[data-tab="operations"]')
    await page.wait_for_selector('#rules tr[data-state="delivering"]', timeout=5_000)
    assert "SystemREST → SystemEventBus" in await page.inner_text("#rules")
    assert (await page.inner_text("#jobs .job-counts")).startswith("10/30")
    await screenshot(page, "dashboard-operations")
    # the rule's node fails: the rule fails its messages; the job moves on
    await api.post(f"/edgesim/nodes/{node_id}/disconnect", token=None)
    await api.advance(45)
    await page.wait_for_selector('#rules tr[data-state="failing"]', timeout=5_000)
    failed = int(await page.inner_text("#rules td.num.bad"))
    assert failed > 0
    await page.wait_for_function("document.querySelector('#jobs .job-status').textContent !== 'running'", timeout=5_000)
    assert (await page.inner_text("#jobs .job-counts")).startswith("30/30")
    assert await page.is_hidden("#job-badge")
    assert watched.errors == []


async def test_a_partition_is_counted_unreachable_then_failed_and_a_migration_is_drawn(api, browser):
    world = await demo_world(api)
    watched = await dashboard(browser, api)
    page = watched.page
    node_id = node_of(api, world["deployments"]["camera-ingest"])
    fault = {"kind": "node_partition", "target": {"node_ids": [node_id]}, "duration": 300}
    assert (await api.post("/edgesim/chaos/faults", fault, token=None)).status == 201
    await page.wait_for_function("document.querySelector('#summary').innerText.includes('1 unreachable')", timeout=5_000)
    assert "28 RUNNING" in await summary(page)
    await api.advance(40)  # the grace period: FAIL, its instances UNKNOWN
    await page.wait_for_function("document.querySelector('#summary').innerText.includes('1 FAIL')", timeout=5_000)
    assert "unreachable" not in await summary(page) and "unknown" in await summary(page)
    await api.advance(60)  # toleration: recreated elsewhere, an arrow from the old node to the new
    await page.wait_for_selector(f'#moves line.move[data-from="{node_id}"]', state="attached", timeout=5_000)
    await screenshot(page, "dashboard-migration")
    assert watched.errors == []


async def test_the_time_slider_replays_the_experiment_into_the_map(api, browser):
    world = await demo_world(api)  # t=30
    node_id = node_of(api, world["deployments"]["camera-ingest"])
    fault = {"kind": "node_crash", "target": {"node_ids": [node_id]}, "start": 40, "duration": 300}
    assert (await api.post("/edgesim/chaos/faults", fault, token=None)).status == 201
    await api.advance(170)  # crashed at 40, FAIL at 80, recreated elsewhere at 140; now t=200
    [moved] = await api.events(kind="instance.migrated")
    watched = await dashboard(browser, api)
    page = watched.page
    target = f'.node[data-id="{node_id}"]'
    assert await page.get_attribute(target, "data-state") == "FAIL"

    async def scrub(t: float) -> None:
        await page.eval_on_selector("#time-slider", f"s => {{ s.value = '{t}'; s.dispatchEvent(new Event('input')); }}")
        await page.wait_for_selector(f'#replay-label[data-at="{t:g}"]', timeout=5_000)

    await scrub(35)
    await page.wait_for_selector(f'body[data-replay="true"] {target}[data-state="RUNNING"]', timeout=5_000)
    assert await page.locator(f"{target} .inst").count() == 1
    assert await page.get_attribute(f"{target} .inst", "data-state") == "RUNNING"
    # events that arrive meanwhile do not redraw the past
    await api.advance(5)
    await page.wait_for_timeout(300)
    assert await page.get_attribute(target, "data-state") == "RUNNING"
    await scrub(45)
    await page.wait_for_selector(f'{target}[data-fault="true"]', timeout=5_000)  # the crash holds it
    await scrub(moved["time"] + 10)
    await page.wait_for_selector(f'{target}[data-state="FAIL"] .inst[data-stale="true"]', timeout=5_000)
    await page.wait_for_selector(f'#moves line.move[data-from="{node_id}"][data-to="{moved["to_node"]}"]', state="attached",
                                 timeout=5_000)
    await screenshot(page, "dashboard-time-slider")
    # back to live
    await page.click("#live-button")
    await page.wait_for_selector('body[data-replay="false"]', timeout=5_000)
    assert await page.inner_text("#replay-label") == "live"
    await page.wait_for_selector(f'{target}[data-state="FAIL"]', timeout=5_000)
    assert watched.errors == []


async def test_one_failed_instance_among_5000_nodes_is_visible_without_zooming(tmp_path, browser):
    api = await start_api(tmp_path / "big.db")
    try:
        assert (await api.put("/edgesim/behaviors", [BROKEN, *FAST], token=None)).status == 200
        reply = await api.post("/edgesim/fleet", {"nodes": 5000, "groups": {f"site-{i}": 500 for i in range(10)}}, token=None)
        assert reply.status == 201
        group = reply.body["groups"][3]
        body = {"name": "broken", "group_id": group["id"], "deployment": {"replicas": 1, "template": {
            "configs": {"restart_policy": "Never"},
            "containers": [{"name": "broken", "image_url": "registry.local/edgesim-demo/broken:1"}]}}}
        assert (await api.post(v3(api, "deployments"), body)).status == 201
        await api.advance(2)  # pulled, not yet started: it still looks fine
        watched = await dashboard(browser, api)
        page = watched.page
        total = len(api.engine.world.nodes)
        await page.wait_for_function(f"document.querySelectorAll('#fleet .node').length === {total}", timeout=30_000)
        await api.advance(10)  # it runs 5 s and exits 1; never restarted: FAILED
        [inst] = [i for i in api.engine.world.instances.values()]
        assert inst.state == "FAILED"
        square = f'.node[data-id="{inst.node_id}"]'
        await page.wait_for_selector(f'{square}[data-worst="FAILED"]', timeout=5_000)
        # the node is RUNNING, yet its square's core is the failed colour, and it is the only one
        assert await page.get_attribute(square, "data-state") == "RUNNING"
        core = await page.eval_on_selector(square, "el => getComputedStyle(el, '::after').backgroundColor")
        assert core == "rgb(224, 49, 49)"
        assert await page.locator('#fleet .node[data-worst="FAILED"]').count() == 1
        assert "1 failed" in await summary(page)
        box = await page.locator(square).bounding_box()
        assert box["width"] >= 12 and box["height"] >= 12
        await page.select_option("#node-state", "failed-instances")
        assert len(await visible_nodes(page)) == 1
        await page.select_option("#node-state", "")
        await screenshot(page, "dashboard-5000-failed")
        assert watched.errors == []
    finally:
        await stop_api(api)


async def test_report_html_keeps_its_time_axis_in_view(api, browser):
    assert (await api.put("/edgesim/behaviors", FAST, token=None)).status == 200
    await api.post("/edgesim/fleet", {"nodes": 40, "groups": {"line": 40}, "name_prefix": "line"}, token=None)
    group_id = api.engine.world.groups[next(iter(api.engine.world.groups))].id
    body = {"name": "many", "group_id": group_id, "deployment": {"replicas": 40, "template": {
        "configs": {"restart_policy": "Always"}, "containers": [{"name": "many", "image_url": "nginx:1.25"}]}}}
    assert (await api.post(v3(api, "deployments"), body)).status == 201
    await api.advance(120)
    watched = await open_page(browser, api.url + "/edgesim/report.html")
    page = watched.page
    strip = page.locator(".axis-strip")
    assert await strip.locator("text.tick").count() >= 2
    await page.set_viewport_size({"width": 1440, "height": 500})
    await page.evaluate("window.scrollTo(0, 600)")
    await page.wait_for_function("window.scrollY >= 600", timeout=5_000)  # 40 lanes down
    box = await strip.bounding_box()
    assert abs(box["y"]) < 1  # stuck to the top of the window while the lanes scroll under it
    await screenshot(page, "timeline-sticky-axis")
    assert watched.errors == []
