"""Resource tags over real HTTP: the six operations, every rule accepted and refused, restart."""

from __future__ import annotations

import pytest

from conftest import PROJECT_ID, start_api, stop_api

NODE = f"/v2/{PROJECT_ID}/ief-edge_node"
DEPLOYMENT = f"/v2/{PROJECT_ID}/ief-deployment"


async def first_node(api) -> str:
    return (await api.node_ids())[0]


async def tags_of(api, base: str, resource_id: str) -> dict[str, str]:
    reply = await api.get(f"{base}/{resource_id}/tags")
    assert reply.status == 200, reply.body
    assert reply.body["count"] == len(reply.body["tags"])
    return {t["key"]: t["value"] for t in reply.body["tags"]}


async def batch(api, base: str, resource_id: str, action: str, tags: list) -> object:
    return await api.post(f"{base}/{resource_id}/tags/action", {"action": action, "tags": tags})


def code(reply) -> tuple[int, str]:
    return reply.status, reply.body["error_code"]


# --- create, list, delete ---------------------------------------------------------------------


async def test_create_list_and_delete_a_node_tag(api):
    node = await first_node(api)
    reply = await api.post(f"{NODE}/{node}/tags", {"tag": {"key": "env", "value": "prod"}})
    assert (reply.status, reply.body) == (201, None)
    assert await tags_of(api, NODE, node) == {"env": "prod"}
    # the same store as the node's own tags field
    node_body = (await api.get(api.v2(f"nodes/{node}"))).body["node"]
    assert {"key": "env", "value": "prod"} in node_body["tags"]
    # an existing key is overwritten
    await api.post(f"{NODE}/{node}/tags", {"tag": {"key": "env", "value": "dev"}})
    assert await tags_of(api, NODE, node) == {"env": "dev"}
    assert (await api.delete(f"{NODE}/{node}/tags/env")).status == 204
    assert await tags_of(api, NODE, node) == {}
    assert code(await api.delete(f"{NODE}/{node}/tags/env")) == (404, "IEF.100003")


async def test_deployment_tags_and_a_url_encoded_key(api):
    dep = (await api.create("web")).body["deployment"]["id"]
    await batch(api, DEPLOYMENT, dep, "create", [{"key": "a-b_c", "value": ""}, {"key": "tier", "value": " web "}])
    assert await tags_of(api, DEPLOYMENT, dep) == {"a-b_c": "", "tier": "web"}
    assert (await api.delete(f"{DEPLOYMENT}/{dep}/tags/a%2Db_c")).status == 204
    assert await tags_of(api, DEPLOYMENT, dep) == {"tier": "web"}


async def test_unknown_resource_and_unknown_type(api):
    missing = "00000000-0000-4000-8000-000000000000"
    assert code(await api.post(f"{NODE}/{missing}/tags", {"tag": {"key": "k", "value": "v"}})) == (404, "IEF.100003")
    assert code(await api.get(f"{NODE}/{missing}/tags")) == (404, "IEF.100003")
    assert code(await batch(api, NODE, missing, "create", [{"key": "k", "value": "v"}])) == (404, "IEF.100003")
    assert code(await api.get(f"/v2/{PROJECT_ID}/ief-bogus/tags")) == (404, "IEF.011002")


async def test_app_templates_and_devices_take_tags(api):
    app = (await api.post(api.v2("apps"), {"app": {"name": "shop"}})).body["app"]
    device = (await api.post(api.v2("devices"), {"device": {"name": "meter-1"}})).body["device"]
    for resource_type, resource_id in (("ief-application", app["id"]), ("ief-device", device["id"])):
        base = f"/v2/{PROJECT_ID}/{resource_type}"
        assert (await api.post(f"{base}/{resource_id}/tags", {"tag": {"key": "site", "value": "berlin"}})).status == 201
        assert await tags_of(api, base, resource_id) == {"site": "berlin"}
        assert (await api.get(f"{base}/tags")).body["count"] == 1
        counted = await api.post(f"{base}/resource_instances/action", {"action": "count"})
        assert counted.body == {"total_count": 1}
    assert (await api.get(api.v2(f"apps/{app['id']}"))).body["app"]["tags"] == [{"key": "site", "value": "berlin"}]
    assert (await api.get(api.v2(f"devices/{device['id']}"))).body["device"]["tags"] == [{"key": "site", "value": "berlin"}]
    # a deleted device takes its tags with it
    assert (await api.delete(api.v2(f"devices/{device['id']}"))).status == 204
    assert (await api.get(f"/v2/{PROJECT_ID}/ief-device/tags")).body == {"tags": [], "count": 0}


