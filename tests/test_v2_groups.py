"""The v2 node group API as a client sees it: flat bodies, member nodes, binding, deployments."""

from __future__ import annotations

import pytest

from conftest import PROJECT_ID

GROUP_KEYS = {
    "id", "name", "description", "created_at", "updated_at", "project_id", "cpu", "memory", "gpu_num",
    "nodes", "deployments", "tags", "success_node_add", "success_node_del", "failed_node_add", "failed_node_del",
}
BINDING_KEYS = ("success_node_add", "success_node_del", "failed_node_add", "failed_node_del")
UNKNOWN_ID = "00000000-0000-4000-8000-000000000000"


async def make_group(api, name: str = "grp", node_ids: list[str] | None = None, **extra) -> dict:
    reply = await api.post(api.v2("groups"), {"name": name, "node_ids": node_ids or [], **extra})
    assert reply.status == 201, reply.body
    return reply.body


async def group_count(api) -> int:
    return (await api.get(api.v2("groups"))).body["count"]


async def bind(api, group_id: str, add: list[str] = (), remove: list[str] = ()):
    return await api.put(api.v2(f"groups/{group_id}/nodes"),
                         {"add_node_ids": list(add), "remove_node_ids": list(remove)})


async def deploy_to_group(api, group_id: str, name: str = "g-app"):
    body = {"deployment": {"name": name, "group_id": group_id, "app": {"name": name, "image_url": "nginx"}}}
    return await api.post(api.v2("deployments"), body)


# --- create ---------------------------------------------------------------------------------------


async def test_create_answers_201_with_the_group_itself(api):
    first, second = (await api.node_ids())[:2]
    reply = await api.post(api.v2("groups"), {
        "name": "factory-a", "description": "line one", "node_ids": [first, second],
        "tags": [{"key": "site", "value": "shenzhen"}],
    })
    assert reply.status == 201, reply.body
    group = reply.body
    assert GROUP_KEYS <= group.keys()
    assert group["name"] == "factory-a"
    assert group["description"] == "line one"
    assert group["project_id"] == PROJECT_ID
    assert group["created_at"] == "2026-01-01T00:00:00.000000"
    assert group["updated_at"] is None
    assert group["tags"] == [{"key": "site", "value": "shenzhen"}]
    assert group["deployments"] == []
    assert group["iam_role"] == "ief_platinum"
    assert [n["id"] for n in group["nodes"]] == [first, second]
    assert all(group[key] is None for key in BINDING_KEYS)


async def test_resource_sums_match_the_member_nodes(api):
    members = (await api.node_ids())[1:4]
    group = await make_group(api, node_ids=members)
    nodes = [(await api.get(api.v2(f"nodes/{n}"))).body["node"] for n in members]
    assert group["cpu"] == sum(n["cpu"] for n in nodes) > 0
    assert group["memory"] == sum(n["memory"] for n in nodes) > 0
    assert group["gpu_num"] == sum(n["gpu_num"] for n in nodes)
    # the members are full node objects, as GET nodes/{id} shows them
    assert group["nodes"] == nodes


async def test_an_empty_group_has_zero_resources(api):
    group = await make_group(api)
    assert (group["cpu"], group["memory"], group["gpu_num"], group["nodes"]) == (0, 0, 0, [])


@pytest.mark.parametrize("name", ["g", "group_1", "edge-Group-2", "节点组一", "a" * 64])
async def test_good_names_are_accepted(api, name):
    group = await make_group(api, name)
    assert group["name"] == name


@pytest.mark.parametrize("name", ["", "a" * 65, "has space", "dot.name", "slash/name", "bang!", "name\n"])
async def test_bad_names_are_ief_100012_and_name_the_field(api, name):
    reply = await api.post(api.v2("groups"), {"name": name})
    assert (reply.status, reply.body["error_code"]) == (400, "IEF.100012"), reply.body
    assert "name" in reply.body["error_msg"]
    assert await group_count(api) == 0


