"""The waiting list (R-WAIT-1..2) through the service code: on moto and DynamoDB Local for what it
does, on DynamoDB Local with real threads for what must hold under concurrency."""

from __future__ import annotations

from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from datetime import datetime, timedelta

import pytest

from chalicelib.bootstrap import Services, build_services
from chalicelib.config import Settings, settings
from chalicelib.domain import errors
from chalicelib.domain.accounts import Account
from chalicelib.domain.clock import FixedClock
from chalicelib.domain.orders import LateOutcome, OrderStatus
from chalicelib.domain.registration import Registration
from chalicelib.domain.roll import RollRow
from chalicelib.domain.seats import SeatGrab
from chalicelib.domain.waitlist import OfferOutcome
from chalicelib.services import payments
from chalicelib.services import registration as reg
from chalicelib.services import waitlist as wl
from chalicelib.services.expiry import expire
from chalicelib.services.province import load_province
from chalicelib.storage.models import (
    OutboxItem,
    TableItem,
    WaitlistEntryItem,
)
from devstack.payments_local import install_sandbox
from tests import factories
from tests.race import all_at_once
from tests.seat_counts import each_shard_counts_its_holds_and_pending_seats, live_holds, pending_seats

NOW = factories.NOW
SEAT = SeatGrab("NJU-GL", "CET-SET4")


def outcome(result: object) -> str:
    return type(result).__name__ if isinstance(result, Exception) else "ok"


def account_of(n: int) -> Account:
    return Account(f"acc{n:04d}", f"student{n}@example.cn", "unused", agreement_accepted_at=NOW, created_at=NOW)


def at(built: Services, moment: datetime) -> Services:
    """The same services, their clock at `moment`."""
    clock = FixedClock(moment)
    registration = replace(built.registration, clock=clock)
    return replace(built, registration=registration, waitlist=replace(built.waitlist, registration=registration))


def student(built: Services, n: int, row: RollRow, written: str | None = "CET4") -> Account:
    """A student whose registration is saved, with the written subject chosen (R-ORAL-4)."""
    account = account_of(n)
    built.accounts.accounts.create(account)
    saved_at = built.registration.clock.now()
    built.registration.registrations.bind(Registration(account.account_id, factories.entry(row), saved_at))
    if written:
        reg.choose_subject(built.registration, account, written, None)
    return account


def oral_of(built: Services, account: Account) -> list[str]:
    registration = built.registration.registrations.get(account.account_id)
    assert registration is not None
    return [s.campus_id or "" for s in registration.subjects if s.code == SEAT.subject]


def taken(built: Services) -> int:
    return built.registration.catalogs.seats_taken([SEAT])[SEAT]


def offered_messages() -> list[OutboxItem]:
    return [i for i in TableItem.scan() if isinstance(i, OutboxItem) and i.message_kind == "seat_offered"]


@pytest.fixture
def built(table: Settings) -> Services:
    made = build_services(table, FixedClock(NOW))
    load_province(made.loading, factories.province(capacity=2, extra_students=6), NOW)
    return made


def full_campus(built: Services) -> tuple[list[Account], list[Account]]:
    """Two students hold NJU-GL's two CET-SET4 seats; four more have CET4 and nothing else."""
    rows = [factories.ZHANG, factories.LI, *factories.many_students(4)]
    accounts = [student(built, n, row) for n, row in enumerate(rows)]
    for holder in accounts[:2]:
        reg.choose_subject(built.registration, holder, SEAT.subject, SEAT.campus_id)
    return accounts[:2], accounts[2:]


def test_r_wait_1_join_only_a_full_campus_one_list_per_level_not_while_holding_it(built: Services) -> None:
    """R-WAIT-1: CAMPUS_NOT_FULL beside a free seat; one list per oral level; not with the level held."""
    ctx = built.waitlist
    rows = [factories.ZHANG, *factories.many_students(2)]
    first, second, third = (student(built, n, row) for n, row in enumerate(rows))
    with pytest.raises(errors.CampusNotFull):
        wl.join(ctx, first, SEAT.subject, SEAT.campus_id)
    reg.choose_subject(built.registration, first, SEAT.subject, SEAT.campus_id)
    reg.choose_subject(built.registration, second, SEAT.subject, SEAT.campus_id)
    with pytest.raises(errors.LevelTaken):
        wl.join(ctx, first, SEAT.subject, SEAT.campus_id)
    placed = wl.join(ctx, third, SEAT.subject, SEAT.campus_id)
    assert (placed.position, placed.entry.campus_id) == (1, "NJU-GL")
    with pytest.raises(errors.WaitlistExists):
        wl.join(ctx, third, SEAT.subject, SEAT.campus_id)
    assert [e.position for e in wl.my_entries(ctx, third)] == [1]
    wl.leave(ctx, third, SEAT.subject)
    assert wl.my_entries(ctx, third) == []
    with pytest.raises(errors.NotFound):
        wl.leave(ctx, third, SEAT.subject)


