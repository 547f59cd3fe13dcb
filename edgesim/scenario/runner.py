"""Run scenarios on a virtual clock: a fresh in-process edgesim per scenario, driven over HTTP
like any client, every expectation checked at its simulated time."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

import aiohttp
import orjson

from edgesim.api.serializers import node as node_json
from edgesim.api.serializers import v2_deployment
from edgesim.domain.states import InstanceState
from edgesim.engine.engine import Engine
from edgesim.scenario import describe, device_steps
from edgesim.scenario.model import Expectation, Scenario, ScenarioError, Step
from edgesim.scenario.values import UnknownReference, lookup, substitute
from edgesim.server import Server, ServerOptions
from edgesim.settings import Settings, load_settings

POLL_SECONDS = 1.0  # how far the clock moves between two looks at a "within" expectation


@dataclass
class Outcome:
    """One checked thing: an expectation, or a step that could not be carried out."""

    line: int
    time: float
    description: str
    passed: bool
    message: str = ""


@dataclass
class ScenarioResult:
    scenario: Scenario
    outcomes: list[Outcome] = field(default_factory=list)
    events: list[dict[str, Any]] = field(default_factory=list)
    node_names: dict[str, str] = field(default_factory=dict)  # for pictures of the run
    sim_seconds: float = 0.0
    wall_seconds: float = 0.0

    @property
    def passed(self) -> int:
        return sum(o.passed for o in self.outcomes)

    @property
    def failed(self) -> int:
        return sum(not o.passed for o in self.outcomes)


class StepFailed(Exception):
    pass


class Run:
    """One scenario's run against its own server."""

    def __init__(self, scenario: Scenario, settings: Settings) -> None:
        self.scenario = scenario
        self.settings = settings
        self.saved: dict[str, Any] = {}
        self.result = ScenarioResult(scenario)
        options = ServerOptions(host="127.0.0.1", port=0, db=":memory:", clock="virtual", seed=scenario.seed)
        self.server = Server(settings, options)
        self.session: aiohttp.ClientSession | None = None  # opened by run, inside the event loop

    # --- the run ----------------------------------------------------------------------------------

    async def run(self) -> ScenarioResult:
        began = time.perf_counter()
        await self.server.start()
        try:
            await self.drive()
        finally:
            engine = self.server.engine
            self.result.events = (await engine.events.find())[1]
            self.result.node_names = {n.id: n.name for n in engine.world.nodes.values()}
            self.result.sim_seconds = engine.clock.now()
            await self.server.stop()
        self.result.wall_seconds = time.perf_counter() - began
        return self.result

    async def drive(self) -> None:
        """The scenario's set-up and steps, over HTTP to ``base_url``, on a started server."""
        account = self.settings.account(self.settings.fleet.project_id) or self.settings.accounts[0]
        self.project_id = account.project_id
        self.headers = {"Content-Type": "application/json", "X-Auth-Token": account.tokens[0] if account.tokens else ""}
        if self.settings.admin.token:
            self.headers["X-Admin-Token"] = self.settings.admin.token
        self.session = aiohttp.ClientSession()
        try:
            if self.scenario.behaviors is not None:
                await self._set_up("behaviors", "PUT", "/edgesim/behaviors", 200)
            if self.scenario.device_behaviors is not None:
                await self._set_up("device_behaviors", "PUT", "/edgesim/device-behaviors", 200)
            if self.scenario.fleet is not None:
                await self._set_up("fleet", "POST", "/edgesim/fleet", 201)
            for step in self.scenario.steps:
                assert step.at is not None  # parsing gives every step its time
                await self._advance_to(step.at)
                try:
                    await self._step(step)
                except (StepFailed, UnknownReference) as exc:
                    self._outcome(step, self._describe(step), False, str(exc))
        finally:
            await self.session.close()

    @property
    def base_url(self) -> str:
        return self.server.url

    @property
    def engine(self) -> Engine:
        return self.server.engine

    def names(self) -> dict[str, Any]:
        """What ``${...}`` can refer to: built-ins, then saved values."""
        world = self.engine.world
        nodes = sorted(world.nodes.values(), key=lambda n: n.name)
        groups = {g.name: g for g in world.groups.values()}
        by_name = {n.id: n.name for n in nodes}
        return {
            "project_id": self.project_id,
            "nodes": [n.id for n in nodes],
            "node_ids": {n.name: n.id for n in nodes},
            "groups": {name: g.id for name, g in groups.items()},
            "group_nodes": {name: sorted(g.node_ids, key=lambda i: by_name.get(i, i)) for name, g in groups.items()},
            **self.saved,
        }

    async def _set_up(self, field: str, method: str, path: str, ok: int) -> None:
        """Send the file's fleet or behaviors; one the server refuses is an error in the file
        (a project that is not configured, say), not a failed step."""
        try:
            await self._http(method, path, getattr(self.scenario, field), (ok,), line=1)
        except StepFailed as exc:
            where = f"{self.scenario.path}:{self.scenario.setup_lines.get(field, 1)}"
            raise ScenarioError(f"{where}: {field}: {exc}") from None

    async def _advance_to(self, at: float) -> None:
        delta = at - self.engine.clock.now()
        if delta > 0:
            await self._http("POST", "/edgesim/clock/advance", {"seconds": delta}, (200,), line=0)

    async def _http(self, method: str, path: str, body: Any, ok: tuple[int, ...] | None, line: int,
                    headers: dict[str, str] | None = None) -> tuple[int, Any]:
        data = None if body is None else orjson.dumps(body)
        assert self.session is not None  # steps run inside run(), which opened it
        async with self.session.request(method, self.base_url + path, data=data, headers={**self.headers, **(headers or {})}) as resp:
            raw = await resp.read()
            answer = orjson.loads(raw) if raw and resp.content_type == "application/json" else None
            status = resp.status
        if ok is not None and status not in ok:
            raise StepFailed(f"{method} {path} answered {status}: {answer}")
        if ok is None and not 200 <= status < 300:
            raise StepFailed(f"{method} {path} answered {status}: {answer}")
        return status, answer

    def _outcome(self, step: Step, description: str, passed: bool, message: str = "") -> None:
        self.result.outcomes.append(Outcome(step.line, self.engine.clock.now(), description, passed, message))

    # --- steps ----------------------------------------------------------------------------------

    async def _step(self, step: Step) -> None:
        names = self.names()
        if step.call is not None:
            method, _, path = substitute(step.call, names).partition(" ")
            ok = None if step.status is None else tuple(step.status if isinstance(step.status, list) else [step.status])
            _, answer = await self._http(method, path, substitute(step.body, names), ok, step.line,
                                         substitute(step.headers, names))
            self._save(step.save, answer)
        elif step.fault is not None:
            _, answer = await self._http("POST", "/edgesim/chaos/faults", substitute(step.fault, names), (201,), step.line)
            self._save(step.save, answer)
        elif any(action is not None for action in step.device_actions()):
            await self._device_step(step, names)
        else:
            assert step.expect is not None  # a step is exactly one of call, fault or expect
            await self._expect(step, step.expect)

    async def _device_step(self, step: Step, names: dict[str, Any]) -> None:
        """A device template, a device (bound to its node) or twin desired values, made by the
        IEF calls of ``device_steps``; any answer but 2xx is a failed step."""
        async def http(method: str, path: str, body: Any) -> Any:
            return (await self._http(method, path, body, None, step.line))[1]

        for action, make in ((step.device_template, device_steps.make_template), (step.device, device_steps.make_device),
                             (step.twin, device_steps.set_twin)):
            if action is not None:
                answer = await make(http, self.project_id, substitute(action.model_dump(), names))
                self._save(step.save, answer)

    def _save(self, paths: dict[str, str], answer: Any) -> None:
        for name, path in paths.items():
            self.saved[name] = lookup(answer, path)

    async def _expect(self, step: Step, expect: Expectation) -> None:
        deadline = self.engine.clock.now() + (expect.within or 0.0)
        while True:
            passed, message, subject = await self._check(expect)
            if passed or self.engine.clock.now() >= deadline:
                break
            await self._advance_to(min(deadline, self.engine.clock.now() + POLL_SECONDS))
        if passed and subject is not None:
            self._save(expect.save, subject)
        self._outcome(step, self._describe(step), passed, message)

    async def _check(self, expect: Expectation) -> tuple[bool, str, Any]:
        names = self.names()
        world = self.engine.world
        if expect.event is not None:
            wanted = substitute(expect.event, names)
            found = await self._count_events(wanted)
            if expect.events is not None:
                return found == expect.events, _such_events(found), None
            return bool(found), _such_events(found) if found else "no such event yet", None
        if expect.device is not None:
            return device_steps.check_device(self.engine, substitute(expect.device, names), expect.state,
                                             expect.reported, expect.tolerance or 0.0)
        if expect.rule is not None:
            return device_steps.check_rule(self.engine, substitute(expect.rule, names), expect.delivered, expect.failed)
        if expect.deployment is not None:
            dep_id = substitute(expect.deployment, names)
            dep = world.deployments.get(dep_id)
            if dep is None:
                return False, f"deployment {dep_id} does not exist", None
            live = [i for i in world.instances_of(dep) if i.state != InstanceState.TERMINATING and i.replaced_by is None]
            seen = ", ".join(f"{i.state}{f' ({i.reason})' if i.reason else ''} on {self._node_name(i.node_id)}" for i in live) or "none"
            subject = v2_deployment(self.engine, dep)
            matching = [i for i in live if expect.state is None or i.state == expect.state]
            if expect.node is not None:
                node_id = substitute(expect.node, names)
                if any(i.node_id != node_id for i in matching) or not matching:
                    return False, f"instances: {seen}", subject
            if expect.count is not None and len(matching) != expect.count:
                return False, f"instances: {seen}", subject
            if expect.state is not None and expect.count is None and (not live or len(matching) != len(live)):
                return False, f"instances: {seen}", subject
            if expect.ready is not None:
                ready = sum(1 for i in live if i.state == InstanceState.RUNNING and i.is_ready)
                if ready != expect.ready:
                    return False, f"{ready} ready; instances: {seen}", subject
            return True, f"instances: {seen}", subject
        node_id = substitute(expect.node, names)
        node = world.nodes.get(node_id)
        if node is None:
            return False, f"node {node_id} does not exist", None
        subject = node_json(self.engine, node)
        if expect.state is not None and node.state != expect.state:
            return False, f"node {node.name} is {node.state}", subject
        return True, f"node {node.name} is {node.state}", subject

    async def _count_events(self, wanted: dict[str, Any]) -> int:
        """Events of the whole log (memory's window and the store's older part) with these fields."""
        count = 0
        async for batch in self.engine.events.after(0):
            count += sum(1 for e in batch if all(e.get(k) == v for k, v in wanted.items()))
        return count

    def _node_name(self, node_id: str | None) -> str:
        node = self.engine.world.nodes.get(node_id or "")
        return node.name if node else "no node"

    @staticmethod
    def _describe(step: Step) -> str:
        if step.note:
            return step.note
        if step.call is not None:
            return step.call
        if step.fault is not None:
            return f"fault {step.fault.get('kind')}"
        if step.device_template is not None:
            return f"device template {step.device_template.name}"
        if step.device is not None:
            return f"device {step.device.name}" + (f" on {step.device.node}" if step.device.node else "")
        if step.twin is not None:
            return f"twin {step.twin.device} desired " + describe.fields(step.twin.desired)
        e = step.expect
        assert e is not None  # a step is exactly one of call, fault or expect
        return "expect " + describe.expectation(e)


def _such_events(count: int) -> str:
    return f"{count} such event{'' if count == 1 else 's'}"


async def run_scenario(scenario: Scenario, settings: Settings | None = None) -> ScenarioResult:
    return await Run(scenario, settings or load_settings()).run()
