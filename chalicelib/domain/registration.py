"""The saved registration, its chosen subjects and the rules for changing them.

R-BIND-3 (a snapshot of the roll), R-BIND-4 (empty registrations expire), R-WRIT-2 (one subject
per level), R-ORAL-2/4/5, R-PAY-1 (unpaid subjects are gone at `pay_by`).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from enum import StrEnum

from chalicelib.domain.accounts import Account
from chalicelib.domain.catalog import Campus, Catalog, OralOffering, Subject, SubjectKind
from chalicelib.domain.errors import (
    CampusNotOpen,
    ExternalNotAllowed,
    InvalidRequest,
    LevelTaken,
    NotFound,
    NotQualified,
    OralDepends,
    SubjectPaid,
    SubjectTaken,
    WrittenRequired,
)
from chalicelib.domain.reviews import CET6, Cet6Review
from chalicelib.domain.roll import RollEntry
from chalicelib.domain.waiting_room import QueueEntry

PAY_WITHIN = timedelta(hours=24)
EMPTY_REGISTRATION_LIFETIME = timedelta(hours=24)


class SubjectStatus(StrEnum):
    UNPAID = "unpaid"
    PAID = "paid"


@dataclass(frozen=True)
class ExamSeat:
    """R-ROOM-1, R-TICKET-1: where a paid written subject is sat, once the room plan gave it a seat."""

    ticket_number: str
    site_code: str
    room: int
    seat: int
    separate_room: bool = False
    extra_minutes: int = 0  # R-ROOM-3: on the roll, added to the end time on the ticket


@dataclass(frozen=True)
class ChosenSubject:
    code: str
    kind: SubjectKind
    level: int
    fee: int
    status: SubjectStatus
    chosen_at: datetime
    pay_by: datetime | None
    hold_id: str
    campus_id: str | None = None
    offered: bool = False  # R-WAIT-2: a seat that came back, held for the student from the waiting list
    shard: int | None = None  # the seat counter shard an oral hold took: its release gives that seat back
    exam_seat: ExamSeat | None = None  # R-ROOM-1: a paid written subject's seat in the room plan

    @classmethod
    def unpaid(
        cls, subject: Subject, campus_id: str | None, now: datetime, pay_by: datetime, offered: bool = False
    ) -> ChosenSubject:
        """A new hold on `subject` (at `campus_id` for an oral one), unpaid until `pay_by`."""
        return cls(
            code=subject.code,
            kind=subject.kind,
            level=subject.level,
            fee=subject.fee,
            status=SubjectStatus.UNPAID,
            chosen_at=now,
            pay_by=pay_by,
            hold_id=uuid.uuid4().hex,
            campus_id=campus_id,
            offered=offered,
        )

    @property
    def slot(self) -> str:
        """R-WRIT-2: one subject per kind and level; the slot is the storage key too."""
        return slot_of(self.kind, self.level)

    def is_live(self, now: datetime) -> bool:
        """R-PAY-1: an unpaid subject past `pay_by` is gone for every read, at once."""
        if self.status is SubjectStatus.PAID or self.pay_by is None:
            return True
        return now < self.pay_by


def in_order(subjects: list[ChosenSubject]) -> tuple[ChosenSubject, ...]:
    """Written before oral, level 4 before 6: the order the page lists them in."""
    return tuple(sorted(subjects, key=lambda s: (s.kind is not SubjectKind.WRITTEN, s.level)))


def slot_of(kind: SubjectKind, level: int) -> str:
    return f"{kind.value}#{level}"


@dataclass(frozen=True)
class Registration:
    account_id: str
    candidate: RollEntry  # R-BIND-3: the roll as it was when saved
    saved_at: datetime
    subjects: tuple[ChosenSubject, ...] = ()
    version: int = 0  # bumped by every change of subjects; guards deletion (R-BIND-4)

    def live_subjects(self, now: datetime) -> tuple[ChosenSubject, ...]:
        return tuple(s for s in self.subjects if s.is_live(now))

    def expired_subjects(self, now: datetime) -> tuple[ChosenSubject, ...]:
        return tuple(s for s in self.subjects if not s.is_live(now))

    def in_slot(self, slot: str, now: datetime) -> ChosenSubject | None:
        return next((s for s in self.live_subjects(now) if s.slot == slot), None)

    def stale_in_slot(self, slot: str, now: datetime) -> ChosenSubject | None:
        return next((s for s in self.expired_subjects(now) if s.slot == slot), None)

    def live_code(self, code: str, now: datetime) -> ChosenSubject | None:
        return next((s for s in self.live_subjects(now) if s.code == code), None)

    def expires_at(self) -> datetime | None:
        """R-BIND-4: when the registration goes if nothing is paid by then; None once paid."""
        if any(s.status is SubjectStatus.PAID for s in self.subjects):
            return None
        deadlines = [self.saved_at + EMPTY_REGISTRATION_LIFETIME]
        deadlines += [s.pay_by for s in self.subjects if s.pay_by is not None]
        return max(deadlines)

    def is_gone(self, now: datetime) -> bool:
        expires_at = self.expires_at()
        return expires_at is not None and now >= expires_at

    def with_subject(self, chosen: ChosenSubject) -> Registration:
        """The registration as stored once `chosen` holds its slot (what it replaced is gone)."""
        kept = [s for s in self.subjects if s.slot != chosen.slot]
        return replace(self, subjects=in_order([*kept, chosen]), version=self.version + 1)

    def without_subject(self, chosen: ChosenSubject) -> Registration:
        kept = tuple(s for s in self.subjects if s.hold_id != chosen.hold_id)
        return replace(self, subjects=kept, version=self.version + 1)

    def amount_due(self, now: datetime) -> int:
        return sum(s.fee for s in self.live_subjects(now) if s.status is SubjectStatus.UNPAID)


def qualified_subjects(entry: RollEntry, review: Cet6Review | None) -> tuple[str, ...]:
    """R-QUAL-3 plus R-REV-3: an approved review makes CET6 a qualified subject at once."""
    codes = list(entry.qualified_subjects)
    if review is not None and review.grants_cet6_to(entry) and CET6 not in codes:
        codes.append(CET6)
    return tuple(codes)


def subject_qualification(subject: Subject, qualified: tuple[str, ...]) -> tuple[bool, str]:
    """Whether the candidate may take a subject, and why not (shown on the subject list)."""
    if subject.kind is SubjectKind.WRITTEN:
        if subject.code in qualified:
            return True, ""
        return False, "无该科目报考资格"
    if subject.code in qualified or subject.requires in qualified:
        return True, ""
    return False, f"需先具备 {subject.requires} 笔试报考资格"


def check_slot_free(registration: Registration, subject: Subject, now: datetime) -> None:
    if registration.live_code(subject.code, now) is not None:
        raise SubjectTaken()
    if registration.in_slot(slot_of(subject.kind, subject.level), now) is not None:
        raise LevelTaken()


def check_written_choice(
    registration: Registration, subject: Subject, qualified: tuple[str, ...], now: datetime
) -> None:
    """R-WRIT-1/2: qualified subjects only, one per level."""
    if not subject_qualification(subject, qualified)[0]:
        raise NotQualified()
    check_slot_free(registration, subject, now)


def oral_campus_choices(candidate: RollEntry, catalog: Catalog, subject: str) -> list[Campus]:
    """R-ORAL-2: without external oral candidates allowed, only the written-exam campus."""
    school = catalog.schools.get(candidate.school_id)
    pairs = catalog.campuses_offering(subject)
    if school is not None and not school.allow_external_oral:
        return [campus for campus, _ in pairs if campus.id == candidate.campus_id]
    return [campus for campus, _ in pairs]


def written_missing(registration: Registration, subject: Subject, now: datetime) -> str | None:
    """R-ORAL-4: the English written subject an oral subject still needs chosen first (CET-SET4
    needs CET4 in the same registration), or None when it is held or the subject is written."""
    if subject.requires is None or registration.live_code(subject.requires, now) is not None:
        return None
    return subject.requires


def check_oral_choice(
    registration: Registration,
    subject: Subject,
    campus: Campus,
    catalog: Catalog,
    qualified: tuple[str, ...],
    now: datetime,
) -> OralOffering:
    """R-ORAL-1/2/4: an open campus, the external rule, the written subject of that level."""
    if not subject_qualification(subject, qualified)[0]:
        raise NotQualified()
    offering = campus.offering(subject.code)
    if offering is None:
        raise InvalidRequest("campus_id", "所选校区不提供该口试科目")
    if campus not in oral_campus_choices(registration.candidate, catalog, subject.code):
        raise ExternalNotAllowed()
    if not offering.is_open(now):
        raise CampusNotOpen()
    if written_missing(registration, subject, now) is not None:
        raise WrittenRequired()
    check_slot_free(registration, subject, now)
    return offering


def pay_by_for(registration: Registration, subject: Subject, now: datetime) -> datetime:
    """R-PAY-1: 24 hours from choosing. decided (R-ORAL-4): an oral subject never outlives the
    unpaid written subject it depends on, so an expiry cannot leave an oral subject alone."""
    pay_by = now + PAY_WITHIN
    written = registration.live_code(subject.requires, now) if subject.requires else None
    if written is not None and written.status is SubjectStatus.UNPAID and written.pay_by is not None:
        return min(pay_by, written.pay_by)
    return pay_by


def check_removal(registration: Registration, code: str, now: datetime) -> ChosenSubject:
    """R-PAY-3: paid subjects stay; R-ORAL-5: a written subject under a held oral one stays."""
    chosen = registration.live_code(code, now)
    if chosen is None:
        raise NotFound("报名信息中没有该科目。")
    if chosen.status is SubjectStatus.PAID:
        raise SubjectPaid()
    if chosen.kind is SubjectKind.WRITTEN:
        dependants = [s for s in registration.live_subjects(now) if s.kind is SubjectKind.ORAL]
        if any(f"CET{s.level}" == chosen.code for s in dependants):
            raise OralDepends()
    return chosen


@dataclass(frozen=True)
class AccountFile:
    """What a student request needs from the account's partition, read in one Query: the account,
    its registration with its subjects, its CET6 review and its open order (data-model pattern 1)."""

    account: Account | None
    registration: Registration | None
    review: Cet6Review | None
    open_order_id: str | None
    queue_entries: dict[str, QueueEntry] = field(default_factory=dict)  # by opening (R-QUEUE-1/5)