def test_r_wait_2_a_returned_seat_goes_to_the_first_waiting_never_to_a_grab(built: Services) -> None:
    """R-WAIT-2: a removed hold's seat stays taken while students wait; a grab is refused; the offer
    step gives it to the first on the list as an unpaid hold due 2 hours later, and tells them."""
    ctx = built.waitlist
    (holder, other_holder), (first, second, grabber, _) = full_campus(built)
    wl.join(ctx, first, SEAT.subject, SEAT.campus_id)
    wl.join(at(built, NOW + timedelta(seconds=1)).waitlist, second, SEAT.subject, SEAT.campus_id)

    reg.remove_subject(built.registration, holder, SEAT.subject)
    assert (taken(built), pending_seats()) == (2, 1)
    with pytest.raises(errors.CampusFull):
        reg.choose_subject(built.registration, grabber, SEAT.subject, SEAT.campus_id)

    report = wl.offer_pending(ctx)
    assert report.as_dict() == {"offered": 1, "skipped": 0, "given_back": 0, "left_pending": 0}
    registration = built.registration.registrations.get(first.account_id)
    assert registration is not None
    offered = next(s for s in registration.subjects if s.code == SEAT.subject)
    assert (offered.campus_id, offered.status.value, offered.pay_by) == ("NJU-GL", "unpaid", NOW + timedelta(hours=2))
    assert [m.to for m in offered_messages()] == [first.login]
    assert [p.position for p in wl.my_entries(ctx, second)] == [1]
    assert (taken(built), live_holds(SEAT), pending_seats()) == (2, 2, 0)
    assert wl.offer_pending(ctx).offered == 0  # nothing pending: nothing offered again

    # the last one waiting is served; then a seat that comes back goes to its counter again
    reg.remove_subject(built.registration, other_holder, SEAT.subject)
    assert wl.offer_pending(ctx).offered == 1
    assert oral_of(built, second) == ["NJU-GL"]
    reg.remove_subject(built.registration, first, SEAT.subject)
    assert (taken(built), pending_seats()) == (1, 0)
    reg.choose_subject(built.registration, grabber, SEAT.subject, SEAT.campus_id)


def test_r_wait_2_pay_by_is_never_later_than_r_pay_1_gives(built: Services) -> None:
    """R-WAIT-2: 2 hours after the offer, but never past the written subject's own pay_by (R-PAY-1)."""
    early = at(built, NOW - timedelta(hours=23))
    holders, _ = full_campus(built)
    late_student = student(early, 50, factories.many_students(1, start=900)[0])
    wl.join(built.waitlist, late_student, SEAT.subject, SEAT.campus_id)
    reg.remove_subject(built.registration, holders[0], SEAT.subject)
    wl.offer_pending(built.waitlist)
    registration = built.registration.registrations.get(late_student.account_id)
    assert registration is not None
    assert [s.pay_by for s in registration.subjects] == [NOW + timedelta(hours=1)] * 2


def test_r_wait_2_who_can_no_longer_take_the_seat_is_skipped(built: Services) -> None:
    """R-WAIT-2: a student without the written subject any more (R-ORAL-4) is skipped, the next served."""
    ctx = built.waitlist
    holders, (first, second, _, _) = full_campus(built)
    wl.join(ctx, first, SEAT.subject, SEAT.campus_id)
    wl.join(at(built, NOW + timedelta(seconds=1)).waitlist, second, SEAT.subject, SEAT.campus_id)
    reg.remove_subject(built.registration, first, "CET4")
    reg.remove_subject(built.registration, holders[0], SEAT.subject)
    assert wl.offer_pending(ctx).as_dict() == {"offered": 1, "skipped": 1, "given_back": 0, "left_pending": 0}
    assert (oral_of(built, first), oral_of(built, second)) == ([], ["NJU-GL"])
    assert wl.my_entries(ctx, first) == []


