"""Simulated IAM login, token expiry on the simulation clock, dev tokens, project isolation on
every IEF route, and the admin token of the control surface."""

from __future__ import annotations

import re

import aiohttp
import pytest

from edgesim.settings import load_settings

from conftest import PROJECT_ID, start_api, stop_api

OTHER_PROJECT = "b" * 32
THIRD_PROJECT = "c" * 32

ACCOUNTS = f"""
[[accounts]]
domain = "edgesim"
user = "edgesim"
password = "Edgesim@2026"
project_id = "{PROJECT_ID}"
project_name = "cn-north-4"
access_key = "EDGESIMDEMOAK0000001"
secret_key = "EdgesimDemoSecretKey0000000000000000000001"
tokens = ["edgesim-dev-token"]

[[accounts]]
domain = "acme"
user = "ops"
password = "Acme@secret1"
project_id = "{OTHER_PROJECT}"
project_name = "cn-east-3"
access_key = "ACMEAK00000000000001"
secret_key = "AcmeSecretKey000000000000000000000000001"
tokens = ["acme-dev-token"]

[[accounts]]
domain = "edgesim"
user = "edgesim"
password = "Edgesim@2026"
project_id = "{THIRD_PROJECT}"
project_name = "cn-south-1"
"""


def login_body(user="edgesim", password="Edgesim@2026", domain="edgesim", project: dict | None = None) -> dict:
    return {"auth": {
        "identity": {"methods": ["password"], "password": {"user": {"name": user, "password": password, "domain": {"name": domain}}}},
        "scope": {"project": project or {"id": PROJECT_ID}},
    }}


async def login(api, **kw) -> tuple[int, dict, str | None]:
    async with api.session.post(api.url + "/v3/auth/tokens", json=login_body(**kw)) as resp:
        return resp.status, await resp.json(), resp.headers.get("X-Subject-Token")


def settings_with(tmp_path, extra: str = ""):
    config = tmp_path / "config"
    config.mkdir(exist_ok=True)
    (config / "accounts.toml").write_text(ACCOUNTS + extra)
    return load_settings(config)


@pytest.fixture
async def multi(tmp_path):
    client = await start_api(tmp_path / "multi.db", settings=settings_with(tmp_path))
    yield client
    await stop_api(client)


# --- login --------------------------------------------------------------------------------------------


async def test_login_scoped_by_project_id(api):
    status, body, token = await login(api)
    assert status == 201
    assert token and token.startswith("MII") and len(token) > 100
    t = body["token"]
    assert t["methods"] == ["password"]
    assert (t["issued_at"], t["expires_at"]) == ("2026-01-01T00:00:00.000000Z", "2026-01-02T00:00:00.000000Z")
    assert t["project"]["id"] == PROJECT_ID and t["project"]["name"] == "cn-north-4"
    assert t["user"]["name"] == "edgesim" and t["user"]["domain"]["name"] == "edgesim"
    assert re.fullmatch(r"[0-9a-f]{32}", t["user"]["id"])
    assert t["catalog"][0]["type"] == "ief" and t["catalog"][0]["endpoints"][0]["url"] == api.url
    # the token opens the IEF API of its project, v2 and v3
    assert (await api.get(api.v2("nodes"), token=token)).status == 200
    assert (await api.get(f"/v3/{PROJECT_ID}/edgemgr/deployments", token=token)).status == 200


async def test_login_scoped_by_project_name_and_without_catalog(api):
    async with api.session.post(api.url + "/v3/auth/tokens?nocatalog=true",
                                json=login_body(project={"name": "cn-north-4"})) as resp:
        assert resp.status == 201
        body = await resp.json()
        token = resp.headers["X-Subject-Token"]
    assert body["token"]["project"]["id"] == PROJECT_ID and "catalog" not in body["token"]
    assert (await api.get(api.v2("deployments"), token=token)).status == 200


async def test_every_login_gets_its_own_token(api):
    first, second = (await login(api))[2], (await login(api))[2]
    assert first != second
    assert (await api.get(api.v2("nodes"), token=first)).status == 200


