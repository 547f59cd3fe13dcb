"""App templates and versions over real HTTP: every field rule accepted and refused, list
filters and paging, versions unique per template, cascade delete, rollback and restart."""

from __future__ import annotations

import sqlite3

import pytest

from conftest import PROJECT_ID, start_api, stop_api

UNKNOWN_ID = "00000000-0000-4000-8000-000000000000"
APP_KEYS = {"id", "name", "alias", "description", "icon_url", "created_at", "project_id", "visibility", "app_versions"}
VERSION_KEYS = {"id", "version", "created_at", "project_id", "image_url", "envs", "volumes", "configs", "resources",
                "arch", "command", "args", "liveness_probe", "readiness_probe", "npu_type"}


async def make_app(api, name: str = "web", **extra) -> dict:
    reply = await api.post(api.v2("apps"), {"app": {"name": name, **extra}})
    assert reply.status == 201, reply.body
    return reply.body["app"]


async def make_version(api, app_id: str, version: str = "1.0.0", **extra):
    return await api.post(api.v2(f"apps/{app_id}/versions"),
                          {"version": {"version": version, "image_url": "nginx:1.25", **extra}})


def refused(reply, status: int, code: str, field: str) -> None:
    assert reply.status == status, reply.body
    assert reply.body["error_code"] == code, reply.body
    assert field in reply.body["error_msg"], reply.body


# --- templates ------------------------------------------------------------------------------------


async def test_create_answers_201_with_the_template_and_no_updated_at(api):
    reply = await api.post(api.v2("apps"), {"app": {
        "name": "web-1", "alias": "网站_a-1", "description": "front end", "icon_url": "https://x.example/i.png",
        "tags": [{"key": "team", "value": "edge"}],
    }})
    assert reply.status == 201, reply.body
    app = reply.body["app"]
    assert APP_KEYS <= app.keys() and "updated_at" not in app
    assert (app["name"], app["alias"], app["description"]) == ("web-1", "网站_a-1", "front end")
    assert app["icon_url"] == "https://x.example/i.png"
    assert app["project_id"] == PROJECT_ID and app["visibility"] == "private"
    assert app["created_at"] == "2026-01-01T00:00:00.000Z"
    assert app["app_versions"] == []
    shown = (await api.get(api.v2(f"apps/{app['id']}"))).body["app"]
    assert shown["updated_at"] == shown["created_at"]
    assert shown["tags"] == [{"key": "team", "value": "edge"}]


async def test_unset_optional_fields_read_as_empty_strings(api):
    app = await make_app(api, "bare")
    assert (app["alias"], app["description"], app["icon_url"]) == ("", "", "")


@pytest.mark.parametrize("name", ["a", "web-2", "0abc", "a" * 32])
async def test_app_names_accepted(api, name):
    await make_app(api, name)


@pytest.mark.parametrize("name", ["Web", "-web", "web-", "a" * 33, "web_1", ""])
async def test_app_names_refused_with_100011(api, name):
    refused(await api.post(api.v2("apps"), {"app": {"name": name}}), 400, "IEF.100011", "app.name")


@pytest.mark.parametrize(("field", "value", "code"), [
    ("alias", "bad alias!", "IEF.100002"),
    ("alias", "a" * 65, "IEF.100002"),
    ("description", "a<b", "IEF.100002"),
    ("description", "a" * 256, "IEF.100002"),
    ("icon_url", "not a url", "IEF.100020"),
    ("icon_url", "https://x/" + "a" * 2080, "IEF.100020"),
    ("tags", [{"key": "bad key", "value": "v"}], "IEF.100002"),
    ("tags", [{"key": "k", "value": "v"}, {"key": "k", "value": "w"}], "IEF.100002"),
])
async def test_app_field_rules_refused(api, field, value, code):
    refused(await api.post(api.v2("apps"), {"app": {"name": "web", field: value}}), 400, code, f"app.{field}")
    assert (await api.get(api.v2("apps"))).body["count"] == 0


async def test_missing_wrapper_or_name_is_100002(api):
    refused(await api.post(api.v2("apps"), {"name": "web"}), 400, "IEF.100002", "app")
    refused(await api.post(api.v2("apps"), {"app": {}}), 400, "IEF.100002", "app.name")


async def test_names_are_unique_per_project(api):
    await make_app(api, "web")
    refused(await api.post(api.v2("apps"), {"app": {"name": "web"}}), 400, "IEF.100006", "web")
    assert (await api.get(api.v2("apps"))).body["count"] == 1


