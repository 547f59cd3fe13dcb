"""Records a request body names (not its path): a missing one is a bad request, naming the field."""

from __future__ import annotations

from edgesim.domain.errors import ReferenceNotFound
from edgesim.domain.models import Node
from edgesim.engine.world import World


def referenced_node(world: World, project_id: str, node_id: str, field: str) -> Node:
    node = world.nodes.get(node_id)
    if node is None or node.project_id != project_id:
        raise ReferenceNotFound(f"edge node {node_id} not found", field=field)
    return node
