"""In-memory stores with the semantics of chalicelib/storage/, for service tests.

Every store shares one `FakeDatabase` (the one table of a province stack) and its lock: a
write checks all of its conditions first, then applies all of its changes, like a DynamoDB
transaction. Which domain error a failed write raises follows the repository exactly.
"""

from __future__ import annotations

import threading
from collections.abc import Container, Iterable
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any, NamedTuple

from chalicelib.domain.accounts import Account, Captcha, Session
from chalicelib.domain.catalog import Campus, Catalog, Province, School, Subject, Window
from chalicelib.domain.clock import Clock, iso
from chalicelib.domain.errors import (
    AccountAlreadyBound,
    CampusFull,
    CandidateAlreadyBound,
    IdentityKeyUnavailable,
    LevelTaken,
    LoginTaken,
    NotFound,
    ReviewExists,
    ReviewLocked,
    ReviewNotPending,
    SubjectPaid,
)
from chalicelib.domain.identity import Conversion, IdentityMark, IdType, Protection, WrappedDataKey
from chalicelib.domain.messages import Message
from chalicelib.domain.province import LoadRecord, Written
from chalicelib.domain.recovery import OneTimeCode
from chalicelib.domain.registration import (
    EMPTY_REGISTRATION_LIFETIME,
    AccountFile,
    ChosenSubject,
    Registration,
    SubjectStatus,
    in_order,
)
from chalicelib.domain.reload import ChangesRead
from chalicelib.domain.reviews import Cet6Review, ReviewStatus
from chalicelib.domain.roll import Cet4Record, RollEntry
from chalicelib.domain.seats import Reclaimed, SeatGrab
from chalicelib.domain.sitting import ExamSitting
from chalicelib.domain.waiting_room import Opening, OpeningProgress, QueueClaim, QueueEntry, draw_seed, seed_sha256
from chalicelib.services.accounts import AccountsContext
from chalicelib.services.province import ProvinceLoading, load_province
from chalicelib.services.registration_context import RegistrationContext
from chalicelib.services.security import Argon2Passwords
from tests import factories
from tests.fake_waiting_room import FakeWaitingRoom

SeatKey = tuple[str, str]  # (campus_id, subject)

# The first bytes of every PNG file: enough for a data URL in tests.
TINY_PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR"


