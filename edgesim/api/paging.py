"""Query parameters shared by IEF list APIs: limit/offset paging, sort, tag filters."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, TypeVar

from aiohttp import web

from edgesim.api.errors import bad_limit, bad_offset, bad_request

T = TypeVar("T")


def whole_number(raw: str) -> int | None:
    """``raw`` as an integer >= 0 if it is ASCII digits and nothing else, otherwise None.

    Neither ``str.isdigit`` nor ``int`` will do alone: both take other scripts' digits
    (``"٣"`` is read as 3), ``isdigit`` takes superscripts that ``int`` then refuses
    (``"²"``), and ``int`` takes signs, spaces and underscores.
    """
    if raw.isascii() and raw.isdigit():
        return int(raw)
    return None


def page_params(request: web.Request, *, default_limit: int, max_limit: int) -> tuple[int, int]:
    raw_limit = request.query.get("limit")
    raw_offset = request.query.get("offset")
    limit, offset = default_limit, 0
    if raw_limit is not None:
        given = whole_number(raw_limit)
        if given is None or not 1 <= given <= max_limit:
            raise bad_limit(raw_limit, max_limit)
        limit = given
    if raw_offset is not None:
        given = whole_number(raw_offset)
        if given is None:
            raise bad_offset(raw_offset)
        offset = given
    return limit, offset


def sort_descending(request: web.Request) -> bool:
    """``sort=created_at:desc`` (the default) or ``created_at:asc``."""
    raw = request.query.get("sort", "created_at:desc")
    if raw not in ("created_at:desc", "created_at:asc"):
        raise bad_request(f"invalid sort: {raw!r}; use created_at:desc or created_at:asc")
    return raw == "created_at:desc"


def tag_filter(request: web.Request) -> list[tuple[str, str]]:
    """``tags=k1.v1,k2.v2`` -> [(k1, v1), (k2, v2)]; a resource must carry all of them."""
    raw = request.query.get("tags")
    if not raw:
        return []
    pairs = []
    for item in raw.split(","):
        key, dot, value = item.partition(".")
        if not key or not dot:
            raise bad_request(f"invalid tags: {item!r} is not key.value")
        pairs.append((key, value))
    return pairs


def has_tags(tags: list[dict[str, str]], wanted: list[tuple[str, str]]) -> bool:
    if not wanted:
        return True  # no tag filter: every list's usual case, and a set per record is not free
    own = {(t.get("key"), t.get("value")) for t in tags}
    return all(pair in own for pair in wanted)


def paged(
    items: Sequence[T],
    key: Callable[[T], Any],
    descending: bool,
    limit: int,
    offset: int,
    tiebreak: Callable[[T], Any] | None = None,
) -> list[T]:
    """Sort by ``key`` in the asked direction (equal keys by ``tiebreak``, ascending), then page."""
    ordered = sorted(items, key=tiebreak) if tiebreak else list(items)
    ordered.sort(key=key, reverse=descending)  # stable: ties keep the tiebreak order
    return ordered[offset : offset + limit]