@pytest.mark.parametrize(
    "kw",
    [
        {"password": "wrong"},
        {"user": "nobody"},
        {"domain": "elsewhere"},
        {"project": {"id": "f" * 32}},
        {"project": {"name": "cn-nowhere-9"}},
    ],
)
async def test_wrong_credentials_are_401_with_a_keystone_body(api, kw):
    status, body, token = await login(api, **kw)
    assert status == 401 and token is None
    assert body == {"error": {"code": 401, "message": "The username or password is wrong.", "title": "Unauthorized"}}


@pytest.mark.parametrize(
    ("raw", "mentions"),
    [
        (b"{not json", "JSON"),
        (b"[]", "body"),
        (b'{"auth": {"identity": {"methods": ["token"], "token": {"id": "x"}}, "scope": {"project": {"id": "x"}}}}', "password"),
        (b'{"auth": {"identity": {"methods": ["password"], "password": {"user": {"name": "u", "password": "p", "domain": {"name": "d"}}}}}}', "auth.scope"),
        (b'{"auth": {"identity": {"methods": ["password"], "password": {"user": {"name": "u", "password": "p", "domain": {"name": "d"}}}}, "scope": {"domain": {"name": "d"}}}}', "project"),
        (b'{"auth": {"identity": {"methods": ["password"], "password": {"user": {"name": "u", "password": "p", "domain": {"name": "d"}}}}, "scope": {"project": {}}}}', "id or name"),
    ],
)
async def test_malformed_logins_are_400(api, raw, mentions):
    async with api.session.post(api.url + "/v3/auth/tokens", data=raw, headers={"Content-Type": "application/json"}) as resp:
        body = await resp.json()
    assert resp.status == 400
    assert body["error"]["code"] == 400 and body["error"]["title"] == "Bad Request"
    assert mentions in body["error"]["message"]


async def test_a_user_with_several_projects_logs_in_to_each(multi):
    _, body, token = await login(multi, project={"name": "cn-south-1"})
    assert body["token"]["project"]["id"] == THIRD_PROJECT
    assert (await multi.get(f"/v2/{THIRD_PROJECT}/edgemgr/nodes", token=token)).status == 200
    other = await multi.get(multi.v2("nodes"), token=token)
    assert (other.status, other.body["error_code"]) == (400, "IEF.011005")


# --- expiry and restarts --------------------------------------------------------------------------


async def test_tokens_expire_after_24_simulated_hours(api):
    _, _, token = await login(api)
    await api.advance(24 * 3600 - 1)
    assert (await api.get(api.v2("nodes"), token=token)).status == 200
    await api.advance(1)
    expired = await api.get(api.v2("nodes"), token=token)
    assert (expired.status, expired.body["error_code"]) == (401, "APIGW.0301")
    _, _, fresh = await login(api)
    assert (await api.get(api.v2("nodes"), token=fresh)).status == 200


async def test_issued_tokens_survive_a_restart_and_the_store_holds_no_usable_token(tmp_path):
    db = tmp_path / "edgesim.db"
    api = await start_api(db)
    _, _, token = await login(api)
    await api.advance(3600)
    await stop_api(api)
    assert token.encode() not in db.read_bytes()
    api = await start_api(db)
    try:
        assert (await api.get(api.v2("nodes"), token=token)).status == 200
        await api.advance(23 * 3600)
        assert (await api.get(api.v2("nodes"), token=token)).status == 401
    finally:
        await stop_api(api)


# --- dev tokens -----------------------------------------------------------------------------------


async def test_dev_tokens_can_be_switched_off(tmp_path):
    api = await start_api(tmp_path / "e.db", settings=settings_with(tmp_path, "\n[auth]\ndev_tokens = false\n"))
    try:
        refused = await api.get(api.v2("nodes"))  # the dev token
        assert (refused.status, refused.body["error_code"]) == (401, "APIGW.0301")
        _, _, token = await login(api)
        assert (await api.get(api.v2("nodes"), token=token)).status == 200
    finally:
        await stop_api(api)


# --- isolation --------------------------------------------------------------------------------------


