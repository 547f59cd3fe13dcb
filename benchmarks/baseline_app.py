"""The do-nothing baseline: an aiohttp app that parses the request's JSON and answers a body
of the given size, with the same keep-alive HTTP stack edgesim uses. Its requests/s are the
ceiling edgesim's routes are measured against.

    python -m benchmarks.baseline_app --port 0 --create-size 1500 --get-size 1400 --list-size 140000

It also answers the list route (a body of the list's size) and DELETE (204), for the mix.
"""

from __future__ import annotations

import argparse
import asyncio
import json

import orjson
from aiohttp import web


def build(create_size: int, get_size: int, list_size: int) -> web.Application:
    def body_of(size: int) -> bytes:
        pad = max(0, size - len(b'{"deployment":{"pad":""}}'))
        return json.dumps({"deployment": {"pad": "x" * pad}}, separators=(",", ":")).encode()

    created, got, listed = body_of(create_size), body_of(get_size), body_of(list_size)

    async def create(request: web.Request) -> web.Response:
        orjson.loads(await request.read())  # the same parser edgesim uses (before its validation)
        return web.Response(body=created, status=201, content_type="application/json")

    async def get(request: web.Request) -> web.Response:
        return web.Response(body=got, content_type="application/json")

    async def list_(request: web.Request) -> web.Response:
        return web.Response(body=listed, content_type="application/json")

    async def delete(request: web.Request) -> web.Response:
        return web.Response(status=204)

    app = web.Application()
    app.router.add_get("/v2/{project_id}/edgemgr/deployments", list_)
    app.router.add_delete("/v2/{project_id}/edgemgr/deployments/{deployment_id}", delete)
    app.router.add_post("/v2/{project_id}/edgemgr/deployments", create)
    app.router.add_get("/v2/{project_id}/edgemgr/deployments/{deployment_id}", get)
    return app


async def serve(port: int, create_size: int, get_size: int, list_size: int) -> None:
    runner = web.AppRunner(build(create_size, get_size, list_size), access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", port)
    await site.start()
    print(f"baseline ready at http://127.0.0.1:{runner.addresses[0][1]}", flush=True)
    await asyncio.Event().wait()


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--port", type=int, default=0)
    p.add_argument("--create-size", type=int, required=True)
    p.add_argument("--get-size", type=int, required=True)
    p.add_argument("--list-size", type=int, default=0)
    args = p.parse_args()
    asyncio.run(serve(args.port, args.create_size, args.get_size, args.list_size))


if __name__ == "__main__":
    main()
