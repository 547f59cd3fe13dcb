"""``edgesim serve --init FILE.yaml``: scenario files run on the server before its banner, as
LocalStack's init hooks do: the fleet, the behaviours and the steps (calls, faults,
expectations) of each file in turn, through the same HTTP API a client uses.

Any step that fails (a call answering an unexpected status, an expectation not met, an unknown
``${...}``) stops the start: ``InitFailed`` names the file, the step's line and what happened.
A step's ``at`` counts from the start of its file, and needs a virtual clock to be reached.
"""

from __future__ import annotations

from edgesim.scenario.model import Scenario, ScenarioError
from edgesim.scenario.model import load as load_scenario
from edgesim.scenario.runner import Run
from edgesim.server import Server
from edgesim.settings import Settings


class InitFailed(Exception):
    """``<file>:<line>: <step>: <what happened>``, one line."""


def load_init_files(paths: list[str]) -> list[Scenario]:
    """Every file parsed before the server starts: a broken file stops it before anything runs."""
    try:
        return [load_scenario(path) for path in paths]
    except ScenarioError as exc:
        raise InitFailed(str(exc)) from None


class InitRun(Run):
    """A scenario driven against an already started server, over ``url``."""

    def __init__(self, scenario: Scenario, settings: Settings, server: Server, url: str) -> None:
        super().__init__(scenario, settings)
        self.server = server
        self.url = url
        self.began_at = 0.0

    @property
    def base_url(self) -> str:
        return self.url

    async def _advance_to(self, at: float) -> None:
        await super()._advance_to(self.began_at + at)

    async def run_init(self) -> None:
        self.began_at = self.engine.clock.now()
        try:
            await self.drive()
        except ScenarioError as exc:  # the fleet or the behaviours refused
            raise InitFailed(str(exc)) from None
        failed = next((o for o in self.result.outcomes if not o.passed), None)
        if failed is not None:
            raise InitFailed(f"{self.scenario.path}:{failed.line}: {failed.description}: {failed.message}")


async def run_init_files(scenarios: list[Scenario], settings: Settings, server: Server, url: str) -> None:
    for scenario in scenarios:
        await InitRun(scenario, settings, server, url).run_init()
