"""``${name}`` substitution and dotted paths into JSON answers, for scenario steps."""

from __future__ import annotations

import re
from typing import Any

REFERENCE = re.compile(r"\$\{([^}]+)\}")
PART = re.compile(r"([^.\[\]]+)|\[(\d+)\]")


class UnknownReference(LookupError):
    """A reference or path that leads nowhere; the message names it."""


def lookup(root: Any, path: str) -> Any:
    """``deployment.instances[0].node_id`` in a JSON-like value."""
    value = root
    for name, index in PART.findall(path):
        try:
            value = value[int(index)] if index else value[name]
        except (KeyError, IndexError, TypeError):
            raise UnknownReference(f"{path!r} leads nowhere (no {name or '[' + index + ']'})") from None
    return value


def substitute(value: Any, names: dict[str, Any]) -> Any:
    """Replace ``${ref}`` in strings (recursively); a string that is one whole reference takes
    the referred value as it is (a list stays a list)."""
    if isinstance(value, dict):
        return {k: substitute(v, names) for k, v in value.items()}
    if isinstance(value, list):
        return [substitute(v, names) for v in value]
    if not isinstance(value, str) or "${" not in value:
        return value
    whole = REFERENCE.fullmatch(value)
    if whole:
        return lookup(names, whole.group(1).strip())
    return REFERENCE.sub(lambda m: str(lookup(names, m.group(1).strip())), value)
