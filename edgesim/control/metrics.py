"""Prometheus metrics at GET /edgesim/metrics (prometheus-client, one registry per server).

Gauges (nodes, instances and devices by state, clock lag) are read from the engine when scraped;
counters (state transitions, migrations, restarts) follow the event log; API requests and their
latency are counted by a middleware, by method, route template and status.

Labels stay bounded: message rules are one series each (a project has few); device seconds
online and offline are summed by template by default (``[metrics] device_label``: "node", or
"device" to opt in to a series per device), replayed from the event log by the report's fold
(``engine/report_fleet.py``), so they cover the whole experiment across restarts.
"""

from __future__ import annotations

import time
from collections import Counter
from typing import Any

from aiohttp import web
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Histogram, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily

from edgesim.api.routing import CONTROL, ENGINE, Route
from edgesim.domain.states import InstanceState, NodeState
from edgesim.engine.clock import RealClock
from edgesim.engine.devices import OFFLINE, ONLINE
from edgesim.engine.engine import Engine
from edgesim.engine.report_fleet import FleetFold
from edgesim.engine.rule_counts import counts, failures
from edgesim.engine.usage import instance_use


class EngineCollector:
    """Collects the simulation's metrics at scrape time."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.transitions: Counter[tuple[str, str]] = Counter()
        self.kinds: Counter[str] = Counter()
        self.fleet: FleetFold | None = None  # caught up by the scrape before each collection
        engine.events.listeners.append(self._count)

    def _count(self, event: dict) -> None:
        self.kinds[event["kind"]] += 1
        if event["kind"] == "instance.state":
            self.transitions[(event["from"], event["to"])] += 1

    def collect(self):
        world = self.engine.world
        nodes = GaugeMetricFamily("edgesim_nodes", "Edge nodes by state", labels=["state"])
        by_node_state = Counter(n.state for n in world.nodes.values())
        for node_state in NodeState:
            nodes.add_metric([node_state.value], by_node_state.get(node_state.value, 0))
        yield nodes
        instances = GaugeMetricFamily("edgesim_instances", "Instances by state", labels=["state"])
        by_state = Counter(i.state for i in world.instances.values())
        for state in InstanceState:
            instances.add_metric([state.value], by_state.get(state.value, 0))
        yield instances
        transitions = CounterMetricFamily("edgesim_instance_transitions", "Instance state changes", labels=["from", "to"])
        for (old, new), count in sorted(self.transitions.items()):
            transitions.add_metric([old, new], count)
        yield transitions
        yield CounterMetricFamily("edgesim_migrations", "Instances recreated on another node", value=self.kinds["instance.migrated"])
        restarts = sum(n for (old, new), n in self.transitions.items() if old == "FAILED" and new == "RUNNING")
        yield CounterMetricFamily("edgesim_restarts", "Container restarts", value=restarts)
        yield CounterMetricFamily("edgesim_events", "Events recorded", value=sum(self.kinds.values()))
        yield from self._rules()
        yield from self._devices()
        yield from self._usage()
        clock = self.engine.clock
        yield GaugeMetricFamily("edgesim_clock_seconds", "Simulated seconds since the start", value=clock.now())
        lag = clock.lag() if isinstance(clock, RealClock) else 0.0
        yield GaugeMetricFamily("edgesim_clock_lag_seconds", "How far the real clock's due timers are behind (wall seconds)", value=lag)


    def _usage(self):
        """CPU and memory use per node and per deployment (labels bounded: never per instance)."""
        engine, world = self.engine, self.engine.world
        now, use = engine.clock.now(), engine.memory_pressure.use
        node_cpu = GaugeMetricFamily("edgesim_node_cpu_usage_cores", "CPU cores the node's containers use", labels=["node_id"])
        node_memory = GaugeMetricFamily("edgesim_node_memory_usage_mb", "Memory (MB) the node's containers use", labels=["node_id"])
        pressure = GaugeMetricFamily("edgesim_node_memory_pressure", "1 while the node's memory is at its eviction threshold",
                                     labels=["node_id"])
        for node in sorted(world.nodes.values(), key=lambda n: n.id):
            total = use.of_node(node)
            node_cpu.add_metric([node.id], total.cpu)
            node_memory.add_metric([node.id], total.memory)
            pressure.add_metric([node.id], 1.0 if use.under_pressure(node) else 0.0)
        yield from (node_cpu, node_memory, pressure)
        sums: dict[str, list[float]] = {dep_id: [0.0, 0.0] for dep_id in sorted(world.deployments)}
        for inst in world.instances.values():
            used = instance_use(inst, now)
            if inst.deployment_id in sums:
                sums[inst.deployment_id][0] += used.cpu
                sums[inst.deployment_id][1] += used.memory
        dep_cpu = GaugeMetricFamily("edgesim_deployment_cpu_usage_cores", "CPU cores the deployment's instances use",
                                    labels=["deployment_id"])
        dep_memory = GaugeMetricFamily("edgesim_deployment_memory_usage_mb", "Memory (MB) the deployment's instances use",
                                       labels=["deployment_id"])
        for dep_id, (cpu, memory) in sums.items():
            dep_cpu.add_metric([dep_id], cpu)
            dep_memory.add_metric([dep_id], memory)
        yield from (dep_cpu, dep_memory)
        yield CounterMetricFamily("edgesim_evictions", "Instances evicted by node memory pressure",
                                  value=self.kinds["instance.evicted"])

    def _rules(self):
        """Per message rule (labels bounded by the rules there are): counts derived now."""
        now = self.engine.clock.now()
        messages = CounterMetricFamily("edgesim_rule_messages", "Messages of a message rule by outcome", labels=["rule", "outcome"])
        last = GaugeMetricFamily("edgesim_rule_last_error_seconds", "Simulated time of a rule's last failed message", labels=["rule"])
        detail = GaugeMetricFamily("edgesim_rule_last_error", "A rule's last failed message's cause (value 1)", labels=["rule", "detail"])
        for rule in sorted(self.engine.message_routes.rules.values(), key=lambda r: r.id):
            delivered, failed = counts(rule, now)
            messages.add_metric([rule.id, "delivered"], delivered)
            messages.add_metric([rule.id, "failed"], failed)
            newest = failures(rule, now, limit=1)
            if newest:
                last.add_metric([rule.id], newest[0][0])
                detail.add_metric([rule.id, newest[0][1]], 1)
        yield messages
        yield last
        yield detail

    def _devices(self):
        """Devices online now, and the seconds devices were online / offline over the run."""
        devices = GaugeMetricFamily("edgesim_devices", "End devices by state", labels=["state"])
        states = Counter(self.engine.devices.state(d) for d in self.engine.world.devices.values())
        for state in (ONLINE, OFFLINE):
            devices.add_metric([state], states.get(state, 0))
        yield devices
        if self.fleet is None:
            return
        label = self.engine.settings.simulation.metrics.device_label
        seconds = CounterMetricFamily(
            "edgesim_device_seconds", f"Simulated seconds devices were online / offline, by {label}", labels=["state", label],
        )
        for (state, value), total in sorted(self.fleet.by_label(self.engine.clock.now(), label).items()):
            seconds.add_metric([state, value], total)
        yield seconds


class Metrics:
    def __init__(self, engine: Engine) -> None:
        self.registry = CollectorRegistry()
        self.collector = EngineCollector(engine)
        self.registry.register(self.collector)
        self.requests = Histogram(
            "edgesim_api_request_seconds", "API requests by method, route and status, with their latency",
            ["method", "route", "status"], registry=self.registry,
            buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5),
        )
        self._children: dict[tuple[str, str, int], Any] = {}  # (method, route, status) -> its histogram

    @web.middleware
    async def middleware(self, request: web.Request, handler) -> web.StreamResponse:
        began = time.perf_counter()
        response = await handler(request)
        self.observe(request, response.status, began)
        return response

    def observe(self, request: web.Request, status: int, began: float) -> None:
        """Count a request answered ``status``, handled since ``began`` (perf_counter)."""
        info = request.match_info
        route = info.route.resource.canonical if info.route.resource is not None else "unmatched"
        if not route.startswith("/edgesim/events/stream"):
            key = (request.method, route, status)
            child = self._children.get(key)
            if child is None:  # labels() is a lock and a dict walk: once per label set
                child = self._children[key] = self.requests.labels(request.method, route, str(status))
            child.observe(time.perf_counter() - began)


METRICS = web.AppKey("metrics", Metrics)


async def scrape(request: web.Request) -> web.Response:
    metrics, engine = request.app[METRICS], request.app[ENGINE]
    replicas = {d.id: d.replicas for d in engine.world.deployments.values()}
    metrics.collector.fleet = await engine.report.fleet(engine.clock.now(), replicas)
    return web.Response(body=generate_latest(metrics.registry), headers={"Content-Type": CONTENT_TYPE_LATEST})


ROUTES = (
    Route("GET", "/edgesim/metrics", scrape, "Prometheus metrics", CONTROL, content="text/plain", answer="Prometheus text exposition"),
)