def test_r_wait_2_a_seat_pending_when_the_list_empties_goes_back_to_its_counter(built: Services) -> None:
    """R-WAIT-2: the last student leaves after the seat came back: the seat is grabbed again."""
    ctx = built.waitlist
    holders, (first, _, grabber, _) = full_campus(built)
    wl.join(ctx, first, SEAT.subject, SEAT.campus_id)
    reg.remove_subject(built.registration, holders[0], SEAT.subject)
    wl.leave(ctx, first, SEAT.subject)
    assert wl.offer_pending(ctx).given_back == 1
    assert (taken(built), pending_seats()) == (1, 0)
    reg.choose_subject(built.registration, grabber, SEAT.subject, SEAT.campus_id)


def test_r_wait_2_seats_of_expired_holds_and_deleted_registrations_go_to_the_list(built: Services) -> None:
    """R-WAIT-2 with R-PAY-1, R-BIND-4: the expiry job's releases go to the list as well; what
    nobody waits for goes back to its counter."""
    full_campus(built)
    waiting = at(built, NOW + timedelta(hours=20))
    first = student(waiting, 60, factories.many_students(1, start=900)[0])
    wl.join(waiting.waitlist, first, SEAT.subject, SEAT.campus_id)
    later = at(built, NOW + timedelta(hours=25))
    report = expire(later.registration.registrations, NOW + timedelta(hours=25))
    assert report.deleted_registrations == 6  # the two holders' and four others' (only CET4, unpaid)
    assert (taken(built), pending_seats()) == (2, 2)
    assert wl.offer_pending(later.waitlist).as_dict() == {
        "offered": 1,
        "skipped": 0,
        "given_back": 1,
        "left_pending": 0,
    }
    assert oral_of(built, first) == ["NJU-GL"]
    assert (taken(built), live_holds(SEAT), pending_seats()) == (1, 1, 0)


def test_r_wait_2_an_expired_hold_taken_again_at_its_campus_goes_to_the_list_not_its_owner(built: Services) -> None:
    """R-WAIT-2: a student whose hold expired cannot take its seat back past a waiting list."""
    li = student(built, 1, factories.LI)
    reg.choose_subject(built.registration, li, SEAT.subject, SEAT.campus_id)
    later = at(built, NOW + timedelta(hours=20))
    reg.choose_subject(later.registration, li, "CET6", None)  # keeps the registration alive
    zhang = student(later, 0, factories.ZHANG)
    reg.choose_subject(later.registration, zhang, SEAT.subject, SEAT.campus_id)
    waiting = student(later, 2, factories.many_students(1)[0])
    wl.join(later.waitlist, waiting, SEAT.subject, SEAT.campus_id)

    expired = at(built, NOW + timedelta(hours=25))
    reg.choose_subject(expired.registration, li, "CET4", None)
    with pytest.raises((errors.CampusFull, errors.LevelTaken)):
        reg.choose_subject(expired.registration, li, SEAT.subject, SEAT.campus_id)
    assert (oral_of(built, li), pending_seats()) == ([], 1)
    assert wl.offer_pending(expired.waitlist).offered == 1
    assert oral_of(built, waiting) == ["NJU-GL"]


def test_r_wait_2_a_pending_seat_is_offered_once_and_not_given_back_while_someone_waits(built: Services) -> None:
    """R-WAIT-2, the storage guards one by one: a seat offered is gone for a second offer; a seat
    is not given back to its counter while the list counts someone."""
    store = built.waitlist.waitlist
    holders, (first, second, _, _) = full_campus(built)
    wl.join(built.waitlist, first, SEAT.subject, SEAT.campus_id)
    wl.join(at(built, NOW + timedelta(seconds=1)).waitlist, second, SEAT.subject, SEAT.campus_id)
    reg.remove_subject(built.registration, holders[0], SEAT.subject)
    (seat,) = store.pending_seats(10)
    assert store.give_back(seat) is OfferOutcome.SOMEONE_WAITS
    entries = store.first(SEAT.campus_id, SEAT.subject, 2)
    offers = [wl._offer_for(built.waitlist, entry) for entry in entries]
    assert store.offer(seat, entries[0], *offers[0]) is OfferOutcome.DONE  # type: ignore[misc]
    assert store.offer(seat, entries[1], *offers[1]) is OfferOutcome.SEAT_GONE  # type: ignore[misc]
    assert (oral_of(built, first), oral_of(built, second)) == (["NJU-GL"], [])
    assert (taken(built), live_holds(SEAT), pending_seats()) == (2, 2, 0)


