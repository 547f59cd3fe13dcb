"""``edgesim snapshot save FILE`` / ``edgesim snapshot load FILE``: a whole world to a file and
back, as ``kwokctl snapshot save/restore`` does (see control/snapshot.py for what it holds)."""

from __future__ import annotations

import urllib.error
import urllib.request
from pathlib import Path

import click

from edgesim.client_commands import token_option, url_option
from edgesim.store.sqlite import StoreError, install_snapshot


@click.group()
def snapshot() -> None:
    """Save a running world to a file, or load one into a store file."""


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
    click.echo(f"saved the world to {path} ({len(data)} bytes); load it with: edgesim snapshot load {path}")


@snapshot.command("load")
@click.option("--db", default="edgesim.db", show_default=True, envvar="EDGESIM_DB",
              help="The store file to replace (no server may be running on it).")
@click.argument("path", type=click.Path(exists=True, dir_okay=False))
def snapshot_load(db, path) -> None:
    """Make PATH the world of the store DB; then `edgesim serve --db DB` goes on from it."""
    try:
        meta = install_snapshot(path, db)
    except StoreError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"loaded {path} into {db} (clock at {float(meta['clock_now']):g} s); start it with: edgesim serve --db {db}")