@dataclass
class FakeDatabase:
    """The state of one province table; every store below reads and writes it under `lock`."""

    lock: threading.RLock = field(default_factory=threading.RLock)
    # catalog parts, upserted by key like the CATALOG partition
    province: Province = field(default_factory=lambda: Province("", "", ""))
    subjects: dict[str, Subject] = field(default_factory=dict)
    schools: dict[str, School] = field(default_factory=dict)
    campuses: dict[str, Campus] = field(default_factory=dict)
    windows: dict[tuple[str, int], Window] = field(default_factory=dict)
    # seat counters: taken and capacity per (campus_id, subject)
    seats: dict[SeatKey, int] = field(default_factory=dict)
    capacity: dict[SeatKey, int] = field(default_factory=dict)
    identity: IdentityMark | None = None  # the key the roll's digests were made with
    data_keys: dict[str, WrappedDataKey] = field(default_factory=dict)
    roll: dict[tuple[IdType, str], RollEntry] = field(default_factory=dict)  # by (type, digest)
    cet4: dict[str, Cet4Record] = field(default_factory=dict)
    accounts: dict[str, Account] = field(default_factory=dict)
    logins: dict[str, str] = field(default_factory=dict)
    retired_logins: dict[str, tuple[str, datetime]] = field(default_factory=dict)  # login -> (account, until)
    sessions: dict[str, Session] = field(default_factory=dict)
    captchas: dict[str, Captcha] = field(default_factory=dict)
    throttle: dict[tuple[str, int], int] = field(default_factory=dict)
    reviews: dict[str, Cet6Review] = field(default_factory=dict)
    registrations: dict[str, Registration] = field(default_factory=dict)  # subjects=(), by account
    bindings: dict[str, str] = field(default_factory=dict)  # candidate key -> account id
    outbox: dict[str, Message] = field(default_factory=dict)  # by event id
    holds: dict[str, dict[str, ChosenSubject]] = field(default_factory=dict)  # account -> slot -> hold
    released: set[str] = field(default_factory=set)  # hold ids whose seat went back (release proofs)
    due: dict[str, datetime | None] = field(default_factory=dict)  # account -> registration's place in the queue
    # the waiting room (R-QUEUE): openings in the catalog, their progress and seeds, entries by (account, opening)
    openings: dict[str, Opening] = field(default_factory=dict)
    progress: dict[str, OpeningProgress] = field(default_factory=dict)
    seeds: dict[str, str] = field(default_factory=dict)
    entries: dict[tuple[str, str], QueueEntry] = field(default_factory=dict)
    claims: dict[tuple[str, str], QueueClaim] = field(default_factory=dict)  # (candidate, opening): R-QUEUE-2
    kept_places: dict[tuple[str, int], str] = field(default_factory=dict)  # (opening, place): account, R-QUEUE-6
    leases: dict[str, tuple[str, datetime]] = field(default_factory=dict)
    loads: dict[str, LoadRecord] = field(default_factory=dict)
    codes: dict[tuple[str, str], OneTimeCode] = field(default_factory=dict)  # (account, purpose)
    # the exam sitting (R-ROOM-1) in the catalog, and the room plan's seeds by sitting (R-ROOM-2)
    exam: ExamSitting | None = None
    sitting_seeds: dict[str, str] = field(default_factory=dict)


class FakeCatalog:
    def __init__(self, db: FakeDatabase) -> None:
        self.db = db

    @property
    def seats(self) -> dict[SeatKey, int]:
        return self.db.seats

    def catalog(self) -> Catalog:
        db = self.db
        with db.lock:
            windows: dict[str, list[Window]] = {}
            for (school_id, _), window in sorted(db.windows.items()):
                windows.setdefault(school_id, []).append(window)
            return Catalog(
                db.province,
                dict(db.subjects),
                dict(db.schools),
                dict(db.campuses),
                {school_id: tuple(found) for school_id, found in windows.items()},
                db.identity,
                dict(db.openings),
                db.exam,
            )

    def sitting(self, with_seed: bool = False) -> ExamSitting | None:
        with self.db.lock:
            exam = self.db.exam
            seed = self.db.sitting_seeds.get(exam.key) if exam else None
        if exam is None or seed is None:
            return exam
        return replace(exam, seed_sha256=seed_sha256(seed), seed=seed if with_seed else None)

    def identity_mark(self) -> IdentityMark | None:
        with self.db.lock:
            return self.db.identity

    def seats_taken(self, seats: list[SeatGrab]) -> dict[SeatGrab, int]:
        """Like a batch get: counters that do not exist are simply absent from the answer."""
        with self.db.lock:
            return {
                s: self.db.seats[(s.campus_id, s.subject)] for s in seats if (s.campus_id, s.subject) in self.db.seats
            }