@pytest.mark.parametrize(
    ("body", "code"),
    [
        ({"name": "g", "description": "x" * 256}, "IEF.100002"),
        ({"name": "g", "description": "a <b> c"}, "IEF.100002"),
        ({"name": "g", "description": "costs $5"}, "IEF.100002"),
        ({"name": "g", "node_ids": ["no-such-node"]}, "IEF.100003"),
        ({"name": 123}, "IEF.100002"),
        ({}, "IEF.100002"),
        ({"name": "g", "description": 5}, "IEF.100002"),
        ({"name": "g", "node_ids": "abc"}, "IEF.100002"),
        ({"name": "g", "node_ids": [1]}, "IEF.100002"),
        ({"name": "g", "tags": {"key": "a", "value": "b"}}, "IEF.100002"),
        ({"name": "g", "tags": [{"key": "a", "value": 1}]}, "IEF.100002"),
    ],
)
async def test_rejected_creates_leave_no_group(api, body, code):
    reply = await api.post(api.v2("groups"), body)
    assert (reply.status, reply.body["error_code"]) == (400, code), reply.body
    assert await group_count(api) == 0


async def test_description_of_255_characters_is_accepted(api):
    group = await make_group(api, description="x" * 255)
    assert len(group["description"]) == 255


async def test_unknown_node_among_known_ones_creates_nothing(api):
    first = (await api.node_ids())[0]
    reply = await api.post(api.v2("groups"), {"name": "g", "node_ids": [first, "no-such-node"]})
    assert (reply.status, reply.body["error_code"]) == (400, "IEF.100003")
    assert "node_ids" in reply.body["error_msg"]
    assert await group_count(api) == 0
    assert (await api.get(api.v2(f"nodes/{first}"))).body["node"]["group_ids"] == []


async def test_duplicate_name_is_ief_100006(api):
    await make_group(api, "dup")
    reply = await api.post(api.v2("groups"), {"name": "dup"})
    assert (reply.status, reply.body["error_code"]) == (400, "IEF.100006")
    assert await group_count(api) == 1


# --- list and get ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("query", "expected", "count"),
    [
        ("", ["gamma", "beta", "alpha"], 3),
        ("?sort=created_at:desc", ["gamma", "beta", "alpha"], 3),
        ("?sort=created_at:asc", ["alpha", "beta", "gamma"], 3),
        ("?limit=2", ["gamma", "beta"], 3),
        ("?limit=1&offset=1", ["beta"], 3),
        ("?offset=3", [], 3),
        ("?name=ph", ["alpha"], 1),
        ("?name=a&sort=created_at:asc", ["alpha", "beta", "gamma"], 3),
        ("?name=nothing", [], 0),
    ],
)
async def test_list_filters_sorts_and_pages(api, query, expected, count):
    for name in ("alpha", "beta", "gamma"):
        await make_group(api, name)
        await api.advance(1)
    reply = await api.get(api.v2("groups") + query)
    assert reply.status == 200, reply.body
    assert reply.body["count"] == count
    assert [g["name"] for g in reply.body["edge_groups"]] == expected


async def test_list_groups_have_the_full_shape(api):
    created = await make_group(api, node_ids=(await api.node_ids())[:1])
    [listed] = (await api.get(api.v2("groups"))).body["edge_groups"]
    assert listed == created


@pytest.mark.parametrize(
    ("query", "code"),
    [("?limit=0", "IEF.100005"), ("?limit=1001", "IEF.100005"), ("?limit=x", "IEF.100005"),
     ("?limit=-1", "IEF.100005"), ("?offset=-1", "IEF.100004"), ("?offset=a", "IEF.100004")],
)
async def test_list_rejects_bad_paging(api, query, code):
    reply = await api.get(api.v2("groups") + query)
    assert (reply.status, reply.body["error_code"]) == (400, code)


async def test_list_accepts_limit_1000(api):
    await make_group(api)
    reply = await api.get(api.v2("groups?limit=1000"))
    assert reply.status == 200 and reply.body["count"] == 1


async def test_get_one_and_unknown_is_404(api):
    created = await make_group(api, node_ids=(await api.node_ids())[:2])
    got = await api.get(api.v2(f"groups/{created['id']}"))
    assert got.status == 200
    assert got.body == created
    for method in ("GET", "PUT", "DELETE"):
        reply = await api.call(method, api.v2(f"groups/{UNKNOWN_ID}"), json={"description": "x"})
        assert (reply.status, reply.body["error_code"]) == (404, "IEF.100003"), method
    reply = await bind(api, UNKNOWN_ID, add=(await api.node_ids())[:1])
    assert (reply.status, reply.body["error_code"]) == (404, "IEF.100003")


