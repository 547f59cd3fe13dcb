"""Per-project quotas: the quota report, and limits from accounts.toml refusing creations."""

from __future__ import annotations

import aiohttp
import pytest

from edgesim.server import Server, ServerOptions
from edgesim.settings import load_settings, packaged_config_dir

from conftest import PROJECT_ID, Api

QUOTA_TYPES = {
    "edge_node", "node_cert", "edge_group", "group_cert", "application", "deployment", "device_template", "device",
    "app_version", "tag", "configmap", "secret", "ief_instance", "service", "gateway",
}
SERVED = "?types=edge_node,edge_group,deployment"


async def quotas(api, query: str = "") -> dict[str, dict]:
    reply = await api.get(api.v2("quotas") + query)
    assert reply.status == 200, reply.body
    return {row["type"]: row for row in reply.body["quotas"]["resources"]}


async def register(api, name: str):
    return await api.post(api.v2("nodes"), {"node": {"name": name}})


@pytest.fixture
async def quota_api(tmp_path):
    """Start a server whose account has the given [accounts.quotas] lines (other files: defaults)."""
    servers: list[Api] = []

    async def start(**lines: str | int) -> Api:
        accounts = (packaged_config_dir() / "accounts.toml").read_text()
        assert 'preset = "unlimited"' in accounts
        table = "\n".join(f"{k} = {v!r}" if isinstance(v, int) else f'{k} = "{v}"' for k, v in lines.items())
        (tmp_path / "accounts.toml").write_text(accounts.replace('preset = "unlimited"', table))
        server = Server(load_settings(tmp_path), ServerOptions(port=0, db=str(tmp_path / "q.db"), clock="virtual", seed=0))
        await server.start()
        client = Api(server.url, aiohttp.ClientSession(), server)
        servers.append(client)
        return client

    yield start
    for client in servers:
        await client.session.close()
        await client.server.stop()


# --- the report -----------------------------------------------------------------------------------


async def test_report_shape_and_unlimited_defaults(api):
    reply = await api.get(api.v2("quotas"))
    assert reply.status == 200
    rows = reply.body["quotas"]["resources"]
    assert {r["type"] for r in rows} == QUOTA_TYPES
    assert len(rows) == 15
    for row in rows:
        assert set(row) == {"type", "used", "quota", "min", "max", "project_id"}
        assert row["project_id"] == PROJECT_ID
        assert row["quota"] == -1
    used = {r["type"]: r["used"] for r in rows}
    assert {t: used[t] for t in ("edge_node", "edge_group", "deployment")} == {"edge_node": 5, "edge_group": 0, "deployment": 0}


async def test_used_follows_creations_and_deletions(api):
    assert (await register(api, "extra")).status == 201
    group = await api.post(api.v2("groups"), {"name": "grp"})
    dep = (await api.create("web")).body["deployment"]
    await api.create("api")
    assert {t: r["used"] for t, r in (await quotas(api, SERVED)).items()} == {"edge_node": 6, "edge_group": 1, "deployment": 2}

    assert (await api.delete(api.v2(f"deployments/{dep['id']}?force_delete=true"))).status == 204
    assert (await api.delete(api.v2(f"groups/{group.body['id']}"))).status == 204
    extra = [n["id"] for n in (await api.get(api.v2("nodes?name=extra"))).body["nodes"]]
    assert (await api.delete(api.v2(f"nodes/{extra[0]}"))).status == 204
    assert {t: r["used"] for t, r in (await quotas(api, SERVED)).items()} == {"edge_node": 5, "edge_group": 0, "deployment": 1}


@pytest.mark.parametrize(
    ("query", "types"),
    [("?types=edge_node", {"edge_node"}), ("?types=deployment,edge_group", {"deployment", "edge_group"}),
     ("", QUOTA_TYPES)],
)
async def test_types_filter(api, query, types):
    assert set(await quotas(api, query)) == types


@pytest.mark.parametrize("query", ["?types=vcpu", "?types=edge_node,bogus"])
async def test_unknown_type_is_ief_100002(api, query):
    reply = await api.get(api.v2("quotas") + query)
    assert (reply.status, reply.body["error_code"]) == (400, "IEF.100002")


# --- limits from the configuration ----------------------------------------------------------------


async def test_real_service_preset_limits_edge_nodes_to_10(quota_api):
    api = await quota_api(preset="real-service")
    report = await quotas(api)
    assert (report["edge_node"]["quota"], report["edge_node"]["used"]) == (10, 5)
    assert report["deployment"]["quota"] == 500
    assert report["edge_group"]["quota"] == -1
    for i in range(5):
        reply = await register(api, f"extra-{i}")
        assert reply.status == 201, reply.body
    reply = await register(api, "one-too-many")
    assert (reply.status, reply.body["error_code"]) == (400, "IEF.100126"), reply.body
    nodes = (await api.get(api.v2("nodes"))).body
    assert nodes["count"] == 10
    assert "one-too-many" not in {n["name"] for n in nodes["nodes"]}
    assert (await quotas(api, "?types=edge_node"))["edge_node"]["used"] == 10


async def test_room_frees_up_after_a_node_is_deleted(quota_api):
    api = await quota_api(preset="real-service")
    for i in range(5):
        await register(api, f"extra-{i}")
    assert (await register(api, "late")).status == 400
    assert (await api.delete(api.v2(f"nodes/{(await api.node_ids())[0]}"))).status == 204
    assert (await register(api, "late")).status == 201