# --- rules ------------------------------------------------------------------------------------


@pytest.mark.parametrize("key", ["k", "x" * 36, " " + "x" * 36, "A-b_9"])
async def test_accepted_keys(api, key):
    node = await first_node(api)
    assert (await api.post(f"{NODE}/{node}/tags", {"tag": {"key": key, "value": "v"}})).status == 201
    assert key.strip() in await tags_of(api, NODE, node)


@pytest.mark.parametrize("key", ["", "   ", "x" * 37, "中", "a b", "a*b", "a/b", "a=b", None, 5])
async def test_refused_keys_name_the_field(api, key):
    node = await first_node(api)
    reply = await api.post(f"{NODE}/{node}/tags", {"tag": {"key": key, "value": "v"}})
    assert code(reply) == (400, "IEF.100016")
    assert "tag.key" in reply.body["error_msg"]
    assert await tags_of(api, NODE, node) == {}


@pytest.mark.parametrize("value", ["", " ", "v" * 43, "x-_1"])
async def test_accepted_values(api, value):
    node = await first_node(api)
    assert (await api.post(f"{NODE}/{node}/tags", {"tag": {"key": "k", "value": value}})).status == 201


@pytest.mark.parametrize("value", ["v" * 44, "中", "a b", "a$b", None])
async def test_refused_values_name_the_field(api, value):
    node = await first_node(api)
    reply = await api.post(f"{NODE}/{node}/tags", {"tag": {"key": "k", "value": value}})
    assert code(reply) == (400, "IEF.100017")
    assert "tag.value" in reply.body["error_msg"]


async def test_create_requires_a_value_and_a_tag(api):
    node = await first_node(api)
    assert code(await api.post(f"{NODE}/{node}/tags", {"tag": {"key": "k"}})) == (400, "IEF.100017")
    assert code(await api.post(f"{NODE}/{node}/tags", {})) == (400, "IEF.100002")
    assert code(await api.post(f"{NODE}/{node}/tags", {"tag": {"key": "k", "value": "v", "x": 1}})) == (400, "IEF.100002")


async def test_twenty_tags_per_resource(api):
    node = await first_node(api)
    twenty = [{"key": f"k{i}", "value": "v"} for i in range(20)]
    assert (await batch(api, NODE, node, "create", twenty)).status == 200
    reply = await api.post(f"{NODE}/{node}/tags", {"tag": {"key": "one-more", "value": "v"}})
    assert code(reply) == (400, "IEF.100126")
    assert "tags" in reply.body["error_msg"]
    # overwriting an existing key does not add one
    assert (await api.post(f"{NODE}/{node}/tags", {"tag": {"key": "k0", "value": "w"}})).status == 201
    assert len(await tags_of(api, NODE, node)) == 20


async def test_batch_rules(api):
    node = await first_node(api)
    dup = [{"key": "a", "value": "1"}, {"key": "a", "value": "2"}]
    reply = await batch(api, NODE, node, "create", dup)
    assert code(reply) == (400, "IEF.100002") and "duplicate" in reply.body["error_msg"]
    assert code(await batch(api, NODE, node, "create", [{"key": "a"}])) == (400, "IEF.100017")
    assert code(await batch(api, NODE, node, "create", [{"key": "a b", "value": "1"}])) == (400, "IEF.100016")
    assert code(await batch(api, NODE, node, "upsert", [])) == (400, "IEF.100002")
    assert code(await api.post(f"{NODE}/{node}/tags/action", {"action": "create"})) == (400, "IEF.100002")
    assert code(await batch(api, NODE, node, "delete", [{"key": ""}])) == (400, "IEF.100016")
    # a failed batch changed nothing
    assert await tags_of(api, NODE, node) == {}


