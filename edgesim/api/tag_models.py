"""Tag request bodies (contract ief-api-more.md 3.2-3.3): their rules and IEF codes.

Checked by hand rather than with pydantic because each rule has its own IEF code (a bad key
IEF.100016, a bad value IEF.100017, a bad limit IEF.100005, ...) and names the field at fault.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

import orjson

from edgesim.api.errors import IEFError, bad_limit, bad_offset, bad_request

KEY_MAX, VALUE_MAX = 36, 43
_CHARSET = re.compile(r"[A-Za-z0-9_-]*")  # letters, digits, - and _ (TS: 中, spaces, *<>\=/|,$&% refused)
QUERY_LISTS = ("tags", "tags_any", "not_tags", "not_tags_any")
MAX_QUERY_KEYS, MAX_QUERY_VALUES = 20, 10
SORT_KEYS = ("resource_name", "created_at")


def bad_key(where: str, why: str) -> IEFError:
    return IEFError(400, "IEF.100016", f"invalid tag key {where}: {why}")


def bad_value(where: str, why: str) -> IEFError:
    return IEFError(400, "IEF.100017", f"invalid tag value {where}: {why}")


def body_object(raw: bytes) -> dict[str, Any]:
    if not raw.strip():
        raise bad_request("the request body is empty; a JSON object is required")
    try:
        data = orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        raise bad_request(f"the request body is not valid JSON: {exc}") from None
    if not isinstance(data, dict):
        raise bad_request("the request body must be a JSON object")
    return data


def only(data: dict[str, Any], allowed: tuple[str, ...], where: str = "body") -> None:
    unknown = sorted(set(data) - set(allowed))
    if unknown:
        raise bad_request(f"{where}: unknown field(s) {', '.join(unknown)}; allowed: {', '.join(allowed)}")


def tag_key(value: object, where: str) -> str:
    if not isinstance(value, str):
        raise bad_key(where, "a string of 1 to 36 characters is required")
    key = value.strip()  # leading and trailing spaces are trimmed before the check (TS)
    if not 1 <= len(key) <= KEY_MAX:
        raise bad_key(where, f"{len(key)} characters; 1 to {KEY_MAX} allowed")
    if not _CHARSET.fullmatch(key):
        raise bad_key(where, "only letters, digits, '-' and '_' allowed")
    return key


def tag_value(value: object, where: str) -> str:
    if not isinstance(value, str):
        raise bad_value(where, "a string of 0 to 43 characters is required")
    text = value.strip()
    if len(text) > VALUE_MAX:
        raise bad_value(where, f"{len(text)} characters; at most {VALUE_MAX} allowed")
    if not _CHARSET.fullmatch(text):
        raise bad_value(where, "only letters, digits, '-' and '_' allowed")
    return text


def _object(value: object, where: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise bad_request(f"{where}: a JSON object is required")
    return value


def create_tag_body(raw: bytes) -> tuple[str, str]:
    """``{"tag": {"key", "value"}}``; ``value`` is required and may be ``""``."""
    data = body_object(raw)
    only(data, ("tag",))
    if "tag" not in data:
        raise bad_request("tag: is required")
    tag = _object(data["tag"], "tag")
    only(tag, ("key", "value"), "tag")
    if "value" not in tag:
        raise bad_value("tag.value", "is required (it may be \"\")")
    return tag_key(tag.get("key"), "tag.key"), tag_value(tag["value"], "tag.value")


def batch_body(raw: bytes) -> tuple[str, list[tuple[str, str | None]]]:
    """``{"action": "create"|"delete", "tags": [{key, value?}]}``: the action and its tags."""
    data = body_object(raw)
    only(data, ("action", "tags"))
    action = data.get("action")
    if action not in ("create", "delete"):
        raise bad_request(f"action: {action!r} is not one of create, delete")
    tags = data.get("tags")
    if not isinstance(tags, list):
        raise bad_request("tags: a list is required")
    parsed: list[tuple[str, str | None]] = []
    for i, item in enumerate(tags):
        where = f"tags[{i}]"
        tag = _object(item, where)
        only(tag, ("key", "value"), where)
        if action == "create":
            if "value" not in tag:
                raise bad_value(f"{where}.value", "is required to create a tag (it may be \"\")")
            parsed.append((tag_key(tag.get("key"), f"{where}.key"), tag_value(tag["value"], f"{where}.value")))
        else:  # delete: no charset rule, only a non-empty key and an optional string value
            key, value = tag.get("key"), tag.get("value")
            if not isinstance(key, str) or not key.strip():
                raise bad_key(f"{where}.key", "a non-empty string is required")
            if value is not None and not isinstance(value, str):
                raise bad_value(f"{where}.value", "a string is required when given")
            parsed.append((key.strip(), value.strip() if value is not None else None))
    keys = [k for k, _ in parsed]
    duplicates = sorted({k for k in keys if keys.count(k) > 1})
    if duplicates:
        raise bad_request(f"tags: duplicate key(s) {', '.join(duplicates)}")
    return action, parsed


@dataclass
class TagQuery:
    """The body of list_resource_by_tags (contract 3.3)."""

    action: str
    lists: dict[str, list[tuple[str, list[str]]]] = field(default_factory=dict)  # name -> [(key, values)]
    name_matches: list[str] = field(default_factory=list)  # resource_name substrings
    limit: int = 1000
    offset: int = 0
    sort_key: str = "created_at"
    reverse: bool = False


def _query_list(value: object, name: str) -> list[tuple[str, list[str]]]:
    if not isinstance(value, list):
        raise bad_request(f"{name}: a list is required")
    if len(value) > MAX_QUERY_KEYS:
        raise bad_request(f"{name}: {len(value)} keys; at most {MAX_QUERY_KEYS} allowed")
    parsed: list[tuple[str, list[str]]] = []
    for i, item in enumerate(value):
        where = f"{name}[{i}]"
        tag = _object(item, where)
        only(tag, ("key", "values"), where)
        key = tag_key(tag.get("key"), f"{where}.key")
        values = tag.get("values")
        if not isinstance(values, list):
            raise bad_request(f"{where}.values: a list is required")
        if len(values) > MAX_QUERY_VALUES:
            raise bad_request(f"{where}.values: {len(values)} values; at most {MAX_QUERY_VALUES} allowed")
        texts = [tag_value(v, f"{where}.values[{j}]") for j, v in enumerate(values)]
        if len(set(texts)) != len(texts):
            raise bad_request(f"{where}.values: duplicate values")
        if any(key == k for k, _ in parsed):
            raise bad_request(f"{where}.key: duplicate key {key}")
        parsed.append((key, texts))
    return parsed


def _digits(value: object, name: str, lowest: int, highest: int | None) -> int:
    """``limit``/``offset`` are strings of digits (SDK ``str``); a JSON integer is taken too."""
    text = str(value) if isinstance(value, int) and not isinstance(value, bool) else value
    if not isinstance(text, str) or not text.isdigit() or not text.isascii():
        raise _paging_error(name, value, highest)
    number = int(text)
    if number < lowest or (highest is not None and number > highest):
        raise _paging_error(name, value, highest)
    return number


def _paging_error(name: str, value: object, highest: int | None) -> IEFError:
    return bad_limit(str(value), highest or 1000) if name == "limit" else bad_offset(str(value))


def tag_query_body(raw: bytes) -> TagQuery:
    data = body_object(raw)
    only(data, ("action", "tags", "tags_any", "not_tags", "not_tags_any", "matches", "limit", "offset", "sorted", "console"))
    action = data.get("action")
    if action not in ("filter", "count"):
        raise bad_request(f"action: {action!r} is not one of filter, count")
    query = TagQuery(action=action)
    for name in QUERY_LISTS:
        if data.get(name) is not None:
            query.lists[name] = _query_list(data[name], name)
    matches = data.get("matches")
    if matches is not None:
        if not isinstance(matches, list):
            raise bad_request("matches: a list is required")
        for i, item in enumerate(matches):
            where = f"matches[{i}]"
            match = _object(item, where)
            only(match, ("key", "value"), where)
            if match.get("key") != "resource_name":
                raise bad_request(f"{where}.key: {match.get('key')!r}; only resource_name is supported")
            if not isinstance(match.get("value"), str):
                raise bad_request(f"{where}.value: a string is required")
            query.name_matches.append(match["value"])
    if data.get("limit") is not None:
        query.limit = _digits(data["limit"], "limit", 1, 1000)
    if data.get("offset") is not None:
        query.offset = _digits(data["offset"], "offset", 0, None)
    if data.get("sorted") is not None:
        order = _object(data["sorted"], "sorted")
        only(order, ("key", "reverse"), "sorted")
        if order.get("key") not in SORT_KEYS:
            raise bad_request(f"sorted.key: {order.get('key')!r} is not one of {', '.join(SORT_KEYS)}")
        if not isinstance(order.get("reverse", False), bool):
            raise bad_request("sorted.reverse: a boolean is required")
        query.sort_key, query.reverse = order["key"], order.get("reverse", False)
    if data.get("console") is not None and not isinstance(data["console"], bool):
        raise bad_request("console: a boolean is required")
    return query
