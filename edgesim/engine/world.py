"""The in-memory world: every node, group, deployment and instance, with the indexes reads need.

Only the engine's commands change it; they keep the indexes in step through the methods here,
so no caller has to remember which index goes with which dict.
"""

from __future__ import annotations

import bisect
from collections import defaultdict
from collections.abc import Callable
from typing import cast

from edgesim.domain.kinds import KINDS as RECORD_KINDS
from edgesim.domain.kinds import kind_of
from edgesim.domain.models import Deployment, Device, Document, Group, Instance, Node
from edgesim.domain.resources import KINDS, Amounts, capacity_of, requests_of
from edgesim.engine import undo
from edgesim.engine.partitions import Partitions
from edgesim.engine.revisions import Revisions

WAIT = "wait"  # instance phase: waiting for room on a node; it holds no resources
DONE = "done"  # instance phase: finished for good (Succeeded, or Failed and not restarted)
HOLDS_NOTHING = (WAIT, DONE)
USES_MEMORY = ("run", "terminate")  # the phases whose container uses memory (lifecycle's RUN, TERMINATE)
UNITS = 1_000_000  # reservations are summed in millionths: exact, whatever the order
# What the scheduler counts for an instance that requests no cpu or memory, when it scores
# nodes (Kubernetes' non-zero defaults, pkg/scheduler/util: 100 millicores, 200 MB); it
# reserves nothing for them.
SCORED_CPU, SCORED_MEMORY = 0.1, 200.0


def creation_order(dep: Deployment) -> tuple[float, int]:
    return dep.created_at, dep.seq