def ief_routes(api) -> list[tuple[str, str]]:
    """(method, path template) of every IEF route under a project."""
    found = []
    for route in api.server._runner.app.router.routes():
        info = route.resource.get_info() if route.resource else {}
        path = info.get("formatter") or info.get("path") or ""
        if path.startswith(("/v2/{project_id}/", "/v3/{project_id}/")) and route.method != "HEAD":
            found.append((route.method, path))
    return sorted(set(found))


async def acme_world(multi) -> dict[str, str]:
    """Another account's node, group, deployment and pod; the ids a snooper would try."""
    token = "acme-dev-token"
    base = f"/v2/{OTHER_PROJECT}/edgemgr"
    node = (await multi.post(base + "/nodes", {"node": {"name": "acme-node"}}, token=token)).body["node"]
    await multi.advance(20)
    group = (await multi.post(base + "/groups", {"name": "acme-group", "node_ids": [node["id"]]}, token=token)).body
    dep = (await multi.post(f"/v3/{OTHER_PROJECT}/edgemgr/deployments", {
        "name": "acme-secret-app", "group_id": group["id"],
        "deployment": {"template": {"configs": {"restart_policy": "Always"},
                                    "containers": [{"name": "c", "image_url": "acme/secret:1"}]}},
    }, token=token)).body
    pods = (await multi.get(f"/v3/{OTHER_PROJECT}/edgemgr/pods", token=token)).body["pods"]
    device = (await multi.post(base + "/devices", {"device": {"name": "acme-device"}}, token=token)).body["device"]
    template = (await multi.post(base + "/device-templates", {"device_template": {"name": "acme-template"}},
                                 token=token)).body["device_template"]
    product = (await multi.post(f"/v2/{OTHER_PROJECT}/productmgr/products", {"product": {"name": "acme-product"}},
                                token=token)).body["product"]
    app = (await multi.post(base + "/apps", {"app": {"name": "acme-app"}}, token=token)).body["app"]
    version = (await multi.post(base + f"/apps/{app['id']}/versions", {"version": {
        "version": "1.0", "image_url": "acme/secret:1"}}, token=token)).body["version"]
    cm = (await multi.post(base + "/configmaps", {"configmap": {"name": "acme-config"}}, token=token)).body["configmap"]
    secret = (await multi.post(base + "/secrets", {"secret": {"name": "acme-secret", "secrets": {"k": "dg=="}}},
                               token=token)).body["secret"]
    node_cert = (await multi.post(base + f"/nodes/{node['id']}/certs", {"name": "acme-cert", "type": "device"},
                                  token=token)).body
    group_cert = (await multi.post(base + f"/groups/{group['id']}/certs", {"name": "acme-cert"}, token=token)).body
    encryptdata = (await multi.post(f"/v2/{OTHER_PROJECT}/edm/encryptdatas", {"encrypt_data": {
        "name": "acme-ed", "config": [{"name": "k", "value": "dg=="}]}}, token=token)).body["encrypt_data"]
    routemgr = f"/v2/{OTHER_PROJECT}/routemgr"
    endpoint = (await multi.post(routemgr + "/endpoints", {"endpoint": {
        "name": "acme-bus", "type": "servicebus", "properties": {"service_port": 80}}}, token=token)).body["endpoint"]
    rest = [e for e in (await multi.get(routemgr + "/endpoints?is_shared=true", token=token)).body["endpoints"]
            if e["name"] == "SystemREST"][0]
    rule = (await multi.post(routemgr + "/rules", {"rule": {
        "name": "acme-rule", "source": rest["id"], "source_resource": {"path": "/"}, "target": endpoint["id"],
        "target_resource": {"path": "/svc"}}}, token=token)).body["rule"]
    gw = (await multi.post(routemgr + "/endpoints", {"endpoint": {"name": "acme-gw", "type": "apigw", "properties": {}}},
                           token=token)).body["endpoint"]
    sub = (await multi.post(routemgr + "/exchanger/systemevents", {"systemevent": {
        "name": "acme-watch", "events": "edgeNode/all", "target": gw["id"]}}, token=token)).body["systemevent"]
    service = (await multi.post(base + "/services", {"service": {"meta_data": {"name": "acme-svc"}, "spec": {
        "selector": {"app": "acme"}}}}, token=token, headers={"ief-instance-id": "acme-inst"})).body["service"]
    job = (await multi.post(f"/v2/{OTHER_PROJECT}/productmgr/jobs", {
        "job_name": "acme-upgrade", "job_type": "node_upgrade",
        "job_content": {"target_type": "node", "targets": [{"target_id": node["id"]}]}}, token=token)).body
    return {"node_id": node["id"], "group_id": group["id"], "deployment_id": dep["id"], "pod_name": pods[0]["name"], "job_id": job["job_id"],
            "cert_id": node_cert["id"], "group_cert_id": group_cert["id"], "encryptdata_id": encryptdata["id"],
            "service_id": service["id"],
            "endpoint_id": endpoint["id"], "rule_id": rule["id"], "event_id": sub["id"],
            "device_id": device["id"], "device_template_id": template["id"], "product_id": product["id"],
            "app_id": app["id"], "version_id": version["id"],
            "configmap_id": cm["id"], "secret_id": secret["id"],
            "resource_id": node["id"], "key": "k"}  # the tag routes' path parameters


