"""What ``edgesim run`` writes: the console report, the event log (JSON lines), JUnit XML."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path

import orjson
from rich.console import Console

from edgesim.scenario.runner import ScenarioResult


def _clock(t: float) -> str:
    hours, rest = divmod(t, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{int(hours)}:{int(minutes):02d}:{secs:06.3f}"


def print_report(results: list[ScenarioResult], console: Console) -> None:
    for result in results:
        s = result.scenario
        console.print(f"[bold]{s.name}[/bold]  ({s.path}, seed {s.seed})")
        for o in result.outcomes:
            mark = "[green]PASS[/green]" if o.passed else "[red]FAIL[/red]"
            line = f"  {mark} t={_clock(o.time)}  {o.description}"
            if not o.passed:
                line += f"\n         line {o.line}: {o.message}"
            elif o.message:
                line += f"  [dim]({o.message})[/dim]"
            console.print(line, highlight=False)
        verdict = "[green]ok[/green]" if result.failed == 0 else "[red]FAILED[/red]"
        console.print(
            f"  {verdict}: {result.passed} passed, {result.failed} failed; "
            f"{result.sim_seconds:g} simulated seconds in {result.wall_seconds:.2f} s\n",
            highlight=False,
        )
    passed, failed = sum(r.passed for r in results), sum(r.failed for r in results)
    console.print(f"{len(results)} scenarios: {passed} expectations passed, {failed} failed", highlight=False)


def write_events(results: list[ScenarioResult], path: str) -> None:
    with Path(path).open("wb") as fh:
        for result in results:
            for event in result.events:
                fh.write(orjson.dumps({"scenario": result.scenario.name, **event}) + b"\n")


def write_junit(results: list[ScenarioResult], path: str) -> None:
    suites = ET.Element("testsuites")
    for result in results:
        suite = ET.SubElement(
            suites, "testsuite", name=result.scenario.name, tests=str(len(result.outcomes)),
            failures=str(result.failed), time=f"{result.wall_seconds:.3f}", file=result.scenario.path,
        )
        for o in result.outcomes:
            case = ET.SubElement(suite, "testcase", classname=result.scenario.name,
                                 name=f"t={o.time:g}s line {o.line}: {o.description}")
            if not o.passed:
                ET.SubElement(case, "failure", message=o.message).text = f"{result.scenario.path}:{o.line}: {o.message}"
    ET.ElementTree(suites).write(path, encoding="utf-8", xml_declaration=True)
