"""A deployment mounting a config map and reading a secret env, on the virtual clock (FAST
behaviours: pull 2 s, start 1 s): it waits with CreateContainerConfigError while either is
missing, starts once both exist, sees a config map update in its volume after the sync delay
(60 s) and a secret update in its env only after a restart."""

from __future__ import annotations

import base64

from edgesim.settings import load_settings

from conftest import FAST, PROJECT_ID, advance_to, instances, start_api, stop_api

ENVS = [{"name": "DB_PASS", "value_from": {"secret": {"name": "db-pass", "key": "password"}}},
        {"name": "MODE", "value": "prod"}]
VOLUMES = [{"name": "cfg", "type": "configMap", "source": "app-config", "destination": "/etc/app"}]


def b64(text: str) -> str:
    return base64.b64encode(text.encode()).decode()


async def deploy(api) -> tuple[str, str]:
    assert (await api.put("/edgesim/behaviors", FAST, token=None)).status == 200
    reply = await api.create("web", envs=ENVS, volumes=VOLUMES)
    assert reply.status == 201, reply.body
    dep_id = reply.body["deployment"]["id"]
    [inst] = await instances(api, dep_id)
    return dep_id, inst["id"]


async def seen(api, instance_id: str) -> dict:
    reply = await api.get(f"/edgesim/instances/{instance_id}/config", token=None)
    assert reply.status == 200, reply.body
    return reply.body


async def only(api, dep_id: str) -> dict:
    [inst] = await instances(api, dep_id)
    return inst


async def test_waits_for_both_then_starts_then_follows_updates(api):
    dep_id, inst_id = await deploy(api)
    await advance_to(api, 2)  # pulled: the secret and the config map are both missing
    inst = await only(api, dep_id)
    assert inst["state"] == "PENDING_CREATE" and inst["reason"] == "CreateContainerConfigError"
    assert (await seen(api, inst_id))["waiting"] == 'secret "db-pass" not found'

    await advance_to(api, 10)
    secret = await api.post(api.v2("secrets"), {"secret": {"name": "db-pass", "secrets": {"password": b64("s3cret")}}})
    assert secret.status == 201
    inst = await only(api, dep_id)
    assert inst["state"] == "PENDING_CREATE" and inst["reason"] == "CreateContainerConfigError"
    assert (await seen(api, inst_id))["waiting"] == \
        'MountVolume.SetUp failed for volume "cfg": configmap "app-config" not found'

    await advance_to(api, 20)
    cm = await api.post(api.v2("configmaps"), {"configmap": {"name": "app-config", "configs": {"app.yaml": "v: 1"}}})
    assert cm.status == 201
    await advance_to(api, 20.9)
    assert (await only(api, dep_id))["state"] == "PENDING_CREATE"
    await advance_to(api, 21)  # started 1 s after its references appeared
    assert (await only(api, dep_id))["state"] == "RUNNING"
    view = await seen(api, inst_id)
    assert view["waiting"] is None and view["started_at"] == 21
    assert view["env"] == {"DB_PASS": "s3cret", "MODE": "prod"}
    assert view["volumes"]["cfg"] == {"kind": "configmap", "source": "app-config", "version": 1,
                                      "files": {"app.yaml": "v: 1"}}

    # a config map update reaches the volume 60 s later, without a restart
    await advance_to(api, 30)
    cm_id = cm.body["configmap"]["id"]
    assert (await api.put(api.v2(f"configmaps/{cm_id}"), {"configmap": {"configs": {"app.yaml": "v: 2"}}})).status == 200
    await advance_to(api, 89.9)
    assert (await seen(api, inst_id))["volumes"]["cfg"]["version"] == 1
    await advance_to(api, 90)
    view = await seen(api, inst_id)
    assert view["volumes"]["cfg"]["version"] == 2 and view["volumes"]["cfg"]["files"] == {"app.yaml": "v: 2"}
    assert view["started_at"] == 21 and (await only(api, dep_id))["restarts"] == 0
    [synced] = await api.events(kind="volume.synced")
    assert synced["time"] == 90 and synced["instance_id"] == inst_id and synced["version"] == 2

    # a secret update reaches the env only at the next container start
    await advance_to(api, 100)
    secret_id = secret.body["secret"]["id"]
    assert (await api.put(api.v2(f"secrets/{secret_id}"), {"secret": {"secrets": {"password": b64("rotated")}}})).status == 200
    await advance_to(api, 200)
    assert (await seen(api, inst_id))["env"]["DB_PASS"] == "s3cret"
    pods = (await api.get(f"/v3/{PROJECT_ID}/edgemgr/pods?deployment_id={dep_id}")).body["pods"]
    restart = await api.post(f"/v3/{PROJECT_ID}/edgemgr/deployments/{dep_id}/pods/{pods[0]['name']}/restart")
    assert restart.status == 202, restart.body
    await advance_to(api, 201)
    view = await seen(api, inst_id)
    assert view["env"]["DB_PASS"] == "rotated" and view["started_at"] == 201

    kinds = [e["kind"] for e in await api.events() if e["kind"].startswith(("instance.config", "volume."))]
    assert kinds == ["instance.config_waiting", "instance.config_waiting", "instance.config_ready", "volume.synced"]


