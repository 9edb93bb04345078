"""The repositories' contract, run on the in-memory fakes of the unit tests, on moto and on DynamoDB
Local alike: a fake that departs from what the tables do fails here (issue 23)."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import timedelta

import pytest

from chalicelib.bootstrap import build_services
from chalicelib.config import Settings
from chalicelib.domain import errors
from chalicelib.domain.accounts import Account, Captcha, Session
from chalicelib.domain.catalog import SubjectKind
from chalicelib.domain.clock import FixedClock
from chalicelib.domain.messages import Message, MessageKind
from chalicelib.domain.recovery import CodePurpose, OneTimeCode
from chalicelib.domain.registration import (
    EMPTY_REGISTRATION_LIFETIME,
    AccountFile,
    ChosenSubject,
    Registration,
    SubjectStatus,
)
from chalicelib.domain.reviews import Cet6Review, ReviewStatus
from chalicelib.domain.seats import SeatGrab
from chalicelib.domain.waiting_room import Opening, OpeningProgress, QueueClaim, QueueEntry, seed_sha256
from chalicelib.services.accounts import AccountsContext
from chalicelib.services.accounts_ports import AccountStore, CaptchaStore, PasswordHasher, SessionStore, ThrottleStore
from chalicelib.services.messages import Outbox
from chalicelib.services.province import ProvinceLoading, load_province
from chalicelib.services.recovery import RecoveryContext, RecoveryStore, confirm_password_reset
from chalicelib.services.registration_ports import CatalogStore, RegistrationStore, ReviewStore, RollStore
from chalicelib.services.security import Argon2Passwords
from chalicelib.services.waiting_room import WaitingRoomStore
from chalicelib.storage.keys import seats_pk, unsharded_seats_pk
from chalicelib.storage.models import SeatCounterItem
from tests import factories
from tests.fake_recovery import FakeRecovery
from tests.fake_waiting_room import FakeWaitingRoom
from tests.fakes import (
    FakeAccounts,
    FakeActivations,
    FakeCaptchas,
    FakeCatalog,
    FakeDatabase,
    FakePainter,
    FakeProvince,
    FakeRegistrations,
    FakeReviews,
    FakeRoll,
    FakeSessions,
    FakeThrottle,
)

NOW = factories.NOW


@dataclass(frozen=True)
class Stores:
    """The ports this contract holds every backend to, as the services are given them."""

    catalogs: CatalogStore
    roll: RollStore
    accounts: AccountStore
    sessions: SessionStore
    captchas: CaptchaStore
    throttle: ThrottleStore
    reviews: ReviewStore
    registrations: RegistrationStore
    waiting_room: WaitingRoomStore
    codes: RecoveryStore
    loading: ProvinceLoading  # the ProvinceStore and StaffActivations, as a load uses them
    recovery: RecoveryContext
    passwords: PasswordHasher
    # The messages kept since the last call (the outbox has no fake: no unit test sends one).
    new_messages: Callable[[], list[Message]]


def table_stores(config: Settings) -> Stores:
    services = build_services(config, FixedClock(NOW))
    registration, accounts = services.registration, services.accounts
    return Stores(
        registration.catalogs,
        registration.roll,
        accounts.accounts,
        accounts.sessions,
        accounts.captchas,
        accounts.throttle,
        registration.reviews,
        registration.registrations,
        services.waiting_room.waiting_room,
        services.recovery.codes,
        services.loading,
        services.recovery,
        accounts.passwords,
        lambda: claimed_messages(services.messaging.outbox),
    )


def claimed_messages(outbox: Outbox) -> list[Message]:
    """Each message due within the hour that no one claimed before (claiming is reading it once)."""
    claimed = [outbox.claim(event, NOW) for event in outbox.due(NOW + timedelta(hours=1), 100)]
    return [c.message for c in claimed if c]


def fake_stores() -> Stores:
    db = FakeDatabase()
    accounts = AccountsContext(
        accounts=FakeAccounts(db),
        sessions=FakeSessions(db),
        captchas=FakeCaptchas(db),
        throttle=FakeThrottle(db),
        passwords=Argon2Passwords(memory_kib=1024, time_cost=1),
        painter=FakePainter(),
        clock=FixedClock(NOW),
        captcha_seconds=300,
        session_seconds=7200,
    )
    codes = FakeRecovery(db)
    seen: set[str] = set()

    def new_messages() -> list[Message]:
        with db.lock:
            fresh = [m for event, m in db.outbox.items() if event not in seen]
            seen.update(db.outbox)
        return fresh

    return Stores(
        FakeCatalog(db),
        FakeRoll(db),
        accounts.accounts,
        accounts.sessions,
        accounts.captchas,
        accounts.throttle,
        FakeReviews(db),
        FakeRegistrations(db),
        FakeWaitingRoom(db),
        codes,
        ProvinceLoading(FakeProvince(db), accounts.accounts, FakeActivations(db), factories.protection),
        RecoveryContext(accounts, codes, factories.IDENTITY_KEYS),
        accounts.passwords,
        new_messages,
    )


@pytest.fixture
def stores(contract_table: Settings | None) -> Stores:
    """The test province (capacity 2) loaded into the backend's stores."""
    built = fake_stores() if contract_table is None else table_stores(contract_table)
    load_province(built.loading, factories.province(capacity=2), NOW)
    return built


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