# --- update and delete ----------------------------------------------------------------------------


async def test_update_changes_description_and_tags_and_sets_updated_at(api):
    created = await make_group(api, description="old", tags=[{"key": "a", "value": "1"}])
    await api.advance(7)
    reply = await api.put(api.v2(f"groups/{created['id']}"),
                          {"description": "new words", "tags": [{"key": "b", "value": "2"}]})
    assert reply.status == 200, reply.body
    assert reply.body["description"] == "new words"
    assert reply.body["tags"] == [{"key": "b", "value": "2"}]
    assert reply.body["updated_at"] == "2026-01-01T00:00:07.000000"
    assert reply.body["created_at"] == created["created_at"]
    assert (await api.get(api.v2(f"groups/{created['id']}"))).body == reply.body


@pytest.mark.parametrize("body", [{"description": "x" * 256}, {"description": "<script>"}, {"description": 7},
                                  {"tags": [{"key": "bad key", "value": "v"}]}])
async def test_invalid_update_is_400_and_changes_nothing(api, body):
    created = await make_group(api, description="kept", tags=[{"key": "a", "value": "1"}])
    await api.advance(3)
    reply = await api.put(api.v2(f"groups/{created['id']}"), body)
    assert (reply.status, reply.body["error_code"]) == (400, "IEF.100002"), reply.body
    assert (await api.get(api.v2(f"groups/{created['id']}"))).body == created


async def test_delete_answers_204_then_404(api):
    created = await make_group(api, node_ids=(await api.node_ids())[:1])
    reply = await api.delete(api.v2(f"groups/{created['id']}"))
    assert reply.status == 204 and reply.body is None
    gone = await api.get(api.v2(f"groups/{created['id']}"))
    assert (gone.status, gone.body["error_code"]) == (404, "IEF.100003")
    assert await group_count(api) == 0
    node = (await api.get(api.v2(f"nodes/{created['nodes'][0]['id']}"))).body["node"]
    assert node["group_ids"] == []
    # the name is free again
    await make_group(api, created["name"])


async def test_group_with_a_deployment_cannot_be_deleted(api):
    group = await make_group(api, node_ids=(await api.node_ids())[:2])
    assert (await deploy_to_group(api, group["id"])).status == 201
    reply = await api.delete(api.v2(f"groups/{group['id']}"))
    assert (reply.status, reply.body["error_code"]) == (400, "IEF.100007")
    assert (await api.get(api.v2(f"groups/{group['id']}"))).status == 200


# --- binding nodes --------------------------------------------------------------------------------


async def test_bind_and_unbind_report_each_node_on_its_own(api):
    a, b, c, d, _ = await api.node_ids()
    group = await make_group(api, node_ids=[a])
    reply = await bind(api, group["id"], add=[b, a, "no-such-node", c], remove=[d])
    assert reply.status == 200, reply.body
    assert reply.body["id"] == group["id"]
    assert reply.body["success_node_add"] == [b, c]
    assert reply.body["failed_node_add"] == [a, "no-such-node"]
    assert reply.body["success_node_del"] == []
    assert reply.body["failed_node_del"] == [d]
    assert sorted(n["id"] for n in reply.body["nodes"]) == sorted([a, b, c])

    reply = await bind(api, group["id"], remove=[a, d, c])
    assert reply.status == 200, reply.body
    assert reply.body["success_node_del"] == [a, c]
    assert reply.body["failed_node_del"] == [d]
    assert reply.body["success_node_add"] == [] and reply.body["failed_node_add"] == []
    assert [n["id"] for n in reply.body["nodes"]] == [b]


async def test_binding_sets_updated_at_and_resource_sums(api):
    a, b = (await api.node_ids())[:2]
    group = await make_group(api, node_ids=[a])
    await api.advance(4)
    reply = await bind(api, group["id"], add=[b])
    node_b = (await api.get(api.v2(f"nodes/{b}"))).body["node"]
    assert reply.body["updated_at"] == "2026-01-01T00:00:04.000000"
    assert reply.body["cpu"] == group["cpu"] + node_b["cpu"]
    assert reply.body["memory"] == group["memory"] + node_b["memory"]


