"""The registry of record kinds (``domain.kinds``): what it does not declare cannot be stored,
and the engine will not run with a declared kind it could not bring back after a restart."""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass

import pytest

from edgesim.domain import kinds
from edgesim.domain.kinds import KINDS, Kind, kind_of
from edgesim.domain.models import Document, Node
from edgesim.engine import engine as engine_module
from edgesim.engine.clock import VirtualClock
from edgesim.engine.engine import Engine
from edgesim.engine.world import World
from edgesim.settings import load_settings
from edgesim.store.sqlite import Put, Store, StoreError


@dataclass(slots=True)
class Gadget(Document):
    id: str


async def test_a_kind_not_in_the_registry_cannot_be_stored(tmp_path):
    path = tmp_path / "world.db"
    store = Store(str(path))
    await store.open()
    try:
        with pytest.raises(StoreError, match="'gadget' is not a registered record kind"):
            await store.commit([Put("node", "n1", {"id": "n1"}), Put("gadget", "g1", {"id": "g1"})])
        with pytest.raises(StoreError, match="'gadget'"):
            store.submit([Put("gadget", "g1", {"id": "g1"})])
        await store.commit([])
    finally:
        await store.close()
    rows = sqlite3.connect(path).execute("SELECT kind, id FROM documents").fetchall()
    assert rows == []  # not even the registered op of the refused batch


def test_a_record_of_an_unregistered_class_has_no_kind():
    with pytest.raises(TypeError, match="Gadget is not a registered record kind"):
        kind_of(Gadget(id="g1"))


def test_the_world_keeps_a_table_for_every_kind_it_holds():
    world = World()
    assert set(world.tables) == {k.name for k in KINDS if k.in_world}
    node = Node(id="n1", project_id="p", name="edge-1")
    world.put(node)
    assert world.get("node", "n1") is node and world.node_named("p", "edge-1") is node
    world.discard(node)
    assert world.get("node", "n1") is None and world.node_named("p", "edge-1") is None


@pytest.mark.parametrize("kind", [Kind("gadget", Gadget, in_world=False), Kind("node", Node, timers=True)],
                         ids=["held outside the world, no loader", "with timers, no re-armer"])
def test_the_engine_refuses_a_kind_it_could_not_bring_back(monkeypatch, kind):
    if kind.name == "node":  # the registry's node kind, as if nothing re-armed nodes
        monkeypatch.setattr(Engine, "_rearmers", lambda self: {"instance": None, "fault": None})
        declared = KINDS
    else:
        declared = (*KINDS, kind)
    monkeypatch.setattr(kinds, "KINDS", declared)
    monkeypatch.setattr(engine_module, "KINDS", declared)
    with pytest.raises(RuntimeError, match=f"without a loader or re-armer: {kind.name}"):
        Engine(load_settings(), VirtualClock(), Store(":memory:"))