class FakeProvince:
    def __init__(self, db: FakeDatabase) -> None:
        self.db = db

    def withdraw_identity_mark(self, target: IdentityMark) -> None:
        raise AssertionError("the fake never converts: its mark is never withdrawn")

    def pending_identity_mark(self) -> IdentityMark | None:
        return None

    def keep_data_key(self, key: WrappedDataKey, now: datetime) -> None:
        with self.db.lock:
            self.db.data_keys[key.key_id] = key

    def identity_mark(self) -> IdentityMark | None:
        with self.db.lock:
            return self.db.identity

    def province_loaded(self) -> bool:
        with self.db.lock:
            return bool(self.db.province.code)

    def convert_identities(self, protection: Protection, progress: object = None) -> Conversion:
        raise AssertionError("the fake never holds ID numbers in an old form: nothing to convert")

    def write_catalog(self, catalog: Catalog) -> None:
        db = self.db
        with db.lock:
            db.province = catalog.province
            db.subjects.update(catalog.subjects)
            db.schools.update(catalog.schools)
            db.campuses.update(catalog.campuses)
            for school_id, windows in catalog.windows.items():
                db.windows.update({(school_id, i): window for i, window in enumerate(windows)})
            db.openings.update(catalog.openings)
            db.exam = catalog.exam
            if catalog.exam is not None:  # drawn once per sitting (R-ROOM-2)
                db.sitting_seeds.setdefault(catalog.exam.key, draw_seed())
            for opening_id in catalog.openings:
                if opening_id not in db.seeds:  # drawn once, at the first load (R-QUEUE-3)
                    db.seeds[opening_id] = draw_seed()
                    db.progress[opening_id] = OpeningProgress(seed_sha256=seed_sha256(db.seeds[opening_id]))
            for campus in catalog.campuses.values():
                for offering in campus.oral:
                    # A reload changes capacity but never forgets the seats already taken.
                    key = (offering.campus_id, offering.subject)
                    db.capacity[key] = offering.capacity
                    db.seats.setdefault(key, 0)

    def write_roll(self, entries: Iterable[RollEntry], written: Written | None = None) -> int:
        count = 0
        for entry in entries:
            with self.db.lock:
                self.db.roll[(entry.id_type, entry.identity.digest)] = entry
            count += 1
        return count

    def write_scores(self, records: Iterable[Cet4Record], written: Written | None = None) -> int:
        count = 0
        for record in records:
            with self.db.lock:
                self.db.cet4[record.ticket_number] = record
            count += 1
        return count

    def prune_roll(self, keep: Container[str]) -> int:
        with self.db.lock:
            gone = [k for k, e in self.db.roll.items() if e.key not in keep and e.key not in self.db.bindings]
            for key in gone:
                del self.db.roll[key]
            return len(gone)

    def load_record(self, load_id: str) -> LoadRecord | None:
        with self.db.lock:
            return self.db.loads.get(load_id)

    def save_load_record(self, record: LoadRecord) -> None:
        with self.db.lock:
            self.db.loads[record.load_id] = record

    def mark_identity(self, mark: IdentityMark) -> None:
        with self.db.lock:
            self.db.identity = mark

    # The fake has no administrator: its change log is empty, so a reload keeps nothing.
    def table_catalog(self) -> Catalog | None:
        return FakeCatalog(self.db).catalog() if self.province_loaded() else None

    def settled_through(self) -> str | None:
        return None

    def changes_after(self, through: str | None) -> ChangesRead:
        return ChangesRead(frozenset(), None)

    def settle_changes(self, through: str | None, load_id: str, at: datetime) -> None:
        pass


class FakeActivations:
    def __init__(self, db: FakeDatabase) -> None:
        self.db = db

    def issue_once(self, code: OneTimeCode, message: Message) -> bool:
        with self.db.lock:
            if message.event_id in self.db.outbox:
                return False
            self.db.codes[(code.account_id, code.purpose.value)] = code
            self.db.outbox[message.event_id] = message
            return True


class FakeRoll:
    def __init__(self, db: FakeDatabase) -> None:
        self.db = db

    def candidate(self, id_type: IdType, id_digest: str) -> RollEntry | None:
        with self.db.lock:
            return self.db.roll.get((id_type, id_digest))

    def cet4_record(self, ticket_number: str) -> Cet4Record | None:
        with self.db.lock:
            return self.db.cet4.get(ticket_number)


