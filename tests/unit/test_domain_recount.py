"""Recounting the overview's counters (R-OPS-1, decision 0027): which counters are corrected."""

from __future__ import annotations

from chalicelib.domain.recount import Counted, CounterKey, Difference, Reading, compare

A, B, C, D = (CounterKey(0, sk) for sk in ("A", "B", "C", "D"))


def test_r_ops_1_a_counter_that_moved_waits_for_the_next_round_the_others_are_compared() -> None:
    before = {A: Reading(1, 0, 1), B: Reading(5, 0, 3), C: Reading(2, 300, 7)}
    after = {A: Reading(2, 0, 2), B: Reading(5, 0, 3), C: Reading(2, 300, 7)}
    counted = {A: Counted(2), B: Counted(4), C: Counted(2, 300)}
    differences, moved = compare({A, B, C}, before, counted, after)
    assert moved == [A]
    assert differences == [Difference(B, Reading(5, 0, 3), Counted(4))]
    assert differences[0].value_delta == -1


def test_r_ops_1_a_counter_never_written_gets_what_is_counted_and_one_with_nothing_counted_goes_to_zero() -> None:
    """An item the counters never had (a registration saved before them), a counter nothing counts."""
    differences, moved = compare({C, D}, {D: Reading(3, 900, 4)}, {C: Counted(1, 3000)}, {D: Reading(3, 900, 4)})
    assert moved == []
    assert differences == [Difference(C, Reading(), Counted(1, 3000)), Difference(D, Reading(3, 900, 4), Counted())]
    assert (differences[0].amount_delta, differences[1].amount_delta) == (3000, -900)
