"""``edgesim run``: run scenario files on the virtual clock and report."""

from __future__ import annotations

import asyncio
import html
import sys
from pathlib import Path
from typing import TYPE_CHECKING

import click
from rich.console import Console

from edgesim.scenario.model import ScenarioError, load
from edgesim.scenario.output import print_report, write_events, write_junit
from edgesim.scenario.runner import run_scenario
from edgesim.settings import ConfigError, load_settings

if TYPE_CHECKING:
    from edgesim.scenario.replay import Progress


class BadInput(click.ClickException):
    """A scenario, recording or config file that cannot be used: ``Error: file:line: ...``,
    exit status 2 (1 is kept for expectations that fail and replays that differ)."""

    exit_code = 2


@click.command()
@click.argument("files", nargs=-1, required=True, type=click.Path(dir_okay=False))
@click.option("--events", "events_path", default=None, help="Write the event log here (JSON lines).")
@click.option("--junit", "junit_path", default=None, help="Write a JUnit XML report here.")
@click.option("--html", "html_path", default=None, help="Write the timelines as one HTML page here.")
@click.option("--config", "config_dir", default=None, type=click.Path(file_okay=False), help="Config directory.")
def run(files, events_path, junit_path, html_path, config_dir) -> None:
    """Run scenario files on a virtual clock; exit 1 if any expectation fails, 2 on a bad file."""
    try:
        settings = load_settings(config_dir)
        scenarios = [load(f) for f in files]
        results = [asyncio.run(run_scenario(s, settings)) for s in scenarios]
    except (ScenarioError, ConfigError) as exc:
        raise BadInput(str(exc)) from None
    print_report(results, Console(highlight=False, soft_wrap=True))
    if events_path:
        write_events(results, events_path)
    if junit_path:
        write_junit(results, junit_path)
    if html_path:
        write_html(results, html_path)
    if any(r.failed for r in results):
        sys.exit(1)


def write_html(results, path: str) -> None:
    from edgesim.ui.timeline import render_page  # the dashboard's renderer

    pages = []
    for r in results:
        expectations = [{"time": o.time, "description": o.description, "passed": o.passed} for o in r.outcomes]
        pages.append(render_page(r.events, title=r.scenario.name, expectations=expectations, start=0.0,
                                 end=r.sim_seconds, node_names=r.node_names))
    with open(path, "w", encoding="utf-8") as fh:
        fh.write(pages[0] if len(pages) == 1 else _bundle([r.scenario.name for r in results], pages))


def _bundle(titles: list[str], pages: list[str]) -> str:
    """Several timeline pages in one self-contained file: each in its own inline frame."""
    frames = "\n".join(
        f"<h2>{html.escape(title)}</h2>\n<iframe srcdoc=\"{html.escape(page, quote=True)}\"></iframe>"
        for title, page in zip(titles, pages, strict=True)
    )
    return (
        "<!doctype html>\n<html><head><meta charset=\"utf-8\"><title>edgesim scenarios</title>"
        "<style>body{font-family:sans-serif;margin:1em}iframe{width:100%;height:80vh;border:1px solid #ccc}</style>"
        f"</head><body><h1>edgesim scenarios</h1>\n{frames}\n</body></html>\n"
    )


class ProgressLine:
    """A real-clock replay takes the recording's time over the scale: say where it is on stderr,
    one line at a time (on a terminal the line is rewritten in place)."""

    def __init__(self) -> None:
        self.terminal = sys.stderr.isatty()
        self.shown = False

    def __call__(self, at: Progress) -> None:
        share = at.now / at.end * 100 if at.end else 100.0
        text = f"replay: t={at.now:.0f}/{at.end:g} s ({share:.0f}%), {at.steps}/{at.total_steps} steps"
        click.echo(f"\r{text}" if self.terminal else text, err=True, nl=not self.terminal)
        self.shown = True

    def done(self) -> None:
        if self.shown and self.terminal:
            click.echo("", err=True)


@click.command()
@click.argument("recording", type=click.Path(dir_okay=False))
@click.option("--time-scale", default=None, type=click.FloatRange(min=0, min_open=True),
              help="Replay on a real clock this many times faster (default: a virtual clock).")
@click.option("--config", "config_dir", default=None, type=click.Path(file_okay=False), help="Config directory.")
def replay(recording, time_scale, config_dir) -> None:
    """Replay a recording (edgesim serve --record) and check the event log matches."""
    from edgesim.scenario.replay import read
    from edgesim.scenario.replay import replay as play

    try:
        settings = load_settings(config_dir)
        recorded = read(recording)
    except (ScenarioError, ConfigError) as exc:
        raise BadInput(str(exc)) from None
    if not recorded.header.get("fresh_store", True):
        click.echo("note: the recording started on a store that was not empty; the replay starts empty", err=True)
    progress = ProgressLine() if time_scale else None  # a virtual clock replays at once
    try:
        result = asyncio.run(play(recorded, settings, time_scale, progress=progress))
    finally:
        if progress is not None:
            progress.done()
    for line in result.status_mismatches:
        click.echo(f"status differs: {line}")
    if result.first_difference:
        click.echo(f"event logs differ: {result.first_difference}")
        click.echo(f"largest drift {result.max_drift:.3f} s")
        sys.exit(1)
    if result.status_mismatches:
        sys.exit(1)
    calls = sum(1 for step in recorded.steps if "call" in step)  # the rest are clock advances
    click.echo(f"replay matches: {result.compared} events identical, {calls} calls, "
               f"{recorded.end:g} simulated seconds, largest drift {result.max_drift:.3f} s")


@click.command()
@click.argument("recording", type=click.Path(dir_okay=False))
@click.option("-o", "--output", required=True, help="The scenario file to write.")
@click.option("--name", default=None, help="The scenario's name (default: the recording's file name).")
def convert(recording, output, name) -> None:
    """Turn a recording into a scenario file."""
    from edgesim.scenario.replay import read, to_scenario

    try:
        text = to_scenario(read(recording), name or Path(recording).stem)
    except ScenarioError as exc:
        raise BadInput(str(exc)) from None
    Path(output).write_text(text)
    click.echo(f"wrote {output}")
