"""The dashboard and the live timeline under /edgesim/:

    GET /edgesim/ui, /edgesim/ui/{file}   the dashboard's static page, scripts and styles
    GET /edgesim/report.html?from=&to=     the experiment's timeline as one HTML page

The assets ship inside the package (edgesim/ui/static) and are read once, on first use: no
build step, nothing fetched from elsewhere. They hold no data, so the admin guard lets them
through; every call the page makes for data carries the token.
"""

from __future__ import annotations

import asyncio
import functools
from importlib import resources

from aiohttp import web

from edgesim.api.errors import control_not_found
from edgesim.api.routing import CONTROL, ENGINE, Route
from edgesim.control.chaos import REPORT_WINDOW, report_window
from edgesim.ui.timeline import render_page

TYPES = {".html": "text/html", ".js": "text/javascript", ".css": "text/css", ".svg": "image/svg+xml"}


@functools.cache
def _assets() -> dict[str, tuple[bytes, str]]:
    folder = resources.files("edgesim.ui") / "static"
    return {
        f.name: (f.read_bytes(), TYPES[suffix])
        for f in folder.iterdir()
        if f.is_file() and (suffix := "." + f.name.rpartition(".")[2]) in TYPES
    }


def _serve(name: str) -> web.Response:
    assets = _assets()
    if name not in assets:  # a fixed set of names: no path ever reaches the file system
        raise control_not_found(f"no dashboard file {name!r}")
    body, content_type = assets[name]
    # no-cache: an upgraded edgesim must not run yesterday's script against today's API
    return web.Response(body=body, content_type=content_type, headers={"Cache-Control": "no-cache"})


async def index(request: web.Request) -> web.Response:
    return _serve("index.html")


async def asset(request: web.Request) -> web.Response:
    return _serve(request.match_info["name"])


async def timeline(request: web.Request) -> web.Response:
    engine = request.app[ENGINE]
    start, end, _ = report_window(request, engine)
    events = [e async for batch in engine.events.after(0) for e in batch if e["time"] <= end]
    # Drawing a long log takes seconds: a worker thread does it, so the loop keeps serving.
    html = await asyncio.to_thread(
        render_page, events, title="edgesim experiment timeline", start=start, end=end,
        node_names={n.id: n.name for n in engine.world.nodes.values()},
    )
    return web.Response(text=html, content_type="text/html")


ROUTES = (
    Route("GET", "/edgesim/ui", index, "The dashboard", CONTROL, content="text/html", answer="the dashboard page"),
    Route("GET", "/edgesim/ui/", index, "The dashboard", CONTROL, content="text/html", answer="the dashboard page"),
    Route("GET", "/edgesim/ui/{name}", asset, "A dashboard asset", CONTROL, content="*/*", answer="the asset (script, style sheet, image)"),
    Route("GET", "/edgesim/report.html", timeline, "The experiment timeline page", CONTROL,
          query=REPORT_WINDOW, content="text/html", answer="the experiment timeline as one HTML page"),
)
