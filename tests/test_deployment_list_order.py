"""Deployment lists page through the order the world keeps (oldest first, or newest first
with ``sort=created_at:desc``): every page, in both directions, equals the matching slice of
all the project's deployments sorted by creation, through deletes, a refused create and a
restart."""

from __future__ import annotations

from conftest import Api, start_api, stop_api


async def pages(api: Api, sort: str, limit: int) -> tuple[int, list[str]]:
    names, offset, count = [], 0, 0
    while True:
        reply = await api.get(api.v2("deployments") + f"?limit={limit}&offset={offset}&sort={sort}")
        assert reply.status == 200, reply.body
        count = reply.body["count"]
        got = [d["name"] for d in reply.body["deployments"]]
        if not got:
            return count, names
        names += got
        offset += limit


async def same_order(api: Api, expected: list[str]) -> None:
    assert await pages(api, "created_at:asc", 3) == (len(expected), expected)
    assert await pages(api, "created_at:desc", 4) == (len(expected), expected[::-1])


async def test_pages_follow_creation_order_through_deletes_refusals_and_a_restart(tmp_path):
    api = await start_api(tmp_path / "edgesim.db")
    try:
        names = [f"web-{i}" for i in range(10)]
        ids = {}
        for name in names:
            await api.advance(1)  # distinct creation times, as clients see them
            ids[name] = (await api.create(name)).body["deployment"]["id"]
        await same_order(api, names)
        for gone in ("web-0", "web-5", "web-9"):
            assert (await api.delete(api.v2(f"deployments/{ids[gone]}?force_delete=true"))).status == 204
            names.remove(gone)
        await same_order(api, names)
        taken = await api.create("web-1")  # a name in use: refused, nothing listed
        assert taken.status == 400
        await same_order(api, names)
    finally:
        await stop_api(api)
    again = await start_api(tmp_path / "edgesim.db")
    try:
        await same_order(again, names)  # reloaded in any order, listed in creation order
        await again.advance(1)
        assert (await again.create("web-new")).status == 201
        await same_order(again, [*names, "web-new"])
    finally:
        await stop_api(again)
