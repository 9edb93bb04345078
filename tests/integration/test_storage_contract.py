"""The repositories' contract, run on moto and on DynamoDB Local alike."""

from __future__ import annotations

import dataclasses
from dataclasses import replace
from datetime import timedelta

import pytest

from chalicelib.bootstrap import Services, build_services
from chalicelib.config import Settings
from chalicelib.domain import errors
from chalicelib.domain.accounts import Account, Captcha, Session
from chalicelib.domain.catalog import SubjectKind
from chalicelib.domain.clock import FixedClock
from chalicelib.domain.messages import Message, MessageKind
from chalicelib.domain.registration import ChosenSubject, Registration, SubjectStatus
from chalicelib.domain.reviews import Cet6Review, ReviewStatus
from chalicelib.domain.seats import SeatGrab
from chalicelib.services.province import load_province
from chalicelib.services.recovery import confirm_password_reset
from chalicelib.storage import codec
from chalicelib.storage.models import SeatCounterItem
from tests import factories

NOW = factories.NOW


@pytest.fixture
def built(table: Settings) -> Services:
    services = build_services(table, FixedClock(NOW))
    load_province(services.loading, factories.province(capacity=2), NOW)
    return services


def account(n: int) -> Account:
    return Account(f"acc{n}", f"user{n}@example.cn", "hash", created_at=NOW)


def hold(code: str, level: int, campus: str | None = None, minutes_ago: int = 0) -> ChosenSubject:
    chosen_at = NOW - timedelta(minutes=minutes_ago)
    kind = SubjectKind.ORAL if campus else SubjectKind.WRITTEN
    return ChosenSubject(
        code,
        kind,
        level,
        3000,
        SubjectStatus.UNPAID,
        chosen_at,
        chosen_at + timedelta(hours=24),
        f"h-{code}-{minutes_ago}",
        campus,
    )


def bound(built: Services, n: int, entry: object = factories.ZHANG) -> Registration:
    registration = Registration(f"acc{n}", factories.entry(entry), NOW)  # type: ignore[arg-type]
    built.registration.registrations.bind(registration)
    return registration


def test_catalog_round_trip_and_reload_keeps_seats_taken(built: Services) -> None:
    """Province dataset contract: what is loaded is what is read; a reload never forgets seats."""
    catalog = built.registration.catalogs.catalog()
    assert catalog == replace(factories.catalog(capacity=2), identity=factories.RING.mark())
    registrations = built.registration.registrations
    registration = bound(built, 1)
    registrations.add_subject(registration, hold("CET-SET4", 4, "NJU-GL"), None)
    load_province(built.loading, factories.province(capacity=5), NOW)
    seat = SeatGrab("NJU-GL", "CET-SET4")
    assert built.registration.catalogs.seats_taken([seat]) == {seat: 1}


def test_decision_0019_a_reload_folds_the_old_single_counter_into_shard_0_and_never_lowers_a_shard(
    built: Services,
) -> None:
    """Decision 0019: a province loaded before shards kept one counter per campus and subject, and
    holds without a shard; the next load moves its seats taken into shard 0, where those holds give
    them back. A reload that lowers the capacity keeps every shard at or above its seats taken."""
    seat = SeatGrab("NJU-GL", "CET-SET4")
    old = SeatCounterItem(codec.unsharded_seats_pk(seat.campus_id, seat.subject), "SEATS")
    old.campus_id, old.subject, old.capacity, old.taken = seat.campus_id, seat.subject, 10, 2
    old.save()
    registrations = built.registration.registrations
    registrations.add_subject(bound(built, 1), hold("CET-SET4", 4, "NJU-GL"), None)  # no shard: shard 0

    load_province(built.loading, factories.province(capacity=12), NOW)  # 3 shards of 4

    assert SeatCounterItem.count(codec.unsharded_seats_pk(seat.campus_id, seat.subject)) == 0
    assert built.registration.catalogs.seats_taken([seat]) == {seat: 3}
    shard0 = SeatCounterItem.get(codec.seats_pk(seat.campus_id, seat.subject, 0), "SEATS")
    assert (int(shard0.capacity), int(shard0.taken)) == (4, 3)
    load_province(built.loading, factories.province(capacity=2), NOW)  # fewer seats than taken
    offering = built.registration.catalogs.catalog().campuses["NJU-GL"].offering("CET-SET4")
    assert offering is not None
    assert offering.shards == 3  # never fewer shards
    shard0 = SeatCounterItem.get(codec.seats_pk(seat.campus_id, seat.subject, 0), "SEATS")
    assert (int(shard0.capacity), int(shard0.taken)) == (3, 3)
    registration = registrations.get("acc1")
    assert registration is not None
    registrations.remove_subject("acc1", registration.subjects[0], NOW)
    assert built.registration.catalogs.seats_taken([seat]) == {seat: 2}