def bound(stores: Stores, n: int, entry: object = factories.ZHANG) -> Registration:
    registration = Registration(f"acc{n}", factories.entry(entry), NOW)  # type: ignore[arg-type]
    stores.registrations.bind(registration)
    return registration


def test_catalog_round_trip_and_reload_keeps_seats_taken(stores: Stores) -> None:
    """Province dataset contract: what is loaded is what is read; a reload never forgets seats."""
    catalog = stores.catalogs.catalog()
    assert catalog == replace(factories.catalog(capacity=2), identity=factories.RING.mark())
    registrations = stores.registrations
    registration = bound(stores, 1)
    registrations.add_subject(registration, hold("CET-SET4", 4, "NJU-GL"), None)
    load_province(stores.loading, factories.province(capacity=5), NOW)
    seat = SeatGrab("NJU-GL", "CET-SET4")
    assert stores.catalogs.seats_taken([seat]) == {seat: 1}


def test_r_room_2_the_sitting_round_trips_and_its_seed_is_drawn_once(stores: Stores) -> None:
    """R-ROOM-1..3, R-TICKET-1: what a load of a sitting writes is what is read (ticket codes,
    minutes, site codes, room names, accommodations); the seed is drawn once per sitting, its
    digest read with the sitting and the seed only when asked; a reload keeps it."""
    catalogs = stores.catalogs  # not read before the load: the tables' catalog is cached 30 s
    load_province(stores.loading, factories.sitting_province(capacity=2), NOW)
    expected = replace(factories.sitting_catalog(capacity=2), identity=factories.RING.mark())
    catalog = stores.catalogs.catalog()
    assert (catalog.exam, catalog.subjects, catalog.campuses) == (expected.exam, expected.subjects, expected.campuses)
    drawn = catalogs.sitting(with_seed=True)
    assert drawn is not None
    assert drawn.seed is not None
    assert drawn == replace(factories.EXAM, seed_sha256=seed_sha256(drawn.seed), seed=drawn.seed)
    assert catalogs.sitting() == replace(drawn, seed=None)
    load_province(stores.loading, factories.sitting_province(capacity=2), NOW)
    assert catalogs.sitting(with_seed=True) == drawn
    zhang, li = factories.entry(factories.ZHANG), factories.entry(factories.LI)
    found = stores.roll.candidate(zhang.id_type, zhang.identity.digest)
    assert found is not None
    assert found.accommodation == factories.SEPARATE_ROOM
    assert stores.roll.candidate(li.id_type, li.identity.digest) == li  # none on the roll: none read


def test_decision_0019_a_reload_folds_the_old_single_counter_into_shard_0_and_never_lowers_a_shard(
    table: Settings,
) -> None:
    """Decision 0019: a province loaded before shards kept one counter per campus and subject, and
    holds without a shard; the next load moves its seats taken into shard 0, where those holds give
    them back. A reload that lowers the capacity keeps every shard at or above its seats taken.
    On the tables only: the counters of before 0019 are raw items the fakes never had."""
    stores = table_stores(table)
    load_province(stores.loading, factories.province(capacity=2), NOW)
    seat = SeatGrab("NJU-GL", "CET-SET4")
    old = SeatCounterItem(unsharded_seats_pk(seat.campus_id, seat.subject), "SEATS")
    old.campus_id, old.subject, old.capacity, old.taken = seat.campus_id, seat.subject, 10, 2
    old.save()
    registrations = stores.registrations
    registrations.add_subject(bound(stores, 1), hold("CET-SET4", 4, "NJU-GL"), None)  # no shard: shard 0

    load_province(stores.loading, factories.province(capacity=12), NOW)  # 3 shards of 4

    assert SeatCounterItem.count(unsharded_seats_pk(seat.campus_id, seat.subject)) == 0
    assert stores.catalogs.seats_taken([seat]) == {seat: 3}
    shard0 = SeatCounterItem.get(seats_pk(seat.campus_id, seat.subject, 0), "SEATS")
    assert (int(shard0.capacity), int(shard0.taken)) == (4, 3)
    load_province(stores.loading, factories.province(capacity=2), NOW)  # fewer seats than taken
    offering = stores.catalogs.catalog().campuses["NJU-GL"].offering("CET-SET4")
    assert offering is not None
    assert offering.shards == 3  # never fewer shards
    shard0 = SeatCounterItem.get(seats_pk(seat.campus_id, seat.subject, 0), "SEATS")
    assert (int(shard0.capacity), int(shard0.taken)) == (3, 3)
    registration = registrations.get("acc1")
    assert registration is not None
    registrations.remove_subject("acc1", registration.subjects[0], NOW)
    assert stores.catalogs.seats_taken([seat]) == {seat: 2}