# --- concurrency, on DynamoDB Local with real threads --------------------------------------------


@pytest.mark.dynamodb_local
def test_r_wait_2_seats_coming_back_while_students_join_and_grab_at_once(local_table: Settings) -> None:
    """R-WAIT-2 under concurrency: 10 holders remove their seat while 30 students join the list,
    10 grab, and 6 offer steps run, all at once (a list already waiting). Every seat that came back is
    offered once, to distinct students, in no more offers than seats; no grab gets past the list;
    seats taken = live holds; the head counts exactly the entries left."""
    built = build_services(local_table, FixedClock(NOW))
    load_province(built.loading, factories.province(capacity=10, extra_students=60), NOW)
    rows = factories.many_students(52)
    with ThreadPoolExecutor(max_workers=8) as pool:
        accounts = list(pool.map(lambda n: student(built, n, rows[n]), range(52)))
    holders, early, joiners, grabbers = accounts[:10], accounts[10:12], accounts[12:42], accounts[42:52]
    for holder in holders:
        reg.choose_subject(built.registration, holder, SEAT.subject, SEAT.campus_id)
    for account in early:
        wl.join(built.waitlist, account, SEAT.subject, SEAT.campus_id)

    tasks = [lambda a=a: reg.remove_subject(built.registration, a, SEAT.subject) for a in holders]
    tasks += [lambda a=a: wl.join(built.waitlist, a, SEAT.subject, SEAT.campus_id) for a in joiners]
    tasks += [lambda a=a: reg.choose_subject(built.registration, a, SEAT.subject, SEAT.campus_id) for a in grabbers]
    tasks += [lambda: wl.offer_pending(built.waitlist)] * 6
    results = all_at_once(tasks)
    while pending_seats():
        wl.offer_pending(built.waitlist)

    assert Counter(outcome(r) for r in results[10:40]) == {"ok": 30}
    assert Counter(outcome(r) for r in results[40:50]) == {"CampusFull": 10}, "a grab got past a waiting list"
    offered_to = [m.to for m in offered_messages()]
    assert len(offered_to) == len(set(offered_to)) == 10, "a seat offered twice, or a seat lost"
    assert {a.login for a in early} <= set(offered_to), "the first on the list were not served first"
    assert taken(built) == live_holds(SEAT) == 10
    each_shard_counts_its_holds_and_pending_seats(built, SEAT)
    entries = [i for i in TableItem.scan() if isinstance(i, WaitlistEntryItem)]
    assert built.waitlist.waitlist.waiting(SEAT.campus_id, SEAT.subject) == len(entries) == 22
    assert all(oral_of(built, a) in ([], ["NJU-GL"]) for a in accounts)


@pytest.mark.dynamodb_local
def test_r_wait_2_racing_offer_steps_and_a_list_that_runs_dry(local_table: Settings) -> None:
    """R-WAIT-2 under concurrency: 10 seats come back while 4 students wait and 8 offer steps race;
    the 4 are served once each, the other 6 seats go back to the counter once each and are grabbed
    by 6 of 10 students grabbing at once: never more holds than seats, seats taken = live holds."""
    built = build_services(local_table, FixedClock(NOW))
    load_province(built.loading, factories.province(capacity=10, extra_students=30), NOW)
    rows = factories.many_students(24)
    with ThreadPoolExecutor(max_workers=8) as pool:
        accounts = list(pool.map(lambda n: student(built, n, rows[n]), range(24)))
    holders, waiting, grabbers = accounts[:10], accounts[10:14], accounts[14:24]
    for holder in holders:
        reg.choose_subject(built.registration, holder, SEAT.subject, SEAT.campus_id)
    for account in waiting:
        wl.join(built.waitlist, account, SEAT.subject, SEAT.campus_id)
    for holder in holders:
        reg.remove_subject(built.registration, holder, SEAT.subject)
    assert (taken(built), pending_seats()) == (10, 10)

    reports = all_at_once([lambda: wl.offer_pending(built.waitlist)] * 8)
    totals = Counter[str]()
    for report in reports:
        assert isinstance(report, wl.OfferReport)
        totals.update(report.as_dict())
    assert (totals["offered"], totals["given_back"], pending_seats()) == (4, 6, 0)
    assert sorted(m.to for m in offered_messages()) == sorted(a.login for a in waiting)
    assert taken(built) == live_holds(SEAT) == 4
    each_shard_counts_its_holds_and_pending_seats(built, SEAT)

    results = all_at_once(
        [lambda a=a: reg.choose_subject(built.registration, a, SEAT.subject, SEAT.campus_id) for a in grabbers]
    )
    assert Counter(outcome(r) for r in results) == {"ok": 6, "CampusFull": 4}
    assert taken(built) == live_holds(SEAT) == 10
    each_shard_counts_its_holds_and_pending_seats(built, SEAT)


