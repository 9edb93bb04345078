"""Taking an oral seat: a random shard with seats left (of those this Lambda took fewest in), then
the others; what this Lambda knows
to be full is refused without a transaction (R-ORAL-4, R-PAY-1, decision 0019).

The "full" memo's rule: a campus is refused without a transaction only
- once every shard refused a seat and a reclaim of its expired holds found none (R-PAY-1);
- for `FULL_MEMO_SECONDS` of real time after that; then one request finds out again with one read
  of the shards' counters while the others are still refused, so a seat given back by a removal
  elsewhere is offered again within about that time (at once in this Lambda, which forgets what it
  knew whenever it gives a seat back or finds one); only the shards that read showed with room are
  tried; when none has, the memo is renewed without a transaction or a reclaim (no hold it knows
  of has expired: that is the next rule);
- never past the `pay_by` of the campus's earliest live hold (read by that reclaim): when a hold
  expires, every request tries again, and the first reclaims it;
- only under the capacity it was made under (R-OPS-2): once this Lambda's catalog gives the
  campus another capacity (the administrator changed it: at once in the administrator's Lambda,
  within the catalog's 30 s in the others), what it knew is forgotten and the next grab tries
  the shards. A Lambda still on the old catalog shows the old capacity's colour, and refuses for
  at most `FULL_MEMO_SECONDS` before its check finds the new seats.
A shard a transaction found full is left out for the same `FULL_MEMO_SECONDS` (a herd's refusals
would otherwise each try every shard); when the shards left all refuse, the reclaim runs, and if it
gave a seat back every shard is tried.
"""

from __future__ import annotations

import random
import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import datetime
from enum import Enum

from chalicelib.domain.errors import CampusFull
from chalicelib.domain.registration import ChosenSubject, Registration
from chalicelib.domain.seats import SeatGrab
from chalicelib.services.registration_ports import RegistrationStore

FULL_MEMO_SECONDS = 2.0


class Known(Enum):
    """What a Lambda knows of a campus before a grab."""

    NOTHING = "nothing"  # not known full: the shards' transactions decide
    FULL = "full"  # refused without a request
    CHECK = "check"  # known full a while ago: this request reads the counters to find out


@dataclass
class _Full:
    until: float  # monotonic
    next_expiry: datetime | None  # service time; None: no live hold known to expire
    checking_until: float = 0.0  # monotonic: one request is finding out whether it still is

    def expired_hold_due(self, now: datetime) -> bool:
        return self.next_expiry is not None and now >= self.next_expiry