def test_roll_and_scores(stores: Stores) -> None:
    roll = stores.roll
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


def test_r_acc_1_logins_are_unique(stores: Stores) -> None:
    accounts = stores.accounts
    accounts.create(account(1))
    with pytest.raises(errors.LoginTaken):
        accounts.create(dataclasses.replace(account(2), login="user1@example.cn"))
    assert accounts.by_login("user1@example.cn") == account(1)
    assert accounts.get("acc2") is None
    accounts.accept_agreement("acc1", NOW)
    found = accounts.get("acc1")
    assert found is not None
    assert found.agreement_accepted_at == NOW


def test_an_account_remembers_the_key_of_its_last_lookup_never_the_number(stores: Stores) -> None:
    """api.md (IDENTITY_MISMATCH): the last looked-up candidate is kept as its digest key only (0013)."""
    accounts = stores.accounts
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


def staff_codes(stores: Stores) -> dict[str, Message]:
    """The new staff_activation messages waiting in the outbox, by address."""
    return {m.to: m for m in stores.new_messages() if m.kind is MessageKind.STAFF_ACTIVATION}


def test_r_ops_3_staff_are_loaded_without_a_password_and_activate_with_their_code(stores: Stores) -> None:
    """R-OPS-3, R-ACC-3: a staff account is created with its school and no usable password; its
    staff_activation code (in the outbox, R-NOTE-1) sets the password at the reset's confirm."""
    staff = stores.accounts.by_login("staff@nju.edu.cn")
    assert staff is not None
    assert staff.school_id == "NJU"
    assert not staff.activated
    assert not stores.passwords.verify(staff.password_hash, factories.STAFF_PASSWORD)
    codes = staff_codes(stores)
    assert set(codes) == {"staff@nju.edu.cn", "staff@seu.edu.cn"}
    code = codes["staff@nju.edu.cn"].code
    assert code is not None
    assert code in codes["staff@nju.edu.cn"].body
    confirm_password_reset(stores.recovery, "staff@nju.edu.cn", code, factories.STAFF_PASSWORD, "client")
    staff = stores.accounts.by_login("staff@nju.edu.cn")
    assert staff is not None
    assert staff.activated
    assert stores.passwords.verify(staff.password_hash, factories.STAFF_PASSWORD)


def test_r_ops_3_a_reset_code_leaves_the_activation_code_and_the_code_used_ends_both(stores: Stores) -> None:
    """R-OPS-3: a reset code kept for a staff account (忘记密码) does not replace its activation
    code, which sets the password; the reset code is dead with it."""
    codes = stores.codes
    staff = stores.accounts.by_login("staff@nju.edu.cn")
    assert staff is not None
    activation = staff_codes(stores)["staff@nju.edu.cn"].code
    assert activation is not None
    reset = OneTimeCode(staff.account_id, CodePurpose.PASSWORD_RESET, "1:reset", NOW + timedelta(minutes=10))
    codes.issue(reset, message("reset-staff", to="staff@nju.edu.cn", kind=MessageKind.PASSWORD_RESET))
    confirm_password_reset(stores.recovery, "staff@nju.edu.cn", activation, factories.STAFF_PASSWORD, "client")
    assert codes.take_try(staff.account_id, CodePurpose.PASSWORD_RESET, NOW) is None
    assert codes.take_try(staff.account_id, CodePurpose.ACTIVATION, NOW) is None


def test_r_ops_3_a_reload_sends_no_second_code_to_an_activated_account(stores: Stores) -> None:
    """R-OPS-3: loading other files again sends a new code only to staff who have not activated."""
    first = staff_codes(stores)
    code = first["staff@nju.edu.cn"].code
    assert code is not None
    confirm_password_reset(stores.recovery, "staff@nju.edu.cn", code, factories.STAFF_PASSWORD, "client")
    load_province(stores.loading, factories.province(capacity=3), NOW + timedelta(minutes=1))
    assert set(staff_codes(stores)) == {"staff@seu.edu.cn"}


def test_r_acc_2_captcha_is_taken_once_and_sessions_revoke(stores: Stores) -> None:
    captchas = stores.captchas
    captchas.save(Captcha("c1", "digest", NOW + timedelta(minutes=5)))
    assert captchas.take("c1") == Captcha("c1", "digest", NOW + timedelta(minutes=5))
    assert captchas.take("c1") is None
    sessions = stores.sessions
    sessions.save(Session("t1", "acc1", NOW + timedelta(hours=2)))
    assert sessions.get("t1") == Session("t1", "acc1", NOW + timedelta(hours=2))
    sessions.revoke("t1")
    assert sessions.get("t1") is None