@pytest.mark.dynamodb_local
def test_r_wait_2_twelve_offer_steps_racing_on_one_pending_seat_offer_it_once(local_table: Settings) -> None:
    """R-WAIT-2: one seat comes back, 12 students wait, 12 offer steps take that same seat at once:
    exactly one offers it; the seat counted once, one student holds it, 11 still wait."""
    built = build_services(local_table, FixedClock(NOW))
    load_province(built.loading, factories.province(capacity=2, extra_students=20), NOW)
    rows = factories.many_students(14)
    with ThreadPoolExecutor(max_workers=8) as pool:
        accounts = list(pool.map(lambda n: student(built, n, rows[n]), range(14)))
    for holder in accounts[:2]:
        reg.choose_subject(built.registration, holder, SEAT.subject, SEAT.campus_id)
    for n, account in enumerate(accounts[2:]):
        wl.join(at(built, NOW + timedelta(seconds=n)).waitlist, account, SEAT.subject, SEAT.campus_id)
    reg.remove_subject(built.registration, accounts[0], SEAT.subject)
    (seat,) = built.waitlist.waitlist.pending_seats(10)
    reports = [wl.OfferReport() for _ in range(12)]

    all_at_once([lambda r=r: wl.offer_seat(built.waitlist, seat, r) for r in reports])

    assert sum(r.offered for r in reports) == 1
    assert len(offered_messages()) == 1
    assert taken(built) == live_holds(SEAT) == 2
    assert built.waitlist.waitlist.waiting(SEAT.campus_id, SEAT.subject) == 11


def test_r_pay_5_r_wait_2_a_late_payment_gives_the_expired_hold_it_replaces_to_the_list_there(
    table: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    """R-PAY-5 with R-WAIT-2: a payment found late re-reserves its subjects at the campus it paid
    for (SEU-SP, free again); the registration's slot meanwhile holds an expired hold at another
    campus (NJU-GL) where a student waits. That seat goes to the list, not back to its counter, and
    the payment is kept, not refunded."""
    clock = FixedClock(NOW)
    driver, payment_settings = install_sandbox(clock, "https://sandbox.invalid")
    for name, value in payment_settings.items():
        monkeypatch.setenv(name, value)
    made = build_services(settings(), clock)
    load_province(made.loading, factories.province(capacity=1, extra_students=2), NOW)
    li = student(made, 1, factories.LI)
    reg.choose_subject(made.registration, li, SEAT.subject, "SEU-SP")
    order = payments.place_order(made.payments, li, "alipay", None)
    driver.pay(order, 0, False)  # paid in time; the notification is lost

    hours = int(timedelta(hours=1).total_seconds())
    clock.advance(20 * hours)
    reg.choose_subject(made.registration, li, "CET6", None)  # keeps the registration alive
    clock.advance(5 * hours)  # 25 h: the paid-for holds are past pay_by; new ones replace them
    reg.choose_subject(made.registration, li, "CET4", None)
    reg.choose_subject(made.registration, li, SEAT.subject, SEAT.campus_id)
    clock.advance(20 * hours)  # 45 h
    reg.choose_subject(made.registration, li, "CET6", None)  # alive still
    waiting = student(made, 2, factories.many_students(1)[0])
    wl.join(made.waitlist, waiting, SEAT.subject, SEAT.campus_id)  # NJU-GL is full: Li holds it
    clock.advance(5 * hours)  # 50 h: those expired too
    settled = payments.refresh_order(made.payments, order)

    assert (settled.status, settled.late) == (OrderStatus.PAID, LateOutcome.RE_RESERVED)
    assert oral_of(made, li) == ["SEU-SP"]
    assert (taken(made), pending_seats()) == (1, 1)  # NJU-GL's seat stays counted, for the list
    assert wl.offer_pending(made.waitlist).offered == 1
    assert oral_of(made, waiting) == [SEAT.campus_id]
