"""A campus's seats for an oral subject, spread over counter shards (R-ORAL-3/4 at scale).

One counter item takes about 1,000 writes a second and simultaneous transactions on it cancel each
other (decision 0019): the capacity is split over `k` shards, each with its own capacity and
`taken`, the capacities summing to the offering's. A grab takes one seat in one shard; a hold
remembers its shard so its release gives back exactly that seat.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

DEFAULT_SEAT_SHARD_SIZE = 50  # seats per shard when the province does not say
MAX_SEAT_SHARDS = 16


def shard_count(capacity: int, seat_shard_size: int | None) -> int:
    """How many shards an offering of `capacity` seats is spread over: 1 to 16."""
    size = seat_shard_size or DEFAULT_SEAT_SHARD_SIZE
    return max(1, min(MAX_SEAT_SHARDS, math.ceil(capacity / size)))


def split(capacity: int, shards: int) -> list[int]:
    """The capacity split as evenly as it goes; the first shards get the odd seats."""
    base, extra = divmod(max(0, capacity), shards)
    return [base + (1 if n < extra else 0) for n in range(shards)]


def reshard(capacity: int, shards: int, taken: Sequence[int]) -> list[int]:
    """Capacities for a reload: never below a shard's `taken`, summing to `capacity` whenever the
    seats already taken leave room (else every shard is full at what it holds: no new grabs).

    `taken` lists the seats held in the shards that exist (shard n at index n); `shards` is the
    count wanted, never fewer than exist (a shard that exists keeps counting its holds).
    """
    count = max(shards, len(taken))
    held = [*taken, *([0] * (count - len(taken)))]
    target = split(capacity, count)
    capacities = [max(t, h) for t, h in zip(target, held, strict=True)]
    surplus = sum(capacities) - capacity
    # Shards raised to their holds pushed the sum past the capacity: take the surplus back from the
    # shards with free seats, the most free first.
    while surplus > 0:
        free = [(c - h, n) for n, (c, h) in enumerate(zip(capacities, held, strict=True)) if c > h]
        if not free:
            break
        _, n = max(free)
        capacities[n] -= 1
        surplus -= 1
    return capacities


@dataclass(frozen=True)
class SeatGrab:
    """An oral seat to hold: the counter at `campus_id` + `subject` must stay within capacity."""

    campus_id: str
    subject: str


@dataclass(frozen=True)
class Reclaimed:
    """What reclaiming a campus's expired holds did, and when the next live hold expires."""

    released: int
    next_expiry: datetime | None