def test_r_acc_2_throttle_counts_per_window(stores: Stores) -> None:
    throttle = stores.throttle
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


def test_r_rev_4_one_review_per_account_and_locks(stores: Stores) -> None:
    reviews = stores.reviews
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


def test_r_bind_2_both_directions(stores: Stores) -> None:
    registrations = stores.registrations
    bound(stores, 1)
    with pytest.raises(errors.AccountAlreadyBound):
        bound(stores, 1, factories.LI)
    with pytest.raises(errors.CandidateAlreadyBound):
        bound(stores, 2)
    assert registrations.bound_account(factories.entry(factories.ZHANG).key) == "acc1"
    saved = registrations.get("acc1")
    assert saved is not None
    assert saved.candidate == factories.entry(factories.ZHANG)  # R-BIND-3: the snapshot, field for field


def test_r_writ_2_one_subject_per_level_slot(stores: Stores) -> None:
    registrations = stores.registrations
    registration = bound(stores, 1)
    registrations.add_subject(registration, hold("CET4", 4), None)
    with pytest.raises(errors.LevelTaken):
        registrations.add_subject(registration, hold("CJT4", 4), None)
    saved = registrations.get("acc1")
    assert saved is not None
    assert [s.code for s in saved.subjects] == ["CET4"]
    assert saved.version == 1


def test_r_oral_4_capacity_is_never_exceeded(stores: Stores) -> None:
    registrations = stores.registrations
    first, second, third = (bound(stores, n, e) for n, e in enumerate((factories.ZHANG, factories.LI, factories.QIAN)))
    registrations.add_subject(first, hold("CET-SET4", 4, "NJU-GL"), None)
    registrations.add_subject(second, hold("CET-SET4", 4, "NJU-GL"), None)
    with pytest.raises(errors.CampusFull):
        registrations.add_subject(third, hold("CET-SET4", 4, "NJU-GL"), None)
    seat = SeatGrab("NJU-GL", "CET-SET4")
    assert stores.catalogs.seats_taken([seat]) == {seat: 2}


def test_r_pay_1_expired_holds_are_reclaimed_once(stores: Stores) -> None:
    """R-PAY-1: a hold past pay_by gives its seat back before anyone is refused; only once."""
    registrations = stores.registrations
    seat = SeatGrab("NJU-GL", "CET-SET4")
    expired = hold("CET-SET4", 4, "NJU-GL", minutes_ago=25 * 60)
    registrations.add_subject(bound(stores, 1), expired, None)
    registrations.add_subject(bound(stores, 2, factories.LI), hold("CET-SET4", 4, "NJU-GL"), None)
    assert registrations.reclaim_expired_holds(seat, NOW).released == 1
    assert registrations.reclaim_expired_holds(seat, NOW).released == 0
    assert stores.catalogs.seats_taken([seat]) == {seat: 1}
    saved = registrations.get("acc1")
    assert saved is not None
    assert saved.subjects == ()


def test_r_pay_1_removing_and_replacing_release_each_seat_once(stores: Stores) -> None:
    registrations = stores.registrations
    catalogs = stores.catalogs
    seat = SeatGrab("NJU-GL", "CET-SET4")
    registration = bound(stores, 1)
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


def test_r_bind_4_deleting_a_registration_frees_both_sides_and_seats(stores: Stores) -> None:
    registrations = stores.registrations
    registration = bound(stores, 1)
    registrations.add_subject(registration, hold("CET-SET4", 4, "NJU-GL"), None)
    stale = registrations.get("acc1")
    assert stale is not None
    with pytest.raises(errors.NotFound):  # a stale version cannot delete
        registrations.delete_registration(registration, NOW)
    registrations.delete_registration(stale, NOW)
    assert registrations.get("acc1") is None
    assert registrations.bound_account(factories.entry(factories.ZHANG).key) is None
    seat = SeatGrab("NJU-GL", "CET-SET4")
    assert stores.catalogs.seats_taken([seat]) == {seat: 0}
    bound(stores, 2)  # the candidate can be bound again


def test_r_acc_3_a_password_is_replaced_only_from_the_hash_that_was_verified(stores: Stores) -> None:
    accounts = stores.accounts
    accounts.create(account(1))
    assert not accounts.replace_password_hash("acc1", "another hash", "new")  # set meanwhile: that one wins
    assert accounts.replace_password_hash("acc1", "hash", "new")
    assert accounts.get("acc1") == replace(account(1), password_hash="new")
    assert not accounts.replace_password_hash("acc9", "hash", "new")
    assert accounts.get("acc9") is None


def test_r_acc_6_take_counts_up_to_the_limit_and_no_further(stores: Stores) -> None:
    throttle = stores.throttle
    window = NOW + timedelta(minutes=15)
    assert [throttle.take("codes#x", window, 2) for _ in range(3)] == [True, True, False]
    assert throttle.failures("codes#x", window) == 2
    assert throttle.take("codes#x", window + timedelta(minutes=15), 2)


