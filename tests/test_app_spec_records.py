"""Deployments and instances carry their app spec as the typed model (``record.spec``) over the
stored document: an update changes both alike, instances run their deployment's model, a
restart reads one model for equal documents, and a rolled-back change brings the old spec back."""

from __future__ import annotations

import orjson

from edgesim.domain.app_spec import AppSpec
from edgesim.engine.change import Change

from conftest import PROJECT_ID, site_group, start_api, stop_api

V3_TEMPLATE = {"configs": {"restart_policy": "Always"}, "containers": [{
    "name": "web", "image_url": "nginx:1.25", "resources": {"limits": {"cpu": "0.1", "memory": "512"}}}]}


async def group_deployment(api, replicas: int = 3) -> str:
    group_id, _ = await site_group(api, nodes=3)
    reply = await api.post(f"/v3/{PROJECT_ID}/edgemgr/deployments", {
        "name": "shop", "group_id": group_id, "deployment": {"replicas": replicas, "template": V3_TEMPLATE}})
    assert reply.status == 201, reply.body
    return reply.body["id"]


async def test_an_update_changes_the_model_and_the_stored_document_alike(api):
    dep_id = await group_deployment(api)
    dep = api.engine.world.deployments[dep_id]
    before = dep.spec
    reply = await api.put(api.v2(f"deployments/{dep_id}"), {"deployment": {"image_url": "nginx:1.27", "toleration_seconds": 60}})
    assert reply.status == 200, reply.body
    assert (dep.spec.image_url, dep.spec.toleration_seconds, dep.spec.name_first) == ("nginx:1.27", 60, True)
    assert before.image_url == "nginx:1.25"  # the old model is not changed in place
    assert dep.app == dep.spec.to_dict() and list(dep.app)[:2] == ["name", "version"]
    await api.advance(120)  # the rollout replaces every instance
    shown = {i["image_url"] for i in (await api.get(api.v2(f"deployments/{dep_id}"))).body["deployment"]["instances"]}
    assert shown == {"nginx:1.27"}
    assert all(api.engine.world.instances[i].spec is dep.spec for i in dep.instance_ids)


async def test_a_restart_reads_one_model_for_the_equal_documents_of_a_deployment(api, tmp_path):
    dep_id = await group_deployment(api)
    await api.advance(30)
    await stop_api(api)
    restarted = await start_api(tmp_path / "edgesim.db")
    try:
        world = restarted.engine.world
        dep = world.deployments[dep_id]
        specs = [world.instances[i].spec for i in dep.instance_ids]
        assert len(specs) == 3 and all(s is specs[0] for s in specs)
        assert specs[0] == dep.spec and dep.spec.resources.limits is not None
        assert dep.spec.resources.limits.given() == {"cpu": 0.1, "memory": 512.0}
        reply = await restarted.get(f"/v3/{PROJECT_ID}/edgemgr/deployments/{dep_id}")
        assert reply.body["template"]["containers"][0]["image_url"] == "nginx:1.25"
    finally:
        await stop_api(restarted)


async def test_a_rolled_back_change_brings_the_old_spec_back(api):
    reply = await api.create("web")
    dep_id = reply.body["deployment"]["id"]
    world = api.engine.world
    stored = orjson.dumps(world.deployments[dep_id])
    change = Change(world)
    dep = world.deployments[dep_id]
    change.touch(dep)
    dep.spec = dep.spec.changed({"image_url": "nginx:broken"})
    assert world.deployments[dep_id].spec.image_url == "nginx:broken"
    change.rollback()
    back = world.deployments[dep_id]
    assert back.spec.image_url == "nginx:1.25" and orjson.dumps(back) == stored


def test_changed_keeps_the_stored_key_order_and_no_change_is_the_same_spec():
    v3_built = AppSpec(name="a", image_url="i", name_first=True)
    changed = v3_built.changed({"image_url": "j", "migration": True})
    assert (changed.image_url, changed.migration) == ("j", True)
    assert list(changed.to_dict()) == list(v3_built.to_dict())
    assert v3_built.changed({}) is v3_built


def test_only_the_container_fields_make_a_different_container():
    spec = AppSpec(name="a", image_url="i")
    assert spec.changed({"toleration_seconds": 30, "migration": True}).runs_like(spec)
    assert not spec.changed({"image_url": "j"}).runs_like(spec)
    assert not spec.changed({"args": ["-v"]}).runs_like(spec)
