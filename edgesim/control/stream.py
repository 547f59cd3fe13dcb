"""GET /edgesim/events/stream: the event log live, as server-sent events.

Takes the filters of GET /edgesim/events (kind, deployment_id, instance_id, node_id,
group_id). Each event is sent as ``id: <seq>``, ``event: <kind>``, ``data: <json>``. A client
that reconnects with ``Last-Event-ID`` (or ``?after=<seq>``) first gets what it missed.
"""

from __future__ import annotations

import asyncio
import contextlib

import orjson
from aiohttp import web

from edgesim.api.errors import control_invalid
from edgesim.api.paging import whole_number
from edgesim.api.routing import CONTROL, ENGINE, Query, Route
from edgesim.control.routes import EVENT_FILTER_QUERY, EVENT_FILTERS

KEEPALIVE_SECONDS = 15.0
CHECK_SECONDS = 0.5  # how often a quiet stream checks that its client is still there
QUEUE_LIMIT = 10_000  # a client this far behind is cut off rather than slowing the simulation


def _frame(event: dict) -> bytes:
    return b"id: %d\nevent: %s\ndata: %s\n\n" % (event["seq"], event["kind"].encode(), orjson.dumps(event))


class EventStreams:
    """The open streams, so a shutting-down server can end them instead of waiting for them."""

    def __init__(self) -> None:
        self._queues: set[asyncio.Queue] = set()

    def close_all(self) -> None:
        for queue in list(self._queues):
            queue.put_nowait(None)

    async def serve(self, request: web.Request) -> web.StreamResponse:
        engine = request.app[ENGINE]
        filters = {k: request.query[k] for k in EVENT_FILTERS if k in request.query}
        raw_after = request.headers.get("Last-Event-ID") or request.query.get("after") or "0"
        after = whole_number(raw_after)
        if after is None:
            raise control_invalid(f"after / Last-Event-ID must be an event seq, got {raw_after!r}")

        def wanted(event: dict) -> bool:
            return event["seq"] > after and all(event.get(k) == v for k, v in filters.items())

        queue: asyncio.Queue[dict | None] = asyncio.Queue(QUEUE_LIMIT + 1)

        def listen(event: dict) -> None:
            if not wanted(event):
                return
            if queue.qsize() >= QUEUE_LIMIT:
                queue.put_nowait(None)  # too far behind: hang up
                engine.events.listeners.remove(listen)
            else:
                queue.put_nowait(event)

        response = web.StreamResponse(headers={"Content-Type": "text/event-stream", "Cache-Control": "no-cache"})
        await response.prepare(request)
        try:
            async for batch in engine.events.after(after):  # the backlog, older ones from the store
                for event in batch:
                    if wanted(event):
                        await response.write(_frame(event))
            engine.events.listeners.append(listen)  # no turn since the backlog's end: nothing missed
            self._queues.add(queue)
            quiet = 0.0
            while True:
                try:
                    queued = await asyncio.wait_for(queue.get(), CHECK_SECONDS)
                except TimeoutError:
                    if request.transport is None or request.transport.is_closing():
                        break  # the client went away
                    quiet += CHECK_SECONDS
                    if quiet >= KEEPALIVE_SECONDS:
                        await response.write(b": keep-alive\n\n")
                        quiet = 0.0
                    continue
                if queued is None:
                    break
                await response.write(_frame(queued))
                quiet = 0.0
        except ConnectionResetError:
            pass  # the client went away
        finally:
            self._queues.discard(queue)
            with contextlib.suppress(ValueError):
                engine.events.listeners.remove(listen)
        return response


STREAMS = web.AppKey("event_streams", EventStreams)


async def stream(request: web.Request) -> web.StreamResponse:
    return await request.app[STREAMS].serve(request)


async def hang_up(app: web.Application) -> None:
    """On shutdown, not at cleanup: aiohttp runs cleanup only after it has waited (up to 60 s)
    for open handlers to finish, and a stream never finishes by itself."""
    app[STREAMS].close_all()


ROUTES = (
    Route("GET", "/edgesim/events/stream", stream, "The event log live (server-sent events)", CONTROL,
          query=EVENT_FILTER_QUERY + (Query("after", "integer", minimum=0),), content="text/event-stream", answer="server-sent events, one per event of the log, live"),
)