def message(event_id: str, to: str = "user1@example.cn", kind: MessageKind = MessageKind.REVIEW_DECIDED) -> Message:
    return Message(event_id, to, kind, ("张三",), NOW)


def test_r_note_1_a_decision_keeps_its_message_in_the_same_write(stores: Stores) -> None:
    reviews = stores.reviews
    reviews.create(review(ReviewStatus.PENDING))
    assert reviews.get("acc1") == review(ReviewStatus.PENDING)
    stores.new_messages()  # the staff's activation codes
    reviews.decide(review(ReviewStatus.APPROVED), message("review-acc1"))
    assert reviews.get("acc1") == review(ReviewStatus.APPROVED)
    assert [m.event_id for m in stores.new_messages()] == ["review-acc1"]
    with pytest.raises(errors.ReviewNotPending):
        reviews.decide(review(ReviewStatus.REJECTED), message("review-acc1-again"))
    assert stores.new_messages() == []


def test_the_account_file_holds_the_account_its_registration_review_and_entries(stores: Stores) -> None:
    """Data-model pattern 1: what a student request needs, in one read."""
    assert stores.registrations.file("acc1") == AccountFile(None, None, None, None)
    stores.accounts.create(account(1))
    registration = bound(stores, 1)
    stores.registrations.add_subject(registration, hold("CET-SET4", 4, "NJU-GL"), None)
    stores.reviews.create(review(ReviewStatus.PENDING))
    entry = QueueEntry("acc1", "Q1", NOW, candidate=registration.candidate.key)
    assert stores.waiting_room.join(entry, None, None)
    found = stores.registrations.file("acc1")
    assert found == AccountFile(
        account(1), stores.registrations.get("acc1"), review(ReviewStatus.PENDING), None, {"Q1": entry}
    )
    assert found.registration is not None
    assert [s.code for s in found.registration.subjects] == ["CET-SET4"]


def test_r_pay_1_the_expiry_queue_holds_empty_registrations_and_unpaid_holds(stores: Stores) -> None:
    registrations = stores.registrations
    empty = bound(stores, 1)
    later = NOW + EMPTY_REGISTRATION_LIFETIME + timedelta(seconds=1)
    assert registrations.overdue(NOW) == []
    assert registrations.overdue(later) == ["acc1"]
    registrations.reschedule(empty, None)  # taken out of the queue
    assert registrations.overdue(later) == []
    registrations.add_subject(bound(stores, 2, factories.LI), hold("CET4", 4, minutes_ago=25 * 60), None)
    registrations.reschedule(Registration("acc2", factories.entry(factories.LI), NOW), None)
    assert registrations.overdue(NOW) == ["acc2"]  # its hold is past pay_by
    registrations.reschedule(Registration("acc9", factories.entry(factories.QIAN), NOW), NOW)  # none: nothing
    assert registrations.overdue(later) == ["acc2"]


def test_r_oral_4_a_removed_holds_seat_is_released_once_and_shards_with_room_follow(stores: Stores) -> None:
    registrations, seat = stores.registrations, SeatGrab("NJU-GL", "CET-SET4")
    assert registrations.shards_with_room(seat) == [0]
    first = hold("CET-SET4", 4, "NJU-GL")
    registrations.add_subject(bound(stores, 1), first, None)
    registrations.add_subject(bound(stores, 2, factories.LI), hold("CET-SET4", 4, "NJU-GL"), None)
    assert registrations.shards_with_room(seat) == []
    assert registrations.release_seat(first, NOW)
    assert not registrations.release_seat(first, NOW)
    assert stores.catalogs.seats_taken([seat]) == {seat: 1}
    assert registrations.shards_with_room(seat) == [0]


def test_r_bind_1_a_pruned_roll_keeps_the_bound_candidates(stores: Stores) -> None:
    bound(stores, 1)
    zhang, li = factories.entry(factories.ZHANG), factories.entry(factories.LI)
    assert stores.loading.store.prune_roll({li.key}) == len(factories.province(capacity=2).roll) - 2
    assert stores.roll.candidate(zhang.id_type, zhang.identity.digest) == zhang  # bound: kept
    assert stores.roll.candidate(li.id_type, li.identity.digest) == li


OPENING = Opening("Q1", "集中开放", NOW, NOW + timedelta(hours=1), NOW + timedelta(hours=10), ("NJU-GL",), 25, 10)


def with_opening(stores: Stores) -> WaitingRoomStore:
    data = factories.province(capacity=2)
    data.catalog.openings[OPENING.id] = OPENING
    load_province(stores.loading, data, OPENING.queue_opens_at - timedelta(minutes=1))  # before it opens (R-QUEUE-3)
    return stores.waiting_room


