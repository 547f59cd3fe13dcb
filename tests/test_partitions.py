"""The partition table (docs/scale-out.md, section 1): connected components of the node-group
membership graph, keyed by their oldest member's birth, kept incrementally; local sequences
that never hand out a (key, seq) twice; the stable partition -> shard rule."""

from __future__ import annotations

import random

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from edgesim.engine import undo
from edgesim.engine.partitions import Part, Partitions, Reshape, ShardMap, shard_of

QUICK = settings(max_examples=150, database=None, derandomize=True, deadline=None)


def site(table: Partitions, group: str, nodes: list[str], births: dict[str, int]) -> None:
    for member in (group, *nodes):
        if member not in table:
            table.add(member, births[member])
    for node in nodes:
        table.link(group, node)


def reference(births: dict[str, int], links: set[frozenset[str]]) -> dict[int, list[str]]:
    """The partitions computed from scratch: components by search, keyed by the smallest birth."""
    neighbours: dict[str, set[str]] = {m: set() for m in births}
    for link in links:
        a, b = tuple(link)
        neighbours[a].add(b)
        neighbours[b].add(a)
    seen: set[str] = set()
    found = {}
    for start in births:
        if start in seen:
            continue
        component, stack = {start}, [start]
        while stack:
            for other in neighbours[stack.pop()] - component:
                component.add(other)
                stack.append(other)
        seen |= component
        ordered = sorted(component, key=births.__getitem__)
        found[births[ordered[0]]] = ordered
    return dict(sorted(found.items()))


# --- the partitions ----------------------------------------------------------------------------


def test_an_ungrouped_node_and_an_empty_group_are_partitions_of_their_own():
    table = Partitions()
    assert table.add("n1", 1) == Reshape(parts=(Part(1, (), 1),))
    table.add("g1", 2)
    assert dict(table.groups()) == {1: ["n1"], 2: ["g1"]}


def test_binding_joins_a_node_to_its_group_and_the_oldest_birth_keys_the_partition():
    table = Partitions()
    births = {"g1": 1, "n1": 2, "n2": 3, "n0": 0}
    site(table, "g1", ["n1", "n2"], births)
    table.add("n0", 0)
    assert table.key_of("n2") == 1
    reshape = table.link("g1", "n0")  # the older node joins: its birth keys the site now
    assert reshape == Reshape(gone=(1,), parts=(Part(0, (1, 0), 4),))
    assert dict(table.groups()) == {0: ["n0", "g1", "n1", "n2"]}


def test_a_node_in_two_groups_joins_both_sites_and_unbinding_it_splits_them_again():
    table = Partitions()
    births = {"g1": 1, "a": 2, "g2": 3, "b": 4}
    site(table, "g1", ["a"], births)
    site(table, "g2", ["b"], births)
    assert table.link("g2", "a").parts == (Part(1, (1, 3), 4),)
    assert dict(table.groups()) == {1: ["g1", "a", "g2", "b"]}
    reshape = table.unlink("g2", "a")
    assert reshape == Reshape(parts=(Part(1, (1,), 2), Part(3, (1,), 2)))
    assert dict(table.groups()) == {1: ["g1", "a"], 3: ["g2", "b"]}


def test_unbinding_a_node_still_reached_through_another_group_splits_nothing():
    table = Partitions()
    births = {"g1": 1, "g2": 2, "a": 3, "b": 4}
    site(table, "g1", ["a", "b"], births)
    site(table, "g2", ["a", "b"], births)
    assert table.unlink("g1", "a") == Reshape()
    assert dict(table.groups()) == {1: ["g1", "g2", "a", "b"]}


def test_deleting_a_group_leaves_its_nodes_alone_and_deleting_the_oldest_member_rekeys():
    table = Partitions()
    births = {"g1": 1, "a": 2, "b": 3}
    site(table, "g1", ["a", "b"], births)
    assert table.remove("g1") == Reshape(gone=(1,), parts=(Part(2, (1,), 1), Part(3, (1,), 1)))
    assert dict(table.groups()) == {2: ["a"], 3: ["b"]}

    table = Partitions()
    site(table, "g1", ["a", "b"], births)
    assert table.remove("a") == Reshape()  # not the oldest: same key
    assert table.remove("g1") == Reshape(gone=(1,), parts=(Part(3, (1,), 1),))
    assert table.remove("b") == Reshape(gone=(3,))
    assert len(table) == 0


