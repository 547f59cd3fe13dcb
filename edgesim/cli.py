"""The ``edgesim`` command."""

from __future__ import annotations

import asyncio
import json
import logging
import signal
import sys
import urllib.error
import urllib.request

import click

from edgesim import __version__
from edgesim.server import Server, ServerOptions
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
def serve(host, port, db, config_dir, seed, clock_mode, time_scale, log_level) -> None:
    """Serve the IEF API on a simulated fleet until Ctrl-C."""
    logging.basicConfig(level=log_level, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    try:
        settings = load_settings(config_dir)
    except ConfigError as exc:
        raise click.ClickException(str(exc)) from None
    options = ServerOptions(host=host, port=port, db=db, clock=clock_mode, time_scale=time_scale, seed=seed)
    try:
        asyncio.run(_serve(Server(settings, options)))
    except (OSError, StoreError) as exc:
        raise click.ClickException(str(exc)) from None


async def _serve(server: Server) -> None:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    await server.start()
    try:
        _print_banner(server)
        await stop.wait()
    finally:
        await server.stop()
        click.echo("edgesim stopped.", err=True)


def _range(text: str | None) -> list[int] | None:
    if text is None:
        return None
    low, sep, high = text.partition(",")
    try:
        return [int(low), int(high or low)]
    except ValueError:
        raise click.BadParameter(f"{text!r} is not LOW,HIGH (whole numbers)") from None


@main.command()
@click.option("--url", default="http://127.0.0.1:8080", show_default=True, help="The running edgesim.")
@click.option("--nodes", required=True, type=click.IntRange(0, 100_000), help="How many nodes to create.")
@click.option("--group", "groups", multiple=True, metavar="NAME=COUNT", help="A group of COUNT of the new nodes (repeatable).")
@click.option("--prefix", default="node", show_default=True, help="Node names are PREFIX-001, PREFIX-002, ...")
@click.option("--cpu", default=None, metavar="LOW,HIGH", help="Cores per node, drawn uniformly.")
@click.option("--memory-mb", default=None, metavar="LOW,HIGH", help="Memory per node in MB, drawn uniformly.")
@click.option("--project-id", default=None, help="Project of the nodes (default: the configured fleet's).")
def fleet(url, nodes, groups, prefix, cpu, memory_mb, project_id) -> None:
    """Create many nodes (and groups of them) on a running edgesim in one call."""
    body: dict = {"nodes": nodes, "groups": {}, "name_prefix": prefix}
    for item in groups:
        name, sep, count = item.partition("=")
        if not sep or not count.isdigit():
            raise click.BadParameter(f"{item!r} is not NAME=COUNT", param_hint="--group")
        body["groups"][name] = int(count)
    profile = {k: v for k, v in (("cpu", _range(cpu)), ("memory_mb", _range(memory_mb))) if v is not None}
    if profile:
        body["profile"] = profile
    if project_id:
        body["project_id"] = project_id
    status, answer = _post_json(f"{url.rstrip('/')}/edgesim/fleet", body)
    if status != 201:
        raise click.ClickException(f"{answer.get('error_code', status)}: {answer.get('error_msg', answer)}")
    click.echo(f"created {answer['nodes']} nodes in project {answer['project_id']}")
    for group in answer["groups"]:
        click.echo(f"  group {group['name']}: {group['id']} ({len(group['node_ids'])} nodes)")


def _post_json(url: str, body: dict) -> tuple[int, dict]:
    request = urllib.request.Request(
        url, data=json.dumps(body).encode(), method="POST", headers={"Content-Type": "application/json"}
    )
    try:
        with urllib.request.urlopen(request, timeout=600) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read() or b"{}")
    except urllib.error.URLError as exc:
        raise click.ClickException(f"cannot reach edgesim at {url}: {exc.reason}") from None


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
    if server.seed_note:
        click.echo(f"note: {server.seed_note}", err=True)
    click.echo("\n".join(lines))
    sys.stdout.flush()
