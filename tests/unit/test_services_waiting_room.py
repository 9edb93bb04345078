"""The waiting room's services on the fakes (R-QUEUE-2, R-QUEUE-4): join, re-join, the job's order."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta
from typing import Any

import pytest

from chalicelib.domain.accounts import Account
from chalicelib.domain.clock import FixedClock
from chalicelib.domain.errors import RegistrationRequired
from chalicelib.domain.registration import Registration
from chalicelib.domain.reload import QueueOpened
from chalicelib.domain.waiting_room import (
    ORDER_GRACE,
    EntryState,
    Opening,
    OpeningProgress,
    QueueClaim,
    QueueEntry,
    pre_opening_order,
)
from chalicelib.services import waiting_room, waiting_room_admission
from chalicelib.services.province import ProvinceLoading, load_province
from tests import factories
from tests.fake_waiting_room import FakeWaitingRoom
from tests.fakes import FakeAccounts, FakeActivations, FakeCatalog, FakeDatabase, FakeProvince, FakeRegistrations

NOW = factories.NOW
OPENING = Opening("O", "集中开放", NOW, NOW + timedelta(hours=1), NOW + timedelta(hours=5), ("NJU-GL",), 2, 10)
ROLL = factories.many_students(4)


def context(clock: FixedClock) -> waiting_room.WaitingRoomContext:
    db = FakeDatabase()
    data = factories.province(extra_students=len(ROLL))
    data.catalog.openings[OPENING.id] = OPENING
    loading = ProvinceLoading(FakeProvince(db), FakeAccounts(db), FakeActivations(db), factories.protection)
    load_province(loading, data, OPENING.queue_opens_at - timedelta(minutes=1))  # before its queue opens (R-QUEUE-3)
    return waiting_room.WaitingRoomContext(
        FakeCatalog(db), FakeWaitingRoom(db), clock, FakeRegistrations(db), FakeAccounts(db)
    )


def student(n: int) -> Account:
    return Account(f"acc{n}", f"s{n}@example.cn", "-")


def registered(
    ctx: waiting_room.WaitingRoomContext, account: Account, row: int, saved_at: datetime = NOW
) -> Registration:
    """`account` bound to the roll's `ROLL[row]` (R-BIND-1), saved at `saved_at`."""
    registration = Registration(account.account_id, factories.entry(ROLL[row]), saved_at)
    registrations: Any = ctx.files
    registrations.bind(registration)
    return registration


def test_r_queue_4_a_lapsed_admission_re_joins_at_the_back_once() -> None:
    clock = FixedClock(NOW)
    ctx = context(clock)
    for n in range(3):
        registered(ctx, student(n), n)
        assert waiting_room.join(ctx, student(n), OPENING.id).created
    clock._now = OPENING.opens_at + ORDER_GRACE
    waiting_room_admission.run_admission(ctx)
    seed = ctx.waiting_room.seed(OPENING.id)
    assert seed is not None
    first = pre_opening_order(seed, [student(n).account_id for n in range(3)])[0]
    me = next(student(n) for n in range(3) if student(n).account_id == first)
    assert waiting_room.current_entry(ctx, me, OPENING.id)[1].state is EntryState.ADMITTED
    assert not waiting_room.join(ctx, me, OPENING.id).created  # live: the same entry
    clock.advance(10 * 60)
    again = waiting_room.join(ctx, me, OPENING.id)
    assert (again.created, again.entry.round, again.entry.position) == (True, 1, None)
    assert not waiting_room.join(ctx, me, OPENING.id).created  # once: a second POST finds it waiting
    waiting_room_admission.run_admission(ctx)
    assert waiting_room.current_entry(ctx, me, OPENING.id)[1].position == 4


def test_r_queue_2_joining_needs_a_saved_registration_still_there() -> None:
    """R-QUEUE-2 (amended): an account without a bound candidate cannot join (409
    REGISTRATION_REQUIRED), nor one whose registration is gone (R-BIND-4: 24 h without a subject)."""
    clock = FixedClock(NOW)
    ctx = context(clock)
    with pytest.raises(RegistrationRequired):
        waiting_room.join(ctx, student(0), OPENING.id)
    registered(ctx, student(1), 1, saved_at=NOW - timedelta(hours=23))
    assert waiting_room.join(ctx, student(1), OPENING.id).created
    clock._now = NOW + timedelta(hours=1, seconds=1)  # 24 h after saving, still no subject
    with pytest.raises(RegistrationRequired):
        waiting_room.join(ctx, student(1), OPENING.id)
    assert ctx.waiting_room.waiting_count(OPENING.id) == 1


