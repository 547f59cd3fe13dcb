"""``edgesim snapshot save FILE`` / ``edgesim snapshot load FILE``: a whole world to a file and
back, as ``kwokctl snapshot save/restore`` does (see control/snapshot.py for what it holds)."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from pathlib import Path

import click
from click.core import ParameterSource

from edgesim.client_commands import token_option, url_option
from edgesim.control.snapshot import SNAPSHOT_TYPE
from edgesim.store.sqlite import StoreError, install_snapshot


@click.group()
def snapshot() -> None:
    """Save a running world to a file, or load one into a store file or a running server."""


@snapshot.command("save")
@url_option
@token_option
@click.argument("path", type=click.Path(dir_okay=False, writable=True))
def snapshot_save(url, admin_token, path) -> None:
    """Save the running server's whole world (clock and event log included) to PATH."""
    headers = {"X-Admin-Token": admin_token} if admin_token else {}
    request = urllib.request.Request(url.rstrip("/") + "/edgesim/snapshot", data=b"", method="POST", headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=600) as response:
            data = response.read()
    except urllib.error.HTTPError as exc:
        raise click.ClickException(f"HTTP {exc.code}: {exc.read().decode(errors='replace')}") from None
    except urllib.error.URLError as exc:
        raise click.ClickException(f"cannot reach edgesim at {url}: {exc.reason}") from None
    try:
        Path(path).write_bytes(data)
    except OSError as exc:
        raise click.ClickException(f"{path}: {exc.strerror}") from None
    click.echo(f"saved the world to {path} ({len(data)} bytes); load it with: edgesim snapshot load {path} "
               "--db DB (a stopped store) or --url URL (a running server)")


@snapshot.command("load")
@click.option("--db", default=None, envvar="EDGESIM_DB",
              help="The store file to replace (no server may be running on it)  [default: edgesim.db]")
@click.option("--url", default=None,
              help="Load into this running edgesim instead (PUT /edgesim/snapshot); never read from EDGESIM_URL.")
@token_option
@click.argument("path", type=click.Path(exists=True, dir_okay=False))
def snapshot_load(db, url, admin_token, path) -> None:
    """Make PATH the world of the store DB (then `edgesim serve --db DB` goes on from it), or,
    with --url, of the running server at URL, at once."""
    if url is not None:
        if click.get_current_context().get_parameter_source("db") is ParameterSource.COMMANDLINE:
            raise click.UsageError("give --db (a stopped store) or --url (a running server), not both")
        _load_into_server(url, admin_token, path)
        return
    db = db or "edgesim.db"
    try:
        meta = install_snapshot(path, db)
    except StoreError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"loaded {path} into {db} (clock at {float(meta['clock_now']):g} s); start it with: edgesim serve --db {db}")


def _load_into_server(url: str, admin_token: str | None, path: str) -> None:
    """PUT the file to the running server, which replaces its world (or refuses and keeps it)."""
    headers = {"Content-Type": SNAPSHOT_TYPE, **({"X-Admin-Token": admin_token} if admin_token else {})}
    request = urllib.request.Request(url.rstrip("/") + "/edgesim/snapshot", data=Path(path).read_bytes(),
                                     method="PUT", headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=600) as response:
            clock = json.loads(response.read())
    except urllib.error.HTTPError as exc:
        raise click.ClickException(f"HTTP {exc.code}: {exc.read().decode(errors='replace')}") from None
    except urllib.error.URLError as exc:
        raise click.ClickException(f"cannot reach edgesim at {url}: {exc.reason}") from None
    click.echo(f"loaded {path} into {url} (clock at {float(clock['now']):g} s, {clock['events']} events)")