def test_roll_and_scores(built: Services) -> None:
    roll = built.registration.roll
    zhang = factories.entry(factories.ZHANG)
    found = roll.candidate(zhang.id_type, zhang.identity.digest)
    assert found == zhang
    assert found is not None
    assert found.identity.sealed  # the whole number is kept, sealed (decision 0013)
    assert roll.candidate(zhang.id_type, factories.protected_id(factories.resident_id(555)).digest) is None
    record = roll.cet4_record(factories.TICKET_APPROVE)
    assert record is not None
    assert record.identity == zhang.identity
    assert roll.cet4_record("000000000000000") is None


def test_r_acc_1_logins_are_unique(built: Services) -> None:
    accounts = built.accounts.accounts
    accounts.create(account(1))
    with pytest.raises(errors.LoginTaken):
        accounts.create(dataclasses.replace(account(2), login="user1@example.cn"))
    assert accounts.by_login("user1@example.cn") == account(1)
    assert accounts.get("acc2") is None
    accounts.accept_agreement("acc1", NOW)
    found = accounts.get("acc1")
    assert found is not None
    assert found.agreement_accepted_at == NOW


def test_an_account_remembers_the_key_of_its_last_lookup_never_the_number(built: Services) -> None:
    """api.md (IDENTITY_MISMATCH): the last looked-up candidate is kept as its digest key only (0013)."""
    accounts = built.accounts.accounts
    accounts.create(account(1))
    assert accounts.get("acc1").looked_up is None  # type: ignore[union-attr]
    zhang, li = factories.entry(factories.ZHANG), factories.entry(factories.LI)
    accounts.remember_lookup("acc1", zhang.key, zhang.school_id)
    accounts.remember_lookup("acc1", li.key, li.school_id)
    found = accounts.get("acc1")
    assert found is not None
    assert found.looked_up == li.key
    assert found.looked_up_school_id == li.school_id  # R-DATE-1: its window on /me
    assert factories.LI.id_number not in (found.looked_up or "")
    assert accounts.by_login("user1@example.cn") == found


def staff_codes(built: Services) -> dict[str, Message]:
    """The staff_activation messages waiting in the outbox, by address."""
    claimed = [built.messaging.outbox.claim(e, NOW) for e in built.messaging.outbox.due(NOW + timedelta(hours=1), 100)]
    return {c.message.to: c.message for c in claimed if c and c.message.kind is MessageKind.STAFF_ACTIVATION}


def test_r_ops_3_staff_are_loaded_without_a_password_and_activate_with_their_code(built: Services) -> None:
    """R-OPS-3, R-ACC-3: a staff account is created with its school and no usable password; its
    staff_activation code (in the outbox, R-NOTE-1) sets the password at the reset's confirm."""
    staff = built.accounts.accounts.by_login("staff@nju.edu.cn")
    assert staff is not None
    assert staff.school_id == "NJU"
    assert not staff.activated
    assert not built.accounts.passwords.verify(staff.password_hash, factories.STAFF_PASSWORD)
    codes = staff_codes(built)
    assert set(codes) == {"staff@nju.edu.cn", "staff@seu.edu.cn"}
    code = codes["staff@nju.edu.cn"].code
    assert code is not None
    assert code in codes["staff@nju.edu.cn"].body
    confirm_password_reset(built.recovery, "staff@nju.edu.cn", code, factories.STAFF_PASSWORD, "client")
    staff = built.accounts.accounts.by_login("staff@nju.edu.cn")
    assert staff is not None
    assert staff.activated
    assert built.accounts.passwords.verify(staff.password_hash, factories.STAFF_PASSWORD)


