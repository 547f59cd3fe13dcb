"""The official SDK drives the 10 app template and app version operations with AK/SK signing,
refusals included (ClientRequestException carrying the IEF error code)."""

from __future__ import annotations

from huaweicloudsdkief.v1 import (
    App,
    AppConfigs,
    AppDetail,
    AppUpdate,
    CreateAppRequest,
    CreateAppVersionsRequest,
    DeleteAppRequest,
    DeleteAppVersionRequest,
    Env,
    LimitsRequests,
    ListAppsRequest,
    ListAppVersionsRequest,
    NodeResTag,
    ProbeDetail,
    Resources,
    ShowAppDetailRequest,
    ShowAppVersionDetailRequest,
    UpdataAppVersionBody,
    UpdateAppBody,
    UpdateAppRequest,
    UpdateAppVersionRequest,
    Version,
    VersionDetail,
    VersionUpdate,
)
from test_sdk_e2e import _no_proxy, call, refused, sdk  # noqa: F401 (_no_proxy is an autouse fixture)

from conftest import PROJECT_ID


async def test_the_sdk_drives_templates_and_versions_end_to_end(api):
    client = sdk(api.url)
    created = await call(client, "create_app", CreateAppRequest(body=App(app=AppDetail(
        name="camera", alias="Camera_1", description="edge camera", icon_url="https://x.example/c.png",
        tags=[NodeResTag(key="team", value="vision")],
    ))))
    app = created.app
    assert (app.name, app.alias, app.visibility, app.project_id) == ("camera", "Camera_1", "private", PROJECT_ID)
    assert app.app_versions == [] and app.created_at == "2026-01-01T00:00:00.000Z"

    version = (await call(client, "create_app_versions", CreateAppVersionsRequest(app_id=app.id, body=Version(
        version=VersionDetail(
            version="1.0.0", image_url="swr.example/camera:1", arch="arm64",
            envs=[Env(name="MODE", value="prod")],
            configs=AppConfigs(restart_policy="Always", host_network=False),
            resources=Resources(limits=LimitsRequests(cpu=1.0, memory=256.0), requests=LimitsRequests(cpu=0.5)),
            liveness_probe=ProbeDetail(exec_command="true", initial_delay_seconds=5),
        ))))).version
    assert (version.version, version.image_url, version.arch) == ("1.0.0", "swr.example/camera:1", "arm64")
    assert version.envs[0].name == "MODE" and version.configs.host_network is False
    assert version.resources.limits.memory == 256.0 and version.updated_at is None

    await call(client, "create_app_versions", CreateAppVersionsRequest(app_id=app.id, body=Version(
        version=VersionDetail(version="2.0.0", image_url="swr.example/camera:2"))))
    listed = await call(client, "list_app_versions", ListAppVersionsRequest(app_id=app.id, limit="1", offset="0"))
    assert listed.count == 2 and [v.version for v in listed.versions] == ["2.0.0"]

    await api.advance(4)
    updated = (await call(client, "update_app_version", UpdateAppVersionRequest(
        app_id=app.id, version_id=version.id,
        body=UpdataAppVersionBody(version=VersionUpdate(command=["/bin/run"], npu_type="D310B")),
    ))).version
    assert updated.command == ["/bin/run"] and updated.npu_type == "D310B"
    assert updated.updated_at == "2026-01-01T00:00:04.000Z" and updated.image_url == "swr.example/camera:1"
    shown = (await call(client, "show_app_version_detail", ShowAppVersionDetailRequest(
        app_id=app.id, version_id=version.id))).version
    assert shown.command == ["/bin/run"]

    renamed = (await call(client, "update_app", UpdateAppRequest(
        app_id=app.id, body=UpdateAppBody(app=AppUpdate(alias="Cam", description="renamed"))))).app
    assert (renamed.alias, renamed.description, renamed.updated_at) == ("Cam", "renamed", "2026-01-01T00:00:04.000Z")
    detail = (await call(client, "show_app_detail", ShowAppDetailRequest(app_id=app.id))).app
    assert [v.version for v in detail.app_versions] == ["2.0.0", "1.0.0"]

    await call(client, "create_app", CreateAppRequest(body=App(app=AppDetail(name="gateway"))))
    found = await call(client, "list_apps", ListAppsRequest(name="cam", visibility="private", limit="10"))
    assert found.count == 1 and found.apps[0].id == app.id
    assert (await call(client, "list_apps", ListAppsRequest(alias="Cam"))).count == 1
    assert (await call(client, "list_apps", ListAppsRequest())).count == 2

    await call(client, "delete_app_version", DeleteAppVersionRequest(app_id=app.id, version_id=version.id))
    assert (await call(client, "list_app_versions", ListAppVersionsRequest(app_id=app.id))).count == 1
    await call(client, "delete_app", DeleteAppRequest(app_id=app.id))
    await refused(client, "show_app_detail", ShowAppDetailRequest(app_id=app.id), 404, "IEF.100003")
    assert (await call(client, "list_apps", ListAppsRequest())).count == 1


async def test_the_sdk_sees_refusals_with_their_ief_codes(api):
    client = sdk(api.url)
    app = (await call(client, "create_app", CreateAppRequest(body=App(app=AppDetail(name="web"))))).app
    await refused(client, "create_app", CreateAppRequest(body=App(app=AppDetail(name="web"))), 400, "IEF.100006")
    await refused(client, "create_app", CreateAppRequest(body=App(app=AppDetail(name="Web"))), 400, "IEF.100011")
    await refused(client, "create_app", CreateAppRequest(body=App(app=AppDetail(name="w", icon_url="ftp:x"))),
                  400, "IEF.100020")
    await refused(client, "update_app", UpdateAppRequest(
        app_id=app.id, body=UpdateAppBody(app=AppUpdate(description="<b>"))), 400, "IEF.100002")
    await refused(client, "list_apps", ListAppsRequest(limit="0"), 400, "IEF.100005")
    await refused(client, "list_apps", ListAppsRequest(visibility="everyone"), 400, "IEF.100002")

    def new_version(tag: str, **spec) -> CreateAppVersionsRequest:
        return CreateAppVersionsRequest(app_id=app.id, body=Version(version=VersionDetail(
            version=tag, image_url="nginx:1", **spec)))

    await call(client, "create_app_versions", new_version("1.0"))
    await refused(client, "create_app_versions", new_version("1.0"), 400, "IEF.100006")
    await refused(client, "create_app_versions", new_version("V1"), 400, "IEF.100010")
    await refused(client, "create_app_versions", new_version("1.1", envs=[Env(name="9x", value="v")]), 400, "IEF.100013")
    await refused(client, "list_app_versions", ListAppVersionsRequest(app_id=app.id, offset="-1"), 400, "IEF.100004")
    unknown = "00000000-0000-4000-8000-000000000000"
    await refused(client, "show_app_version_detail", ShowAppVersionDetailRequest(app_id=app.id, version_id=unknown),
                  404, "IEF.100003")
    await refused(client, "update_app_version", UpdateAppVersionRequest(
        app_id=app.id, version_id=unknown, body=UpdataAppVersionBody(version=VersionUpdate(command=["x"]))),
        404, "IEF.100003")
    await refused(client, "delete_app_version", DeleteAppVersionRequest(app_id=app.id, version_id=unknown),
                  404, "IEF.100003")
    await refused(client, "delete_app", DeleteAppRequest(app_id=unknown), 404, "IEF.100003")
    await refused(client, "create_app_versions", CreateAppVersionsRequest(app_id=unknown, body=Version(
        version=VersionDetail(version="1.0", image_url="nginx:1"))), 404, "IEF.100003")