async def test_update_changes_alias_and_description_only(api):
    app = await make_app(api, "web", alias="old", description="d")
    await api.advance(5)
    reply = await api.put(api.v2(f"apps/{app['id']}"), {"app": {"alias": "new", "name": "ignored"}})
    assert reply.status == 200, reply.body
    updated = reply.body["app"]
    assert (updated["name"], updated["alias"], updated["description"]) == ("web", "new", "d")
    assert updated["updated_at"] == "2026-01-01T00:00:05.000Z"
    refused(await api.put(api.v2(f"apps/{app['id']}"), {"app": {"description": "{x}"}}), 400, "IEF.100002", "app.description")
    refused(await api.put(api.v2(f"apps/{UNKNOWN_ID}"), {"app": {"alias": "x"}}), 404, "IEF.100003", UNKNOWN_ID)


async def test_delete_removes_the_template_and_its_versions(api):
    app = await make_app(api)
    version = (await make_version(api, app["id"])).body["version"]
    assert (await api.delete(api.v2(f"apps/{app['id']}"))).status == 204
    refused(await api.get(api.v2(f"apps/{app['id']}")), 404, "IEF.100003", app["id"])
    refused(await api.get(api.v2(f"apps/{app['id']}/versions/{version['id']}")), 404, "IEF.100003", app["id"])
    refused(await api.delete(api.v2(f"apps/{app['id']}")), 404, "IEF.100003", app["id"])
    await make_app(api)  # the name is free again


async def test_a_deployment_does_not_hold_its_template(api):
    app = await make_app(api)
    version = (await make_version(api, app["id"])).body["version"]
    dep = await api.create("web", image_url=version["image_url"])
    assert dep.status == 201, dep.body
    assert (await api.delete(api.v2(f"apps/{app['id']}"))).status == 204
    assert (await api.get(api.v2(f"deployments/{dep.body['deployment']['id']}"))).status == 200


# --- list -----------------------------------------------------------------------------------------


async def test_list_filters_by_name_and_alias_substring_and_visibility(api):
    await make_app(api, "web-front", alias="Front")
    await api.advance(1)
    await make_app(api, "web-back", alias="Back")
    await api.advance(1)
    await make_app(api, "db", alias="Backup")

    async def names(query: str) -> tuple[list[str], int]:
        reply = await api.get(api.v2("apps") + query)
        assert reply.status == 200, reply.body
        return [a["name"] for a in reply.body["apps"]], reply.body["count"]

    assert await names("") == (["db", "web-back", "web-front"], 3)  # newest first
    assert await names("?name=web") == (["web-back", "web-front"], 2)
    assert await names("?alias=Back") == (["db", "web-back"], 2)
    assert await names("?alias=back") == ([], 0)  # case-sensitive
    assert await names("?name=web&alias=Front") == (["web-front"], 1)
    assert await names("?visibility=private") == (["db", "web-back", "web-front"], 3)
    assert await names("?visibility=public") == ([], 0)
    refused(await api.get(api.v2("apps") + "?visibility=secret"), 400, "IEF.100002", "visibility")


async def test_list_pages_with_limit_and_offset(api):
    for i in range(5):
        await make_app(api, f"app-{i}")
        await api.advance(1)
    reply = await api.get(api.v2("apps") + "?limit=2&offset=1")
    assert [a["name"] for a in reply.body["apps"]] == ["app-3", "app-2"] and reply.body["count"] == 5
    past = await api.get(api.v2("apps") + "?offset=9")
    assert past.body == {"apps": [], "count": 5}
    for bad in ("0", "-1", "1.5", "", "1001"):
        refused(await api.get(api.v2("apps") + f"?limit={bad}"), 400, "IEF.100005", "limit")
    refused(await api.get(api.v2("apps") + "?offset=x"), 400, "IEF.100004", "offset")
    assert (await api.get(api.v2("apps") + "?limit=1000")).status == 200


# --- versions -------------------------------------------------------------------------------------


async def test_create_version_answers_201_with_defaults_filled(api):
    app = await make_app(api)
    reply = await make_version(api, app["id"], "1.0.0")
    assert reply.status == 201, reply.body
    version = reply.body["version"]
    assert VERSION_KEYS <= version.keys() and "updated_at" not in version
    assert (version["version"], version["image_url"], version["arch"]) == ("1.0.0", "nginx:1.25", "x86_64")
    assert version["envs"] == [] and version["volumes"] == [] and version["command"] == []
    assert version["configs"]["host_network"] is True and version["configs"]["restart_policy"] == "Always"
    assert version["project_id"] == PROJECT_ID and version["created_at"] == "2026-01-01T00:00:00.000Z"
    shown = (await api.get(api.v2(f"apps/{app['id']}"))).body["app"]
    assert [v["id"] for v in shown["app_versions"]] == [version["id"]]