def test_r_queue_2_one_entry_per_account_and_one_claim_per_candidate(stores: Stores) -> None:
    queue = with_opening(stores)
    zhang = factories.entry(factories.ZHANG).key
    entry = QueueEntry("acc1", "Q1", NOW, candidate=zhang)
    assert queue.entry("acc1", "Q1") is None
    assert queue.claim(zhang, "Q1") is None
    assert queue.join(entry, None, None)
    assert not queue.join(entry, None, None)  # the account has one already
    assert not queue.join(QueueEntry("acc2", "Q1", NOW, candidate=zhang), None, None)  # the candidate has one
    assert queue.entry("acc1", "Q1") == entry
    assert queue.claim(zhang, "Q1") == QueueClaim("acc1", 0)
    again = replace(entry, round=1, joined_at=NOW + timedelta(minutes=1))
    assert not queue.join(again, replace(entry, round=5), QueueClaim("acc1", 0))  # not the entry it holds
    assert queue.join(again, entry, QueueClaim("acc1", 0))
    assert queue.claim(zhang, "Q1") == QueueClaim("acc1", 1)


def test_r_queue_3_places_are_given_and_admitted_once(stores: Stores) -> None:
    queue = with_opening(stores)
    joined = [QueueEntry(f"acc{n}", "Q1", NOW + timedelta(seconds=5 - n), candidate=f"cand{n}") for n in range(3)]
    for entry in joined:
        assert queue.join(entry, None, None)
    assert queue.arrivals("Q1") == joined[::-1]  # in arrival order
    assert queue.waiting_count("Q1") == 3
    assert queue.last_position("Q1") == 0
    assert queue.place(joined[0], 1)
    assert queue.place(joined[0], 1)  # already so: still holds it
    assert not queue.place(joined[0], 2)  # holds another
    assert not queue.place(replace(joined[1], round=1), 2)  # re-joined meanwhile
    assert queue.place_many([(joined[1], 2), (joined[2], 3)]) == 2
    placed = queue.placed_between("Q1", 1, 2)
    assert [(e.account_id, e.position) for e in placed] == [("acc0", 1), ("acc1", 2)]
    assert queue.last_position("Q1") == 3
    assert queue.waiting_count("Q1") == 0
    assert not queue.admit(joined[0], NOW, NOW + timedelta(minutes=10))  # not at its place
    assert queue.admit(placed[0], NOW, NOW + timedelta(minutes=10))
    assert not queue.admit(placed[0], NOW, NOW + timedelta(minutes=10))
    assert queue.entry("acc0", "Q1") == replace(placed[0], admitted_at=NOW, admitted_until=NOW + timedelta(minutes=10))


def test_r_queue_6_a_rejoin_keeps_the_place_it_left_in_the_published_order(stores: Stores) -> None:
    """R-QUEUE-6: the order page shows the account at each place, including a place whose entry
    joined again since (at the back); a join replacing an entry whose place changed is refused."""
    queue = with_opening(stores)
    joined = [QueueEntry(f"acc{n}", "Q1", NOW, candidate=f"cand{n}") for n in range(3)]
    for entry in joined:
        assert queue.join(entry, None, None)
    assert not queue.join(replace(joined[0], round=1), replace(joined[0], position=1), QueueClaim("acc0", 0))
    assert queue.place_many([(joined[0], 1), (joined[1], 2), (joined[2], 3)]) == 3
    assert queue.pre_opening_page("Q1", 1, 3) == {1: "acc0", 2: "acc1", 3: "acc2"}
    assert not queue.join(replace(joined[1], round=1), joined[1], QueueClaim("acc1", 0))  # placed meanwhile
    placed = replace(joined[1], position=2)
    again = QueueEntry("acc1", "Q1", NOW + timedelta(minutes=20), round=1, candidate="cand1")
    assert queue.join(again, placed, QueueClaim("acc1", 0))
    assert queue.place(again, 4)
    assert queue.pre_opening_page("Q1", 2, 3) == {2: "acc1", 3: "acc2"}
    assert queue.pre_opening_page("Q1", 1, 4) == {1: "acc0", 2: "acc1", 3: "acc2", 4: "acc1"}
    assert [e.account_id for e in queue.placed_between("Q1", 1, 4)] == ["acc0", "acc2", "acc1"]
    assert queue.kept_places("Q1", 1, 4) == {2}  # nobody to admit there (R-QUEUE-4)
    assert queue.kept_places("Q1", 3, 4) == set()
    assert queue.last_position("Q1") == 4
    third = replace(again, round=2, joined_at=again.joined_at + timedelta(minutes=1))
    assert queue.join(third, replace(again, position=4), QueueClaim("acc1", 1))  # placed last, replaced
    assert queue.last_position("Q1") == 4  # the highest place given is kept, never given again
    assert queue.kept_places("Q1", 1, 4) == {2, 4}


