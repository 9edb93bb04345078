"""The waiting list for full campuses (R-WAIT-1..2): join, see one's place, leave; and the offer
step that gives each seat that came back to the first student on the list who can still take it.

Seats come back through storage (every release, decision 0006): while students wait for a
campus + subject, a released seat is not given back to its counter but kept as a pending seat,
so no grab can take it (R-WAIT-2). The offer step runs when a pending seat appears (the table's
stream) and every minute (the job), and is safe to run many times at once.
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from chalicelib.domain.accounts import Account
from chalicelib.domain.catalog import Campus, Subject, SubjectKind
from chalicelib.domain.errors import DomainError, InvalidRequest, LevelTaken, NotFound, SubjectPaid, SubjectTaken
from chalicelib.domain.messages import Message, seat_offered
from chalicelib.domain.registration import (
    ChosenSubject,
    Registration,
    check_oral_choice,
    pay_by_for,
    qualified_subjects,
    slot_of,
)
from chalicelib.domain.seats import SeatGrab
from chalicelib.domain.waitlist import OfferOutcome, PendingSeat, PlacedEntry, WaitlistEntry, offer_pay_by, seat_name
from chalicelib.services.registration_context import RegistrationContext
from chalicelib.services.waiting_room import admissions, check_oral_admission

# How many times one pending seat is tried (entries gone, skipped, or served by a racing step)
# before it is left for the next run of the job.
TRIES_PER_SEAT = 50
JOB_BATCH = 100


@dataclass(frozen=True)
class WaitlistContext:
    registration: RegistrationContext
    waitlist: WaitlistStore


def _oral_subject(ctx: RegistrationContext, code: object) -> Subject:
    subject = ctx.catalogs.catalog().subjects.get(code) if isinstance(code, str) else None
    if subject is None or subject.kind is not SubjectKind.ORAL:
        raise InvalidRequest("subject", "不是本省开考的口试科目")
    return subject


def join(ctx: WaitlistContext, account: Account, code: object, campus_id: object) -> PlacedEntry:
    """R-WAIT-1: a student who could choose this campus (the checks of choosing, R-ORAL-1/2/4)
    joins its list while it is full; one list per oral level."""
    rctx = ctx.registration
    file = rctx.registrations.file(account.account_id)  # one read of the account's partition
    registration = file.registration
    if registration is None or registration.is_gone(rctx.clock.now()):
        raise NotFound("您还没有保存报名信息，请先查询资格并保存。")
    subject = _oral_subject(rctx, code)
    catalog = rctx.catalogs.catalog()
    campus = catalog.campuses.get(campus_id) if isinstance(campus_id, str) else None
    if campus is None:
        raise InvalidRequest("campus_id", "缺失或不是本省的校区")
    now = rctx.clock.now()
    qualified = qualified_subjects(registration.candidate, file.review)
    try:
        offering = check_oral_choice(registration, subject, campus, catalog, qualified, now)
    except SubjectTaken:
        raise LevelTaken() from None
    # R-QUEUE-1/5: inside an opening's queue window the list is no way around the queue
    check_oral_admission(catalog.openings.values(), campus.id, admissions(rctx.waiting_room, file, now), now)
    # R-PAY-1: expired holds stop counting first, so nobody waits beside a seat that is free.
    rctx.registrations.reclaim_expired_holds(SeatGrab(campus.id, subject.code), now)
    entry = WaitlistEntry(account.account_id, subject.code, subject.level, campus.id, now)
    ctx.waitlist.join(entry, offering.shards)
    return PlacedEntry(entry, ctx.waitlist.position(entry))


def my_entries(ctx: WaitlistContext, account: Account) -> list[PlacedEntry]:
    return [PlacedEntry(e, ctx.waitlist.position(e)) for e in ctx.waitlist.entries(account.account_id)]


def leave(ctx: WaitlistContext, account: Account, code: str) -> None:
    subject = _oral_subject(ctx.registration, code)
    entry = next((e for e in ctx.waitlist.entries(account.account_id) if e.subject == subject.code), None)
    if entry is None:
        raise NotFound("您没有候补该科目。")
    ctx.waitlist.leave(entry)


@dataclass
class OfferReport:
    offered: int = 0
    skipped: int = 0  # students who could no longer take the seat: off the list
    given_back: int = 0  # seats back to their counter: nobody waits any more
    left_pending: int = 0  # still pending: the next run tries again

    def as_dict(self) -> dict[str, int]:
        return dict(vars(self))


def offer_pending(ctx: WaitlistContext, limit: int = JOB_BATCH) -> OfferReport:
    """The job (every minute, and `POST /_test/jobs/offer`): every pending seat, oldest first."""
    report = OfferReport()
    for seat in ctx.waitlist.pending_seats(limit):
        offer_seat(ctx, seat, report)
    return report


def offer_new(ctx: WaitlistContext, images: list[dict[str, object]]) -> OfferReport:
    """New pending seats from the table's stream: offered at once."""
    report = OfferReport()
    for image in images:
        seat = ctx.waitlist.pending_from_image(image)
        if seat is not None:
            offer_seat(ctx, seat, report)
    return report