def test_r_queue_2_a_second_account_of_the_candidate_gets_its_entry_and_its_admission() -> None:
    """R-QUEUE-2 (amended): the binding moves (R-BIND-4) and the candidate's new account joins:
    200 with the entry the first account made (no second draw); the admission of that entry lets
    the new account choose (R-QUEUE-1); after it lapses the candidate joins again at the back once
    (R-QUEUE-4), from the account bound now."""
    clock = FixedClock(NOW)
    ctx = context(clock)
    first, second, other = student(0), student(1), student(2)
    old = registered(ctx, first, 0, saved_at=NOW - timedelta(hours=23))
    registered(ctx, other, 1)
    joined = waiting_room.join(ctx, first, OPENING.id)
    assert waiting_room.join(ctx, other, OPENING.id).created
    clock._now = OPENING.opens_at + ORDER_GRACE  # 24 h after `old` was saved: it is gone
    registrations: Any = ctx.files
    registrations.delete_registration(old, clock.now())
    registered(ctx, second, 0, saved_at=clock.now())
    again = waiting_room.join(ctx, second, OPENING.id)
    assert (again.created, again.entry) == (False, joined.entry)
    with pytest.raises(RegistrationRequired):
        waiting_room.join(ctx, first, OPENING.id)
    waiting_room_admission.run_admission(ctx)
    assert ctx.waiting_room.last_position(OPENING.id) == 2  # two candidates, two places
    _, place = waiting_room.current_entry(ctx, second, OPENING.id)
    assert (place.entry.account_id, place.state) == (first.account_id, EntryState.ADMITTED)
    catalog = ctx.catalogs.catalog().openings.values()
    file = ctx.files.file(second.account_id)
    waiting_room.check_oral_admission(
        catalog, "NJU-GL", waiting_room.admissions(ctx.waiting_room, file, clock.now()), clock.now()
    )
    clock.advance(OPENING.pass_minutes * 60)
    back = waiting_room.join(ctx, second, OPENING.id)
    assert (back.created, back.entry.account_id, back.entry.position) == (True, second.account_id, None)
    assert not waiting_room.join(ctx, second, OPENING.id).created
    waiting_room_admission.run_admission(ctx)
    assert waiting_room.current_entry(ctx, second, OPENING.id)[1].position == 3


def test_r_queue_4_a_place_left_by_a_replaced_entry_is_passed_not_waited_on() -> None:
    """R-QUEUE-4, R-QUEUE-6: an entry replaced while placed and not yet admitted (it joined again at
    the back) leaves its place kept in the order; the admission job passes that place and admits
    the places behind it. Fails with the kept place not passed: admission stops there for good."""
    clock = FixedClock(OPENING.opens_at + timedelta(hours=1))
    ctx = context(clock)
    store = ctx.waiting_room
    joined = [QueueEntry(f"acc{n}", OPENING.id, NOW, candidate=f"cand{n}") for n in range(3)]
    for entry in joined:
        assert store.join(entry, None, None)
    assert store.place_many([(entry, n + 1) for n, entry in enumerate(joined)]) == 3
    again = QueueEntry("acc1", OPENING.id, clock.now(), round=1, candidate="cand1")
    assert store.join(again, replace(joined[1], position=2), QueueClaim("acc1", 0))
    report = waiting_room_admission.AdmissionReport()
    progress = OpeningProgress(seed_sha256="-", queued=3, positioned=3)
    after = waiting_room_admission.admit_places(ctx, OPENING, progress, {}, clock.now(), report)
    assert (after.admitted, report.admitted) == (3, 2)
    assert store.last_position(OPENING.id) == 3


def test_r_queue_2_a_join_at_opens_at_itself_is_a_later_arrival_not_in_the_pool() -> None:
    """R-QUEUE-2: only those who joined before `opens_at` are ordered at random; one who joins at
    `opens_at` to the microsecond is queued behind them in arrival order, as any later arrival."""
    clock = FixedClock(NOW)
    ctx = context(clock)
    joins = [
        OPENING.opens_at - timedelta(seconds=1),
        OPENING.opens_at - timedelta(microseconds=1),
        OPENING.opens_at,
        OPENING.opens_at + timedelta(seconds=1),
    ]
    for n, at in enumerate(joins):
        registered(ctx, student(n), n)
        clock._now = at
        assert waiting_room.join(ctx, student(n), OPENING.id).created
    clock._now = OPENING.opens_at + ORDER_GRACE
    report = waiting_room_admission.run_admission(ctx)
    progress = ctx.waiting_room.progress_now(OPENING.id)
    assert progress is not None
    assert (report.ordered, report.placed, progress.ordered) == (2, 2, 2)
    places = [waiting_room.current_entry(ctx, student(n), OPENING.id)[1].position for n in range(4)]
    assert sorted(places[:2]) == [1, 2]
    assert places[2:] == [3, 4]


def test_r_queue_3_an_opening_first_declared_once_its_queue_opened_is_refused_before_anything_is_written() -> None:
    """R-QUEUE-3: an opening's seed is drawn, and its digest published, before its queue opens: a
    load that first declares it at `queue_opens_at` or later is refused, saying which, and writes
    nothing (no catalog, no seed, no load record); a microsecond before, it loads and draws its
    seed, which a reload once the queue opened keeps."""
    db = FakeDatabase()
    loading = ProvinceLoading(FakeProvince(db), FakeAccounts(db), FakeActivations(db), factories.protection)
    data = factories.province()
    data.catalog.openings[OPENING.id] = OPENING
    with pytest.raises(QueueOpened) as refused:
        load_province(loading, data, OPENING.queue_opens_at)
    assert refused.value.problems == [
        "排队场次 O（集中开放）的排队已于 2098-09-01 10:00 开始：排队顺序的随机种子须在排队开始前抽取并公布摘要"
        "（R-QUEUE-3），排队开始后不能再首次载入该场次"
    ]
    assert (db.province.code, db.openings, db.seeds, db.loads) == ("", {}, {}, {})
    load_province(loading, factories.province(), NOW - timedelta(days=1))  # the province, no opening yet
    with pytest.raises(QueueOpened):
        load_province(loading, data, OPENING.queue_opens_at + timedelta(minutes=5))
    assert (db.openings, db.seeds) == ({}, {})
    load_province(loading, data, OPENING.queue_opens_at - timedelta(microseconds=1))
    seed = db.seeds[OPENING.id]
    load_province(loading, data, OPENING.opens_at)  # declared before: a reload keeps its seed
    assert db.seeds == {OPENING.id: seed}
    assert FakeCatalog(db).catalog().openings == {OPENING.id: OPENING}
