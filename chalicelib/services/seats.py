"""Taking an oral seat: a random shard with seats left, then the others; what this Lambda knows
to be full is refused without a transaction (R-ORAL-4, R-PAY-1, decision 0018).

The "full" memo's rule: a campus (or a shard) is taken for full only
- for `FULL_MEMO_SECONDS` of real time after a transaction found it full, so a seat given back by
  a removal elsewhere is offered again within that time (at once in this Lambda, which forgets
  what it knew whenever it gives a seat back), and
- never past the `pay_by` of the campus's earliest live hold (read when the campus was last
  reclaimed): expired holds always come back (R-PAY-1) before anyone is refused for good.
"""

from __future__ import annotations

import random
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import datetime

from chalicelib.domain.errors import CampusFull
from chalicelib.domain.registration import ChosenSubject, Registration
from chalicelib.services.ports import RegistrationStore, SeatGrab

FULL_MEMO_SECONDS = 2.0


@dataclass
class _Full:
    until: float  # monotonic
    next_expiry: datetime | None  # service time; None: no live hold known to expire

    def holds(self, at: float, now: datetime) -> bool:
        return at < self.until and (self.next_expiry is None or now < self.next_expiry)


@dataclass
class FullSeats:
    """Per Lambda: the campuses and shards a transaction (or a reclaim) just found full."""

    clock: Callable[[], float] = time.monotonic
    _campuses: dict[SeatGrab, _Full] = field(default_factory=dict)
    _shards: dict[tuple[SeatGrab, int], _Full] = field(default_factory=dict)
    _next_expiry: dict[SeatGrab, datetime | None] = field(default_factory=dict)  # from the last reclaim
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def campus_full(self, seat: SeatGrab, now: datetime) -> bool:
        with self._lock:
            known = self._campuses.get(seat)
            if known is None:
                return False
            if known.holds(self.clock(), now):
                return True
            del self._campuses[seat]
            return False

    def shards_to_try(self, seat: SeatGrab, shards: int, now: datetime) -> list[int]:
        """A random shard first, then the others; shards just found full are left out."""
        at = self.clock()
        with self._lock:
            open_ = [n for n in range(shards) if not ((known := self._shards.get((seat, n))) and known.holds(at, now))]
        start = random.randrange(len(open_)) if open_ else 0  # noqa: S311 (spreading load, not a secret)
        return open_[start:] + open_[:start]

    def shard_found_full(self, seat: SeatGrab, shard: int) -> None:
        with self._lock:
            expiry = self._next_expiry.get(seat)
            self._shards[(seat, shard)] = _Full(self.clock() + FULL_MEMO_SECONDS, expiry)

    def found_full(self, seat: SeatGrab, next_expiry: datetime | None) -> None:
        with self._lock:
            self._next_expiry[seat] = next_expiry
            self._campuses[seat] = _Full(self.clock() + FULL_MEMO_SECONDS, next_expiry)

    def forget(self, seat: SeatGrab) -> None:
        """A seat went back here: offer every shard again."""
        with self._lock:
            self._campuses.pop(seat, None)
            self._next_expiry.pop(seat, None)
            for key in [key for key in self._shards if key[0] == seat]:
                del self._shards[key]


def same_seat(chosen: ChosenSubject, replacing: ChosenSubject | None) -> bool:
    """An expired hold at the same campus hands its seat (and its shard) straight over."""
    return replacing is not None and (replacing.campus_id, replacing.code) == (chosen.campus_id, chosen.code)


def hold_a_seat(
    store: RegistrationStore,
    full: FullSeats,
    registration: Registration,
    chosen: ChosenSubject,
    replacing: ChosenSubject | None,
    shards: int,
    now: datetime,
) -> ChosenSubject:
    """Hold `chosen` with a seat in one of the campus's `shards`; raises CampusFull, LevelTaken.

    A campus known full costs no request; otherwise one transaction per shard tried, and when
    every shard is full, one query that reclaims expired holds (R-PAY-1) before refusing.
    """
    assert chosen.campus_id is not None
    if same_seat(chosen, replacing):
        assert replacing is not None
        taking = replace(chosen, shard=replacing.shard)
        store.add_subject(registration, taking, replacing)
        return taking
    seat = SeatGrab(chosen.campus_id, chosen.code)
    if full.campus_full(seat, now):
        raise CampusFull()
    for last_round in (False, True):
        for shard in full.shards_to_try(seat, shards, now):
            taking = replace(chosen, shard=shard)
            try:
                store.add_subject(registration, taking, replacing)
            except CampusFull:
                full.shard_found_full(seat, shard)
                continue
            return taking
        if last_round:
            break
        reclaimed = store.reclaim_expired_holds(seat, now)
        if not reclaimed.released:
            full.found_full(seat, reclaimed.next_expiry)
            break
        full.forget(seat)
    raise CampusFull()