async def test_another_projects_url_is_refused_on_every_route(multi):
    ids = await acme_world(multi)
    routes = ief_routes(multi)
    assert len(routes) >= 25
    for method, template in routes:
        path = template.format(project_id=OTHER_PROJECT, **ids)
        for token in ("edgesim-dev-token", (await login(multi))[2]):
            reply = await multi.call(method, path, json={}, token=token)
            assert (reply.status, reply.body["error_code"]) == (400, "IEF.011005"), (method, path)
    assert {d.name for d in multi.engine.world.deployments.values()} == {"acme-secret-app"}


async def test_another_projects_ids_are_404_and_leak_nothing(multi):
    ids = await acme_world(multi)
    for method, template in ief_routes(multi):
        if "{" not in template.removeprefix("/v2/{project_id}").removeprefix("/v3/{project_id}"):
            continue
        path = template.format(project_id=PROJECT_ID, **ids)
        reply = await multi.call(method, path, json={})
        assert (reply.status, reply.body["error_code"]) == (404, "IEF.100003"), (method, path, reply.body)
        assert "acme" not in reply.body["error_msg"]
    # lists of one's own project show nothing of the other's
    for path in ("/v2/{p}/edgemgr/nodes", "/v2/{p}/edgemgr/groups", "/v2/{p}/edgemgr/deployments",
                 "/v3/{p}/edgemgr/deployments", "/v3/{p}/edgemgr/pods", "/v2/{p}/edgemgr/apps",
                 "/v2/{p}/edgemgr/configmaps", "/v2/{p}/edgemgr/secrets"):
        reply = await multi.get(path.format(p=PROJECT_ID) + f"?group_id={ids['group_id']}")
        assert "acme" not in str(reply.body)
    # naming the other's node or group in a body is "not found", like an id that never existed
    mine = f"/v3/{PROJECT_ID}/edgemgr/deployments"
    spec = {"template": {"configs": {"restart_policy": "Always"}, "containers": [{"name": "c", "image_url": "x"}]}}
    theirs = await multi.post(mine, {"name": "snoop", "group_id": ids["group_id"], "deployment": spec})
    never = await multi.post(mine, {"name": "snoop", "group_id": "0" * 36, "deployment": spec})
    assert (theirs.status, theirs.body["error_code"]) == (never.status, never.body["error_code"]) == (400, "IEF.100003")
    assert theirs.body["error_msg"].replace(ids["group_id"], "X") == never.body["error_msg"].replace("0" * 36, "X")