async def test_version_keeps_the_full_v2_spec(api):
    app = await make_app(api)
    spec = {
        "envs": [{"name": "MODE", "value": "prod"}],
        "volumes": [{"name": "data", "type": "hostPath", "source": "/var/data", "destination": "/data"}],
        "configs": {"privileged": True, "host_network": False, "restart_policy": "Onfailure"},
        "resources": {"requests": {"cpu": 0.5}, "limits": {"cpu": 1.0, "memory": 512.0}},
        "command": ["/bin/sh"], "args": ["-c", "run"], "arch": "arm64", "npu_type": "D310",
        "liveness_probe": {"exec_command": "true"},
    }
    version = (await make_version(api, app["id"], "2.0", **spec)).body["version"]
    assert version["envs"][0]["value"] == "prod" and version["volumes"][0]["source"] == "/var/data"
    assert version["configs"]["restart_policy"] == "OnFailure" and version["configs"]["host_network"] is False
    assert version["resources"]["limits"]["memory"] == 512.0
    assert (version["arch"], version["npu_type"], version["args"]) == ("arm64", "D310", ["-c", "run"])
    assert version["liveness_probe"]["exec_command"] == "true"


@pytest.mark.parametrize("version", ["1", "v1.0-rc.1", "a" * 64])
async def test_version_strings_accepted(api, version):
    app = await make_app(api)
    assert (await make_version(api, app["id"], version)).status == 201


@pytest.mark.parametrize("version", ["V1", ".1", "-1", "1_0", "a" * 65, ""])
async def test_version_strings_refused_with_100010(api, version):
    app = await make_app(api)
    refused(await make_version(api, app["id"], version), 400, "IEF.100010", "version.version")


@pytest.mark.parametrize(("extra", "code", "field"), [
    ({"image_url": ""}, "IEF.100002", "version.image_url"),
    ({"image_url": "a" * 2084}, "IEF.100002", "version.image_url"),
    ({"envs": [{"name": "1BAD", "value": "x"}]}, "IEF.100013", "version.envs[0].name"),
    ({"envs": [{"name": "A"}]}, "IEF.100013", "version.envs[0]"),
    ({"volumes": [{"name": "v", "type": "nfs", "source": "/a", "destination": "/b"}]}, "IEF.100009", "version.volumes[0].type"),
    ({"configs": {"restart_policy": "Sometimes"}}, "IEF.100002", "version.configs.restart_policy"),
    ({"resources": {"requests": {"cpu": 2.0}, "limits": {"cpu": 1.0}}}, "IEF.100002", "version.resources"),
    ({"arch": "mips"}, "IEF.100002", "version.arch"),
    ({"npu_type": "D910"}, "IEF.100002", "version.npu_type"),
    ({"liveness_probe": {}}, "IEF.100002", "version.liveness_probe"),
])
async def test_version_field_rules_refused(api, extra, code, field):
    app = await make_app(api)
    refused(await make_version(api, app["id"], **extra), 400, code, field)
    assert (await api.get(api.v2(f"apps/{app['id']}/versions"))).body["count"] == 0


async def test_versions_are_unique_within_a_template_only(api):
    first, second = await make_app(api, "one"), await make_app(api, "two")
    assert (await make_version(api, first["id"], "1.0")).status == 201
    refused(await make_version(api, first["id"], "1.0"), 400, "IEF.100006", "1.0")
    assert (await make_version(api, second["id"], "1.0")).status == 201
    refused(await make_version(api, UNKNOWN_ID, "1.0"), 404, "IEF.100003", UNKNOWN_ID)


async def test_list_versions_newest_first_with_paging(api):
    app = await make_app(api)
    for i in range(4):
        assert (await make_version(api, app["id"], f"1.{i}")).status == 201
        await api.advance(1)
    reply = await api.get(api.v2(f"apps/{app['id']}/versions"))
    assert [v["version"] for v in reply.body["versions"]] == ["1.3", "1.2", "1.1", "1.0"]
    page = await api.get(api.v2(f"apps/{app['id']}/versions") + "?limit=2&offset=1")
    assert [v["version"] for v in page.body["versions"]] == ["1.2", "1.1"] and page.body["count"] == 4
    refused(await api.get(api.v2(f"apps/{app['id']}/versions") + "?limit=0"), 400, "IEF.100005", "limit")
    refused(await api.get(api.v2(f"apps/{UNKNOWN_ID}/versions")), 404, "IEF.100003", UNKNOWN_ID)


