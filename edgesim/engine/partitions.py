"""Partitions: the sets of nodes and groups no simulated activity can leave (docs/scale-out.md).

The vertices are nodes and groups (and unbound devices), the edges "node is a member of
group"; a partition is a connected component. Each vertex has a ``birth``, a number from one
counter in creation order. A partition's key is the smallest birth among its members, so the
partitions and their keys are a function of the graph alone: the same graph gives the same
keys whatever order it was built in, and a restart rebuilds them from the stored graph.

Each partition also has a local sequence ``seq`` (the numbers its ids and events will be
drawn from). A merge continues from the larger of the two, a split or a change of key
continues from the parent's, so no (key, seq) pair is ever used twice.

The table changes incrementally: a link costs the smaller side of a merge, an unlink or a
removal at most the partition it cuts (searched from both ends at once, so a split costs its
smaller side). Within a command every change is journaled (``engine.undo``): a failed command
gets back the same partitions, keys and sequences. The world's own table is not journaled
(``journaled=False``): a failed command's records are put back through the world, which
rebuilds the same graph, hence the same partitions.

``ShardMap`` places partitions on shards: a new partition by ``shard_of(key)``, a merged one
where the larger part was (less to move), a split-off or re-keyed one where it was (nothing to
move). Placement never changes what the simulation does, only where it runs.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass

from edgesim.engine import undo


def shard_of(key: int, shards: int) -> int:
    """The shard a new partition goes to: a hash of its key, stable across runs and Python
    processes (never ``hash()``, which ``PYTHONHASHSEED`` changes). A hash and not ``key %
    shards``: births come in runs (a group, then its nodes) that a modulo would stack."""
    if shards < 1:
        raise ValueError(f"shards must be at least 1, not {shards}")
    return int.from_bytes(hashlib.sha256(str(key).encode()).digest()[:8], "big") % shards


@dataclass(frozen=True, slots=True)
class Part:
    """A partition after an operation, and the partitions its members were in before it (the
    largest first, then by key): ``()`` for a new one."""

    key: int
    sources: tuple[int, ...]
    size: int


@dataclass(frozen=True, slots=True)
class Reshape:
    """What one operation did to the partitions: keys that no longer exist, and every
    partition that holds members of the affected ones now (changed or new)."""

    gone: tuple[int, ...] = ()
    parts: tuple[Part, ...] = ()

    def __bool__(self) -> bool:
        return bool(self.gone or self.parts)


class _Component:
    __slots__ = ("key", "members", "seq")

    def __init__(self, key: int, members: dict[str, None], seq: int) -> None:
        self.key = key  # the smallest birth among its members
        self.members = members  # insertion-ordered; callers get them in birth order
        self.seq = seq


class Partitions:
    def __init__(self, journaled: bool = True) -> None:
        self._on_undo = undo.on_undo if journaled else _ignore
        self._birth: dict[str, int] = {}
        self._born: dict[int, str] = {}  # birth -> member
        self._links: dict[str, dict[str, None]] = {}  # member -> linked members (both ways)
        self._part_of: dict[str, _Component] = {}  # member -> its partition
        self._parts: dict[int, _Component] = {}  # key -> partition
        self._journal_seqs = not journaled  # the graph comes back through the world; the seqs must be put back
        self._changed: dict[int, None] = {}  # keys whose seq changed or that came or went, not drained yet

    @classmethod
    def of_graph(cls, births: dict[str, int], links: Iterable[tuple[str, str]]) -> Partitions:
        """The partitions of a stored graph (a restart): vertices in birth order, then links."""
        table = cls()
        for member in sorted(births, key=births.__getitem__):
            table.add(member, births[member])
        for a, b in links:
            table.link(a, b)
        return table

    # --- reads -------------------------------------------------------------------------------

    def __contains__(self, member: str) -> bool:
        return member in self._birth

    def __len__(self) -> int:
        return len(self._parts)

    def key_of(self, member: str) -> int:
        return self._part_of[self._known(member)].key

    def keys(self) -> list[int]:
        return sorted(self._parts)

    def members(self, key: int) -> list[str]:
        """The partition's members in birth order."""
        return sorted(self._parts[key].members, key=self._birth.__getitem__)

    def birth(self, member: str) -> int:
        return self._birth[self._known(member)]

    def linked(self, member: str) -> list[str]:
        return sorted(self._links[self._known(member)], key=self._birth.__getitem__)

    def are_linked(self, a: str, b: str) -> bool:
        return b in self._links.get(a, ())

    def seq(self, key: int) -> int:
        return self._parts[key].seq

    def groups(self) -> Iterator[tuple[int, list[str]]]:
        """Every partition as (key, members in birth order), by key."""
        for key in self.keys():
            yield key, self.members(key)

    # --- the local sequence --------------------------------------------------------------------

    def next_seq(self, key: int) -> int:
        """The partition's next local number (for an id or an event)."""
        part = self._parts[key]
        self._saving(key)
        part.seq += 1
        drawn = part.seq

        def give_back() -> None:  # drawn again next, unless a later number was drawn since
            now = self._parts.get(key)  # (an undone removal puts back an equal partition, not this one)
            if now is not None and now.seq == drawn:
                now.seq -= 1

        self._on_undo(give_back)
        return drawn

    # --- changes -------------------------------------------------------------------------------

    def add(self, member: str, birth: int) -> Reshape:
        """A new vertex: a partition of its own, keyed by its birth."""
        if member in self._birth:
            raise ValueError(f"{member} is already in the partition table")
        if birth in self._born:
            raise ValueError(f"birth {birth} of {member} is {self._born[birth]}'s already")
        self._saving(birth)
        self._birth[member], self._born[birth] = birth, member
        self._links[member] = {}
        self._parts[birth] = self._part_of[member] = _Component(birth, {member: None}, 0)
        self._on_undo(lambda: self._forget(member))
        return Reshape(parts=(Part(birth, (), 1),))

    def link(self, a: str, b: str) -> Reshape:
        """Link two vertices (bind a node to a group); joins their partitions if apart. Costs
        the smaller partition's size."""
        self._known(a), self._known(b)
        if a == b or b in self._links[a]:
            raise ValueError(f"{a} and {b} are already linked" if a != b else f"cannot link {a} to itself")
        seqs = self._seqs_of(a, b)
        self._links[a][b] = self._links[b][a] = None
        self._on_undo(lambda: self._undo(self.unlink, a, b, seqs=seqs))
        pa, pb = self._part_of[a], self._part_of[b]
        if pa is pb:
            return Reshape()
        big, small = sorted((pa, pb), key=lambda p: (-len(p.members), p.key))
        sources = (big.key, small.key)
        self._saving(*sources)
        kept = min(sources)
        del self._parts[big.key], self._parts[small.key]
        big.members.update(small.members)  # the smaller side is the one walked
        for member in small.members:
            self._part_of[member] = big
        big.key, big.seq = kept, max(big.seq, small.seq)
        self._parts[kept] = big
        return Reshape(gone=(max(sources),), parts=(Part(kept, sources, len(big.members)),))

    def unlink(self, a: str, b: str) -> Reshape:
        """Remove a link; splits the partition if nothing else joins the two sides. Costs the
        smaller side (and the rest too when the smaller side takes the oldest member along)."""
        self._known(a), self._known(b)
        if b not in self._links[a]:
            raise ValueError(f"{a} and {b} are not linked")
        seqs = self._seqs_of(a)
        del self._links[a][b], self._links[b][a]
        self._on_undo(lambda: self._undo(self.link, a, b, seqs=seqs))
        cut = _smaller_side(self._links, a, b)
        if cut is None:
            return Reshape()
        return self._split(self._part_of[a], [cut])

    def remove(self, member: str) -> Reshape:
        """Remove a vertex and its links (a node or group deleted); the rest of its partition
        may fall apart into several, or take another key (its oldest member went). Costs the
        partition's size."""
        self._known(member)
        self._saving(self._part_of[member].key)
        part, birth = self._part_of.pop(member), self._birth.pop(member)
        links = list(self._links.pop(member))
        seqs = {part.key: part.seq}
        for other in links:
            del self._links[other][member]
        del self._born[birth], part.members[member]
        self._on_undo(lambda: self._restore(member, birth, links, seqs))
        if not part.members:
            del self._parts[part.key]
            return Reshape(gone=(part.key,))
        pieces = _components(self._links, links)
        if len(pieces) == 1 and birth != part.key:
            return Reshape()  # still one, still holding its oldest member
        return self._split(part, pieces[:-1] if len(pieces) > 1 else [])

    # --- inside --------------------------------------------------------------------------------

    def _split(self, part: _Component, pieces: list[set[str]]) -> Reshape:
        """``part`` loses ``pieces`` (components of their own now); what stays is the rest. The
        piece with the smallest birth gets the key, the others the smallest of their own;
        all continue from the partition's sequence."""
        old_key = part.key
        del self._parts[old_key]
        for piece in pieces:
            for member in piece:
                del part.members[member]
        components: list[_Component] = [part]
        for piece in pieces:
            # in birth order, not the set's (which PYTHONHASHSEED decides)
            moved = _Component(0, {m: None for m in sorted(piece, key=self._birth.__getitem__)}, part.seq)
            for member in piece:
                self._part_of[member] = moved
            components.append(moved)
        for component in components:
            oldest = self._born.get(old_key)
            holds_oldest = oldest is not None and oldest in component.members
            component.key = old_key if holds_oldest else min(self._birth[m] for m in component.members)
            self._saving(component.key)
            self._parts[component.key] = component
        parts = sorted((Part(c.key, (old_key,), len(c.members)) for c in components), key=lambda p: p.key)
        gone = () if old_key in self._parts else (old_key,)
        return Reshape(gone=gone, parts=tuple(parts))

    # --- persistence of the sequences ------------------------------------------------------------

    def drain_changed(self) -> list[tuple[int, int | None]]:
        """Every key whose sequence changed, or that came or went, since the last call: (key,
        its seq now, or None if it is gone)."""
        changed, self._changed = self._changed, {}
        return [(key, self._parts[key].seq if key in self._parts else None) for key in changed]

    def restore_seq(self, key: int, seq: int) -> bool:
        """A stored sequence back in place (start-up); False if no partition has that key now."""
        part = self._parts.get(key)
        if part is None:
            return False
        part.seq = max(part.seq, seq)
        return True

    def _saving(self, *keys: int) -> None:
        """About to change these keys' sequences (or make or end the keys): note them for the
        store and, in the world's table, remember what they were for the journal."""
        for key in keys:
            self._changed[key] = None
        if not self._journal_seqs:
            return
        current = undo.current()
        if current is None:
            return
        saved = current.memo.get(self)
        if saved is None:
            saved = current.memo[self] = {}
            # the first undo action registered runs last: after the world put the graph back
            current.undo.append(lambda: self._put_back(saved))
        for key in keys:
            if key not in saved:
                part = self._parts.get(key)
                saved[key] = None if part is None else part.seq

    def _put_back(self, saved: dict[int, int | None]) -> None:
        for key, seq in saved.items():
            self._changed[key] = None
            if seq is not None and key in self._parts:
                self._parts[key].seq = seq

    def _known(self, member: str) -> str:
        if member not in self._birth:
            raise KeyError(f"{member} is not in the partition table")
        return member

    def _seqs_of(self, *members: str) -> dict[int, int]:
        """The sequences of the members' partitions, for an undo to put back."""
        return {self._part_of[m].key: self._part_of[m].seq for m in members}

    def _undo(self, inverse: Callable[[str, str], Reshape], a: str, b: str, seqs: dict[int, int]) -> None:
        """Take back a link or unlink: the inverse on the graph gives back the same partitions
        and keys (they depend on the graph alone); then the sequences as they were."""
        with undo.journal():  # the inverse itself is not journaled anywhere
            inverse(a, b)
        self._put_seqs(seqs)

    def _restore(self, member: str, birth: int, links: list[str], seqs: dict[int, int]) -> None:
        with undo.journal():
            self.add(member, birth)
            for other in links:
                self.link(member, other)
        self._put_seqs(seqs)

    def _put_seqs(self, seqs: dict[int, int]) -> None:
        for key, seq in seqs.items():
            if key in self._parts:
                self._parts[key].seq = seq

    def _forget(self, member: str) -> None:
        with undo.journal():
            self.remove(member)