async def test_only_the_login_under_v3_auth_skips_authentication(api):
    # "/v3/auth/edgemgr/..." is an IEF route of a project named "auth", not part of the login
    for method, template in ief_routes(api):
        path = template.format(project_id="auth", deployment_id="d", pod_name="p", node_id="n", group_id="g",
                               device_id="dv", device_template_id="t", product_id="pr", app_id="a", version_id="v",
                               resource_id="r", key="k", configmap_id="c", secret_id="s",
                               cert_id="ct", group_cert_id="gc", encryptdata_id="ed",
                               endpoint_id="e", rule_id="ru", event_id="ev", service_id="sv", job_id="j")
        anonymous = await api.call(method, path, json={}, token=None)
        assert (anonymous.status, anonymous.body["error_code"]) == (401, "APIGW.0301"), (method, path)
        signed_in = await api.call(method, path, json={})
        assert (signed_in.status, signed_in.body["error_code"]) == (400, "IEF.011005"), (method, path)
    for method in ("GET", "DELETE"):  # the real IAM's token check and revocation are not simulated
        reply = await api.call(method, "/v3/auth/tokens", token=None)
        assert (reply.status, reply.body["error_code"]) == (401, "APIGW.0301"), method
    assert (await login(api))[0] == 201
    assert api.engine.world.deployments == {}


async def test_the_x_project_id_header_must_match_the_url(api):
    reply = await api.get(api.v2("nodes"), headers={"X-Project-Id": OTHER_PROJECT})
    assert (reply.status, reply.body["error_code"]) == (400, "IEF.011005")
    assert (await api.get(api.v2("nodes"), headers={"X-Project-Id": PROJECT_ID})).status == 200


# --- the control surface's admin token --------------------------------------------------------------


async def test_control_routes_need_the_admin_token_when_one_is_set(tmp_path):
    api = await start_api(tmp_path / "e.db", settings=settings_with(tmp_path, '\n[admin]\ntoken = "s3cret"\n'))
    try:
        assert (await api.get("/edgesim/health", token=None)).status == 200  # open for supervisors
        for method, path in (("GET", "/edgesim/clock"), ("POST", "/edgesim/clock/advance"), ("GET", "/edgesim/events"),
                             ("GET", "/edgesim/behaviors"), ("POST", "/edgesim/fleet")):
            for headers in ({}, {"X-Admin-Token": "wrong"}):
                reply = await api.call(method, path, json={"seconds": 1}, token=None, headers=headers)
                assert (reply.status, reply.body["error_code"]) == (401, "EDGESIM.0401"), (method, path)
        ok = await api.call("POST", "/edgesim/clock/advance", json={"seconds": 5}, token=None,
                            headers={"X-Admin-Token": "s3cret"})
        assert ok.status == 200 and ok.body["now"] == 5
        # the IEF API does not take the admin token, nor the control surface an IEF token
        assert (await api.get(api.v2("nodes"), token=None, headers={"X-Admin-Token": "s3cret"})).status == 401
    finally:
        await stop_api(api)


async def test_without_an_admin_token_the_control_surface_is_open(api):
    async with aiohttp.ClientSession() as session, session.get(api.url + "/edgesim/clock") as resp:
        assert resp.status == 200


@pytest.mark.slow
def test_serve_with_dev_tokens_off_tells_how_to_log_in(tmp_path):
    import json
    import urllib.error
    import urllib.request

    from processes import ServeProcess

    settings_with(tmp_path, "\n[auth]\ndev_tokens = false\n")
    server = ServeProcess("--db", str(tmp_path / "e.db"), "--config", str(tmp_path / "config"))
    try:
        assert "dev tokens are off" in server.banner[2] and "/v3/auth/tokens" in server.banner[3]
        request = urllib.request.Request(server.url + "/v3/auth/tokens", method="POST",
                                         data=json.dumps(login_body()).encode())
        with urllib.request.urlopen(request) as resp:
            token = resp.headers["X-Subject-Token"]
        nodes = urllib.request.Request(f"{server.url}/v2/{PROJECT_ID}/edgemgr/nodes", headers={"X-Auth-Token": token})
        with urllib.request.urlopen(nodes) as resp:
            assert json.loads(resp.read())["count"] == 5
        with pytest.raises(urllib.error.HTTPError) as refused:
            urllib.request.urlopen(urllib.request.Request(nodes.full_url, headers={"X-Auth-Token": "edgesim-dev-token"}))
        assert refused.value.code == 401
    finally:
        server.kill()