async def test_binding_fields_are_null_again_outside_binding(api):
    a = (await api.node_ids())[0]
    group = await make_group(api)
    await bind(api, group["id"], add=[a])
    got = (await api.get(api.v2(f"groups/{group['id']}"))).body
    assert all(got[key] is None for key in BINDING_KEYS)
    assert [n["id"] for n in got["nodes"]] == [a]


async def test_node_group_ids_follow_binding(api):
    a, b = (await api.node_ids())[:2]
    first = await make_group(api, "first")
    second = await make_group(api, "second", node_ids=[a])
    await bind(api, first["id"], add=[a, b])
    node_a = (await api.get(api.v2(f"nodes/{a}"))).body["node"]
    assert sorted(node_a["group_ids"]) == sorted([first["id"], second["id"]])
    await bind(api, first["id"], remove=[a])
    node_a = (await api.get(api.v2(f"nodes/{a}"))).body["node"]
    node_b = (await api.get(api.v2(f"nodes/{b}"))).body["node"]
    assert node_a["group_ids"] == [second["id"]]
    assert node_b["group_ids"] == [first["id"]]


async def test_nodes_list_by_group_id_returns_exactly_the_members(api):
    ids = await api.node_ids()
    group = await make_group(api, node_ids=[ids[0], ids[3]])
    await make_group(api, "other", node_ids=[ids[1]])
    await bind(api, group["id"], add=[ids[4]], remove=[ids[0]])
    reply = await api.get(api.v2(f"nodes?group_id={group['id']}"))
    assert reply.status == 200
    assert sorted(n["id"] for n in reply.body["nodes"]) == sorted([ids[3], ids[4]])
    assert reply.body["count"] == 2


@pytest.mark.parametrize("body", [{"add_node_ids": "abc"}, {"remove_node_ids": [1]}, {"add_node_ids": None}])
async def test_bad_binding_body_is_400_and_changes_nothing(api, body):
    group = await make_group(api, node_ids=(await api.node_ids())[:1])
    reply = await api.put(api.v2(f"groups/{group['id']}/nodes"), body)
    assert (reply.status, reply.body["error_code"]) == (400, "IEF.100002"), reply.body
    assert (await api.get(api.v2(f"groups/{group['id']}"))).body == group


# --- deployments and nodes of a group -------------------------------------------------------------


async def test_group_deployment_lands_on_a_member_and_is_listed(api):
    members = (await api.node_ids())[2:4]
    group = await make_group(api, "plant", node_ids=members)
    reply = await deploy_to_group(api, group["id"])
    assert reply.status == 201, reply.body
    dep = reply.body["deployment"]
    [inst] = dep["instances"]
    assert inst["group_id"] == group["id"]
    assert inst["group_name"] == "plant"
    assert inst["node_id"] in members
    got = (await api.get(api.v2(f"groups/{group['id']}"))).body
    assert got["deployments"] == [{
        "id": dep["id"], "name": "g-app", "description": dep["description"], "project_id": PROJECT_ID,
        "created_at": dep["created_at"], "updated_at": None,
    }]


async def test_deleting_a_member_node_removes_it_from_the_group(api):
    a, b = (await api.node_ids())[:2]
    group = await make_group(api, node_ids=[a, b])
    node_b = (await api.get(api.v2(f"nodes/{b}"))).body["node"]
    reply = await api.delete(api.v2(f"nodes/{a}"))
    assert reply.status == 204, reply.body
    got = (await api.get(api.v2(f"groups/{group['id']}"))).body
    assert [n["id"] for n in got["nodes"]] == [b]
    assert (got["cpu"], got["memory"]) == (node_b["cpu"], node_b["memory"])
    # the node can be bound to nothing any more
    reply = await bind(api, group["id"], add=[a])
    assert reply.body["failed_node_add"] == [a]


async def test_a_node_running_the_groups_instance_cannot_be_unbound(api):
    member = (await api.node_ids())[0]
    group = await make_group(api, node_ids=[member])
    assert (await deploy_to_group(api, group["id"])).status == 201
    reply = await bind(api, group["id"], remove=[member])
    assert reply.status == 200, reply.body
    assert reply.body["failed_node_del"] == [member]
    assert [n["id"] for n in reply.body["nodes"]] == [member]