def test_r_queue_3_progress_only_grows_and_the_seed_is_drawn_once(stores: Stores) -> None:
    queue = with_opening(stores)
    drawn = queue.progress_now("Q1")
    seed = queue.seed("Q1")
    assert drawn is not None
    assert seed is not None
    assert drawn == OpeningProgress(seed_sha256=seed_sha256(seed))
    assert queue.progress_now("Q1", with_seed=True) == replace(drawn, seed=seed)
    with_opening(stores)  # a reload draws no second seed
    assert queue.seed("Q1") == seed
    newer = replace(drawn, queued=5, admitted=2, positioned=4, ordered=3)
    queue.save_progress("Q1", newer)
    queue.save_progress("Q1", replace(drawn, queued=6, admitted=1, positioned=5))  # an older picture
    assert queue.progress_now("Q1") == newer
    assert queue.progress("Q1", with_seed=False) is not None
    queue.save_progress("Q2", newer)  # no such opening: nothing kept
    assert queue.progress_now("Q2") is None


def test_one_runner_holds_a_lease_until_it_ends_or_is_released(stores: Stores) -> None:
    queue, minute = stores.waiting_room, timedelta(minutes=1)
    assert queue.take_lease("admit#Q1", "a", NOW, NOW + minute)
    assert not queue.take_lease("admit#Q1", "b", NOW, NOW + minute)
    assert queue.take_lease("admit#Q1", "b", NOW + 2 * minute, NOW + 3 * minute)  # a's lease ended
    queue.release_lease("admit#Q1", "a")  # not a's any more: nothing happens
    assert not queue.take_lease("admit#Q1", "c", NOW + 2 * minute, NOW + 3 * minute)
    queue.release_lease("admit#Q1", "b")
    assert queue.take_lease("admit#Q1", "c", NOW + 2 * minute, NOW + 3 * minute)


def code(purpose: CodePurpose = CodePurpose.PASSWORD_RESET, target: str | None = None) -> OneTimeCode:
    return OneTimeCode("acc1", purpose, f"1:{purpose.value}-digest", NOW + timedelta(minutes=10), target)


def test_r_acc_3_a_code_is_tried_five_times_while_alive_and_used_once(stores: Stores) -> None:
    codes = stores.codes
    stores.accounts.create(account(1))
    assert codes.take_try("acc1", CodePurpose.PASSWORD_RESET, NOW) is None
    codes.issue(code(), message("reset-1", kind=MessageKind.PASSWORD_RESET))
    assert codes.take_try("acc1", CodePurpose.PASSWORD_RESET, NOW + timedelta(minutes=10)) is None  # expired
    tries = [codes.take_try("acc1", CodePurpose.PASSWORD_RESET, NOW) for _ in range(6)]
    assert tries == [replace(code(), wrong_tries=n) for n in range(1, 6)] + [None]
    codes.issue(code(), message("reset-2", kind=MessageKind.PASSWORD_RESET))  # a new code: five tries again
    assert codes.take_try("acc1", CodePurpose.PASSWORD_RESET, NOW) == replace(code(), wrong_tries=1)
    codes.reset_password(code(), "new hash")
    found = stores.accounts.get("acc1")
    assert found == replace(account(1), password_hash="new hash", session_generation=1)
    with pytest.raises(errors.InvalidCode):
        codes.reset_password(code(), "another hash")


def test_r_note_2_a_change_writes_its_notices_with_it_once(stores: Stores) -> None:
    """The password reset, the login change and the admission each keep their notices in the
    same write: written when the change is, not when it is refused, never twice."""
    accounts, codes, queue = stores.accounts, stores.codes, with_opening(stores)
    accounts.create(account(1))
    stores.sessions.save(Session("t1", "acc1", NOW + timedelta(hours=2)))
    codes.issue(code(), message("reset-1", kind=MessageKind.PASSWORD_RESET))
    stores.new_messages()
    changed = message("password_changed#1", kind=MessageKind.PASSWORD_CHANGED)
    codes.reset_password(code(), "new hash", changed)
    with pytest.raises(errors.InvalidCode):
        codes.reset_password(code(), "another hash", message("password_changed#2", kind=MessageKind.PASSWORD_CHANGED))
    assert [m.event_id for m in stores.new_messages()] == ["password_changed#1"]
    change = code(CodePurpose.LOGIN_CHANGE, target="new1@example.cn")
    codes.issue(change, message("login-1", to="new1@example.cn", kind=MessageKind.LOGIN_CHANGE))
    stores.new_messages()
    told = tuple(
        message(f"login_changed#{w}", to=to, kind=MessageKind.LOGIN_CHANGED)
        for w, to in (("old", "user1@example.cn"), ("new", "new1@example.cn"))
    )
    codes.change_login(change, "user1@example.cn", NOW, "t1", 1, told)
    with pytest.raises(errors.InvalidCode):
        codes.change_login(change, "user1@example.cn", NOW, "t1", 2, (message("login_changed#again"),))
    assert sorted(m.event_id for m in stores.new_messages()) == ["login_changed#new", "login_changed#old"]
    entry = QueueEntry("acc1", "Q1", NOW, candidate="cand1")
    assert queue.join(entry, None, None)
    assert queue.place(entry, 1)
    placed = replace(entry, position=1)
    admitted = message("queue_admitted#acc1#Q1#0", kind=MessageKind.QUEUE_ADMITTED)
    assert queue.admit(placed, NOW, NOW + timedelta(minutes=10), admitted)
    assert not queue.admit(placed, NOW, NOW + timedelta(minutes=10), admitted)
    assert [m.event_id for m in stores.new_messages()] == ["queue_admitted#acc1#Q1#0"]


