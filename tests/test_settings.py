"""Config directories: each file overrides only the keys it sets over the packaged defaults,
and a broken setting is named by its file and its key."""

from __future__ import annotations

import pytest

from edgesim.settings import ConfigError, load_settings, packaged_config_dir


def config(tmp_path, **files: str):
    for name, text in files.items():
        (tmp_path / f"{name}.toml").write_text(text)
    return tmp_path


def test_a_file_with_one_key_keeps_the_defaults_of_the_others(tmp_path):
    defaults = load_settings()
    settings = load_settings(config(tmp_path, fleet="[fleet]\nnodes = 20\n"))
    assert settings.fleet.nodes == 20
    assert settings.fleet.project_id == defaults.fleet.project_id
    assert settings.fleet.profile == defaults.fleet.profile  # a table it does not name stays whole


def test_nested_tables_merge_key_by_key(tmp_path):
    defaults = load_settings()
    settings = load_settings(config(tmp_path, simulation="[node]\ngrace_seconds = 90.0\n",
                                    fleet="[fleet.profile]\ncpu = [2, 2]\n"))
    assert settings.simulation.node.grace_seconds == 90.0
    assert settings.simulation.node.heartbeat_seconds == defaults.simulation.node.heartbeat_seconds
    assert settings.simulation.clock == defaults.simulation.clock
    assert settings.fleet.profile.cpu == (2, 2)
    assert settings.fleet.profile.memory_mb == defaults.fleet.profile.memory_mb


def test_a_table_beside_the_accounts_keeps_them(tmp_path):
    settings = load_settings(config(tmp_path, accounts="[auth]\ndev_tokens = false\n"))
    assert settings.auth.dev_tokens is False
    assert settings.accounts == load_settings().accounts


def test_a_list_is_replaced_whole(tmp_path):
    settings = load_settings(config(tmp_path, behaviors='[[profiles]]\nmatch = "only/*"\n'))
    assert [p.match for p in settings.behaviors] == ["only/*"]


@pytest.mark.parametrize(
    ("files", "file", "field"),
    [
        ({"fleet": "[fleet]\nnodes = -1\n"}, "fleet.toml", "fleet.nodes"),
        ({"fleet": "nodes = 20\n"}, "fleet.toml", "nodes"),
        ({"simulation": "[node]\ngrace_seconds = -1.0\n"}, "simulation.toml", "node.grace_seconds"),
        ({"behaviors": '[[profiles]]\nmatch = ""\n'}, "behaviors.toml", "profiles.0.match"),
        ({"accounts": '[admin]\ntoken = ""\n'}, "accounts.toml", "admin.token"),
        ({"fleet": '[fleet]\nproject_id = "ffffffffffffffffffffffffffffffff"\n'}, "fleet.toml", "fleet"),
    ],
)
def test_an_error_names_the_file_and_the_key(tmp_path, files, file, field):
    with pytest.raises(ConfigError) as refused:
        load_settings(config(tmp_path, **files))
    assert str(refused.value).startswith(f"{tmp_path / file}: {field}: "), refused.value


def test_an_error_in_a_default_names_the_packaged_file(tmp_path):
    # the user's accounts leave the default fleet's project without an account
    accounts = (packaged_config_dir() / "accounts.toml").read_text().replace("0605767a", "1605767a")
    with pytest.raises(ConfigError) as refused:
        load_settings(config(tmp_path, accounts=accounts))
    assert str(refused.value).startswith(f"{packaged_config_dir() / 'fleet.toml'}: fleet: "), refused.value


def test_a_toml_syntax_error_names_the_file(tmp_path):
    with pytest.raises(ConfigError, match=r"fleet\.toml: .*line 1"):
        load_settings(config(tmp_path, fleet="[fleet\n"))