async def test_a_missing_key_is_named(api):
    assert (await api.post(api.v2("secrets"), {"secret": {"name": "db-pass", "secrets": {"user": b64("u")}}})).status == 201
    assert (await api.post(api.v2("configmaps"), {"configmap": {"name": "app-config"}})).status == 201
    dep_id, inst_id = await deploy(api)
    await advance_to(api, 2)
    assert (await seen(api, inst_id))["waiting"] == "couldn't find key password in Secret db-pass"
    [secret] = (await api.get(api.v2("secrets"))).body["secrets"]
    await api.put(api.v2(f"secrets/{secret['id']}"), {"secret": {"secrets": {"password": b64("p")}}})
    await advance_to(api, 3)
    assert (await only(api, dep_id))["state"] == "RUNNING"


async def test_read_only_false_is_refused_for_config_volumes(api):
    volumes = [{**VOLUMES[0], "read_only": False}]
    reply = await api.create("web", volumes=volumes)
    assert reply.status == 400 and reply.body["error_code"] == "IEF.100009"
    assert (await api.create("web", volumes=[{**VOLUMES[0], "read_only": True}])).status == 201


async def test_delete_in_use_is_allowed_and_running_instances_keep_their_files(api):
    for path, body in (("secrets", {"secret": {"name": "db-pass", "secrets": {"password": b64("p")}}}),
                       ("configmaps", {"configmap": {"name": "app-config", "configs": {"a": "1"}}})):
        assert (await api.post(api.v2(path), body)).status == 201
    dep_id, inst_id = await deploy(api)
    await advance_to(api, 3)
    [cm] = (await api.get(api.v2("configmaps"))).body["configmaps"]
    assert (await api.delete(api.v2(f"configmaps/{cm['id']}"))).status == 204
    assert (await only(api, dep_id))["state"] == "RUNNING"
    assert (await seen(api, inst_id))["volumes"]["cfg"]["files"] == {"a": "1"}


async def test_unknown_instance_config_is_404(api):
    assert (await api.get("/edgesim/instances/nope/config", token=None)).status == 404


async def test_block_delete_in_use_switch_answers_409(tmp_path):
    config = tmp_path / "config"
    config.mkdir()
    (config / "simulation.toml").write_text("[instance]\nblock_delete_in_use = true\n")
    api = await start_api(tmp_path / "block.db", settings=load_settings(config))
    try:
        cm = (await api.post(api.v2("configmaps"), {"configmap": {"name": "app-config"}})).body["configmap"]
        assert (await api.create("web", volumes=VOLUMES)).status == 201
        reply = await api.delete(api.v2(f"configmaps/{cm['id']}"))
        assert reply.status == 409 and reply.body["error_code"] == "IEF.100007"
        assert "deployment web" in reply.body["error_msg"]
        other = (await api.post(api.v2("configmaps"), {"configmap": {"name": "unused"}})).body["configmap"]
        assert (await api.delete(api.v2(f"configmaps/{other['id']}"))).status == 204
    finally:
        await stop_api(api)


async def test_a_waiting_instance_still_waits_after_a_restart_and_starts_when_its_config_comes(api, tmp_path):
    dep_id, inst_id = await deploy(api)
    await advance_to(api, 2)
    await stop_api(api)
    again = await start_api(tmp_path / "edgesim.db")
    try:
        assert (await only(again, dep_id))["reason"] == "CreateContainerConfigError"
        await again.post(again.v2("secrets"), {"secret": {"name": "db-pass", "secrets": {"password": b64("p")}}})
        await again.post(again.v2("configmaps"), {"configmap": {"name": "app-config"}})
        await again.advance(1)
        assert (await only(again, dep_id))["state"] == "RUNNING"
        assert (await seen(again, inst_id))["env"]["DB_PASS"] == "p"
    finally:
        await stop_api(again)
