"""The ``edgesim`` command."""

from __future__ import annotations

import asyncio
import json
import logging
import signal
import sys

import click

from edgesim import __version__, gc_policy
from edgesim.scenario.init import InitFailed, load_init_files, run_init_files
from edgesim.scenario.model import Scenario
from edgesim.server import Server, ServerOptions, StartupError
from edgesim.settings import ConfigError, load_settings
from edgesim.store.sqlite import StoreError


@click.group()
@click.version_option(__version__, prog_name="edgesim")
def main() -> None:
    """edgesim: a simulated Huawei Cloud IEF edge platform."""


def serve_option(*decls: str, envvar: str, **kwargs):
    """A ``serve`` option also read from its ``EDGESIM_*`` variable; the flag wins, and click
    names the variable in the error for a bad value from it."""
    return click.option(*decls, envvar=envvar, show_envvar=True, **kwargs)


@main.command()
@serve_option("--host", envvar="EDGESIM_HOST", default="127.0.0.1", show_default=True, help="Address to listen on.")
@serve_option("--port", envvar="EDGESIM_PORT", default=8080, show_default=True, type=click.IntRange(0, 65535), help="Port (0 picks a free one).")
@serve_option("--db", envvar="EDGESIM_DB", default="edgesim.db", show_default=True, help="SQLite file for the simulated world, or :memory:.")
@serve_option("--config", "config_dir", envvar="EDGESIM_CONFIG", default=None, type=click.Path(file_okay=False), help="Config directory (default: the packaged config/).")
@serve_option("--seed", envvar="EDGESIM_SEED", default=None, type=int, help="Seed for every random choice (default 0; a store keeps its own).")
@serve_option("--clock", "clock_mode", envvar="EDGESIM_CLOCK", default="real", show_default=True, type=click.Choice(["real", "virtual"]), help="real: wall time (scaled); virtual: moves only via POST /edgesim/clock/advance.")
@serve_option("--time-scale", envvar="EDGESIM_TIME_SCALE", default=1.0, show_default=True, type=click.FloatRange(min=0, min_open=True), help="Simulated seconds per real second (real clock).")
@serve_option("--log-level", envvar="EDGESIM_LOG_LEVEL", default="WARNING", show_default=True, type=click.Choice(["DEBUG", "INFO", "WARNING", "ERROR"]))
@serve_option("--record", envvar="EDGESIM_RECORD", default=None, type=click.Path(dir_okay=False), help="Write every mutating call and every event to this file (for edgesim replay / convert).")
@serve_option("--init", "init_files", envvar="EDGESIM_INIT", multiple=True, type=click.Path(dir_okay=False),
              help="Scenario file run before the banner, on a new store (repeatable; the variable: paths separated by spaces).")
@serve_option("--strict/--no-strict", envvar="EDGESIM_STRICT", default=False, show_default=True,
              help="Refuse request bodies with unknown fields (400 IEF.100002) instead of warning (X-Edgesim-Warning).")
@serve_option("--shards", envvar="EDGESIM_SHARDS", default=None, type=click.IntRange(min=1),
              help="Shard the world over N Ray actors (the [scale] extra). Not implemented yet: docs/scale-out.md.")
@serve_option("--ray-address", envvar="EDGESIM_RAY_ADDRESS", default=None,
              help="Run the shards on this Ray cluster. Not implemented yet: docs/scale-out.md.")
def serve(host, port, db, config_dir, seed, clock_mode, time_scale, log_level, record, init_files, strict,
          shards, ray_address) -> None:
    """Serve the IEF API on a simulated fleet until Ctrl-C."""
    if shards is not None or ray_address is not None:
        # refused rather than half-served: a sharded mode must give the same event log as one
        # process (docs/scale-out.md), and Ray is never imported on the default path
        flag = "--shards" if shards is not None else "--ray-address"
        raise ServeFailed(f"{flag}: not implemented yet: the sharded mode on Ray is designed (docs/scale-out.md) "
                          "but not built; without --shards and --ray-address edgesim runs in one process")
    logging.basicConfig(level=log_level, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    try:
        settings = load_settings(config_dir)
    except ConfigError as exc:
        raise click.ClickException(str(exc)) from None
    try:
        scenarios = load_init_files(list(init_files))
    except InitFailed as exc:
        raise ServeFailed(f"--init {exc}") from None
    options = ServerOptions(host=host, port=port, db=db, clock=clock_mode, time_scale=time_scale, seed=seed,
                            record=record, strict=strict)
    try:
        asyncio.run(_serve(Server(settings, options), scenarios))
    except InitFailed as exc:
        raise ServeFailed(f"--init {exc}") from None
    except (StartupError, StoreError) as exc:
        raise ServeFailed(str(exc)) from None
    except OSError as exc:  # e.g. the --record file cannot be written
        raise ServeFailed(f"{exc.filename}: {exc.strerror}" if exc.filename else str(exc)) from None


class ServeFailed(click.ClickException):
    """``edgesim: <file or address>: <cause>`` on one line, exit status 1."""

    def show(self, file=None) -> None:
        click.echo(f"edgesim: {self.message}", err=True)


async def _serve(server: Server, scenarios: list[Scenario]) -> None:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    gc_policy.tune()

    async def init(url: str) -> None:
        await run_init_files(scenarios, server.settings, server, url)

    await server.start(init if scenarios else None)
    if server.init_skipped:
        click.echo(f"note: {server.options.db} holds a world already; --init files not run", err=True)
    if server.record_warning:
        click.echo(f"warning: {server.record_warning}", err=True)
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

from edgesim.snapshot_commands import snapshot  # noqa: E402  (talks to a server too)

main.add_command(snapshot)
