"""Faults and amounts the simulation cannot run are refused up front (400, the field named),
and a refused fault changes nothing: a period below the 1-second floor would cost minutes of
wall time per simulated second, a target that does not exist would silently hit nothing."""

from __future__ import annotations

import pytest

from conftest import Api, site_group

FAULTS = "/edgesim/chaos/faults"


async def refused(api: Api, fault: dict, field: str) -> None:
    before = await api.events()
    reply = await api.post(FAULTS, fault, token=None)
    assert reply.status == 400, reply.body
    assert reply.body["error_code"] == "EDGESIM.0400"
    assert field in reply.body["error_msg"], reply.body
    assert (await api.get(FAULTS, token=None)).body["faults"] == []
    assert await api.events() == before


@pytest.mark.parametrize(("fault", "field"), [
    ({"kind": "instance_crash", "target": {"image": "*"}, "every": 1e-6}, "every"),
    ({"kind": "oom_kill", "target": {"image": "*"}, "every": 0.5}, "every"),
    ({"kind": "node_flap", "target": {"node_ids": ["NODE"]}, "down": 1e-6}, "down"),
    ({"kind": "node_flap", "target": {"node_ids": ["NODE"]}, "up": 0.1}, "up"),
    ({"kind": "node_crash", "target": {"node_ids": ["NODE"]}, "duration": 1e308}, "duration"),
    ({"kind": "node_crash", "target": {"node_ids": ["NODE"]}, "start": 1e308}, "start"),
    ({"kind": "slow_start", "target": {"image": "*"}, "seconds": 1e308}, "seconds"),
    ({"kind": "api_latency", "target": {"path": "*"}, "seconds": {"uniform": [0, 1e308]}}, "seconds"),
])
async def test_values_that_cannot_be_simulated_are_refused(api, fault, field):
    node_id = (await api.node_ids())[0]
    fault = {**fault, "target": {k: [node_id] if v == ["NODE"] else v for k, v in fault["target"].items()}}
    await refused(api, fault, field)


async def test_the_period_floor_is_one_simulated_second(api):
    reply = await api.post(FAULTS, {"kind": "instance_crash", "target": {"image": "*"}, "every": 1}, token=None)
    assert reply.status == 201, reply.body
    reply = await api.post(FAULTS, {"kind": "node_flap", "target": {"node_ids": [(await api.node_ids())[0]]},
                                    "down": 1, "up": 1}, token=None)
    assert reply.status == 201, reply.body


@pytest.mark.parametrize(("target", "field"), [
    ({"node_ids": ["KNOWN", "no-such-node"]}, "target.node_ids[1]"),
    ({"group_id": "no-such-group"}, "target.group_id"),
    ({"group_id": "no-such-group", "count": 1}, "target.group_id"),
    ({"deployment_id": "no-such-deployment"}, "target.deployment_id"),
])
async def test_a_target_that_does_not_exist_is_refused(api, target, field):
    await site_group(api)
    known = (await api.node_ids())[0]
    target = {k: [known if n == "KNOWN" else n for n in v] if isinstance(v, list) else v for k, v in target.items()}
    kind = "instance_crash" if "deployment_id" in target else "node_partition"
    await refused(api, {"kind": kind, "target": target}, field)


async def test_existing_targets_are_taken(api):
    group_id, nodes = await site_group(api)
    dep = (await api.create("web", node_id=nodes[0])).body["deployment"]["id"]
    for target in ({"node_ids": nodes}, {"group_id": group_id, "count": 1}):
        assert (await api.post(FAULTS, {"kind": "node_partition", "target": target}, token=None)).status == 201
    assert (await api.post(FAULTS, {"kind": "instance_crash", "target": {"deployment_id": dep}}, token=None)).status == 201


@pytest.mark.parametrize("kind", ["gpu", "npu"])
async def test_a_gpu_or_npu_amount_that_cannot_be_simulated_is_refused(api, kind):
    reply = await api.create("web", resources={"requests": {kind: 1e308}, "limits": {kind: 1e308}})
    assert reply.status == 400, reply.body
    assert f"resources.requests.{kind}" in reply.body["error_msg"], reply.body
    assert (await api.get(api.v2("deployments"))).body["deployments"] == []
