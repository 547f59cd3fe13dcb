"""The lifecycle table (``engine.lifecycle``): the machine built from it refuses every trigger it
does not list, the engine takes no step outside it, and docs/behaviors.md draws it."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest
from transitions import MachineError

from edgesim.domain.models import Instance
from edgesim.engine import lifecycle
from edgesim.engine.instances import Instances
from edgesim.engine.world import HOLDS_NOTHING, World
from edgesim.scenario.model import load
from edgesim.scenario.runner import run_scenario

from conftest import PROJECT_ID

ROOT = Path(__file__).parent.parent


def bare(step: str) -> Instance:
    inst = Instance(id="i-1", deployment_id="d-1", project_id=PROJECT_ID, node_id="n-1", app={})
    inst.step = step
    return inst


def refused_pairs() -> list[tuple[str, str]]:
    return [(s.name, t) for s in lifecycle.STEPS for t in lifecycle.ALLOWED if s.name not in lifecycle.ALLOWED[t]]


@pytest.mark.parametrize(("step", "trigger"), refused_pairs())
async def test_a_trigger_the_table_does_not_list_raises_and_changes_nothing(step, trigger):
    inst = bare(step)
    with pytest.raises(MachineError):
        lifecycle.fire(inst, trigger)
    assert inst.step == step


@pytest.mark.parametrize("move", lifecycle.MOVES, ids=lambda m: m.trigger)
async def test_every_move_of_the_table_leads_where_it_says(move):
    for source in move.sources:
        inst = bare(source)
        lifecycle.fire(inst, move.trigger)
        assert inst.step == (move.dest or source)


def test_every_timer_of_a_step_has_what_handles_it_when_due():
    timed = {s.phase for s in lifecycle.STEPS if s.on_due}
    assert set(Instances.DUE) == timed
    assert {s.phase for s in lifecycle.STEPS} == timed | set(HOLDS_NOTHING)  # the rest have no timer
    for step in lifecycle.STEPS:
        assert all(t in lifecycle.ALLOWED and step.name in lifecycle.ALLOWED[t] for t in step.on_due), step


async def test_the_engine_takes_no_step_outside_the_table(monkeypatch):
    """Every step any shipped scenario reaches (crashes, pulls, chaos, node loss...) is a row."""
    seen: set[str] = set()
    set_phase = World.set_phase

    def recording(self, inst, *args):
        set_phase(self, inst, *args)
        seen.add(inst.step)

    monkeypatch.setattr(World, "set_phase", recording)
    for path in sorted((ROOT / "scenarios").glob("*.yaml")):
        await run_scenario(load(path))
    assert seen <= set(lifecycle.STEP), seen - set(lifecycle.STEP)
    assert {"PENDING_CREATE:pull", "RUNNING:run", "FAILED:backoff", "TERMINATING:terminate"} <= seen


async def test_restarting_a_running_pod_fires_no_refused_trigger(api, caplog):
    """A restart kills the container and starts it again; before, the start after a restart
    fired ``started`` on a RUNNING instance and the machine only logged a warning."""
    node_id = (await api.node_ids())[0]
    dep = (await api.post(f"/v3/{PROJECT_ID}/edgemgr/deployments", {
        "name": "web", "node_ids": [node_id],
        "deployment": {"replicas": 1, "template": {"configs": {"restart_policy": "Always"},
                                                   "containers": [{"name": "web", "image_url": "nginx:1.25"}]}},
    })).body
    await api.advance(20)
    pod = (await api.get(f"/v3/{PROJECT_ID}/edgemgr/pods?deployment_id={dep['id']}")).body["pods"][0]
    with caplog.at_level(logging.WARNING, logger="transitions"):
        reply = await api.post(f"/v3/{PROJECT_ID}/edgemgr/deployments/{dep['id']}/pods/{pod['name']}/restart")
        assert reply.status == 202
        await api.advance(10)
    assert [r.getMessage() for r in caplog.records if r.name.startswith("transitions")] == []
    [inst] = api.engine.world.instances.values()
    assert (inst.step, inst.restarts) == ("RUNNING:run", 1)


def test_behaviors_md_draws_the_machine_the_table_generates():
    text = (ROOT / "docs" / "behaviors.md").read_text()
    begin, end = lifecycle.DOC_BEGIN, lifecycle.DOC_END
    assert begin in text and end in text
    drawn = text.split(begin, 1)[1].split(end, 1)[0]
    assert drawn.strip() == lifecycle.markdown().strip()


async def test_a_probe_fault_during_a_pod_restart_does_not_cancel_the_restart(api):
    """A probe fault re-plans running containers; one being restarted has no container to
    re-plan (it plans when it starts). Before, the re-plan put it back to running: it never
    restarted and showed ``Restarting`` for ever."""
    node_id = (await api.node_ids())[0]
    dep = (await api.post(f"/v3/{PROJECT_ID}/edgemgr/deployments", {
        "name": "web", "node_ids": [node_id],
        "deployment": {"replicas": 1, "template": {"configs": {"restart_policy": "Always"}, "containers": [
            {"name": "web", "image_url": "nginx:1.25", "liveness_probe": {"exec": {"command": "true"}}}]}},
    })).body
    await api.advance(20)
    pod = (await api.get(f"/v3/{PROJECT_ID}/edgemgr/pods?deployment_id={dep['id']}")).body["pods"][0]
    await api.post(f"/v3/{PROJECT_ID}/edgemgr/deployments/{dep['id']}/pods/{pod['name']}/restart")
    reply = await api.post("/edgesim/chaos/faults", {"kind": "probe_failure", "target": {"deployment_id": dep["id"]},
                                                     "probe": "liveness", "start": api.engine.clock.now()}, token=None)
    assert reply.status == 201, reply.body
    await api.advance(10)
    [after] = (await api.get(f"/v3/{PROJECT_ID}/edgemgr/pods?deployment_id={dep['id']}")).body["pods"]
    assert (after["state"], after["reason"], after["containers"][0]["restarts"]) == ("RUNNING", None, 1)


def test_records_stored_before_the_table_load_into_its_steps():
    """The stored form is what it was (``state`` and ``phase``), so older stores load as they are."""
    stored = {"id": "i-1", "deployment_id": "d-1", "project_id": PROJECT_ID, "node_id": "n-1", "app": {},
              "state": "FAILED", "reason": "CrashLoopBackOff", "phase": "backoff", "due": 42.0}
    inst = Instance.from_dict(stored)
    assert inst.step == "FAILED:backoff" and lifecycle.STEP[inst.step].on_due == ("started",)
    assert {k: inst.to_dict()[k] for k in stored} == stored
