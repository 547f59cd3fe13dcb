"""pytest plugin: an ``edgesim`` fixture that runs a simulator for one test.

The server runs on 127.0.0.1 with a free port, a virtual clock and a fresh in-memory store, in
a background thread with its own event loop, so synchronous and asyncio tests use it alike.
Its public face (kept stable):

    edgesim.url, .project_id, .token, .ak, .sk
    edgesim.advance(seconds)                 move the virtual clock; returns the new time
    edgesim.wait_for(condition, within=60)   advance in steps until condition() is truthy; the
                                             failure says the time and the world's state
    edgesim.inject(fault) -> fault id        a chaos fault (the POST /edgesim/chaos/faults body)
    edgesim.events(**filters) -> [event]     the event log (kind=, deployment_id=, since=, ...);
                                             an unknown filter is a TypeError
    edgesim.create_fleet(nodes, groups=...)  many RUNNING nodes and groups of them
    edgesim.create_group(name, node_ids= | nodes=)  an IEF edge group
    edgesim.reset()                          a fresh world (same url)

It is ``edgesim.run_server``'s simulation (``edgesim/inprocess.py``), failing the test where
that raises. In an asyncio test the helpers are plain blocking calls to the server's own thread.

Choose the seed and the fleet size per test with ``@pytest.mark.edgesim(seed=7, nodes=20)``
or for the run with ``--edgesim-seed`` / ``--edgesim-nodes``.
"""

from __future__ import annotations

import pytest

from edgesim.inprocess import EdgesimError, Simulation, start_server

__all__ = ["Edgesim", "EdgesimError"]


class Edgesim(Simulation):
    """``edgesim.run_server``'s simulation; a wait that runs out of time fails the test
    (``pytest.fail``) instead of raising."""

    def _fail(self, message: str) -> None:
        pytest.fail(message)


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("edgesim")
    group.addoption("--edgesim-seed", type=int, default=0, help="seed of the edgesim fixture (default 0)")
    group.addoption("--edgesim-nodes", type=int, default=None, help="fleet size of the edgesim fixture (default: the config's)")


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "edgesim(seed=None, nodes=None): seed and fleet size of the edgesim fixture")


@pytest.fixture
def edgesim(request: pytest.FixtureRequest):
    """A running edgesim on a virtual clock with a fresh in-memory store."""
    mark = request.node.get_closest_marker("edgesim")
    options = mark.kwargs if mark else {}
    seed = options.get("seed", request.config.getoption("--edgesim-seed"))
    nodes = options.get("nodes", request.config.getoption("--edgesim-nodes"))
    sim = start_server(seed, nodes, factory=Edgesim)
    try:
        yield sim
    finally:
        sim.close()