async def test_update_version_changes_updatable_fields_and_keeps_the_rest(api):
    app = await make_app(api)
    version = (await make_version(api, app["id"], "1.0", liveness_probe={"exec_command": "true"})).body["version"]
    await api.advance(3)
    path = api.v2(f"apps/{app['id']}/versions/{version['id']}")
    reply = await api.put(path, {"version": {
        "envs": [{"name": "A", "value": "1"}], "liveness_probe": None, "npu_type": "D310B",
        "image_url": "ignored:2", "version": "9.9", "arch": "arm64",
    }})
    assert reply.status == 200, reply.body
    updated = reply.body["version"]
    assert updated["envs"] == [{"name": "A", "value": "1", "value_from": None, "field_path": None}]
    assert updated["liveness_probe"] is None and updated["npu_type"] == "D310B"
    assert (updated["version"], updated["image_url"], updated["arch"]) == ("1.0", "nginx:1.25", "x86_64")
    assert updated["updated_at"] == "2026-01-01T00:00:03.000Z"
    assert (await api.get(path)).body["version"] == updated
    refused(await api.put(path, {"version": {"volumes": [{"name": "Bad"}]}}), 400, "IEF.100009", "version.volumes[0]")
    refused(await api.put(api.v2(f"apps/{app['id']}/versions/{UNKNOWN_ID}"), {"version": {}}), 404, "IEF.100003", UNKNOWN_ID)


async def test_delete_version_leaves_the_template(api):
    app = await make_app(api)
    version = (await make_version(api, app["id"])).body["version"]
    path = api.v2(f"apps/{app['id']}/versions/{version['id']}")
    assert (await api.delete(path)).status == 204
    refused(await api.get(path), 404, "IEF.100003", version["id"])
    refused(await api.delete(path), 404, "IEF.100003", version["id"])
    assert (await api.get(api.v2(f"apps/{app['id']}"))).body["app"]["app_versions"] == []
    assert (await make_version(api, app["id"])).status == 201  # the version string is free again


# --- persistence ----------------------------------------------------------------------------------


async def test_templates_and_versions_survive_a_restart(tmp_path):
    db = tmp_path / "apps.db"
    api = await start_api(db)
    try:
        app = await make_app(api, "kept", alias="Kept")
        await make_version(api, app["id"], "1.0")
        await api.advance(2)
        await make_version(api, app["id"], "2.0", envs=[{"name": "X", "value": "y"}])
        deleted = await make_app(api, "gone")
        await api.delete(api.v2(f"apps/{deleted['id']}"))
        before = (await api.get(api.v2("apps"))).body
    finally:
        await stop_api(api)
    api = await start_api(db)
    try:
        assert (await api.get(api.v2("apps"))).body == before
        assert [v["version"] for v in before["apps"][0]["app_versions"]] == ["2.0", "1.0"]
        refused(await make_version(api, app["id"], "2.0"), 400, "IEF.100006", "2.0")
    finally:
        await stop_api(api)


async def test_a_failed_commit_answers_500_and_changes_nothing(api, monkeypatch):
    app = await make_app(api, "kept", alias="old")
    version = (await make_version(api, app["id"], "1.0")).body["version"]
    before = (await api.get(api.v2("apps"))).body
    store = api.server.store

    async def broken(ops):
        raise sqlite3.OperationalError("disk I/O error")

    monkeypatch.setattr(store, "_write_batch", broken)
    replies = [
        await api.post(api.v2("apps"), {"app": {"name": "lost"}}),
        await api.put(api.v2(f"apps/{app['id']}"), {"app": {"alias": "new"}}),
        await make_version(api, app["id"], "2.0"),
        await api.put(api.v2(f"apps/{app['id']}/versions/{version['id']}"), {"version": {"command": ["x"]}}),
        await api.delete(api.v2(f"apps/{app['id']}/versions/{version['id']}")),
        await api.delete(api.v2(f"apps/{app['id']}")),
    ]
    monkeypatch.undo()
    for reply in replies:
        assert (reply.status, reply.body["error_code"]) == (500, "IEF.120001")
    assert (await api.get(api.v2("apps"))).body == before
    assert api.engine.events.query(kind="app.updated") == []
    assert (await make_version(api, app["id"], "2.0")).status == 201