async def test_batch_delete_by_key_or_by_key_and_value(api):
    node = await first_node(api)
    await batch(api, NODE, node, "create", [{"key": "a", "value": "1"}, {"key": "b", "value": "2"}, {"key": "c", "value": "3"}])
    # a wrong value keeps the tag; an absent tag counts as deleted; no charset rule on delete
    reply = await batch(api, NODE, node, "delete", [{"key": "a", "value": "9"}, {"key": "b"}, {"key": "no such*"}])
    assert reply.status == 200
    assert await tags_of(api, NODE, node) == {"a": "1", "c": "3"}
    await batch(api, NODE, node, "delete", [{"key": "a", "value": "1"}])
    assert await tags_of(api, NODE, node) == {"c": "3"}


# --- list by type, restart, resource deletion ----------------------------------------------------


async def test_tags_by_type_restart_and_deletion(tmp_path):
    api = await start_api(tmp_path / "t.db")
    try:
        n1, n2 = (await api.node_ids())[:2]
        await batch(api, NODE, n1, "create", [{"key": "env", "value": "prod"}, {"key": "zone", "value": "a"}])
        await batch(api, NODE, n2, "create", [{"key": "env", "value": "dev"}, {"key": "zone", "value": "a"}])
        expected = {"tags": [{"key": "env", "values": ["dev", "prod"]}, {"key": "zone", "values": ["a"]}], "count": 2}
        assert (await api.get(f"{NODE}/tags")).body == expected
    finally:
        await stop_api(api)
    api = await start_api(tmp_path / "t.db")
    try:
        assert await tags_of(api, NODE, n1) == {"env": "prod", "zone": "a"}
        assert (await api.get(f"{NODE}/tags")).body == expected
        assert (await api.delete(api.v2(f"nodes/{n2}"))).status == 204
        assert (await api.get(f"{NODE}/tags")).body["tags"][0] == {"key": "env", "values": ["prod"]}
        assert code(await api.get(f"{NODE}/{n2}/tags")) == (404, "IEF.100003")
    finally:
        await stop_api(api)


# --- query resources by tags -------------------------------------------------------------------


async def tagged_nodes(api) -> list[str]:
    """Five nodes: 0 env=prod tier=web, 1 env=dev tier=web, 2 env=prod, 3 tier=db, 4 none."""
    ids = (await api.node_ids())[:5]
    plan = [{"env": "prod", "tier": "web"}, {"env": "dev", "tier": "web"}, {"env": "prod"}, {"tier": "db"}, {}]
    for node, tags in zip(ids, plan, strict=True):
        if tags:
            await batch(api, NODE, node, "create", [{"key": k, "value": v} for k, v in tags.items()])
    return ids


async def query(api, **body) -> dict:
    reply = await api.post(f"{NODE}/resource_instances/action", {"action": "filter", **body})
    assert reply.status == 200, reply.body
    return reply.body


def picked(body: dict, ids: list[str]) -> list[int]:
    return [ids.index(r["resource_id"]) for r in body["resources"]]


async def test_query_filters(api):
    ids = await tagged_nodes(api)
    everything = await query(api)
    assert everything["total_count"] == len(await api.node_ids())
    assert picked(await query(api, tags=[{"key": "env", "values": ["prod"]}, {"key": "tier", "values": []}]), ids) == [0]
    assert picked(await query(api, tags=[{"key": "env", "values": ["prod", "dev"]}]), ids) == [0, 1, 2]
    assert picked(await query(api, tags_any=[{"key": "env", "values": ["dev"]}, {"key": "tier", "values": ["db"]}]), ids) == [1, 3]
    assert picked(await query(api, tags=[{"key": "env", "values": ["prod"]}],
                              tags_any=[{"key": "tier", "values": ["db"]}]), ids) == [0, 2, 3]
    not_both = await query(api, not_tags=[{"key": "env", "values": []}, {"key": "tier", "values": []}])
    assert 0 not in picked(not_both, ids) and 1 not in picked(not_both, ids) and 2 in picked(not_both, ids)
    neither = await query(api, not_tags_any=[{"key": "env", "values": []}, {"key": "tier", "values": []}])
    assert 4 in picked(neither, ids) and not {0, 1, 2, 3} & set(picked(neither, ids))
    first = await query(api, tags=[{"key": "env", "values": ["prod"]}])
    assert first["resources"][0]["tags"] == [{"key": "env", "value": "prod"}, {"key": "tier", "value": "web"}]
    assert first["resources"][0]["resource_name"]