def test_r_ops_3_a_reload_sends_no_second_code_to_an_activated_account(built: Services) -> None:
    """R-OPS-3: loading other files again sends a new code only to staff who have not activated."""
    first = staff_codes(built)
    code = first["staff@nju.edu.cn"].code
    assert code is not None
    confirm_password_reset(built.recovery, "staff@nju.edu.cn", code, factories.STAFF_PASSWORD, "client")
    load_province(built.loading, factories.province(capacity=3), NOW + timedelta(minutes=1))
    assert set(staff_codes(built)) == {"staff@seu.edu.cn"}


def test_r_acc_2_captcha_is_taken_once_and_sessions_revoke(built: Services) -> None:
    captchas = built.accounts.captchas
    captchas.save(Captcha("c1", "digest", NOW + timedelta(minutes=5)))
    assert captchas.take("c1") == Captcha("c1", "digest", NOW + timedelta(minutes=5))
    assert captchas.take("c1") is None
    sessions = built.accounts.sessions
    sessions.save(Session("t1", "acc1", NOW + timedelta(hours=2)))
    assert sessions.get("t1") == Session("t1", "acc1", NOW + timedelta(hours=2))
    sessions.revoke("t1")
    assert sessions.get("t1") is None


def test_r_acc_2_throttle_counts_per_window(built: Services) -> None:
    throttle = built.accounts.throttle
    window = NOW + timedelta(minutes=15)
    assert throttle.failures("login#x", window) == 0
    assert [throttle.add_failure("login#x", window) for _ in range(3)] == [1, 2, 3]
    assert throttle.failures("login#x", window) == 3
    assert throttle.failures("login#x", window + timedelta(minutes=15)) == 0


def review(status: ReviewStatus, account_id: str = "acc1", school: str = "NJU") -> Cet6Review:
    entry = factories.entry(factories.ZHANG)
    return Cet6Review(
        account_id,
        account_id,
        school,
        entry.id_type,
        entry.identity,
        entry.name,
        factories.TICKET_PENDING,
        status,
        NOW,
    )


def test_r_rev_4_one_review_per_account_and_locks(built: Services) -> None:
    reviews = built.registration.reviews
    reviews.create(review(ReviewStatus.PENDING))
    with pytest.raises(errors.ReviewExists):
        reviews.create(review(ReviewStatus.PENDING))
    with pytest.raises(errors.ReviewLocked):
        reviews.replace_rejected(review(ReviewStatus.APPROVED))
    with pytest.raises(errors.ReviewLocked):
        reviews.delete_rejected("acc1")
    assert [r.review_id for r in reviews.list_for_school("NJU", ReviewStatus.PENDING)] == ["acc1"]
    assert reviews.list_for_school("SEU", ReviewStatus.PENDING) == []
    reviews.decide(review(ReviewStatus.REJECTED))
    with pytest.raises(errors.ReviewNotPending):
        reviews.decide(review(ReviewStatus.APPROVED))
    assert reviews.list_for_school("NJU", ReviewStatus.PENDING) == []
    assert [r.status for r in reviews.list_for_school("NJU", ReviewStatus.REJECTED)] == [ReviewStatus.REJECTED]
    reviews.delete_rejected("acc1")
    assert reviews.get("acc1") is None
    with pytest.raises(errors.NotFound):
        reviews.delete_rejected("acc1")


def test_r_bind_2_both_directions(built: Services) -> None:
    registrations = built.registration.registrations
    bound(built, 1)
    with pytest.raises(errors.AccountAlreadyBound):
        bound(built, 1, factories.LI)
    with pytest.raises(errors.CandidateAlreadyBound):
        bound(built, 2)
    assert registrations.bound_account(factories.entry(factories.ZHANG).key) == "acc1"
    saved = registrations.get("acc1")
    assert saved is not None
    assert saved.candidate == factories.entry(factories.ZHANG)  # R-BIND-3: the snapshot, field for field