class FakeAccounts:
    def __init__(self, db: FakeDatabase) -> None:
        self.db = db

    def create(self, account: Account) -> None:
        db = self.db
        with db.lock:
            retired = db.retired_logins.get(account.login)
            # a login given up by another account is free again once its 30 days are over (R-ACC-4)
            kept = retired is not None and (account.created_at is None or retired[1] >= account.created_at)
            if account.login in db.logins or kept or account.account_id in db.accounts:
                raise LoginTaken()
            db.retired_logins.pop(account.login, None)
            db.logins[account.login] = account.account_id
            db.accounts[account.account_id] = account

    def logins(self, account_ids: list[str]) -> dict[str, str]:
        with self.db.lock:
            return {a: self.db.accounts[a].login for a in account_ids if a in self.db.accounts}

    def by_login(self, login: str) -> Account | None:
        with self.db.lock:
            account_id = self.db.logins.get(login)
            return None if account_id is None else self.db.accounts.get(account_id)

    def get(self, account_id: str) -> Account | None:
        with self.db.lock:
            return self.db.accounts.get(account_id)

    def accept_agreement(self, account_id: str, at: datetime) -> None:
        with self.db.lock:
            account = self.db.accounts.get(account_id)
            if account is None:
                # The repository's conditional update fails with a pynamodb error, not a domain one.
                raise LookupError(f"no account {account_id}")
            self.db.accounts[account_id] = replace(account, agreement_accepted_at=at)

    def replace_password_hash(self, account_id: str, verified_hash: str, new_hash: str) -> bool:
        with self.db.lock:
            account = self.db.accounts.get(account_id)
            if account is None or account.password_hash != verified_hash:
                return False
            self.db.accounts[account_id] = replace(account, password_hash=new_hash)
            return True

    def remember_lookup(self, account_id: str, candidate_key: str, school_id: str) -> None:
        with self.db.lock:
            account = self.db.accounts.get(account_id)
            if account is None:
                raise LookupError(f"no account {account_id}")
            self.db.accounts[account_id] = replace(account, looked_up=candidate_key, looked_up_school_id=school_id)


class FakeSessions:
    def __init__(self, db: FakeDatabase) -> None:
        self.db = db

    def save(self, session: Session) -> None:
        with self.db.lock:
            self.db.sessions[session.token_digest] = session

    def get(self, token_digest: str) -> Session | None:
        with self.db.lock:
            return self.db.sessions.get(token_digest)

    def revoke(self, token_digest: str) -> None:
        with self.db.lock:
            self.db.sessions.pop(token_digest, None)


class FakeCaptchas:
    def __init__(self, db: FakeDatabase) -> None:
        self.db = db

    def save(self, captcha: Captcha) -> None:
        with self.db.lock:
            self.db.captchas[captcha.captcha_id] = captcha

    def take(self, captcha_id: str) -> Captcha | None:
        with self.db.lock:
            return self.db.captchas.pop(captcha_id, None)


class FakeThrottle:
    def __init__(self, db: FakeDatabase) -> None:
        self.db = db

    def add_failure(self, key: str, window_ends: datetime) -> int:
        slot = (key, int(window_ends.timestamp()))
        with self.db.lock:
            self.db.throttle[slot] = self.db.throttle.get(slot, 0) + 1
            return self.db.throttle[slot]

    def failures(self, key: str, window_ends: datetime) -> int:
        with self.db.lock:
            return self.db.throttle.get((key, int(window_ends.timestamp())), 0)

    def take(self, key: str, window_ends: datetime, limit: int) -> bool:
        slot = (key, int(window_ends.timestamp()))
        with self.db.lock:
            if self.db.throttle.get(slot, 0) >= limit:
                return False
            self.db.throttle[slot] = self.db.throttle.get(slot, 0) + 1
            return True