@dataclass
class FullSeats:
    """Per Lambda: the campuses a transaction (and a reclaim) just found full, and the shards."""

    clock: Callable[[], float] = time.monotonic
    _campuses: dict[SeatGrab, _Full] = field(default_factory=dict)
    _shards: dict[tuple[SeatGrab, int], float] = field(default_factory=dict)
    _taken_here: Counter[tuple[SeatGrab, int]] = field(default_factory=Counter)
    _trying: Counter[tuple[SeatGrab, int]] = field(default_factory=Counter)
    _capacities: dict[SeatGrab, tuple[int, ...]] = field(default_factory=dict)  # what the memos were made under
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def capacity_seen(self, seat: SeatGrab, capacities: list[int]) -> None:
        """R-OPS-2: the shards' capacities as this grab sees them; others than the memos were made
        under (a capacity change) void them, so the change is honoured by the next grab."""
        seen = tuple(capacities)
        with self._lock:
            if self._capacities.get(seat, seen) != seen:
                self._forget(seat)
            self._capacities[seat] = seen

    def campus_full(self, seat: SeatGrab, now: datetime) -> Known:
        """Once the memo is older than FULL_MEMO_SECONDS, one request finds out again (CHECK)
        while the others are still refused; once a live hold's `pay_by` passes, every one does."""
        at = self.clock()
        with self._lock:
            known = self._campuses.get(seat)
            if known is None:
                return Known.NOTHING
            if known.expired_hold_due(now):
                del self._campuses[seat]
                return Known.NOTHING
            if at < known.until or at < known.checking_until:
                return Known.FULL
            known.checking_until = at + FULL_MEMO_SECONDS  # this request checks; if it dies, another will
            return Known.CHECK

    def still_full(self, seat: SeatGrab) -> None:
        """The check found no shard with room: known full again, until the same next expiry."""
        with self._lock:
            known = self._campuses.get(seat)
            if known is not None:
                self._campuses[seat] = _Full(self.clock() + FULL_MEMO_SECONDS, known.next_expiry)

    def room_found(self, seat: SeatGrab, room: list[int], shards: int) -> None:
        """The check found seats in `room`: not known full; the other shards are, for a moment."""
        with self._lock:
            self._campuses.pop(seat, None)
            for n in range(shards):
                if n not in room:
                    self._shards[(seat, n)] = self.clock() + FULL_MEMO_SECONDS

    def shards_to_try(self, seat: SeatGrab, capacities: list[int], everyone: bool = False) -> list[int]:
        """The shards not found full lately (every shard when `everyone`), in random order, those
        this Lambda has taken or is taking fewest seats in first, and those it alone has filled
        last: the shards fill evenly and few grabs meet a full one. An order, never a refusal."""
        at = self.clock()
        with self._lock:
            shards = range(len(capacities))
            full = {n for n in shards if not everyone and self._shards.get((seat, n), 0.0) > at}
            here = {n: self._taken_here[(seat, n)] + self._trying[(seat, n)] for n in shards}
        open_ = [n for n in shards if n not in full]
        return sorted(random.sample(open_, len(open_)), key=lambda n: (here[n] >= capacities[n], here[n]))

    def trying(self, seat: SeatGrab, shard: int, started: bool) -> None:
        with self._lock:
            self._trying[(seat, shard)] += 1 if started else -1

    def shard_found_full(self, seat: SeatGrab, shard: int) -> None:
        with self._lock:
            self._shards[(seat, shard)] = self.clock() + FULL_MEMO_SECONDS

    def found_full(self, seat: SeatGrab, next_expiry: datetime | None) -> None:
        with self._lock:
            self._campuses[seat] = _Full(self.clock() + FULL_MEMO_SECONDS, next_expiry)

    def seat_found(self, seat: SeatGrab, shard: int) -> None:
        with self._lock:
            self._campuses.pop(seat, None)
            self._taken_here[(seat, shard)] += 1

    def forget(self, seat: SeatGrab) -> None:
        """A seat went back (or was found): nothing is known full any more."""
        with self._lock:
            self._forget(seat)

    def _forget(self, seat: SeatGrab) -> None:
        self._campuses.pop(seat, None)
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
    capacities: list[int],
    now: datetime,
) -> ChosenSubject:
    """Hold `chosen` with a seat in one of the campus's shards (of these `capacities`, as loaded
    when the capacity was split evenly); raises CampusFull, LevelTaken.

    A campus known full costs no request, and one read of its counters once the memo is old;
    otherwise one transaction per shard tried, and when every shard is full, one query that
    reclaims expired holds (R-PAY-1) before refusing.
    """
    assert chosen.campus_id is not None
    seat = SeatGrab(chosen.campus_id, chosen.code)
    if same_seat(chosen, replacing):
        assert replacing is not None
        taking = replace(chosen, shard=replacing.shard)
        try:
            store.add_subject(registration, taking, replacing)
        except CampusFull:
            # R-WAIT-2 took the expired hold's seat for the waiting list; R-PAY-1: the campus's
            # other expired holds (this one among them) come back before anyone is refused
            store.reclaim_expired_holds(seat, now)
            raise
        return taking
    full.capacity_seen(seat, capacities)
    known = full.campus_full(seat, now)
    if known is Known.FULL:
        raise CampusFull()
    if known is Known.CHECK:
        room = store.shards_with_room(seat)
        if not room:
            full.still_full(seat)
            raise CampusFull()
        full.room_found(seat, room, len(capacities))
    for last_round in (False, True):
        for shard in full.shards_to_try(seat, capacities, everyone=last_round):
            taking = replace(chosen, shard=shard)
            full.trying(seat, shard, started=True)
            try:
                store.add_subject(registration, taking, replacing)
            except CampusFull:
                full.shard_found_full(seat, shard)
                continue
            finally:
                full.trying(seat, shard, started=False)
            full.seat_found(seat, shard)
            return taking
        if last_round:
            break
        reclaimed = store.reclaim_expired_holds(seat, now)
        if not reclaimed.released:
            full.found_full(seat, reclaimed.next_expiry)
            break
        full.forget(seat)
    raise CampusFull()
