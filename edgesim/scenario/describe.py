"""How a step reads in `edgesim run`'s report and the JUnit/HTML reports: as the user wrote it
in YAML (``expect event kind=node.state to=FAIL, within=300s``), never as a Python dict."""

from __future__ import annotations

import json
from typing import Any

from edgesim.scenario.model import Expectation


def flow(value: Any) -> str:
    """A value in YAML flow style: strings bare (quoted only when blank or spaced), lists in
    brackets, mappings in braces, numbers as written (30, not 30.0)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None:
        return "null"
    if isinstance(value, float):
        return f"{value:g}"
    if isinstance(value, str):
        return value if value.strip() and " " not in value and value == value.strip() else json.dumps(value)
    if isinstance(value, list):
        return "[" + ", ".join(flow(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{k}: {flow(v)}" for k, v in value.items()) + "}"
    return str(value)


def fields(mapping: dict[str, Any]) -> str:
    """``{"kind": "node.state", "to": "FAIL"}`` -> ``kind=node.state to=FAIL``."""
    return " ".join(f"{k}={flow(v)}" for k, v in mapping.items())


SUBJECTS = ("deployment", "node", "event", "device", "rule")  # named first: what is checked


def expectation(e: Expectation) -> str:
    """``event kind=node.state to=FAIL, events=2 within=300s``: the subject first, a mapping's
    fields after its name and a comma after them; times in seconds."""
    given = e.model_dump(exclude_none=True, exclude={"save"})
    ordered = sorted(given.items(), key=lambda item: item[0] not in SUBJECTS)  # stable: the rest as declared
    text = ""
    for name, value in ordered:
        if isinstance(value, dict):
            text += f"{', ' if text else ''}{name} {fields(value)}, " if value else ""
        else:
            shown = f"{value:g}s" if name == "within" else flow(value)
            text += f"{'' if not text or text.endswith(', ') else ' '}{name}={shown}"
    return text.removesuffix(", ")