async def test_deployment_override_refuses_the_third(quota_api):
    api = await quota_api(preset="real-service", deployment=2)
    assert (await quotas(api))["deployment"]["quota"] == 2
    assert (await api.create("one")).status == 201
    assert (await api.create("two")).status == 201
    reply = await api.create("three")
    assert (reply.status, reply.body["error_code"]) == (400, "IEF.100126"), reply.body
    listed = (await api.get(api.v2("deployments"))).body
    assert listed["count"] == 2
    assert {d["name"] for d in listed["deployments"]} == {"one", "two"}
    assert api.engine.world.deployment_named(PROJECT_ID, "three") is None


async def test_edge_group_override_refuses_the_second(quota_api):
    api = await quota_api(edge_group=1)
    assert (await api.post(api.v2("groups"), {"name": "first"})).status == 201
    reply = await api.post(api.v2("groups"), {"name": "second"})
    assert (reply.status, reply.body["error_code"]) == (400, "IEF.100126"), reply.body
    assert (await api.get(api.v2("groups"))).body["count"] == 1


async def test_override_minus_one_means_unlimited(quota_api):
    api = await quota_api(preset="real-service", edge_node=-1)
    report = await quotas(api)
    assert report["edge_node"]["quota"] == -1
    assert report["deployment"]["quota"] == 500  # the preset still sets the others
    for i in range(6):
        reply = await register(api, f"extra-{i}")
        assert reply.status == 201, reply.body
    assert (await quotas(api))["edge_node"]["used"] == 11


# --- all 15 types ---------------------------------------------------------------------------------

NOT_SERVED = ("node_cert", "group_cert", "ief_instance", "service", "gateway")


async def test_every_type_can_be_asked_for_and_unserved_ones_count_zero(api):
    for quota_type in sorted(QUOTA_TYPES):
        assert set(await quotas(api, f"?types={quota_type}")) == {quota_type}
    report = await quotas(api, "?types=" + ",".join(NOT_SERVED))
    assert {t: r["used"] for t, r in report.items()} == dict.fromkeys(NOT_SERVED, 0)


async def test_quotas_of_the_new_families_count_and_refuse(quota_api):
    api = await quota_api(application=1, app_version=1, device=1, device_template=1, configmap=1, secret=1)
    app = await api.post(api.v2("apps"), {"app": {"name": "shop"}})
    assert app.status == 201, app.body
    version = {"version": {"version": "1.0", "image_url": "nginx:1.25"}}
    assert (await api.post(api.v2(f"apps/{app.body['app']['id']}/versions"), version)).status == 201
    assert (await api.post(api.v2("devices"), {"device": {"name": "meter-1"}})).status == 201
    assert (await api.post(api.v2("device-templates"), {"device_template": {"name": "meter"}})).status == 201
    assert (await api.post(api.v2("configmaps"), {"configmap": {"name": "app-config"}})).status == 201
    assert (await api.post(api.v2("secrets"), {"secret": {"name": "db-password", "secrets": {"k": "dg=="}}})).status == 201
    counted = "application,app_version,device,device_template,configmap,secret"
    used = {t: r["used"] for t, r in (await quotas(api, f"?types={counted}")).items()}
    assert used == dict.fromkeys(counted.split(","), 1)
    for path, body in [("apps", {"app": {"name": "shop-2"}}),
                       (f"apps/{app.body['app']['id']}/versions", {"version": {"version": "2.0", "image_url": "nginx:1.26"}}),
                       ("devices", {"device": {"name": "meter-2"}}),
                       ("device-templates", {"device_template": {"name": "meter-2"}}),
                       ("configmaps", {"configmap": {"name": "app-config-2"}}),
                       ("secrets", {"secret": {"name": "db-password-2", "secrets": {"k": "dg=="}}})]:
        reply = await api.post(api.v2(path), body)
        assert (reply.status, reply.body["error_code"]) == (400, "IEF.100126"), (path, reply.body)
    assert (await quotas(api, "?types=application,device"))["device"]["used"] == 1


async def test_unknown_type_names_the_field(api):
    reply = await api.get(api.v2("quotas") + "?types=configmap,vcpu")
    assert (reply.status, reply.body["error_code"]) == (400, "IEF.100002")
    assert "types" in reply.body["error_msg"] and "vcpu" in reply.body["error_msg"]


async def test_real_service_preset_has_the_documented_defaults(quota_api):
    api = await quota_api(preset="real-service")
    limits = {t: r["quota"] for t, r in (await quotas(api)).items()}
    assert limits == {
        "edge_node": 10, "node_cert": 10, "edge_group": -1, "group_cert": 10, "application": 10,
        "deployment": 500, "device_template": 10, "device": 500, "app_version": 10, "tag": 20,
        "configmap": 50, "secret": 50, "ief_instance": 1, "service": 100, "gateway": 10,
    }


async def test_tag_used_is_the_most_tags_on_one_resource_and_the_limit_is_enforced(quota_api):
    api = await quota_api(tag=2)
    node = (await api.node_ids())[0]
    base = f"/v2/{PROJECT_ID}/ief-edge_node/{node}/tags"
    before = (await quotas(api, "?types=tag"))["tag"]["used"]
    two = [{"key": "a", "value": "1"}, {"key": "b", "value": "2"}]
    assert (await api.post(base + "/action", {"action": "create", "tags": two})).status == 200
    report = (await quotas(api, "?types=tag"))["tag"]
    assert (report["quota"], report["used"]) == (2, max(before, 2))
    reply = await api.post(base, {"tag": {"key": "c", "value": "3"}})
    assert (reply.status, reply.body["error_code"]) == (400, "IEF.100126")