def test_r_acc_4_a_given_up_login_is_kept_30_days_for_its_account(stores: Stores) -> None:
    accounts, codes = stores.accounts, stores.codes
    old, new = "user1@example.cn", "new1@example.cn"
    accounts.create(account(1))
    stores.sessions.save(Session("t1", "acc1", NOW + timedelta(hours=2)))
    change = code(CodePurpose.LOGIN_CHANGE, target=new)
    codes.issue(change, message("login-1", to=new, kind=MessageKind.LOGIN_CHANGE))
    codes.change_login(change, old, NOW, "t1", 0)
    assert accounts.by_login(new) == replace(account(1), login=new, session_generation=1)
    assert accounts.by_login(old) is None  # it signs nobody in
    assert stores.sessions.get("t1") == Session("t1", "acc1", NOW + timedelta(hours=2), generation=1)
    assert codes.login_in_use(old, NOW, "acc2")
    assert not codes.login_in_use(old, NOW, "acc1")  # the account may take it back
    with pytest.raises(errors.LoginTaken):
        accounts.create(replace(account(2), login=old))  # nobody else takes it for 30 days
    later = NOW + timedelta(days=31)
    assert not codes.login_in_use(old, later, "acc2")
    accounts.create(replace(account(2), login=old, created_at=later))
    assert accounts.by_login(old) == replace(account(2), login=old, created_at=later)


def test_r_acc_4_a_given_up_login_stays_unusable_by_others_until_its_30_days_end(stores: Stores) -> None:
    """R-ACC-4: the quarantine lasts the whole 30 days, not a day less: on day 29 and a minute
    before the 30 days end the old login is still nobody else's; a second after, it is free."""
    accounts, codes = stores.accounts, stores.codes
    old = "user1@example.cn"
    accounts.create(account(1))
    stores.sessions.save(Session("t1", "acc1", NOW + timedelta(hours=2)))
    change = code(CodePurpose.LOGIN_CHANGE, target="new1@example.cn")
    codes.issue(change, message("login-1", to="new1@example.cn", kind=MessageKind.LOGIN_CHANGE))
    codes.change_login(change, old, NOW, "t1", 0)
    for still_kept in (NOW + timedelta(days=29), NOW + timedelta(days=30) - timedelta(minutes=1)):
        assert codes.login_in_use(old, still_kept, "acc2")
        with pytest.raises(errors.LoginTaken):
            accounts.create(replace(account(2), login=old, created_at=still_kept))
    free = NOW + timedelta(days=30, seconds=1)
    assert not codes.login_in_use(old, free, "acc2")
    accounts.create(replace(account(2), login=old, created_at=free))
    assert accounts.by_login(old) == replace(account(2), login=old, created_at=free)


def test_r_acc_4_a_login_given_up_by_another_account_cannot_be_changed_to(stores: Stores) -> None:
    accounts, codes = stores.accounts, stores.codes
    accounts.create(account(1))
    accounts.create(replace(account(2), account_id="acc1x"))  # acc1x: user2@example.cn
    stores.sessions.save(Session("t1", "acc1", NOW + timedelta(hours=2)))
    stores.sessions.save(Session("t2", "acc1x", NOW + timedelta(hours=2)))
    first = OneTimeCode("acc1x", CodePurpose.LOGIN_CHANGE, "1:x", NOW + timedelta(minutes=10), "other@example.cn")
    codes.issue(first, message("login-x", to="other@example.cn", kind=MessageKind.LOGIN_CHANGE))
    codes.change_login(first, "user2@example.cn", NOW, "t2", 0)  # user2 given up by acc1x
    taking = code(CodePurpose.LOGIN_CHANGE, target="user2@example.cn")
    codes.issue(taking, message("login-1", to="user2@example.cn", kind=MessageKind.LOGIN_CHANGE))
    with pytest.raises(errors.LoginTaken):
        codes.change_login(taking, "user1@example.cn", NOW, "t1", 0)
    with pytest.raises(errors.Unauthenticated):
        codes.change_login(replace(taking, target="free@example.cn"), "user1@example.cn", NOW, "t2", 0)
    codes.change_login(replace(taking, target="free@example.cn"), "user1@example.cn", NOW, "t1", 0)
    with pytest.raises(errors.InvalidCode):  # used
        codes.change_login(replace(taking, target="free2@example.cn"), "free@example.cn", NOW, "t1", 1)
