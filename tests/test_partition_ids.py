"""Ids that do not depend on what other partitions did (docs/scale-out.md 1.3): a vertex is
named by its birth, a deployment, instance or cert by its partition's key and local sequence,
a front record by the front's sequence. So the same requests to one partition give the same
ids (and the same draws keyed by them) whatever ran elsewhere in between, which is what lets
shards run partitions apart and agree."""

from __future__ import annotations

from conftest import start_api, stop_api


async def fleet_nodes(api) -> list[str]:
    return [n.id for n in sorted(api.engine.world.nodes.values(), key=lambda n: n.birth)]


async def deploy(api, name: str, node_id: str) -> dict:
    reply = await api.create(name, node_id=node_id)
    assert reply.status == 201, reply.body
    return reply.body["deployment"]


async def made_on_first_node(tmp_path, name: str, before_on_other_node: bool) -> tuple[str, str, float]:
    """Deploy "web" on the first fleet node, optionally after a deployment and a config map
    elsewhere; the deployment's id, its instance's id and when the instance was pulled."""
    api = await start_api(tmp_path / f"{name}.db")
    try:
        n = await fleet_nodes(api)
        if before_on_other_node:
            await deploy(api, "other", n[3])
            body = {"configmap": {"name": "app-config", "data": {"a": "1"}}}
            assert (await api.post(api.v2("configmaps"), body)).status == 201
        dep = await deploy(api, "web", n[0])
        await api.advance(120)
        pulled = [e for e in await api.events(kind="instance.pulled") if e["deployment_id"] == dep["id"]]
        return dep["id"], pulled[0]["instance_id"], pulled[0]["time"]
    finally:
        await stop_api(api)


async def test_a_partitions_ids_and_draws_ignore_what_other_partitions_did(tmp_path):
    alone = await made_on_first_node(tmp_path, "alone", before_on_other_node=False)
    after_others = await made_on_first_node(tmp_path, "after", before_on_other_node=True)
    assert alone == after_others


async def test_a_node_is_named_by_its_birth_and_ids_never_repeat(api):
    n = await fleet_nodes(api)
    assert n[0] == api.engine.core.ids.of_birth(1)
    assert (await api.post(api.v2("configmaps"), {"configmap": {"name": "app-config", "data": {}}})).status == 201
    reply = await api.post(api.v2("nodes"), {"node": {"name": "late"}})
    assert reply.status == 201, reply.body
    assert reply.body["node"]["id"] == api.engine.core.ids.of_birth(6)  # the config map took no birth
    deps = [await deploy(api, f"d{i}", n[i % 2]) for i in range(4)]
    await api.advance(60)
    ids = [*api.engine.world.nodes, *api.engine.world.deployments, *api.engine.world.instances,
           *(c["id"] for c in (await api.get(api.v2("configmaps"))).body["configmaps"])]
    assert len(ids) == len(set(ids)) and len(deps) == 4