def test_r_writ_2_one_subject_per_level_slot(built: Services) -> None:
    registrations = built.registration.registrations
    registration = bound(built, 1)
    registrations.add_subject(registration, hold("CET4", 4), None)
    with pytest.raises(errors.LevelTaken):
        registrations.add_subject(registration, hold("CJT4", 4), None)
    saved = registrations.get("acc1")
    assert saved is not None
    assert [s.code for s in saved.subjects] == ["CET4"]
    assert saved.version == 1


def test_r_oral_4_capacity_is_never_exceeded(built: Services) -> None:
    registrations = built.registration.registrations
    first, second, third = (bound(built, n, e) for n, e in enumerate((factories.ZHANG, factories.LI, factories.QIAN)))
    registrations.add_subject(first, hold("CET-SET4", 4, "NJU-GL"), None)
    registrations.add_subject(second, hold("CET-SET4", 4, "NJU-GL"), None)
    with pytest.raises(errors.CampusFull):
        registrations.add_subject(third, hold("CET-SET4", 4, "NJU-GL"), None)
    seat = SeatGrab("NJU-GL", "CET-SET4")
    assert built.registration.catalogs.seats_taken([seat]) == {seat: 2}


def test_r_pay_1_expired_holds_are_reclaimed_once(built: Services) -> None:
    """R-PAY-1: a hold past pay_by gives its seat back before anyone is refused; only once."""
    registrations = built.registration.registrations
    seat = SeatGrab("NJU-GL", "CET-SET4")
    expired = hold("CET-SET4", 4, "NJU-GL", minutes_ago=25 * 60)
    registrations.add_subject(bound(built, 1), expired, None)
    registrations.add_subject(bound(built, 2, factories.LI), hold("CET-SET4", 4, "NJU-GL"), None)
    assert registrations.reclaim_expired_holds(seat, NOW).released == 1
    assert registrations.reclaim_expired_holds(seat, NOW).released == 0
    assert built.registration.catalogs.seats_taken([seat]) == {seat: 1}
    saved = registrations.get("acc1")
    assert saved is not None
    assert saved.subjects == ()


def test_r_pay_1_removing_and_replacing_release_each_seat_once(built: Services) -> None:
    registrations = built.registration.registrations
    catalogs = built.registration.catalogs
    seat = SeatGrab("NJU-GL", "CET-SET4")
    registration = bound(built, 1)
    first = hold("CET-SET4", 4, "NJU-GL", minutes_ago=25 * 60)  # already past pay_by
    registrations.add_subject(registration, first, None)
    assert catalogs.seats_taken([seat]) == {seat: 1}
    second = hold("CET-SET4", 4, "SEU-SP")
    registrations.add_subject(registration, second, first)  # replaces the expired hold
    assert catalogs.seats_taken([seat, SeatGrab("SEU-SP", "CET-SET4")]) == {seat: 0, SeatGrab("SEU-SP", "CET-SET4"): 1}
    with pytest.raises(errors.LevelTaken):  # the expired hold cannot be replaced twice
        registrations.add_subject(registration, hold("CET-SET4", 4, "NJU-GL"), first)
    registrations.remove_subject("acc1", second, NOW)
    with pytest.raises(errors.SubjectPaid):  # already gone: the conditional delete refuses
        registrations.remove_subject("acc1", second, NOW)
    assert catalogs.seats_taken([SeatGrab("SEU-SP", "CET-SET4")]) == {SeatGrab("SEU-SP", "CET-SET4"): 0}


def test_r_bind_4_deleting_a_registration_frees_both_sides_and_seats(built: Services) -> None:
    registrations = built.registration.registrations
    registration = bound(built, 1)
    registrations.add_subject(registration, hold("CET-SET4", 4, "NJU-GL"), None)
    stale = registrations.get("acc1")
    assert stale is not None
    with pytest.raises(errors.NotFound):  # a stale version cannot delete
        registrations.delete_registration(registration, NOW)
    registrations.delete_registration(stale, NOW)
    assert registrations.get("acc1") is None
    assert registrations.bound_account(factories.entry(factories.ZHANG).key) is None
    seat = SeatGrab("NJU-GL", "CET-SET4")
    assert built.registration.catalogs.seats_taken([seat]) == {seat: 0}
    bound(built, 2)  # the candidate can be bound again
