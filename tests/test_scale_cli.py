"""`edgesim serve --shards N` and `--ray-address` are refused clearly until the sharded mode
exists (docs/scale-out.md): never a half-working mode, and never Ray on the default path."""

from __future__ import annotations

import subprocess
import sys

import pytest
from click.testing import CliRunner

from edgesim.cli import main


@pytest.mark.parametrize(("args", "flag"), [(["--shards", "2"], "--shards"), (["--shards", "1"], "--shards"),
                                            (["--ray-address", "127.0.0.1:6379"], "--ray-address")])
def test_the_sharded_mode_is_refused_as_not_implemented_yet(args, flag, tmp_path):
    result = CliRunner().invoke(main, ["serve", "--db", str(tmp_path / "e.db"), *args])
    assert result.exit_code == 1
    assert f"edgesim: {flag}: not implemented yet" in result.output
    assert "docs/scale-out.md" in result.output
    assert not (tmp_path / "e.db").exists()  # refused before anything started


def test_a_shard_count_below_one_is_a_usage_error(tmp_path):
    result = CliRunner().invoke(main, ["serve", "--db", str(tmp_path / "e.db"), "--shards", "0"])
    assert result.exit_code == 2
    assert "Invalid value for '--shards'" in result.output


def test_the_default_path_never_imports_ray():
    code = ("import sys, edgesim, edgesim.cli, edgesim.server, edgesim.inprocess, edgesim.api.app; "
            "print(sorted(m for m in sys.modules if m == 'ray' or m.startswith('ray.')))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=True).stdout
    assert out.strip() == "[]"
