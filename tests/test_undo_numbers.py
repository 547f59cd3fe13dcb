"""Numbers drawn inside a command (ids, births, event and deployment sequences) come back when
the command fails, unless a later number was drawn since by another command."""

from __future__ import annotations

from edgesim.engine import undo


class Owner:
    seq = 0


def test_a_failed_command_gives_its_numbers_back():
    owner = Owner()
    with undo.journal() as failed:
        assert [undo.next_number(owner, "seq") for _ in range(2)] == [1, 2]
    failed.rollback()
    assert owner.seq == 0
    assert undo.next_number(owner, "seq") == 1  # drawn again


def test_a_number_drawn_since_by_another_command_is_kept():
    owner = Owner()
    with undo.journal() as failed:
        undo.next_number(owner, "seq")
    with undo.journal() as other:
        assert undo.next_number(owner, "seq") == 2
    other.committed()
    failed.rollback()
    assert owner.seq == 2  # 1 is lost, never reused: 2 is taken