class FakeReviews:
    def __init__(self, db: FakeDatabase) -> None:
        self.db = db

    def get(self, account_id: str) -> Cet6Review | None:
        with self.db.lock:
            return self.db.reviews.get(account_id)

    def create(self, review: Cet6Review) -> None:
        with self.db.lock:
            if review.account_id in self.db.reviews:
                raise ReviewExists()
            self.db.reviews[review.account_id] = review

    def replace_rejected(self, review: Cet6Review) -> None:
        with self.db.lock:
            if not self._has_status(review.account_id, ReviewStatus.REJECTED):
                raise ReviewLocked()
            self.db.reviews[review.account_id] = review

    def delete_rejected(self, account_id: str) -> None:
        with self.db.lock:
            if account_id not in self.db.reviews:
                raise NotFound("您还没有提交 CET6 资格复核申请。")
            if not self._has_status(account_id, ReviewStatus.REJECTED):
                raise ReviewLocked()
            del self.db.reviews[account_id]

    def decide(self, review: Cet6Review, message: Message | None = None) -> None:
        with self.db.lock:
            if not self._has_status(review.account_id, ReviewStatus.PENDING):
                raise ReviewNotPending()
            self.db.reviews[review.account_id] = review
            if message is not None:
                self.db.outbox.setdefault(message.event_id, message)

    def list_for_school(self, school_id: str, status: ReviewStatus) -> list[Cet6Review]:
        with self.db.lock:
            found = [r for r in self.db.reviews.values() if r.school_id == school_id and r.status is status]
        # the index sorts by its range key: submission time, then review id
        return sorted(found, key=lambda r: f"{iso(r.submitted_at)}#{r.review_id}")

    def _has_status(self, account_id: str, status: ReviewStatus) -> bool:
        stored = self.db.reviews.get(account_id)
        return stored is not None and stored.status is status


