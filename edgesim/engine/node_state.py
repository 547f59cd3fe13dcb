"""A node's state change, as the node commands and the failover logic both make it."""

from __future__ import annotations

from edgesim.domain.models import Node
from edgesim.engine.change import Change
from edgesim.engine.core import Core


def set_node_state(core: Core, node: Node, state: str, change: Change) -> None:
    change.touch(node)
    old = node.state
    node.state = state
    node.updated_at = core.clock.now()
    change.event(core.events.record("node.state", node_id=node.id, **{"from": old, "to": state}))
    for listener in core.node_state_listeners:
        listener(node, old, change)
