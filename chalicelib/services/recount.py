"""Rebuild the overview's counters from the items while registration runs (R-OPS-1, decision 0027).

Each round: read every counter, count the items (a scan), read every counter again. A counter whose
`version` did not move between the two readings counted exactly the items as they were while it was
read; its difference is written as an ADD, on the condition that no other recount corrected it since
the first reading. A counter that moved is tried in the next round; after the last it is reported
unsettled (run again, ideally when registration is quieter).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Protocol

from chalicelib.domain.recount import Counted, CounterKey, Difference, Reading, RecountOutcome, compare

ROUNDS = 3

# Told while the items are counted: items scanned so far in this round, the round (1, 2, ...).
ScanProgress = Callable[[int, int], None]


class RecountStore(Protocol):
    def counters(self) -> dict[CounterKey, Reading]:
        """Every counter item, read strongly consistent."""

    def count(self, told: Callable[[int], None]) -> dict[CounterKey, Counted]:
        """What every counter should be, from a strongly consistent scan of the items; `told` the
        items scanned so far, from the scanning threads."""

    def correct(self, difference: Difference) -> bool:
        """ADD the difference, conditioned on the counter's `recounts` being the one read; False
        when another recount corrected it since."""


def recount(
    store: RecountStore, *, dry_run: bool = False, rounds: int = ROUNDS, progress: ScanProgress | None = None
) -> RecountOutcome:
    pending: set[CounterKey] | None = None  # None: every counter
    compared: set[CounterKey] = set()
    differences: list[Difference] = []
    corrected: list[CounterKey] = []
    done = 0
    for done in range(1, rounds + 1):

        def told(scanned: int, round_number: int = done) -> None:
            if progress is not None:
                progress(scanned, round_number)

        before = store.counters()
        counted = store.count(told)
        after = store.counters()
        keys = set(before) | set(counted) | set(after)
        if pending is not None:
            keys &= pending
        compared |= keys
        found, moved = compare(keys, before, counted, after)
        for difference in found:
            if dry_run or store.correct(difference):
                differences.append(difference)
                corrected += [] if dry_run else [difference.key]
            else:
                moved.append(difference.key)  # another recount corrected it meanwhile: count again
        pending = set(moved)
        if not pending:
            break
    return RecountOutcome(
        counters=len(compared),
        differences=tuple(differences),
        corrected=tuple(corrected),
        unsettled=tuple(sorted(pending or ())),
        rounds=done,
    )
