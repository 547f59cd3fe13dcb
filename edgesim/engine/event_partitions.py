"""Which partition an event belongs to (docs/scale-out.md, sections 1 and 2).

Every event carries the key of the partition it happened in, or ``FRONT`` (0, a key no
vertex has) for what the front owns: faults, jobs, rules, project-wide records. The event's
kind says which (its family, the part before the dot); for partition families, the fields say
where: an instance or a deployment is where its deployment's group or node is, a device, node
or group is its own vertex (an instance whose deployment is gone: the node it names). It is decided when the event is recorded, from the world as it is
then: an event recorded before a merge keeps the absorbed partition's key.

A kind of a family not listed here is refused (``LookupError``): a new event kind must say
where it lives, never fall silently into the front.
"""

from __future__ import annotations

from typing import Any

from edgesim.engine.world import World

FRONT = 0  # the key of front-owned events: smaller than every birth, so they come first

# families whose events the front owns (docs/scale-out.md, the table of section 1)
FRONT_FAMILIES = frozenset({
    "fault", "job", "rule", "endpoint", "product", "configmap", "secret", "encryptdata", "systemevent",
    "app", "device_template", "service", "behaviors", "device_behaviors", "upgrade_behavior", "fleet", "tags",
})
# families whose events happen inside one partition
PARTITION_FAMILIES = frozenset({"node", "group", "device", "deployment", "instance", "cert", "volume"})
# kinds of front families that act inside a partition: what one fault does to one instance
IN_PARTITION = frozenset({"fault.hit"})


class EventPartitions:
    def __init__(self, world: World) -> None:
        self.world = world

    def key_of(self, kind: str, fields: dict[str, Any]) -> int:
        family = kind.split(".", 1)[0]
        if kind in IN_PARTITION or family in PARTITION_FAMILIES:
            return self.world.partitions.key_of(self._member(kind, fields))
        if family in FRONT_FAMILIES:
            return FRONT
        raise LookupError(f"event kind {kind} is not declared in engine/event_partitions.py")

    def _member(self, kind: str, fields: dict[str, Any]) -> str:
        """The vertex (node, group or device) whose partition the event is in."""
        world = self.world
        deployment_id = fields.get("deployment_id")
        if "instance_id" in fields:
            inst = world.instances.get(fields["instance_id"])
            deployment_id = inst.deployment_id if inst is not None else deployment_id
        dep = world.deployments.get(deployment_id) if deployment_id is not None else None
        if dep is not None:
            return world.home_of(dep)
        # a deployment gone already (a force-deleted node's instance cleaned up on its return):
        # where the node (or device, group) the event names is
        for name in ("device_id", "node_id", "group_id"):
            member = fields.get(name)
            if member is not None and member in world.partitions:
                return str(member)
        raise LookupError(f"event {kind} names no node, group, device or deployment in the world")
