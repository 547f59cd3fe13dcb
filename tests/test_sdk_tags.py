"""The official SDK drives all six tag operations and show_quota (all 15 types) with AK/SK signing."""

from __future__ import annotations

import pytest
from huaweicloudsdkcore.exceptions.exceptions import ClientRequestException
from huaweicloudsdkief.v1 import (
    BachTags,
    BatchAddDeleteTagsRequest,
    CreateTagRequest,
    CreateTagRequestBody,
    DeleteResourceTagRequest,
    ListResourceByTagsRequest,
    ListTagsByResourceTypeRequest,
    ListTagsRequest,
    Matches,
    ResourceTag,
    ShowQuotaRequest,
    Sorted,
    Tag,
    Tags,
)
from test_quotas import QUOTA_TYPES
from test_sdk_e2e import _no_proxy, call, sdk  # noqa: F401  (the fixture is used by name)

from conftest import PROJECT_ID

NODE = "ief-edge_node"


async def test_the_sdk_drives_every_tag_operation(api):
    client = sdk(api.url)
    n1, n2 = (await api.node_ids())[:2]
    await call(client, "create_tag", CreateTagRequest(
        resource_id=n1, resource_type=NODE, body=CreateTagRequestBody(tag=ResourceTag(key="env", value="prod"))))
    await call(client, "batch_add_delete_tags", BatchAddDeleteTagsRequest(
        resource_type=NODE, resource_id=n2,
        body=BachTags(action="create", tags=[ResourceTag(key="env", value="dev"), ResourceTag(key="tier", value="web")])))
    listed = await call(client, "list_tags", ListTagsRequest(resource_id=n2, resource_type=NODE))
    assert (listed.count, [(t.key, t.value) for t in listed.tags]) == (2, [("env", "dev"), ("tier", "web")])

    by_type = await call(client, "list_tags_by_resource_type", ListTagsByResourceTypeRequest(resource_type=NODE))
    assert [(t.key, t.values) for t in by_type.tags] == [("env", ["dev", "prod"]), ("tier", ["web"])]

    found = await call(client, "list_resource_by_tags", ListResourceByTagsRequest(resource_type=NODE, body=Tags(
        action="filter", tags=[Tag(key="env", values=["prod", "dev"])], limit="10", offset="0",
        sorted=Sorted(key="created_at", reverse=False))))
    assert found.total_count == 2 and {r.resource_id for r in found.resources} == {n1, n2}
    name = found.resources[0].resource_name
    by_name = await call(client, "list_resource_by_tags", ListResourceByTagsRequest(resource_type=NODE, body=Tags(
        action="count", matches=[Matches(key="resource_name", value=name)])))
    assert by_name.total_count >= 1

    await call(client, "delete_resource_tag", DeleteResourceTagRequest(resource_type=NODE, resource_id=n2, key="tier"))
    await call(client, "batch_add_delete_tags", BatchAddDeleteTagsRequest(
        resource_type=NODE, resource_id=n1, body=BachTags(action="delete", tags=[ResourceTag(key="env")])))
    by_type = await call(client, "list_tags_by_resource_type", ListTagsByResourceTypeRequest(resource_type=NODE))
    assert [(t.key, t.values) for t in by_type.tags] == [("env", ["dev"])]

    with pytest.raises(ClientRequestException) as refused:
        await call(client, "create_tag", CreateTagRequest(
            resource_id=n1, resource_type=NODE, body=CreateTagRequestBody(tag=ResourceTag(key="a b", value="v"))))
    assert (refused.value.status_code, refused.value.error_code) == (400, "IEF.100016")


async def test_the_sdk_shows_all_fifteen_quota_types(api):
    client = sdk(api.url)
    everything = await call(client, "show_quota", ShowQuotaRequest())
    rows = everything.quotas.resources
    assert {r.type for r in rows} == QUOTA_TYPES and {r.project_id for r in rows} == {PROJECT_ID}
    two = await call(client, "show_quota", ShowQuotaRequest(types="configmap,tag"))
    assert sorted(r.type for r in two.quotas.resources) == ["configmap", "tag"]
    with pytest.raises(ClientRequestException) as refused:
        await call(client, "show_quota", ShowQuotaRequest(types="vcpu"))
    assert (refused.value.status_code, refused.value.error_code) == (400, "IEF.100002")
