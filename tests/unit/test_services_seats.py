"""Taking a seat in one of a campus's shards, and what a Lambda may know to be full
(R-ORAL-4, R-PAY-1, services/seats.py, decision 0019)."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta

import pytest

from chalicelib.domain.catalog import SubjectKind
from chalicelib.domain.errors import CampusFull
from chalicelib.domain.registration import ChosenSubject, Registration, SubjectStatus
from chalicelib.domain.seats import Reclaimed, SeatGrab
from chalicelib.services.seats import FULL_MEMO_SECONDS, FullSeats, Known, hold_a_seat
from tests import factories

NOW = factories.NOW
SEAT = SeatGrab("NJU-GL", "CET-SET4")


@dataclass
class Shards:
    """A store that only knows seat counter shards: what a grab and a reclaim cost, counted."""

    capacity: list[int]
    taken: list[int] = field(default_factory=list)
    expired: int = 0  # expired holds a reclaim would give back (to shard 0)
    next_expiry: datetime | None = None
    transactions: int = 0
    reclaims: int = 0
    reads: int = 0
    shards_tried: list[int] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.taken = self.taken or [0] * len(self.capacity)

    def add_subject(self, registration: Registration, chosen: ChosenSubject, replacing: ChosenSubject | None) -> None:
        self.transactions += 1
        assert chosen.shard is not None
        self.shards_tried.append(chosen.shard)
        same = replacing is not None and replacing.campus_id == chosen.campus_id
        if not same and self.taken[chosen.shard] >= self.capacity[chosen.shard]:
            raise CampusFull()
        if not same:
            self.taken[chosen.shard] += 1

    def reclaim_expired_holds(self, seat: SeatGrab, now: datetime) -> Reclaimed:
        self.reclaims += 1
        released, self.expired = self.expired, 0
        self.taken[0] -= released
        return Reclaimed(released, self.next_expiry)

    def shards_with_room(self, seat: SeatGrab) -> list[int]:
        self.reads += 1
        return [n for n, taken in enumerate(self.taken) if taken < self.capacity[n]]


@dataclass
class Ticking:
    at: float = 0.0

    def __call__(self) -> float:
        return self.at


def hold(n: int = 0) -> ChosenSubject:
    return ChosenSubject(
        "CET-SET4", SubjectKind.ORAL, 4, 5000, SubjectStatus.UNPAID, NOW, NOW + timedelta(hours=24), f"h{n}", "NJU-GL"
    )


REGISTRATION = Registration("acc", factories.entry(factories.ZHANG), NOW)


def grab(store: Shards, full: FullSeats, n: int = 0, now: datetime = NOW) -> ChosenSubject:
    return hold_a_seat(store, full, REGISTRATION, hold(n), None, store.capacity, now)  # type: ignore[arg-type]


def test_r_oral_4_a_hold_records_the_shard_its_seat_was_taken_in() -> None:
    store = Shards([1, 1, 1, 1])
    taken = {grab(store, FullSeats(), n).shard for n in range(4)}
    assert taken == {0, 1, 2, 3}
    assert store.taken == [1, 1, 1, 1]


def test_r_oral_4_a_full_shard_sends_the_grab_to_the_others_before_refusing() -> None:
    store = Shards([0, 0, 1, 0])
    assert grab(store, FullSeats()).shard == 2


def test_r_oral_4_the_shards_fill_evenly_so_grabs_meet_few_full_ones() -> None:
    store = Shards([3, 3, 3, 3])
    full = FullSeats()
    for n in range(12):
        grab(store, full, n)
    assert store.taken == [3, 3, 3, 3]
    assert store.transactions == 12  # not one grab met a full shard


def test_r_oral_4_a_random_shard_first_spreads_the_grabs() -> None:
    store = Shards([1000] * 4)
    full = FullSeats()
    firsts = {grab(store, full, n).shard for n in range(200)}
    assert firsts == {0, 1, 2, 3}


def test_r_oral_4_each_new_lambda_tries_a_random_shard_first() -> None:
    """R-ORAL-4, decision 0019: a fresh Lambda knows nothing of the shards, so its first grab starts on a
    random one; were it always shard 0, every cold start of a herd would meet on one counter."""
    store = Shards([1000] * 4)
    firsts = []
    for n in range(200):
        tried = len(store.shards_tried)
        grab(store, FullSeats(), n)  # each grab in a Lambda of its own
        firsts.append(store.shards_tried[tried])
    assert set(firsts) == {0, 1, 2, 3}
    assert max(firsts.count(n) for n in range(4)) < 100  # about 50 each, never most on one


def test_r_oral_4_a_shard_found_full_is_left_out_only_for_a_moment() -> None:
    clock = Ticking()
    store = Shards([1, 5], taken=[1, 0])
    full = FullSeats(clock=clock)
    full.shard_found_full(SEAT, 1)  # stale knowledge: shard 1 has room
    with pytest.raises(CampusFull):  # shard 0 refuses; shard 1 is not tried within the moment
        grab(store, full)
    assert store.shards_tried == [0]
    clock.at = FULL_MEMO_SECONDS + 0.1
    assert grab(store, full, 1).shard == 1


def test_r_pay_1_after_a_reclaim_that_gave_a_seat_back_every_shard_is_tried() -> None:
    store = Shards([1, 1], taken=[1, 1], expired=1)
    full = FullSeats(clock=Ticking())
    full.shard_found_full(SEAT, 0)
    full.shard_found_full(SEAT, 1)
    assert grab(store, full).shard == 0  # the reclaim freed shard 0's expired hold
    assert store.reclaims == 1


def test_r_oral_4_a_campus_known_full_is_refused_without_a_transaction() -> None:
    store = Shards([1, 1], taken=[1, 1])
    full = FullSeats(clock=Ticking())
    with pytest.raises(CampusFull):
        grab(store, full)
    assert (store.transactions, store.reclaims) == (2, 1)
    with pytest.raises(CampusFull):
        grab(store, full, 1)
    assert (store.transactions, store.reclaims) == (2, 1)


def test_r_pay_1_the_memo_never_outlives_the_next_hold_expiry() -> None:
    """A hold that expires gives its seat back: past its pay_by the campus is tried again."""
    store = Shards([1], taken=[1], next_expiry=NOW + timedelta(minutes=5))
    full = FullSeats(clock=Ticking())
    with pytest.raises(CampusFull):
        grab(store, full)
    store.expired = 1
    later = NOW + timedelta(minutes=5)
    assert grab(store, full, 1, now=later).shard == 0
    assert store.reclaims == 2


def test_r_oral_4_after_its_time_one_request_checks_again_while_the_others_are_still_refused() -> None:
    clock = Ticking()
    store = Shards([1], taken=[1])
    full = FullSeats(clock=clock)
    with pytest.raises(CampusFull):
        grab(store, full)
    clock.at = FULL_MEMO_SECONDS + 0.1
    assert full.campus_full(SEAT, NOW) is Known.CHECK  # this request checks
    assert full.campus_full(SEAT, NOW) is Known.FULL  # the others meanwhile: still refused
    clock.at += FULL_MEMO_SECONDS  # the checking request never came back: another one checks
    store.taken[0] = 0  # a seat went back elsewhere
    assert grab(store, full).shard == 0
    assert full.campus_full(SEAT, NOW) is Known.NOTHING


def test_r_oral_4_a_check_that_finds_the_campus_still_full_costs_one_read() -> None:
    """The aged memo is checked with one read of the counters: no transaction, no reclaim."""
    clock = Ticking()
    store = Shards([1, 1, 1, 1], taken=[1, 1, 1, 1], next_expiry=NOW + timedelta(hours=1))
    full = FullSeats(clock=clock)
    with pytest.raises(CampusFull):
        grab(store, full)
    before = (store.transactions, store.reclaims)
    clock.at = FULL_MEMO_SECONDS + 0.1
    with pytest.raises(CampusFull):
        grab(store, full, 1)
    assert (store.transactions, store.reclaims, store.reads) == (*before, 1)
    assert full.campus_full(SEAT, NOW) is Known.FULL  # renewed for another moment
    later = NOW + timedelta(hours=1)  # R-PAY-1: the next expiry is still remembered
    assert full.campus_full(SEAT, later) is Known.NOTHING


def test_r_oral_4_a_check_that_finds_room_tries_only_the_shards_with_room() -> None:
    clock = Ticking()
    store = Shards([1, 1, 1, 1], taken=[1, 1, 1, 1])
    full = FullSeats(clock=clock)
    with pytest.raises(CampusFull):
        grab(store, full)
    store.taken[2] = 0  # a removal in another Lambda gave a seat back
    store.shards_tried.clear()
    clock.at = FULL_MEMO_SECONDS + 0.1
    assert grab(store, full, 1).shard == 2
    assert store.shards_tried == [2]


def test_r_oral_5_a_seat_given_back_here_is_offered_at_once() -> None:
    store = Shards([1], taken=[1])
    full = FullSeats(clock=Ticking())
    with pytest.raises(CampusFull):
        grab(store, full)
    store.taken[0] = 0
    full.forget(SEAT)
    assert grab(store, full).shard == 0


def test_r_pay_1_an_expired_hold_found_by_the_reclaim_is_taken_again_at_once() -> None:
    store = Shards([1, 1], taken=[1, 1], expired=1)
    assert grab(store, FullSeats()).shard == 0
    assert store.reclaims == 1


def test_r_pay_1_an_expired_hold_at_the_same_campus_hands_over_its_shard() -> None:
    store = Shards([1, 1], taken=[0, 1])
    stale = replace(hold(9), shard=1)
    chosen = hold_a_seat(store, FullSeats(), REGISTRATION, hold(), stale, [1, 1], NOW)  # type: ignore[arg-type]
    assert chosen.shard == 1
    assert store.taken == [0, 1]


def test_r_ops_2_a_capacity_raised_on_a_full_campus_is_honoured_by_the_next_grab() -> None:
    """R-OPS-2: the administrator raises a full campus's capacity; a Lambda whose catalog says so
    (the one that showed the seats as free) forgets its "full" memo and takes a seat at once, not
    2 s later. One still on the old catalog refuses without a request for at most
    FULL_MEMO_SECONDS, then its check finds the new seats."""
    clock = Ticking()
    store = Shards([1, 1], taken=[1, 1])
    fresh, stale = FullSeats(clock=clock), FullSeats(clock=clock)
    for full in (fresh, stale):
        with pytest.raises(CampusFull):
            grab(store, full)
        assert full.campus_full(SEAT, NOW) is Known.FULL
    store.capacity = [2, 2]  # the change, in the counters and in the catalog of `fresh`
    assert grab(store, fresh, 1).shard in {0, 1}
    old = [1, 1]  # `stale`'s catalog, up to 30 s old
    with pytest.raises(CampusFull):
        hold_a_seat(store, stale, REGISTRATION, hold(2), None, old, NOW)  # type: ignore[arg-type]
    clock.at = FULL_MEMO_SECONDS + 0.1
    assert hold_a_seat(store, stale, REGISTRATION, hold(2), None, old, NOW).shard in {0, 1}  # type: ignore[arg-type]
