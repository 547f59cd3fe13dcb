"""Parse a JSON request body into a pydantic model, or answer the IEF error for its first fault.

The error names the field (``deployment.app.envs[0].name``) and carries the code the IEF
error-code page gives that kind of field; shape errors (bad JSON, wrong type, missing field)
are the generic IEF.100002.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TypeVar

import orjson
from pydantic import BaseModel, ValidationError
from pydantic_core import ErrorDetails

from edgesim.api import unknown_fields
from edgesim.api.errors import IEFError

M = TypeVar("M", bound=BaseModel)

# Which error code a broken rule answers with, by the first field name in its location that
# has its own code; everything else is IEF.100002.
_FIELD_CODES = {
    "envs": "IEF.100013",
    "volumes": "IEF.100009",
    "version": "IEF.100010",
}
_NAME_CODE = "IEF.100012"


def _is_shape_error(error_type: str) -> bool:
    """Missing fields and wrong JSON types are generic (IEF.100002), whatever the field."""
    return error_type == "missing" or error_type.endswith(("_type", "_parsing")) or error_type in (
        "model_attributes_type",
        "int_from_float",
    )


def _code_for(loc: tuple, error_type: str) -> str:
    if _is_shape_error(error_type):
        return "IEF.100002"
    names = [p for p in loc if isinstance(p, str)]
    for name in names:
        if name in _FIELD_CODES:
            return _FIELD_CODES[name]
    if names and names[-1] == "name":
        return _NAME_CODE
    return "IEF.100002"


def field_path(loc: tuple) -> str:
    """('deployment', 'app', 'envs', 0, 'name') -> 'deployment.app.envs[0].name'.

    A part repeating the one before is a union's tag (a distribution's form), not a field: it
    is left out, so ('seconds', 'uniform', 'uniform', 0) names 'seconds.uniform[0]'."""
    path = ""
    for i, part in enumerate(loc):
        if i and part == loc[i - 1]:
            continue
        path += f"[{part}]" if isinstance(part, int) else (f".{part}" if path else str(part))
    return path


def _message(error: ErrorDetails) -> str:
    msg = error["msg"]
    return msg.removeprefix("Value error, ")


def _code_by_path(field: str, error_type: str, field_codes: Mapping[str, str]) -> str:
    """The code of the longest ``field_codes`` path that is ``field`` or contains it."""
    if _is_shape_error(error_type):
        return "IEF.100002"
    best = ""
    for path in field_codes:
        if (field == path or field.startswith((path + ".", path + "["))) and len(path) > len(best):
            best = path
    return field_codes[best] if best else "IEF.100002"


def parse(
    model: type[M], raw: bytes, code: str | None = None, field_codes: Mapping[str, str] | None = None,
    where: str | None = None,
) -> M:
    """Parse a JSON request body into ``model`` or raise the IEF error for its first fault.

    ``code`` replaces the IEF codes (the control routes answer ``CONTROL_INVALID``);
    ``field_codes`` (field path -> code, the rest IEF.100002) replaces the generic rule by field
    name, for bodies whose wrapper is itself a field name with a code (``{"version": ...}``).
    ``where``: the JSON sits in a string field of the body (a batch job's ``task_data``), so
    errors name the fields under it (``job_content.task_data.template...``)."""

    def refuse(error_code: str, message: str) -> IEFError:
        return IEFError(400, code or error_code, message)

    whole = f"invalid {where}: it" if where else "the request body"
    if not raw.strip():
        raise refuse("IEF.100002", f"{whole} is empty; a JSON object is required")
    try:
        data = orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        raise refuse("IEF.100002", f"{whole} is not valid JSON: {exc}") from None
    if not isinstance(data, dict):
        raise refuse("IEF.100002", f"{whole} must be a JSON object")
    try:
        parsed = model.model_validate(data)
    except ValidationError as exc:
        error = exc.errors()[0]
        if field_codes is None:
            field = field_path(error["loc"]) or "body"
            error_code = _code_for(error["loc"], error["type"])
        else:  # these bodies have no unions, and a repeated name is a field ('version.version')
            field = "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in error["loc"]).lstrip(".") or "body"
            error_code = _code_by_path(field, error["type"], field_codes)
        if where:
            field = where if field == "body" else f"{where}.{field}"
        raise refuse(error_code, f"invalid {field}: {_message(error)}") from None
    _note_unknown_fields(parsed, data, refuse, where)
    return parsed


def _note_unknown_fields(parsed: BaseModel, data: dict, refuse, where: str | None = None) -> None:
    """Unknown fields are named in the answer's warnings, or refused in strict mode."""
    record = unknown_fields.current()
    if record is None:
        return
    unknown = [f"{where}.{path}" if where else path for path in unknown_fields.find_unknown(parsed, data)]
    if unknown and record.strict:
        raise refuse("IEF.100002", f"unknown field {unknown[0]} (refused in strict mode; edgesim serve --strict)")
    record.unknown.extend(unknown)