class FakeRegistrations:
    def __init__(self, db: FakeDatabase) -> None:
        self.db = db

    @property
    def seats(self) -> dict[SeatKey, int]:
        return self.db.seats

    @property
    def released(self) -> set[str]:
        return self.db.released

    def get(self, account_id: str) -> Registration | None:
        with self.db.lock:
            registration = self.db.registrations.get(account_id)
            if registration is None:
                return None
            holds = self.db.holds.get(account_id, {}).values()
            return replace(registration, subjects=in_order(list(holds)))

    def file(self, account_id: str) -> AccountFile:
        with self.db.lock:
            entries = {opening: e for (holder, opening), e in self.db.entries.items() if holder == account_id}
            return AccountFile(
                self.db.accounts.get(account_id),
                self.get(account_id),
                self.db.reviews.get(account_id),
                None,
                queue_entries=entries,
            )

    def bound_account(self, candidate_key: str) -> str | None:
        with self.db.lock:
            return self.db.bindings.get(candidate_key)

    def bind(self, registration: Registration) -> None:
        """R-BIND-2: both sides conditioned on absence; the account side is reported first."""
        db = self.db
        key = registration.candidate.key
        with db.lock:
            if db.identity is None or db.identity.version != registration.candidate.identity.key_version:
                raise IdentityKeyUnavailable()
            if registration.account_id in db.registrations:
                raise AccountAlreadyBound()
            if key in db.bindings:
                raise CandidateAlreadyBound()
            db.registrations[registration.account_id] = replace(registration, subjects=(), version=0)
            db.bindings[key] = registration.account_id
            db.due[registration.account_id] = registration.saved_at + EMPTY_REGISTRATION_LIFETIME

    def add_subject(self, registration: Registration, chosen: ChosenSubject, replacing: ChosenSubject | None) -> None:
        db = self.db
        account_id = registration.account_id
        with db.lock:
            failed: set[str] = set()
            if account_id not in db.registrations:
                failed.add("registration")
            held = db.holds.get(account_id, {}).get(chosen.slot)
            slot_free = held is None if replacing is None else held is not None and held.hold_id == replacing.hold_id
            if not slot_free:
                failed.add("slot")
            same_counter = replacing is not None and (replacing.campus_id, replacing.code) == (
                chosen.campus_id,
                chosen.code,
            )
            grab = chosen.campus_id is not None and not same_counter
            if grab and not self._seat_free(_seat_key(chosen)):
                failed.add("seat")
            release = replacing is not None and replacing.campus_id is not None
            if release:
                assert replacing is not None
                failed |= self._release_failures(replacing, count=not same_counter)
            if "registration" in failed:
                raise NotFound("报名信息已不存在，请重新查询资格并保存。")
            if "slot" in failed:
                raise LevelTaken()
            if failed:
                raise CampusFull()
            self._bump(account_id)
            db.holds.setdefault(account_id, {})[chosen.slot] = chosen
            if grab:
                db.seats[_seat_key(chosen)] += 1
            if release:
                assert replacing is not None
                self._release(replacing, count=not same_counter)

    def remove_subject(self, account_id: str, chosen: ChosenSubject, now: datetime) -> None:
        db = self.db
        with db.lock:
            failed = account_id not in db.registrations or not self._unpaid_same_hold(account_id, chosen)
            if chosen.campus_id is not None:
                failed = failed or bool(self._release_failures(chosen, count=True))
            if failed:
                raise SubjectPaid()
            self._bump(account_id)
            del db.holds[account_id][chosen.slot]
            if chosen.campus_id is not None:
                self._release(chosen, count=True)

    def reclaim_expired_holds(self, seat: SeatGrab, now: datetime) -> Reclaimed:
        with self.db.lock:
            at_seat = [
                (account_id, hold)
                for account_id, holds in self.db.holds.items()
                for hold in holds.values()
                if (hold.campus_id, hold.code) == (seat.campus_id, seat.subject) and hold.status is SubjectStatus.UNPAID
            ]
        expired = [(account_id, hold) for account_id, hold in at_seat if not hold.is_live(now)]
        live = [hold.pay_by for _, hold in at_seat if hold.is_live(now) and hold.pay_by is not None]
        released = 0
        for account_id, hold in expired:
            try:
                self.remove_subject(account_id, hold, now)
            except SubjectPaid:
                continue
            released += 1
        return Reclaimed(released, min(live, default=None))

    def shards_with_room(self, seat: SeatGrab) -> list[int]:
        with self.db.lock:
            return [0] if self._seat_free((seat.campus_id, seat.subject)) else []

    def overdue(self, now: datetime) -> list[str]:
        with self.db.lock:
            late_registrations = {a for a, due in self.db.due.items() if due is not None and due < now}
            late_holds = {
                account_id
                for account_id, holds in self.db.holds.items()
                for hold in holds.values()
                if hold.status is SubjectStatus.UNPAID and hold.pay_by is not None and hold.pay_by < now
            }
            return sorted(late_registrations | late_holds)

    def reschedule(self, registration: Registration, due: datetime | None) -> None:
        with self.db.lock:
            if registration.account_id in self.db.registrations:
                self.db.due[registration.account_id] = due

    def release_seat(self, hold: ChosenSubject, now: datetime) -> bool:
        with self.db.lock:
            if self._release_failures(hold, count=True):
                return False
            self._release(hold, count=True)
            return True

    def removed_hold(self, old_image: dict[str, Any]) -> ChosenSubject | None:
        """The fake's stream images carry the hold itself under "hold"."""
        hold = old_image.get("hold")
        if not isinstance(hold, ChosenSubject) or hold.status is not SubjectStatus.UNPAID or hold.campus_id is None:
            return None
        return hold

    def expire_by_ttl(self, account_id: str, hold: ChosenSubject) -> dict[str, Any]:
        """What DynamoDB's TTL does: the item goes, nothing else; returns the stream's old image."""
        with self.db.lock:
            del self.db.holds[account_id][hold.slot]
        return {"hold": hold}

    def delete_registration(self, registration: Registration, now: datetime) -> None:
        """R-BIND-4: the registration, both sides of the binding and its unpaid holds, at once."""
        db = self.db
        account_id = registration.account_id
        key = registration.candidate.key
        with db.lock:
            stored = db.registrations.get(account_id)
            failed = stored is None or stored.version != registration.version
            failed = failed or db.bindings.get(key) != account_id
            for chosen in registration.subjects:
                failed = failed or not self._unpaid_same_hold(account_id, chosen)
                if chosen.campus_id is not None:
                    failed = failed or bool(self._release_failures(chosen, count=True))
            if failed:
                raise NotFound("报名信息已变化，请刷新后重试。")
            del db.registrations[account_id]
            del db.bindings[key]
            db.due.pop(account_id, None)
            for chosen in registration.subjects:
                del db.holds[account_id][chosen.slot]
                if chosen.campus_id is not None:
                    self._release(chosen, count=True)

    # conditions and effects shared by the writes above (call with the lock held)
    def _seat_free(self, key: SeatKey) -> bool:
        taken, capacity = self.db.seats.get(key), self.db.capacity.get(key)
        return taken is not None and capacity is not None and taken < capacity

    def _release_failures(self, hold: ChosenSubject, count: bool) -> set[str]:
        failed = set()
        if hold.hold_id in self.db.released:
            failed.add(f"release:{hold.hold_id}")
        if count and self.db.seats.get(_seat_key(hold), 0) <= 0:
            failed.add(f"unseat:{hold.hold_id}")
        return failed

    def _release(self, hold: ChosenSubject, count: bool) -> None:
        """A seat goes back at most once: the release proof is recorded with it."""
        self.db.released.add(hold.hold_id)
        if count:
            self.db.seats[_seat_key(hold)] -= 1

    def _unpaid_same_hold(self, account_id: str, chosen: ChosenSubject) -> bool:
        held = self.db.holds.get(account_id, {}).get(chosen.slot)
        return held is not None and held.hold_id == chosen.hold_id and held.status is SubjectStatus.UNPAID

    def _bump(self, account_id: str) -> None:
        """Every change of subjects bumps the version, so a stale deletion cannot go through."""
        stored = self.db.registrations[account_id]
        self.db.registrations[account_id] = replace(stored, version=stored.version + 1)


