"""``edgesim`` commands that drive a running server over HTTP: fleet, chaos, report."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

import click
from rich.console import Console
from rich.table import Table

from edgesim.api.paging import whole_number
from edgesim.engine.faults import PARAMETERS

HIT_SHOWN = 3  # nodes named per fault in `chaos list`; the rest are counted

url_option = click.option("--url", default="http://127.0.0.1:8080", show_default=True, envvar="EDGESIM_URL",
                          help="The running edgesim.")
token_option = click.option("--admin-token", default=None, envvar="EDGESIM_ADMIN_TOKEN",
                            help="X-Admin-Token, when the server has one configured.")


def call(url: str, method: str, path: str, body: object = None, admin_token: str | None = None) -> tuple[int, Any]:
    headers = {"Content-Type": "application/json"}
    if admin_token:
        headers["X-Admin-Token"] = admin_token
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(url.rstrip("/") + path, data=data, method=method, headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=600) as response:
            raw = response.read()
            return response.status, json.loads(raw) if raw else None
    except urllib.error.HTTPError as exc:
        raw = exc.read()
        try:
            return exc.code, json.loads(raw) if raw else {}
        except ValueError:
            return exc.code, {"error_msg": raw.decode(errors="replace")}
    except urllib.error.URLError as exc:
        raise click.ClickException(f"cannot reach edgesim at {url}: {exc.reason}") from None


def expect(status: int, answer: Any, *ok: int) -> Any:
    """The decoded JSON answer (any JSON value) if the status is one of ``ok``."""
    if status not in ok:
        if isinstance(answer, dict) and "error_msg" in answer:
            raise click.ClickException(f"{answer.get('error_code', status)}: {answer['error_msg']}")
        raise click.ClickException(f"HTTP {status}: {answer}")
    return answer


def _console() -> Console:
    """A terminal gets its own width; a pipe gets lines wide enough for whole ids."""
    console = Console()
    return console if console.is_terminal else Console(width=240)


def _range(text: str | None) -> list[int] | None:
    if text is None:
        return None
    low, _, high = text.partition(",")
    try:
        return [int(low), int(high or low)]
    except ValueError:
        raise click.BadParameter(f"{text!r} is not LOW,HIGH (whole numbers)") from None


@click.command()
@url_option
@token_option
@click.option("--nodes", required=True, type=click.IntRange(0, 100_000), help="How many nodes to create.")
@click.option("--group", "groups", multiple=True, metavar="NAME=COUNT", help="A group of COUNT of the new nodes (repeatable).")
@click.option("--prefix", default="node", show_default=True, help="Node names are PREFIX-001, PREFIX-002, ...")
@click.option("--cpu", default=None, metavar="LOW,HIGH", help="Cores per node, drawn uniformly.")
@click.option("--memory-mb", default=None, metavar="LOW,HIGH", help="Memory per node in MB, drawn uniformly.")
@click.option("--project-id", default=None, help="Project of the nodes (default: the configured fleet's).")
def fleet(url, admin_token, nodes, groups, prefix, cpu, memory_mb, project_id) -> None:
    """Create many nodes (and groups of them) on a running edgesim in one call."""
    body: dict = {"nodes": nodes, "groups": {}, "name_prefix": prefix}
    for item in groups:
        name, sep, count = item.partition("=")
        size = whole_number(count)
        if not sep or size is None:
            raise click.BadParameter(f"{item!r} is not NAME=COUNT", param_hint="--group")
        body["groups"][name] = size
    profile = {k: v for k, v in (("cpu", _range(cpu)), ("memory_mb", _range(memory_mb))) if v is not None}
    if profile:
        body["profile"] = profile
    if project_id:
        body["project_id"] = project_id
    answer = expect(*call(url, "POST", "/edgesim/fleet", body, admin_token), 201)
    click.echo(f"created {answer['nodes']} nodes in project {answer['project_id']}")
    for group in answer["groups"]:
        click.echo(f"  group {group['name']}: {group['id']} ({len(group['node_ids'])} nodes)")


@click.group()
def chaos() -> None:
    """Add, list and remove chaos faults on a running edgesim."""


@chaos.command("add")
@url_option
@token_option
@click.argument("fault", required=False)
@click.option("--file", "path", type=click.Path(exists=True, dir_okay=False), help="Read the fault (JSON) from a file.")
def chaos_add(url, admin_token, fault, path) -> None:
    """Add a fault given as JSON, e.g. '{"kind": "node_crash", "target": {"node_ids": ["..."]}, "duration": 60}'."""
    text = Path(path).read_text() if path else fault
    if not text:
        raise click.UsageError("give the fault as a JSON argument or with --file")
    try:
        body = json.loads(text)
    except ValueError as exc:
        raise click.BadParameter(f"not JSON: {exc}", param_hint="FAULT") from None
    answer = expect(*call(url, "POST", "/edgesim/chaos/faults", body, admin_token), 201)
    click.echo(f"fault {answer['id']} ({answer['kind']}) {answer['state']}, from {answer['start']:g}s"
               + (f" to {answer['end']:g}s" if answer.get("end") is not None else " until removed"))


@chaos.command("list")
@url_option
@token_option
def chaos_list(url, admin_token) -> None:
    """List the faults."""
    answer = expect(*call(url, "GET", "/edgesim/chaos/faults", None, admin_token), 200)
    table = Table("id", "kind", "keys", "target", "state", "start", "end", "hit")
    for f in answer["faults"]:
        target = ", ".join(f"{k}={v}" for k, v in f["target"].items())
        keys = ", ".join(f"{k}={f[k]}" for k in PARAMETERS.get(f["kind"], ()) if k in f) or "-"  # the kind's own only
        table.add_row(f["id"], f["kind"], keys, target, f["state"], f"{f['start']:g}", "-" if f["end"] is None else f"{f['end']:g}",
                      _hit(f))
    _console().print(table)


def _hit(fault: dict) -> str:
    """The nodes and devices a fault acted on (chosen when it fired: a group, a fraction)."""
    names = fault.get("node_names") or [None] * len(fault["nodes"])
    hit = [name or node_id for name, node_id in zip(names, fault["nodes"], strict=False)] + fault.get("devices", [])
    if not hit:
        return "-"
    shown = ", ".join(hit[:HIT_SHOWN])
    return shown + (f" (+{len(hit) - HIT_SHOWN} more)" if len(hit) > HIT_SHOWN else "")


@chaos.command("rm")
@url_option
@token_option
@click.argument("fault_id")
def chaos_rm(url, admin_token, fault_id) -> None:
    """Remove a fault (it ends now)."""
    expect(*call(url, "DELETE", f"/edgesim/chaos/faults/{fault_id}", None, admin_token), 204)
    click.echo(f"fault {fault_id} removed")


@click.command()
@url_option
@token_option
@click.option("--from", "start", type=float, default=None, help="Window start (simulated seconds).")
@click.option("--to", "end", type=float, default=None, help="Window end (simulated seconds; default now).")
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON.")
def report(url, admin_token, start, end, as_json) -> None:
    """Print the experiment report: availability, recovery, restarts, migrations, node down time,
    batch job progress, device and message route availability."""
    query = "&".join(f"{k}={v}" for k, v in (("from", start), ("to", end)) if v is not None)
    answer = expect(*call(url, "GET", f"/edgesim/report?{query}", None, admin_token), 200)
    if as_json:
        click.echo(json.dumps(answer, indent=2))
        return
    console = _console()
    if answer.get("to_requested") is not None:
        console.print(f"note: --to {answer['to_requested']:g} is still to come; the report counts "
                      f"{_secs(answer['from'])}s - {_secs(answer['to'])}s, the time that has passed", highlight=False)
    table = Table("deployment", "availability", "restarts", "migrations", "recovered after (s)",
                  title=f"experiment {_secs(answer['from'])}s - {_secs(answer['to'])}s")
    for d in answer["deployments"]:
        availability = "-" if d["availability"] is None else f"{d['availability'] * 100:.2f}%"
        recoveries = ", ".join("not yet" if r["recovered_after"] is None else f"{r['recovered_after']:g}" for r in d["recoveries"])
        table.add_row(d["name"] or d["id"], availability, str(d["restarts"]), str(d["migrations"]), recoveries or "-")
    if answer["deployments"]:
        console.print(table)
    else:  # an empty table reads as a broken one
        console.print(f"experiment {_secs(answer['from'])}s - {_secs(answer['to'])}s: no deployment in the window", highlight=False)
    if answer["nodes"]:
        nodes = Table("node", "down (s)")
        for n in answer["nodes"]:
            nodes.add_row(n["name"] or n["id"], f"{n['down_seconds']:g}")
        console.print(nodes)
    _print_devices_and_routes(console, answer)
    _print_jobs(console, answer.get("jobs", []))


def _print_jobs(console, jobs: list[dict]) -> None:
    """Batch job progress: the counts at the window's end, and when the job last moved."""
    if not jobs:
        return
    table = Table("batch job", "type", "status", "done", "failed", "running", "tasks", "last change (s)")
    for j in jobs:
        last = j["series"][-1]["time"] if j["series"] else None
        table.add_row(j["name"] or j["id"], j["job_type"], j["status"], str(j["done"]), str(j["failed"]),
                      str(j["running"]), str(j["tasks"]), "-" if last is None else f"{last:g}")
    console.print(table)


