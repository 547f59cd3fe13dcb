"""The examples the docs give a newcomer do what the docs say (over real HTTP)."""

from __future__ import annotations

import asyncio
import contextlib
import io
import json
import re
import tomllib
from pathlib import Path

from conftest import Api, site_group

ROOT = Path(__file__).resolve().parent.parent


def create_body_example() -> dict:
    """The JSON example of docs/api.md, "The v2 create body, field by field"."""
    text = (ROOT / "docs" / "api.md").read_text()
    section = text[text.index("## The v2 create body, field by field"):]
    return json.loads(re.search(r"```json\n(.+?)\n```", section, re.DOTALL).group(1))


async def test_the_documented_v2_create_body_is_accepted_as_is_and_migrates(api: Api):
    group, nodes = await site_group(api, nodes=2)
    body = json.loads(json.dumps(create_body_example()).replace("<group id>", group))
    async with api.session.post(api.url + api.v2("deployments"), json=body, headers={"X-Auth-Token": api.token}) as resp:
        assert resp.status == 201, await resp.text()
        assert "X-Edgesim-Warning" not in resp.headers  # every field is where it belongs
        created = (await resp.json())["deployment"]
    assert (created["migration"], created["toleration_seconds"]) == (True, 60)
    await api.advance(10)
    [first] = (await api.get(api.v2(f"deployments/{created['id']}"))).body["deployment"]["instances"]
    assert first["state"] == "RUNNING"
    reply = await api.post("/edgesim/chaos/faults", {"kind": "node_crash", "target": {"node_ids": [first["node_id"]]},
                                                     "duration": 600}, token=None)
    assert reply.status == 201
    await api.advance(40 + 60 + 10)  # FAIL after 40 s, then the 60 s of toleration_seconds, then a start
    moved = [i for i in (await api.get(api.v2(f"deployments/{created['id']}"))).body["deployment"]["instances"]
             if i["state"] == "RUNNING"]
    assert [i["node_id"] for i in moved] == [n for n in nodes if n != first["node_id"]]


async def test_migration_at_the_deployment_level_is_named_in_a_warning_and_does_nothing(api: Api):
    group, _ = await site_group(api, nodes=2)
    body = create_body_example()
    body["deployment"]["group_id"] = group
    body["deployment"]["migration"] = body["deployment"]["app"].pop("migration")  # the newcomer's mistake
    async with api.session.post(api.url + api.v2("deployments"), json=body, headers={"X-Auth-Token": api.token}) as resp:
        assert resp.status == 201
        assert resp.headers.getall("X-Edgesim-Warning") == ["unknown field deployment.migration"]
        assert (await resp.json())["deployment"]["migration"] is False  # the default: it went nowhere


def readme_section(title: str) -> str:
    text = (ROOT / "README.md").read_text()
    start = text.index(f"## {title}")
    return text[start:text.index("\n## ", start + 1)]


def test_the_sdk_example_says_what_to_install_before_its_code():
    section = readme_section("With the official SDK")
    code = section.index("```python")
    assert "pip install huaweicloudsdkief" in section[:code] and "'.[sdk]'" in section[:code]
    extras = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["optional-dependencies"]
    assert any(d.startswith("huaweicloudsdkief") for d in extras["sdk"])


async def test_the_readme_sdk_example_runs_against_edgesim(api: Api):
    section = readme_section("With the official SDK")
    code = re.search(r"```python\n(.+?)\n```", section, re.DOTALL).group(1)
    assert "http://127.0.0.1:8080" in code
    node = (await api.node_ids())[0]
    assert (await api.create("web", node)).status == 201
    printed = io.StringIO()
    with contextlib.redirect_stdout(printed):  # the SDK blocks: run it beside the server's loop
        await asyncio.to_thread(exec, code.replace("http://127.0.0.1:8080", api.url), {})
    assert printed.getvalue() == "1\n"  # the one pod of the deployment just made


def test_the_readme_run_server_example_runs_as_it_is():
    section = readme_section("Testing your code against edgesim")
    code = re.search(r"### Without pytest.+?```python\n(.+?)\n```", section, re.DOTALL).group(1)
    printed = io.StringIO()
    with contextlib.redirect_stdout(printed):
        exec(code, {})
    assert "instance.migrated" in printed.getvalue()  # the crash moved the instance, as it says