def _seat_key(hold: ChosenSubject) -> SeatKey:
    assert hold.campus_id is not None
    return (hold.campus_id, hold.code)


class FakePainter:
    def paint(self, text: str) -> bytes:
        return TINY_PNG


class FakeContexts(NamedTuple):
    accounts: AccountsContext
    registration: RegistrationContext
    db: FakeDatabase


def fake_contexts(clock: Clock, capacity: int = 10, extra_students: int = 0) -> FakeContexts:
    """Both service contexts on one fake database, with the test province loaded."""
    db = FakeDatabase()
    passwords = Argon2Passwords(memory_kib=1024, time_cost=1)
    loading = ProvinceLoading(FakeProvince(db), FakeAccounts(db), FakeActivations(db), factories.protection)
    load_province(loading, factories.province(capacity, extra_students), clock.now())
    factories.give_staff_passwords(FakeAccounts(db), passwords)
    accounts = AccountsContext(
        accounts=FakeAccounts(db),
        sessions=FakeSessions(db),
        captchas=FakeCaptchas(db),
        throttle=FakeThrottle(db),
        passwords=passwords,
        painter=FakePainter(),
        clock=clock,
        captcha_seconds=300,
        session_seconds=7200,
    )
    registration = RegistrationContext(
        catalogs=FakeCatalog(db),
        roll=FakeRoll(db),
        reviews=FakeReviews(db),
        registrations=FakeRegistrations(db),
        identities=factories.IDENTITY_KEYS,
        clock=clock,
        accounts=accounts.accounts,
        waiting_room=FakeWaitingRoom(db),
    )
    return FakeContexts(accounts, registration, db)
