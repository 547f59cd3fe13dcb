"""The ``edgesim`` command."""

from __future__ import annotations

import asyncio
import json
import logging
import signal
import sys

import click

from edgesim import __version__, gc_policy
from edgesim.server import Server, ServerOptions, StartupError
from edgesim.settings import ConfigError, load_settings
from edgesim.store.sqlite import StoreError


@click.group()
@click.version_option(__version__, prog_name="edgesim")
def main() -> None:
    """edgesim: a simulated Huawei Cloud IEF edge platform."""


@main.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", default=8080, show_default=True, type=click.IntRange(0, 65535), help="Port (0 picks a free one).")
@click.option("--db", default="edgesim.db", show_default=True, help="SQLite file for the simulated world, or :memory:.")
@click.option("--config", "config_dir", default=None, type=click.Path(file_okay=False), help="Config directory (default: the packaged config/).")
@click.option("--seed", default=None, type=int, help="Seed for every random choice (default 0; a store keeps its own).")
@click.option("--clock", "clock_mode", default="real", show_default=True, type=click.Choice(["real", "virtual"]), help="real: wall time (scaled); virtual: moves only via POST /edgesim/clock/advance.")
@click.option("--time-scale", default=1.0, show_default=True, type=click.FloatRange(min=0, min_open=True), help="Simulated seconds per real second (real clock).")
@click.option("--log-level", default="WARNING", show_default=True, type=click.Choice(["DEBUG", "INFO", "WARNING", "ERROR"]))
@click.option("--record", default=None, type=click.Path(dir_okay=False), help="Write every mutating call and every event to this file (for edgesim replay / convert).")
def serve(host, port, db, config_dir, seed, clock_mode, time_scale, log_level, record) -> None:
    """Serve the IEF API on a simulated fleet until Ctrl-C."""
    logging.basicConfig(level=log_level, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    try:
        settings = load_settings(config_dir)
    except ConfigError as exc:
        raise click.ClickException(str(exc)) from None
    options = ServerOptions(host=host, port=port, db=db, clock=clock_mode, time_scale=time_scale, seed=seed, record=record)
    try:
        asyncio.run(_serve(Server(settings, options)))
    except (StartupError, StoreError) as exc:
        raise ServeFailed(str(exc)) from None
    except OSError as exc:  # e.g. the --record file cannot be written
        raise ServeFailed(f"{exc.filename}: {exc.strerror}" if exc.filename else str(exc)) from None


class ServeFailed(click.ClickException):
    """``edgesim: <file or address>: <cause>`` on one line, exit status 1."""

    def show(self, file=None) -> None:
        click.echo(f"edgesim: {self.message}", err=True)


async def _serve(server: Server) -> None:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    gc_policy.tune()
    await server.start()
    gc_policy.settle()  # the loaded world stays: keep the collector off it
    try:
        _print_banner(server)
        await stop.wait()
    finally:
        await server.stop()
        click.echo("edgesim stopped.", err=True)


def _print_banner(server: Server) -> None:
    account = server.settings.account(server.settings.fleet.project_id) or server.settings.accounts[0]
    token = account.tokens[0] if account.tokens else "<no static token configured>"
    clock = server.engine.clock
    clock_text = "virtual (POST /edgesim/clock/advance)" if clock.mode == "virtual" else f"real x{clock.scale:g}"
    nodes_url = f"{server.url}/v2/{account.project_id}/edgemgr/nodes"
    lines = [
        f"edgesim {__version__} ready at {server.url}   clock: {clock_text}   db: {server.options.db}",
        f"  project id: {account.project_id}",
        f"  token:      {token}   (send as X-Auth-Token)",
        f"  try:        curl -s -H 'X-Auth-Token: {token}' {nodes_url}",
    ]
    if not server.settings.auth.dev_tokens:  # same four lines: scripts read the banner
        user = {"name": account.user, "password": "...", "domain": {"name": account.domain}}
        login = json.dumps({"auth": {"identity": {"methods": ["password"], "password": {"user": user}},
                                     "scope": {"project": {"id": account.project_id}}}})
        lines[2] = f"  token:      dev tokens are off: log in as {account.domain}/{account.user} or sign with AK/SK"
        lines[3] = f"  try:        curl -si -X POST {server.url}/v3/auth/tokens -d '{login}'"
    if server.seed_note:
        click.echo(f"note: {server.seed_note}", err=True)
    click.echo("\n".join(lines))
    sys.stdout.flush()


# The commands that talk to a running server live in their own module.
from edgesim import client_commands  # noqa: E402  (registers onto ``main``)

client_commands.register(main)
