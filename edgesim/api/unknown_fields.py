"""Fields a request body carried that no request model knows (a client bug, such as
``migration`` at the ``deployment`` level of a v2 create where it belongs in ``app``).

By default they are ignored, as the real service ignores them, but every answer to such a
request names them in ``X-Edgesim-Warning`` headers (a bounded number: ``warn``); in strict mode (``--strict``) the request
is refused with 400 naming the first one. Found once, here, for every body that
``validation.parse`` reads: by walking the parsed model beside the JSON it came from.
"""

from __future__ import annotations

import functools
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar, Token
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web
from pydantic import BaseModel

WARNING_HEADER = "X-Edgesim-Warning"
# Bounds on what the warnings add to an answer: a body with hundreds of unknown keys, or one
# very long key, must not make an answer that HTTP clients refuse (Python's http.client reads
# at most 100 headers; aiohttp's client refuses a header line over 8,190 bytes).
MAX_WARNINGS = 20  # headers naming a field; one more says how many were left out
MAX_NAME = 200  # characters of a field's path, escaped, before it is cut


@dataclass
class RequestFields:
    """What one request's bodies carried that nothing reads, and whether to refuse them."""

    strict: bool = False
    unknown: list[str] = field(default_factory=list)


_CURRENT: ContextVar[RequestFields | None] = ContextVar("edgesim_request_fields", default=None)


def current() -> RequestFields | None:
    """The request being handled (None outside a request, e.g. the scenario loader)."""
    return _CURRENT.get()


def middleware(strict: bool):
    """Gives each request its record and adds the warnings to its answer, errors included."""

    @web.middleware
    async def unknown_field_warnings(request: web.Request, handler) -> web.StreamResponse:
        with recording(strict) as record:
            response = await handler(request)
        warn(response, record)
        return response

    return unknown_field_warnings


def enter(record: RequestFields) -> Token[RequestFields | None]:
    """Make ``record`` the current request's (``recording`` without a context manager, for
    the per-request path); ``leave`` with the token ends it."""
    return _CURRENT.set(record)


def leave(token: Token[RequestFields | None]) -> None:
    _CURRENT.reset(token)


@contextmanager
def recording(strict: bool) -> Iterator[RequestFields]:
    """The record of the request handled within the block (``current()`` there)."""
    record = RequestFields(strict=strict)
    token = _CURRENT.set(record)
    try:
        yield record
    finally:
        _CURRENT.reset(token)


def warn(response: web.StreamResponse, record: RequestFields) -> None:
    """Name the request's unknown fields in its answer's headers (the first ``MAX_WARNINGS``;
    a last header counts the rest)."""
    for name in record.unknown[:MAX_WARNINGS]:
        shown = header_safe(name)
        if len(shown) > MAX_NAME:
            shown = f"{shown[:MAX_NAME]}... ({len(shown) - MAX_NAME} more characters)"
        response.headers.add(WARNING_HEADER, f"unknown field {shown}")
    left_out = len(record.unknown) - MAX_WARNINGS
    if left_out > 0:
        response.headers.add(WARNING_HEADER, f"{left_out} more unknown fields not named")


@functools.cache
def _fields_by_key(model: type[BaseModel]) -> dict[str, str]:
    """Every key a model accepts (field name or alias) -> the field's name; the first field
    claiming a key keeps it. Once per model class: walking each body's keys costs a lookup."""
    keys: dict[str, str] = {}
    for name, info in model.model_fields.items():
        for key in (name, info.alias, info.validation_alias):
            if isinstance(key, str):
                keys.setdefault(key, name)
    return keys


def find_unknown(parsed: Any, data: Any, path: str = "") -> Iterator[str]:
    """The paths (``deployment.migration``, ``app.envs[0].x``) of keys in ``data`` that the
    parsed value's models do not declare, outermost first."""
    if isinstance(parsed, BaseModel) and isinstance(data, dict):
        if type(parsed).model_config.get("extra") != "ignore":
            return  # a model that keeps or refuses extras itself
        accepted = _fields_by_key(type(parsed))
        for key, value in data.items():
            where = f"{path}.{key}" if path else str(key)
            name = accepted.get(key)
            if name is None:
                yield where
            elif isinstance(value, (dict, list)):  # a scalar holds no keys
                yield from find_unknown(getattr(parsed, name), value, where)
    elif isinstance(parsed, (list, tuple)) and isinstance(data, list):
        for i, (item, raw) in enumerate(zip(parsed, data, strict=False)):
            yield from find_unknown(item, raw, f"{path}[{i}]")
    elif isinstance(parsed, dict) and isinstance(data, dict):
        for key, value in data.items():
            if key in parsed:
                yield from find_unknown(parsed[key], value, f"{path}.{key}" if path else str(key))


def header_safe(name: str) -> str:
    """A client's field name as a header value: a name may hold any character, but a header
    may not hold control or non-ASCII ones (aiohttp refuses to send them and drops the
    connection), so those are written as escapes (``\\n``, ``\\u00e9``)."""
    return "".join(c if " " <= c <= "~" else c.encode("unicode_escape").decode("ascii") for c in name)