def test_what_the_table_refuses_names_the_member():
    table = Partitions()
    table.add("a", 1)
    table.add("b", 2)
    with pytest.raises(ValueError, match="a is already in the partition table"):
        table.add("a", 3)
    with pytest.raises(ValueError, match="birth 2 of c is b's already"):
        table.add("c", 2)
    with pytest.raises(KeyError, match="ghost is not in the partition table"):
        table.link("a", "ghost")
    with pytest.raises(ValueError, match="cannot link a to itself"):
        table.link("a", "a")
    with pytest.raises(ValueError, match="a and b are not linked"):
        table.unlink("a", "b")
    table.link("a", "b")
    with pytest.raises(ValueError, match="b and a are already linked"):
        table.link("b", "a")
    with pytest.raises(KeyError, match="ghost"):
        table.remove("ghost")


OPS = st.lists(st.tuples(st.sampled_from(["add", "link", "link", "unlink", "remove", "seq"]),
                         st.integers(0, 10**6), st.integers(0, 10**6)), max_size=60)


def play(ops: list[tuple[str, int, int]]) -> tuple[Partitions, dict[str, int], set[frozenset[str]], list[tuple[int, int]]]:
    """Run random operations on a table and on a plain model of the graph; returns both, and
    every (key, seq) the table handed out."""
    table, births, links, drawn = Partitions(), {}, set(), []
    born = 0
    for op, i, j in ops:
        members = list(births)
        if op == "add" or not members:
            born += 1 + i % 3  # births need not be dense
            births[f"m{born}"] = born
            table.add(f"m{born}", born)
        elif op == "link":
            a, b = members[i % len(members)], members[j % len(members)]
            if a != b and frozenset((a, b)) not in links:
                table.link(a, b)
                links.add(frozenset((a, b)))
        elif op == "unlink" and links:
            a, b = sorted(sorted(links, key=sorted)[i % len(links)])
            table.unlink(a, b)
            links.discard(frozenset((a, b)))
        elif op == "remove":
            member = members[i % len(members)]
            table.remove(member)
            del births[member]
            links = {link for link in links if member not in link}
        elif op == "seq":
            key = table.key_of(members[i % len(members)])
            drawn.append((key, table.next_seq(key)))
    return table, births, links, drawn


@QUICK
@given(OPS)
def test_incremental_partitions_are_the_components_of_the_graph_whatever_happened_before(ops):
    table, births, links, _ = play(ops)
    assert dict(table.groups()) == reference(births, links)


@QUICK
@given(OPS, st.randoms(use_true_random=False))
def test_the_same_graph_gives_the_same_partitions_and_keys_whatever_the_insertion_order(ops, rnd):
    table, births, links, _ = play(ops)
    members, edges = list(births), [tuple(sorted(link)) for link in links]
    rnd.shuffle(members)
    rnd.shuffle(edges)
    again = Partitions()
    for member in members:  # vertices in any order (each with its birth), links in any order
        again.add(member, births[member])
    for a, b in edges:
        again.link(*((b, a) if rnd.random() < 0.5 else (a, b)))
    assert dict(again.groups()) == dict(table.groups())
    assert dict(Partitions.of_graph(births, edges).groups()) == dict(table.groups())


@QUICK
@given(OPS)
def test_no_key_and_local_sequence_pair_is_ever_handed_out_twice(ops):
    _, _, _, drawn = play(ops + [("seq", i, 0) for i in range(5)])
    assert len(drawn) == len(set(drawn))


@QUICK
@given(OPS, OPS)
def test_a_failed_command_gets_back_the_same_partitions_and_sequences(before, during):
    table, births, links, _ = play(before)
    seqs = {k: table.seq(k) for k in table.keys()}
    groups = dict(table.groups())
    with undo.journal() as done:
        born = max(births.values(), default=0) + 1000  # new members do not clash with the old
        for op, i, j in during:
            members = table.keys() and [m for _, ms in table.groups() for m in ms]
            if op == "add" or not members:
                born += 1
                table.add(f"x{born}", born)
            elif op == "link":
                a, b = members[i % len(members)], members[j % len(members)]
                if a != b and b not in table.linked(a):
                    table.link(a, b)
            elif op == "unlink":
                a = members[i % len(members)]
                if table.linked(a):
                    table.unlink(a, table.linked(a)[j % len(table.linked(a))])
            elif op == "remove":
                table.remove(members[i % len(members)])
            else:
                table.next_seq(table.key_of(members[i % len(members)]))
        done.rollback()
    assert dict(table.groups()) == groups
    assert {k: table.seq(k) for k in table.keys()} == seqs