def _ignore(action: Callable[[], None]) -> None:
    """Where an unjournaled table's undo actions go."""


def _smaller_side(links: dict[str, dict[str, None]], a: str, b: str) -> set[str] | None:
    """After the link a-b went: None if a still reaches b, else the smaller of the two
    components (the search from both ends stops when one of them runs out)."""
    seen = ({a}, {b})
    frontier = ([a], [b])
    while frontier[0] and frontier[1]:
        side = 0 if len(seen[0]) <= len(seen[1]) else 1
        member = frontier[side].pop()
        for other in links[member]:
            if other in seen[1 - side]:
                return None
            if other not in seen[side]:
                seen[side].add(other)
                frontier[side].append(other)
    return seen[0] if not frontier[0] else seen[1]


def _components(links: dict[str, dict[str, None]], starts: list[str]) -> list[set[str]]:
    """The components that hold ``starts`` (each once)."""
    found: list[set[str]] = []
    for start in starts:
        if any(start in c for c in found):
            continue
        component, stack = {start}, [start]
        while stack:
            for other in links[stack.pop()]:
                if other not in component:
                    component.add(other)
                    stack.append(other)
        found.append(component)
    return found


class ShardMap:
    """Which shard holds each partition (docs/scale-out.md, 1.2)."""

    def __init__(self, shards: int) -> None:
        shard_of(0, shards)  # refuses a count below 1
        self.shards = shards
        self._shard: dict[int, int] = {}

    def __getitem__(self, key: int) -> int:
        return self._shard[key]

    def __len__(self) -> int:
        return len(self._shard)

    def apply(self, reshape: Reshape) -> list[tuple[int, int, int]]:
        """Follow a reshape; returns the moves it needs: (source key, from shard, to shard) for
        every source partition whose members now live on another shard."""
        old = dict(self._shard)
        moves = []
        for part in reshape.parts:
            shard = old[part.sources[0]] if part.sources else shard_of(part.key, self.shards)
            for source in part.sources:
                if old[source] != shard:
                    moves.append((source, old[source], shard))
            self._shard[part.key] = shard
        for key in reshape.gone:
            if key not in {p.key for p in reshape.parts}:
                self._shard.pop(key, None)
        return moves
