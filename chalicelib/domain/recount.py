"""Recounting the overview's counters from the items (R-OPS-1, decision 0027): plain values.

A counter is one item of a figure shard (storage/figures.py). Each is corrected on its own, from
two readings taken around the scan of the items it counts: settled when nothing wrote it in between
(its `version` did not move), then the difference counted − kept is its drift, which no later
counted write changes (every such write adds the same to the items' count and to the counter).
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, order=True)
class CounterKey:
    shard: int
    sk: str


@dataclass(frozen=True)
class Reading:
    """A counter as stored; an absent item reads as zeros with no version."""

    value: int = 0
    amount: int = 0
    version: int | None = None
    recounts: int = 0


@dataclass(frozen=True)
class Counted:
    """What the items say the counter should be."""

    value: int = 0
    amount: int = 0


@dataclass(frozen=True)
class Difference:
    key: CounterKey
    kept: Reading
    counted: Counted

    @property
    def value_delta(self) -> int:
        return self.counted.value - self.kept.value

    @property
    def amount_delta(self) -> int:
        return self.counted.amount - self.kept.amount


@dataclass(frozen=True)
class RecountOutcome:
    counters: int  # counters compared (kept or counted)
    differences: tuple[Difference, ...]  # settled ones whose kept value was not the count
    corrected: tuple[CounterKey, ...]  # written (none on a dry run)
    unsettled: tuple[CounterKey, ...]  # kept moving, or corrected by another recount: run again
    rounds: int

    @property
    def settled(self) -> bool:
        return not self.unsettled


def quiet(before: Reading | None, after: Reading | None) -> bool:
    """Nothing wrote the counter between the two readings (absent both times counts as quiet)."""
    return (before or Reading()).version == (after or Reading()).version


def compare(
    keys: set[CounterKey],
    before: dict[CounterKey, Reading],
    counted: dict[CounterKey, Counted],
    after: dict[CounterKey, Reading],
) -> tuple[list[Difference], list[CounterKey]]:
    """Of `keys`: the differences of the counters that stayed quiet, and the ones that moved."""
    differences: list[Difference] = []
    moved: list[CounterKey] = []
    for key in sorted(keys):
        if not quiet(before.get(key), after.get(key)):
            moved.append(key)
            continue
        kept = before.get(key, Reading())
        found = counted.get(key, Counted())
        if (kept.value, kept.amount) != (found.value, found.amount):
            differences.append(Difference(key, kept, found))
    return differences, moved
