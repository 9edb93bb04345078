"""The recount's rounds (R-OPS-1, decision 0027) on a fake store: a counter written while it was
counted is not corrected from that count; it is counted again, and reported unsettled (exit 1) when
it never stays still; a counter another recount corrected meanwhile is counted again too."""

from __future__ import annotations

import io
from collections.abc import Callable
from dataclasses import replace

from chalicelib.domain.recount import Counted, CounterKey, Difference, Reading
from chalicelib.services.recount import recount
from province.recount import report

QUIET, BUSY = CounterKey(3, "LATE"), CounterKey(5, "ORDERS#open")


class FakeStore:
    def __init__(self, busy_rounds: int, lost_corrections: int = 0) -> None:
        self.kept = {QUIET: Reading(value=0, version=7), BUSY: Reading(value=9, version=2)}
        self.truth = {QUIET: Counted(2), BUSY: Counted(4)}
        self.busy_rounds = busy_rounds  # rounds in which BUSY is written while the items are counted
        self.lost_corrections = lost_corrections  # corrections refused: another recount went first
        self.rounds = 0
        self.written: list[Difference] = []

    def counters(self) -> dict[CounterKey, Reading]:
        return dict(self.kept)

    def count(self, told: Callable[[int], None]) -> dict[CounterKey, Counted]:
        self.rounds += 1
        told(10)
        if self.rounds <= self.busy_rounds:  # a student's order, counted in the items and the counter
            self.kept[BUSY] = replace(self.kept[BUSY], value=self.kept[BUSY].value + 1, version=self.rounds + 2)
            self.truth[BUSY] = Counted(self.truth[BUSY].value + 1)
        return dict(self.truth)

    def correct(self, difference: Difference) -> bool:
        if self.lost_corrections:
            self.lost_corrections -= 1
            return False
        self.written.append(difference)
        kept = self.kept[difference.key]
        self.kept[difference.key] = replace(kept, value=kept.value + difference.value_delta, recounts=1)
        return True


def test_r_ops_1_a_counter_written_while_counted_is_counted_again_then_corrected() -> None:
    store = FakeStore(busy_rounds=1)
    outcome = recount(store)
    assert outcome.settled
    assert outcome.rounds == 2
    assert [(d.key, d.value_delta) for d in store.written] == [(QUIET, 2), (BUSY, -5)]
    assert store.kept[BUSY].value == store.truth[BUSY].value == 5
    out, err = io.StringIO(), io.StringIO()
    assert report(outcome, False, out, err) == 0
    assert "FIGURES#5 ORDERS#open：记录 10，实有 5（-5）" in out.getvalue()
    assert "不符 2 个，已更正 2 个。" in out.getvalue()


def test_r_ops_1_a_counter_that_never_stays_still_is_reported_unsettled_with_exit_1() -> None:
    store = FakeStore(busy_rounds=99)
    outcome = recount(store, rounds=3)
    assert outcome.unsettled == (BUSY,)
    assert outcome.rounds == 3
    assert [d.key for d in store.written] == [QUIET]
    out, err = io.StringIO(), io.StringIO()
    assert report(outcome, False, out, err) == 1
    assert "请再运行一次" in err.getvalue()
    assert "FIGURES#5 ORDERS#open" in err.getvalue()


def test_r_ops_1_a_correction_another_recount_made_first_is_counted_again() -> None:
    store = FakeStore(busy_rounds=0, lost_corrections=1)
    outcome = recount(store)
    assert outcome.settled
    assert outcome.rounds == 2
    assert {d.key for d in store.written} == {QUIET, BUSY}


def test_r_ops_1_a_dry_run_writes_nothing_and_lists_the_differences() -> None:
    store = FakeStore(busy_rounds=0)
    outcome = recount(store, dry_run=True)
    assert store.written == []
    assert outcome.corrected == ()
    assert [d.key for d in outcome.differences] == [QUIET, BUSY]
    out = io.StringIO()
    assert report(outcome, True, out, io.StringIO()) == 0
    assert "不符 2 个，试运行，未写入。" in out.getvalue()