def _secs(seconds: float) -> str:
    """Simulated seconds to a tenth (a real clock's now has many digits)."""
    return f"{round(seconds, 1):g}"


def _percent(share: float | None) -> str:
    return "-" if share is None else f"{share * 100:.2f}%"


def _print_devices_and_routes(console, answer: dict) -> None:
    """The report's devices and message routes, next to the deployments (engine/report_fleet.py)."""
    if answer.get("devices"):
        devices = Table("device", "availability", "online (s)", "offline (s)", "node")
        for d in answer["devices"]:
            devices.add_row(d["name"] or d["id"], _percent(d["availability"]), f"{d['online_seconds']:g}",
                            f"{d['offline_seconds']:g}", d["node"] or d["node_id"] or "-")
        console.print(devices)
    if answer.get("routes"):
        routes = Table("rule", "availability", "delivered", "failed", "failing (s)", "stopped (s)")
        for r in answer["routes"]:
            routes.add_row(r["name"] or r["id"], _percent(r["availability"]), str(r["delivered"]), str(r["failed"]),
                           f"{r['failing_seconds']:g}", f"{r['stopped_seconds']:g}")
        console.print(routes)


def register(main: click.Group) -> None:
    from edgesim.scenario.commands import convert, replay, run
    for command in (fleet, chaos, report, run, replay, convert):
        main.add_command(command)