class World:
    def __init__(self) -> None:
        # one table per kind the registry keeps in the world (``domain.kinds``)
        self.tables: dict[str, dict[str, Document]] = {k.name: {} for k in RECORD_KINDS if k.in_world}
        self.nodes = cast(dict[str, Node], self.tables["node"])
        self.groups = cast(dict[str, Group], self.tables["group"])
        self.deployments = cast(dict[str, Deployment], self.tables["deployment"])
        self.instances = cast(dict[str, Instance], self.tables["instance"])
        # kinds with indexes beside their table add and remove through their own methods
        self._indexed: dict[str, tuple[Callable, Callable]] = {
            "node": (self.add_node, self.remove_node),
            "group": (self.add_group, self.remove_group),
            "deployment": (self.add_deployment, self.remove_deployment),
            "instance": (self.add_instance, self.remove_instance),
            "device": (self.add_device, self.remove_device),
        }
        self.devices = cast(dict[str, Device], self.tables["device"])
        self._devices_on: dict[str, dict[str, None]] = defaultdict(dict)  # node id -> bound devices
        self._device_names: dict[tuple[str, str], str] = {}
        self._node_names: dict[tuple[str, str], str] = {}
        self._group_names: dict[tuple[str, str], str] = {}
        self._deployment_names: dict[tuple[str, str], str] = {}
        # project id -> its deployments in list order, (created_at, seq): lists page and the
        # deployment quota counts without scanning or sorting every deployment
        self._by_creation: dict[str, list[Deployment]] = defaultdict(list)
        # Index "sets" are dicts with None values: insertion-ordered, so whatever iterates them
        # (re-arming timers after a restart, say) goes in an order that does not depend on
        # PYTHONHASHSEED, as a set's would.
        self._groups_of_node: dict[str, dict[str, None]] = defaultdict(dict)
        self._on_node: dict[str, dict[str, None]] = defaultdict(dict)  # node id -> instances placed or bound there
        # Instances waiting for room, first come first served: ("node", id) for instances bound
        # to one node, ("group", id) for group instances that may take any node of the group.
        self._waiting: dict[tuple[str, str], dict[str, None]] = defaultdict(dict)
        # What each node has reserved, kept in step by every change of an instance's node or
        # phase, so placement need not sum the node's instances: node id -> sums per resource,
        # and instance id -> (node id, what it holds there).
        self._reserved: dict[str, list[int]] = {}
        self._holds: dict[str, tuple[str, tuple[int, ...]]] = {}
        # The memory index (engine.usage): per node, the running containers whose memory is
        # constant (no growth: millionths of MB, summed exactly) and those whose memory moves
        # with time, so a node's eviction crossing is computed from the few that move and not
        # from every instance on the node (a scan per start with ~1,400 instances per node).
        self._memory_of: dict[str, tuple[str, int | None]] = {}  # instance -> (node, constant units or None: it moves)
        self._constant_memory: dict[str, int] = {}  # node -> sum of its constant containers' units
        self._moving_memory: dict[str, dict[str, None]] = defaultdict(dict)  # node -> instances whose use moves
        self._capacity: dict[str, Amounts] = {}  # node id -> capacity (its hardware never changes)
        # The partitions of the membership graph (nodes, groups and devices; docs/scale-out.md),
        # kept in step by the methods below. Not journaled: a failed command's records come back
        # through ``put``/``discard``, which rebuild the same graph. ``births`` is the last birth
        # given (kept in the store's meta): a birth is never given twice.
        self.partitions = Partitions(journaled=False)
        self.births = 0
        self.revisions = Revisions()  # when what a deployment's document shows changed

    def born(self, record: Node | Group | Device) -> None:
        """Give a new record its birth (one it already has is kept: a reload, a rollback; the
        next births are given after it, whatever the stored meta said)."""
        if record.birth:
            self.births = max(self.births, record.birth)
            return
        record.birth = self.next_birth()

    def next_birth(self) -> int:
        """The next birth (a vertex's id is made from it before the vertex enters the world)."""
        return undo.next_number(self, "births")

    # --- any record -----------------------------------------------------------------------------

    def get(self, kind: str, record_id: str) -> Document | None:
        return self.tables[kind].get(record_id)

    def put(self, record: Document) -> None:
        """Add (or re-add) a record with all its index entries."""
        kind = kind_of(record).name
        self.revisions.changed(record)
        if kind in self._indexed:
            self._indexed[kind][0](record)
        else:
            self.tables[kind][record.id] = record

    def discard(self, record: Document) -> None:
        kind = kind_of(record).name
        self.revisions.changed(record)
        if kind in self._indexed:
            self._indexed[kind][1](record)
        else:
            self.tables[kind].pop(record.id, None)

    # --- nodes --------------------------------------------------------------------------------

    def add_node(self, node: Node) -> None:
        self.born(node)
        self.partitions.add(node.id, node.birth)
        # groups and devices put back before their node (a rollback) were not linked to it yet
        for other in (*self._groups_of_node.get(node.id, ()), *self._devices_on.get(node.id, ())):
            if other in self.partitions and not self.partitions.are_linked(node.id, other):
                self.partitions.link(node.id, other)
        self.nodes[node.id] = node
        self._capacity[node.id] = capacity_of(node.hardware)
        self._node_names[(node.project_id, node.name)] = node.id

    def remove_node(self, node: Node) -> None:
        self.nodes.pop(node.id, None)
        self._node_names.pop((node.project_id, node.name), None)
        self._on_node.pop(node.id, None)
        self._reserved.pop(node.id, None)
        self._capacity.pop(node.id, None)
        self._groups_of_node.pop(node.id, None)
        if node.id in self.partitions:
            self.partitions.remove(node.id)

    def node_named(self, project_id: str, name: str) -> Node | None:
        node_id = self._node_names.get((project_id, name))
        return self.nodes.get(node_id) if node_id else None

    def group_ids_of(self, node_id: str) -> list[str]:
        return sorted(self._groups_of_node.get(node_id, ()))

    def instances_on(self, node_id: str) -> list[Instance]:
        return [self.instances[i] for i in self._on_node.get(node_id, ()) if i in self.instances]

    def deployment_count_on(self, node_id: str) -> int:
        return len({i.deployment_id for i in self.instances_on(node_id)})

    def allocated_on(self, node_id: str) -> Amounts:
        """What the node's placed instances reserve (those waiting or finished hold nothing)."""
        sums = self._reserved.get(node_id)
        return Amounts(*(v / UNITS for v in sums[:len(KINDS)])) if sums else Amounts()

    def scored_on(self, node_id: str) -> tuple[float, float]:
        """(cpu, memory) the node's placed instances count for scoring: their requests, with the
        non-zero defaults for those that request none."""
        sums = self._reserved.get(node_id)
        return (sums[len(KINDS)] / UNITS, sums[len(KINDS) + 1] / UNITS) if sums else (0.0, 0.0)

    def capacity(self, node: Node) -> Amounts:
        cap = self._capacity.get(node.id)
        return cap if cap is not None else capacity_of(node.hardware)

    def free_on(self, node: Node) -> Amounts:
        cap, sums = self.capacity(node), self._reserved.get(node.id)
        if not sums:
            return cap
        # capacity - allocated_on(node), spelled out: placement asks this of every group member
        return Amounts(cap.cpu - sums[0] / UNITS, cap.memory - sums[1] / UNITS,
                       cap.gpu - sums[2] / UNITS, cap.npu - sums[3] / UNITS)

    def room_after(self, node: Node, need: Amounts) -> float | None:
        """None if ``need`` does not fit in what the node has free; else the room left after
        placing it as the scheduler scores it ("least allocated": the mean free share of cpu
        and memory, with the non-zero defaults). ``need.lacking(free_on(node))`` and the score,
        spelled out in one pass: placement asks it of every group member."""
        cap, sums = self.capacity(node), self._reserved.get(node.id)
        if sums:
            free_cpu, free_memory = cap.cpu - sums[0] / UNITS, cap.memory - sums[1] / UNITS
            free_gpu, free_npu = cap.gpu - sums[2] / UNITS, cap.npu - sums[3] / UNITS
            cpu, memory = sums[len(KINDS)] / UNITS, sums[len(KINDS) + 1] / UNITS
        else:
            free_cpu, free_memory, free_gpu, free_npu = cap.cpu, cap.memory, cap.gpu, cap.npu
            cpu = memory = 0.0
        if (need.cpu > free_cpu + 1e-9 or need.memory > free_memory + 1e-9 or need.gpu > free_gpu + 1e-9
                or need.npu > free_npu + 1e-9):
            return None
        cpu += need.cpu or SCORED_CPU
        memory += need.memory or SCORED_MEMORY
        cpu_share = 1 - cpu / cap.cpu if cap.cpu else 0.0
        memory_share = 1 - memory / cap.memory if cap.memory else 0.0
        return (cpu_share + memory_share) / 2

    # --- devices ------------------------------------------------------------------------------

    def add_device(self, device: Device) -> None:
        self.born(device)
        self.partitions.add(device.id, device.birth)
        self.devices[device.id] = device
        self._device_names[(device.project_id, device.name)] = device.id
        if device.node_id is not None:
            self._devices_on[device.node_id][device.id] = None
            if device.node_id in self.partitions:  # (a reloaded device whose node is gone stays alone)
                self.partitions.link(device.id, device.node_id)

    def remove_device(self, device: Device) -> None:
        self.devices.pop(device.id, None)
        self._device_names.pop((device.project_id, device.name), None)
        if device.node_id is not None:
            self._devices_on[device.node_id].pop(device.id, None)
        if device.id in self.partitions:
            self.partitions.remove(device.id)

    def bind_device(self, device: Device, node_id: str | None) -> None:
        """Move the device to ``node_id`` (None: unbound), keeping the node index in step."""
        self.remove_device(device)
        device.node_id = node_id
        self.add_device(device)

    def device_named(self, project_id: str, name: str) -> Device | None:
        device_id = self._device_names.get((project_id, name))
        return self.devices.get(device_id) if device_id else None

    def devices_on(self, node_id: str) -> list[Device]:
        """The node's devices in the order they were bound."""
        found = [self.devices[i] for i in self._devices_on.get(node_id, ()) if i in self.devices]
        return sorted(found, key=lambda d: (d.bound_seq, d.id))

    # --- groups -------------------------------------------------------------------------------

    def add_group(self, group: Group) -> None:
        self.revisions.changed(group)
        self.born(group)
        self.partitions.add(group.id, group.birth)
        self.groups[group.id] = group
        self._group_names[(group.project_id, group.name)] = group.id
        for node_id in group.node_ids:
            self._groups_of_node[node_id][group.id] = None
            if node_id in self.partitions and not self.partitions.are_linked(group.id, node_id):
                self.partitions.link(group.id, node_id)

    def remove_group(self, group: Group) -> None:
        self.revisions.changed(group)
        self.groups.pop(group.id, None)
        self._group_names.pop((group.project_id, group.name), None)
        for node_id in group.node_ids:
            self._groups_of_node[node_id].pop(group.id, None)
        if group.id in self.partitions:
            self.partitions.remove(group.id)

    def bind(self, group: Group, node_id: str) -> None:
        group.node_ids.append(node_id)
        self._groups_of_node[node_id][group.id] = None
        self.partitions.link(group.id, node_id)

    def unbind(self, group: Group, node_id: str) -> None:
        group.node_ids.remove(node_id)
        self._groups_of_node[node_id].pop(group.id, None)
        if node_id in self.partitions:
            self.partitions.unlink(group.id, node_id)

    def group_named(self, project_id: str, name: str) -> Group | None:
        group_id = self._group_names.get((project_id, name))
        return self.groups.get(group_id) if group_id else None

    # --- deployments and instances ------------------------------------------------------------

    def add_deployment(self, dep: Deployment) -> None:
        self.revisions.changed(dep)
        old = self.deployments.get(dep.id)
        if old is not None:
            self._unlist(old)
        self.deployments[dep.id] = dep
        bisect.insort(self._by_creation[dep.project_id], dep, key=creation_order)
        self._deployment_names[(dep.project_id, dep.name)] = dep.id

    def remove_deployment(self, dep: Deployment) -> None:
        self.revisions.changed(dep)
        old = self.deployments.pop(dep.id, None)
        if old is not None:
            self._unlist(old)
        self._deployment_names.pop((dep.project_id, dep.name), None)

    def _unlist(self, dep: Deployment) -> None:
        listed = self._by_creation[dep.project_id]
        at = bisect.bisect_left(listed, creation_order(dep), key=creation_order)
        if at < len(listed) and listed[at] is dep:
            del listed[at]
        else:  # not where its key says: a key changed in place; find it by identity
            listed.remove(dep)

    @staticmethod
    def home_of(dep: Deployment) -> str:
        """The vertex whose partition a deployment lives in: its group, or its one node."""
        return dep.group_id if dep.group_id is not None else dep.node_ids[0]

    def deployment_named(self, project_id: str, name: str) -> Deployment | None:
        dep_id = self._deployment_names.get((project_id, name))
        return self.deployments.get(dep_id) if dep_id else None

    def deployments_of_group(self, group_id: str) -> list[Deployment]:
        return [d for d in self.deployments.values() if d.group_id == group_id]

    def add_instance(self, inst: Instance) -> None:
        self.revisions.changed(inst)
        self.instances[inst.id] = inst
        if inst.node_id is not None:
            self._on_node[inst.node_id][inst.id] = None
        if inst.phase == WAIT:
            self.enqueue(inst)
        self._reserve(inst)

    def remove_instance(self, inst: Instance) -> None:
        self.revisions.changed(inst)
        self.instances.pop(inst.id, None)
        if inst.node_id is not None:
            self._on_node[inst.node_id].pop(inst.id, None)
        self.dequeue(inst)
        self._release(inst.id)
        self._index_memory(inst)

    def set_phase(self, inst: Instance, phase: str | None, due: float | None, reason: str | None, message: str | None) -> None:
        """Move an instance to another phase (what it waits for), keeping its node's reservations."""
        self.revisions.changed(inst)
        inst.phase, inst.due, inst.reason, inst.message = phase, due, reason, message
        self._reserve(inst)

    # --- reservations ---------------------------------------------------------------------------

    def _reserve(self, inst: Instance) -> None:
        """Make the index hold what the instance reserves now (nothing unless placed and live)."""
        self._index_memory(inst)
        live = inst.phase not in HOLDS_NOTHING and inst.id in self.instances
        node_id = inst.node_id if live else None  # the node it holds resources on, if any
        was = self._holds.get(inst.id)
        if node_id is not None and was is not None and was[0] == node_id:
            return  # still on the same node (an instance's requests never change)
        self._release(inst.id)
        if node_id is not None:
            need = requests_of(inst.spec)
            scored = (need.cpu or SCORED_CPU, need.memory or SCORED_MEMORY)
            units = tuple(round(v * UNITS) for v in (*(getattr(need, k) for k in KINDS), *scored))
            self._holds[inst.id] = (node_id, units)
            sums = self._reserved.setdefault(node_id, [0] * len(units))
            for i, v in enumerate(units):
                sums[i] += v

    def _release(self, instance_id: str) -> None:
        was = self._holds.pop(instance_id, None)
        if was is not None and (sums := self._reserved.get(was[0])) is not None:
            for i, v in enumerate(was[1]):
                sums[i] -= v

    def _index_memory(self, inst: Instance) -> None:
        """Make the memory index hold the instance as it is now: counted where its container
        runs (a running phase, a usage, on a node, in the world), constant or moving."""
        was = self._memory_of.pop(inst.id, None)
        if was is not None:
            node_id, units = was
            if units is None:
                self._moving_memory[node_id].pop(inst.id, None)
            else:
                self._constant_memory[node_id] -= units
        usage = inst.usage
        if usage is None or inst.phase not in USES_MEMORY or inst.node_id is None or inst.id not in self.instances:
            return
        if usage["memory_per_min"] != 0 or inst.started_at is None:
            self._memory_of[inst.id] = (inst.node_id, None)
            self._moving_memory[inst.node_id][inst.id] = None
            return
        limit = inst.spec.resources.limits
        memory = usage["memory"] if limit is None or limit.memory is None else min(usage["memory"], limit.memory)
        units = round(memory * UNITS)
        self._memory_of[inst.id] = (inst.node_id, units)
        self._constant_memory[inst.node_id] = self._constant_memory.get(inst.node_id, 0) + units

    def memory_on(self, node_id: str) -> tuple[float, list[Instance]]:
        """(MB the node's constant containers use, the running instances whose use moves)."""
        moving = self._moving_memory.get(node_id)
        return (self._constant_memory.get(node_id, 0) / UNITS,
                [self.instances[i] for i in moving] if moving else [])

    # --- waiting for room -------------------------------------------------------------------------

    @staticmethod
    def _queue_key(inst: Instance) -> tuple[str, str]:
        return ("node", inst.node_id) if inst.node_id is not None else ("group", inst.group_id or "")

    def enqueue(self, inst: Instance) -> None:
        self._waiting[self._queue_key(inst)][inst.id] = None

    def dequeue(self, inst: Instance) -> None:
        for key in (("node", inst.node_id or ""), ("group", inst.group_id or "")):
            self._waiting.get(key, {}).pop(inst.id, None)

    def waiting_for_node(self, node_id: str) -> list[Instance]:
        return [self.instances[i] for i in self._waiting.get(("node", node_id), {})]

    def waiting_for_group(self, group_id: str) -> list[Instance]:
        return [self.instances[i] for i in self._waiting.get(("group", group_id), {})]

    def move_instance(self, inst: Instance, node_id: str | None) -> None:
        """Bind an instance to another node (or to none)."""
        self.revisions.changed(inst)
        if inst.node_id is not None:
            self._on_node[inst.node_id].pop(inst.id, None)
        inst.node_id = node_id
        if node_id is not None:
            self._on_node[node_id][inst.id] = None
        self._reserve(inst)

    def deployments_in(self, project_id: str) -> int:
        """How many deployments the project has (quotas ask on every create: a scan of every
        deployment made creates quadratic)."""
        return len(self._by_creation.get(project_id, ()))

    def deployments_by_creation(self, project_id: str) -> list[Deployment]:
        """The project's deployments by (created_at, seq), oldest first: the list order (the
        caller must not change the list)."""
        return self._by_creation.get(project_id, [])

    def instances_of(self, dep: Deployment) -> list[Instance]:
        return [self.instances[i] for i in dep.instance_ids if i in self.instances]