def test_a_merge_continues_from_the_larger_sequence_and_a_split_from_the_parents():
    table = Partitions()
    table.add("a", 1)
    table.add("b", 2)
    for _ in range(3):
        table.next_seq(1)
    for _ in range(7):
        table.next_seq(2)
    table.link("a", "b")
    assert table.seq(1) == 7 and table.next_seq(1) == 8
    table.unlink("a", "b")
    assert (table.seq(1), table.seq(2)) == (8, 8)


# --- shards ------------------------------------------------------------------------------------


def test_the_shard_rule_is_a_fixed_hash_of_the_key_not_of_the_process():
    # pinned values: the same in every process, whatever PYTHONHASHSEED (sha256, not hash())
    assert [shard_of(k, 4) for k in range(1, 9)] == [1, 2, 3, 2, 3, 3, 2, 3]
    assert all(shard_of(k, 1) == 0 for k in range(50))
    with pytest.raises(ValueError, match="shards must be at least 1, not 0"):
        shard_of(5, 0)


def test_sites_whose_keys_come_in_steps_spread_over_the_shards():
    counts = [0] * 4
    for site_number in range(1000):  # fleet generation: a group then its 100 nodes, keys 101 apart
        counts[shard_of(1 + 101 * site_number, 4)] += 1
    assert min(counts) > 180 and max(counts) < 320  # 206..276 today


def test_new_partitions_go_by_the_rule_a_merge_moves_the_smaller_and_a_split_moves_nothing():
    table, shards = Partitions(), ShardMap(4)
    births = {f"n{i}": i for i in range(1, 40)}
    for member, birth in births.items():
        assert shards.apply(table.add(member, birth)) == []
        assert shards[birth] == shard_of(birth, 4)
    # a site of three nodes on the shard of n1, and n30 alone elsewhere
    far = next(b for b in range(4, 40) if shard_of(b, 4) != shard_of(1, 4))
    for node in ("n2", "n3"):
        moves = shards.apply(table.link("n1", node))
        assert all(to == shard_of(1, 4) for _, _, to in moves)
    moves = shards.apply(table.link(f"n{far}", "n1"))  # the lone node moves to the site
    assert moves == [(far, shard_of(far, 4), shard_of(1, 4))]
    assert shards[table.key_of(f"n{far}")] == shard_of(1, 4)
    assert shards.apply(table.unlink(f"n{far}", "n1")) == []  # split off: stays where it is
    assert shards[far] == shard_of(1, 4)
    assert shards.apply(table.remove("n1")) == []  # re-keyed: stays too
    with pytest.raises(ValueError, match="shards must be at least 1"):
        ShardMap(0)


def test_the_partitions_of_a_large_fleet_are_kept_incrementally():
    table, births = Partitions(), {}
    rnd = random.Random(7)
    born = 0
    for site_number in range(200):
        born += 1
        group = f"g{site_number}"
        births[group] = born
        table.add(group, born)
        for n in range(50):
            born += 1
            table.add(f"{group}-n{n}", born)
            table.link(group, f"{group}-n{n}")
    assert len(table) == 200
    for _ in range(100):  # a node of one site also joins another site's group
        a, b = rnd.randrange(200), rnd.randrange(200)
        if a != b and f"g{b}" not in table.linked(f"g{a}-n0"):
            table.link(f"g{b}", f"g{a}-n0")
    assert sum(len(ms) for _, ms in table.groups()) == 200 * 51


# --- the world's table -------------------------------------------------------------------------


def test_the_world_links_a_node_put_back_after_its_group_and_device():
    from edgesim.domain.models import Device, Group, Node
    from edgesim.engine.world import World

    world = World()
    world.put(Group(id="g", project_id="p", name="site", node_ids=["n"], birth=1))
    world.put(Device(id="d", project_id="p", name="sensor", node_id="n", birth=2))
    assert len(world.partitions) == 2  # the node is not back yet
    world.put(Node(id="n", project_id="p", name="edge", birth=3))
    assert dict(world.partitions.groups()) == {1: ["g", "d", "n"]}
    world.discard(world.nodes["n"])
    assert dict(world.partitions.groups()) == {1: ["g"], 2: ["d"]}
    world.put(Node(id="m", project_id="p", name="new"))  # no birth yet: the world gives the next
    assert world.nodes["m"].birth == world.births == 4 and "m" in world.partitions