async def test_query_matches_sorting_paging_and_count(api):
    ids = await tagged_nodes(api)
    name = (await api.get(api.v2(f"nodes/{ids[2]}"))).body["node"]["name"]
    assert picked(await query(api, matches=[{"key": "resource_name", "value": name.upper()}]), ids) == [2]
    assert (await query(api, matches=[{"key": "resource_name", "value": ""}]))["total_count"] == 0
    web = [{"key": "tier", "values": ["web"]}]
    page = await query(api, tags=web, limit="1", offset="1")
    assert (picked(page, ids), page["total_count"]) == ([1], 2)
    assert picked(await query(api, tags=web, sorted={"key": "created_at", "reverse": True}), ids) == [1, 0]
    by_name = await query(api, sorted={"key": "resource_name", "reverse": False})
    names = [r["resource_name"] for r in by_name["resources"]]
    assert names == sorted(names)
    reply = await api.post(f"{NODE}/resource_instances/action", {"action": "count", "tags": web})
    assert reply.body == {"total_count": 2}


@pytest.mark.parametrize(("body", "expected"), [
    ({}, "IEF.100002"),
    ({"action": "list"}, "IEF.100002"),
    ({"action": "filter", "limit": "0"}, "IEF.100005"),
    ({"action": "filter", "limit": "1001"}, "IEF.100005"),
    ({"action": "filter", "limit": "1.5"}, "IEF.100005"),
    ({"action": "filter", "limit": ""}, "IEF.100005"),
    ({"action": "filter", "limit": "*"}, "IEF.100005"),
    ({"action": "filter", "offset": "-1"}, "IEF.100004"),
    ({"action": "filter", "offset": ""}, "IEF.100004"),
    ({"action": "filter", "tags": [{"key": "k"}]}, "IEF.100002"),
    ({"action": "filter", "tags": [{"key": "k", "values": [None]}]}, "IEF.100017"),
    ({"action": "filter", "tags": [{"key": "k", "values": [str(i) for i in range(11)]}]}, "IEF.100002"),
    ({"action": "filter", "tags": [{"key": f"k{i}", "values": []} for i in range(21)]}, "IEF.100002"),
    ({"action": "filter", "tags_any": [{"key": "k", "values": []}, {"key": "k", "values": []}]}, "IEF.100002"),
    ({"action": "filter", "not_tags": [{"key": "k", "values": ["a", "a"]}]}, "IEF.100002"),
    ({"action": "filter", "not_tags_any": [{"key": "a b", "values": []}]}, "IEF.100016"),
    ({"action": "filter", "matches": [{"key": "name", "value": "x"}]}, "IEF.100002"),
    ({"action": "filter", "sorted": {"key": "size"}}, "IEF.100002"),
    ({"action": "filter", "colour": "red"}, "IEF.100002"),
])
async def test_query_refusals(api, body, expected):
    reply = await api.post(f"{NODE}/resource_instances/action", body)
    assert code(reply) == (400, expected)


async def test_query_accepted_edges(api):
    ids = await tagged_nodes(api)
    ten = [{"key": "env", "values": ["prod"] + [f"v{i}" for i in range(9)]}]
    assert picked(await query(api, tags=ten, limit="1000", offset=None), ids) == [0, 2]
    twenty = [{"key": f"k{i}", "values": []} for i in range(20)]
    assert (await query(api, not_tags_any=twenty, limit="1", offset="0", console=True))["total_count"] == len(await api.node_ids())
