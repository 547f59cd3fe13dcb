"""The Chaos Toolkit extension against a real ``edgesim serve --clock virtual`` process, and the
real ``chaos run`` CLI on the example experiment (scenarios/chaostoolkit/experiment.json)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from chaoslib.exceptions import ActivityFailed

from edgesim.chaostoolkit import actions, discover, probes
from edgesim.http_client import Client

from processes import ROOT, ServeProcess

EXPERIMENT = ROOT / "scenarios" / "chaostoolkit" / "experiment.json"
TOKEN = "edgesim-dev-token"
AK, SK = "EDGESIMDEMOAK0000001", "EdgesimDemoSecretKey0000000000000000000001"
PROJECT_ID = "0605767a3300d5762fb7c0186d2a0a1f"
CHAOS = shutil.which("chaos", path=str(Path(sys.executable).parent)) or "chaos"


@pytest.fixture
def served(tmp_path):
    server = ServeProcess("--clock", "virtual", "--db", str(tmp_path / "edgesim.db"))
    try:
        yield server
    finally:
        server.kill()


def conf(server) -> dict:
    return {"edgesim_url": server.url}


def token_secrets() -> dict:
    return {"edgesim": {"token": TOKEN}}


def web_group(server) -> str:
    """A group "web" of 3 like nodes and the 3-replica deployment "web" on it (one instance a
    node), ready."""
    fleet = Client(server.url).control("POST", "fleet", {"nodes": 3, "groups": {"web": 3}, "name_prefix": "web",
                                                        "profile": {"cpu": [4, 4], "memory_mb": [8192, 8192]}})
    group_id = fleet["groups"][0]["id"]
    actions.create_deployment("web", "nginx:1.25", replicas=3, group_id=group_id, migration=True,
                              container={"resources": {"requests": {"cpu": "2"}}},  # two fit on a node
                              configuration=conf(server), secrets=token_secrets())
    actions.advance(60, configuration=conf(server), secrets=token_secrets())
    return group_id


def chaos_run(server, tmp_path: Path, group_id: str, crash_count: int, name: str) -> tuple[subprocess.CompletedProcess, dict]:
    journal = tmp_path / f"{name}.journal.json"
    env = {**os.environ, "EDGESIM_URL": server.url, "EDGESIM_GROUP_ID": group_id, "EDGESIM_CRASH_COUNT": str(crash_count),
           "EDGESIM_TOKEN": TOKEN}
    command = [CHAOS, "--no-version-check", "--log-file", str(tmp_path / f"{name}.log"), "run",
               "--journal-path", str(journal), str(EXPERIMENT)]
    done = subprocess.run(command, capture_output=True, text=True, env=env, cwd=tmp_path, timeout=120)
    assert journal.exists(), done.stdout + done.stderr
    return done, json.loads(journal.read_text())


def test_chaos_run_passes_the_example_and_deviates_when_the_fault_is_too_strong(served, tmp_path):
    group_id = web_group(served)

    done, journal = chaos_run(served, tmp_path, group_id, crash_count=1, name="one-node")
    assert done.returncode == 0, done.stdout + done.stderr
    assert (journal["status"], journal["deviated"]) == ("completed", False)
    after = journal["steady_states"]["after"]["probes"][0]
    assert (after["output"], after["tolerance_met"]) == (3, True)
    crash = journal["run"][0]["output"]
    assert (crash["kind"], len(crash["nodes"])) == ("node_crash", 1)
    assert [r["output"] for r in journal["rollbacks"]][0] == [crash["id"]]
    migrated = probes.events("instance.migrated", configuration=conf(served), secrets=token_secrets())
    assert migrated, "the instances of the crashed node moved"

    done, journal = chaos_run(served, tmp_path, group_id, crash_count=3, name="all-nodes")
    assert done.returncode != 0
    assert (journal["status"], journal["deviated"]) == ("completed", True)  # the toolkit's words for "deviated"
    assert journal["steady_states"]["after"]["probes"][0]["output"] == 0


def test_activities_answer_edgesim_data(served):
    group_id = web_group(served)
    config, secrets = conf(served), token_secrets()
    assert probes.deployment_ready_replicas("web", configuration=config, secrets=secrets) == 3
    fault = actions.inject_fault("node_crash", {"group_id": group_id, "count": 1}, duration=120,
                                 configuration=config, secrets=secrets)
    assert (fault["kind"], fault["state"], fault["end"]) == ("node_crash", "active", 180)
    clock = actions.advance(60, configuration=config, secrets=secrets)
    assert clock["now"] == 120
    assert probes.deployment_ready_replicas("web", configuration=config, secrets=secrets) == 2  # its node is FAIL
    assert 0 < probes.availability("web", since=60, configuration=config, secrets=secrets) < 1
    assert probes.availability("web", configuration=config, secrets=secrets) > 0.5
    [started] = probes.events("fault.started", configuration=config, secrets=secrets)
    assert started["fault_id"] == fault["id"]
    assert probes.report(start=0, end=120, configuration=config, secrets=secrets)["faults"][0]["id"] == fault["id"]
    actions.remove_fault(fault["id"], configuration=config, secrets=secrets)
    assert actions.remove_all_faults(configuration=config, secrets=secrets) == []
    actions.delete_deployment("web", force=True, configuration=config, secrets=secrets)
    with pytest.raises(ActivityFailed, match="no deployment named or with id 'web'"):
        probes.deployment_ready_replicas("web", configuration=config, secrets=secrets)


def test_ak_sk_signing_and_an_explicit_project(served):
    config = {**conf(served), "edgesim_project_id": PROJECT_ID}
    node_id = Client(served.url, token=TOKEN).ief("GET", "nodes")["nodes"][0]["id"]
    for secrets in ({"ak": AK, "sk": SK}, {"edgesim": {"ak": AK, "sk": SK}}):  # merged by the toolkit, or whole
        created = actions.create_deployment(f"signed-{len(secrets)}", "nginx", node_ids=[node_id],
                                            configuration=config, secrets=secrets)
        assert created["api_version"] == "v3" and created["replicas"] == 1
    with pytest.raises(ActivityFailed, match="APIGW.0301"):
        actions.create_deployment("wrong", "nginx", node_ids=[node_id], configuration=conf(served),
                                  secrets={"ak": AK, "sk": "not-the-secret"})


def test_refusals_are_activity_failures_with_edgesim_words(served):
    config, secrets = conf(served), token_secrets()
    with pytest.raises(ActivityFailed, match=r"EDGESIM.0400: .*kind"):
        actions.inject_fault("meteor_strike", {"node_ids": []}, configuration=config, secrets=secrets)
    with pytest.raises(ActivityFailed, match=r"EDGESIM.0400: .*colour"):
        actions.inject_fault("instance_crash", {"image": "*"}, colour="red", configuration=config, secrets=secrets)
    with pytest.raises(ActivityFailed, match="404 EDGESIM.0404"):
        actions.remove_fault("no-such-fault", configuration=config, secrets=secrets)
    with pytest.raises(ActivityFailed, match="exactly one of group_id and node_ids"):
        actions.create_deployment("web", "nginx", configuration=config, secrets=secrets)
    with pytest.raises(ActivityFailed, match="IEF.100003"):
        actions.create_deployment("web", "nginx", group_id="missing", configuration=config, secrets=secrets)
    with pytest.raises(ActivityFailed, match="IEF calls need secrets scope 'edgesim' with token, or ak and sk"):
        probes.deployment_ready_replicas("web", configuration=config, secrets={})
    with pytest.raises(ActivityFailed, match="ak without sk"):
        probes.deployment_ready_replicas("web", configuration=config, secrets={"ak": AK})
    with pytest.raises(ActivityFailed, match="edgesim_url must be an http"):
        actions.advance(1, configuration={"edgesim_url": "localhost:8080"}, secrets=secrets)
    with pytest.raises(ActivityFailed, match="cannot reach edgesim"):
        actions.advance(1, configuration={"edgesim_url": "http://127.0.0.1:9"}, secrets=secrets)


def test_the_fleet_operation_kinds_are_injected_by_name(served):
    """upgrade_failure, upgrade_hang and cert_expiry go through inject_fault like any kind; an
    unknown target is refused in edgesim's words."""
    config, secrets = conf(served), token_secrets()
    node_id = Client(served.url, token=TOKEN).ief("GET", "nodes")["nodes"][0]["id"]
    hang = actions.inject_fault("upgrade_hang", {"node_ids": [node_id]}, duration=600, configuration=config, secrets=secrets)
    assert (hang["kind"], hang["state"], hang["nodes"]) == ("upgrade_hang", "active", [node_id])
    share = actions.inject_fault("upgrade_failure", {"node_ids": [node_id]}, probability=0.5,
                                 configuration=config, secrets=secrets)
    assert share["kind"] == "upgrade_failure"
    expiry = actions.inject_fault("cert_expiry", {"node_ids": [node_id]}, configuration=config, secrets=secrets)
    assert expiry["state"] == "active"
    with pytest.raises(ActivityFailed, match=r"EDGESIM.0400: .*target.node_ids\[0\]"):
        actions.inject_fault("upgrade_hang", {"node_ids": ["nope"]}, configuration=config, secrets=secrets)
    removed = actions.remove_all_faults(configuration=config, secrets=secrets)
    assert sorted(removed) == sorted([hang["id"], share["id"], expiry["id"]])


def test_discovery_lists_every_activity_with_its_arguments():
    discovered = discover()
    names = {(a["type"], a["name"]) for a in discovered["activities"]}
    assert names == {("action", n) for n in actions.__all__} | {("probe", n) for n in probes.__all__}
    advance = next(a for a in discovered["activities"] if a["name"] == "advance")
    assert advance["arguments"][0] == {"name": "seconds", "type": "number"}
    assert advance["mod"] == "edgesim.chaostoolkit.actions"