def offer_seat(ctx: WaitlistContext, seat: PendingSeat, report: OfferReport) -> None:
    """R-WAIT-2: the seat to the first student on the list who can still take it, or back to its
    counter when nobody waits. Racing steps on one seat: one offers it, the others find it gone."""
    store = ctx.waitlist
    for _ in range(TRIES_PER_SEAT):
        first = store.first(seat.campus_id, seat.subject, 1)
        if not first:
            outcome = store.give_back(seat)
            if outcome is OfferOutcome.DONE:
                report.given_back += 1
            if outcome is not OfferOutcome.SOMEONE_WAITS:
                return
            continue  # someone joined meanwhile: the seat is theirs
        entry = first[0]
        offer = _offer_for(ctx, entry)
        if offer is None:
            report.skipped += int(store.skip(entry))
            continue
        hold, message = offer
        outcome = store.offer(seat, entry, hold, message)
        if outcome is OfferOutcome.DONE:
            report.offered += 1
            return
        if outcome is OfferOutcome.SEAT_GONE:
            return
        if outcome is OfferOutcome.CANNOT_TAKE:
            report.skipped += int(store.skip(entry))
    report.left_pending += 1


def _offer_for(ctx: WaitlistContext, entry: WaitlistEntry) -> tuple[ChosenSubject, Message] | None:
    """The hold and the message for this student, or None if they can no longer take the seat
    (R-WAIT-2: no longer qualified, the written subject gone, the level held, the campus closed)."""
    rctx = ctx.registration
    now = rctx.clock.now()
    registration = _registration_without_stale_hold(rctx, entry, now)
    account = rctx.accounts.get(entry.account_id)
    catalog = rctx.catalogs.catalog()
    subject, campus = catalog.subjects.get(entry.subject), catalog.campuses.get(entry.campus_id)
    if registration is None or account is None or subject is None or campus is None:
        return None
    qualified = qualified_subjects(registration.candidate, rctx.reviews.get(entry.account_id))
    try:
        check_oral_choice(registration, subject, campus, catalog, qualified, now)
    except DomainError:
        return None
    return _offered_hold(registration, subject, campus, account, now)


def _registration_without_stale_hold(
    rctx: RegistrationContext, entry: WaitlistEntry, now: datetime
) -> Registration | None:
    """The student's live registration; an expired hold in the slot is removed first (its seat
    goes the usual way), so the offered hold finds the slot empty."""
    registration = rctx.registrations.get(entry.account_id)
    if registration is None or registration.is_gone(now):
        return None
    stale = registration.stale_in_slot(slot_of(SubjectKind.ORAL, entry.level), now)
    if stale is None:
        return registration
    with contextlib.suppress(SubjectPaid):  # removed meanwhile
        rctx.registrations.remove_subject(entry.account_id, stale, now)
    return rctx.registrations.get(entry.account_id)


def _offered_hold(
    registration: Registration, subject: Subject, campus: Campus, account: Account, now: datetime
) -> tuple[ChosenSubject, Message]:
    pay_by = offer_pay_by(pay_by_for(registration, subject, now), now)
    hold = ChosenSubject.unpaid(subject, campus.id, now, pay_by, offered=True)
    event = f"seat_offered#{account.account_id}#{hold.hold_id}"
    return hold, seat_offered(event, account.login, seat_name(subject, campus.name), pay_by, now)


class WaitlistStore(Protocol):
    """R-WAIT-1..2: who waits for which full campus, and the seats that came back for them."""

    def join(self, entry: WaitlistEntry, shards: int) -> None:
        """Raises CampusNotFull unless the campus is full for the subject right now, WaitlistExists
        if the account already waits for an oral subject of that level."""

    def entries(self, account_id: str) -> list[WaitlistEntry]: ...

    def position(self, entry: WaitlistEntry) -> int: ...

    def leave(self, entry: WaitlistEntry) -> None:
        """Raises NotFound if the entry is gone."""

    def waiting(self, campus_id: str, subject: str) -> int: ...

    def first(self, campus_id: str, subject: str, limit: int) -> list[WaitlistEntry]: ...

    def pending_seats(self, limit: int) -> list[PendingSeat]: ...

    def pending_seat(self, offer_id: str) -> PendingSeat | None: ...

    def pending_from_image(self, image: dict[str, object]) -> PendingSeat | None: ...

    def offer(self, seat: PendingSeat, entry: WaitlistEntry, hold: ChosenSubject, message: Message) -> OfferOutcome:
        """The seat to the entry's student as `hold`, with its message, in one write."""

    def skip(self, entry: WaitlistEntry) -> bool: ...

    def give_back(self, seat: PendingSeat) -> OfferOutcome:
        """The seat back to its counter, only while nobody waits (else SOMEONE_WAITS)."""
