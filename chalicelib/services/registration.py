"""Saving and binding the registration, choosing and removing subjects (R-BIND, R-WRIT, R-ORAL)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from chalicelib.domain.accounts import Account
from chalicelib.domain.catalog import Campus, Capacity, Catalog, OralOffering, Subject, SubjectKind, capacity_colour
from chalicelib.domain.errors import (
    AccountAlreadyBound,
    CandidateAlreadyBound,
    InvalidRequest,
    LevelTaken,
    NotFound,
    RegistrationClosed,
)
from chalicelib.domain.registration import (
    AccountFile,
    ChosenSubject,
    Registration,
    check_oral_choice,
    check_removal,
    check_slot_free,
    check_written_choice,
    oral_campus_choices,
    pay_by_for,
    qualified_subjects,
    slot_of,
    subject_qualification,
    written_missing,
)
from chalicelib.domain.reviews import Cet6Review
from chalicelib.domain.seats import SeatGrab, split
from chalicelib.services.qualification import find_candidate
from chalicelib.services.registration_context import RegistrationContext
from chalicelib.services.seats import hold_a_seat
from chalicelib.services.waiting_room import admissions, check_oral_admission


@dataclass(frozen=True)
class SubjectOption:
    subject: Subject
    qualified: bool
    reason: str
    needs_written: str | None  # R-ORAL-4: the written subject to choose before this oral one


@dataclass(frozen=True)
class OralCampus:
    campus: Campus
    school_name: str
    remaining: Capacity
    notice: str


@dataclass(frozen=True)
class UpcomingCampus:
    campus: Campus
    school_name: str
    opens_at: datetime


def save_registration(
    ctx: RegistrationContext, account: Account, id_type: object, id_number: str, name: str
) -> Registration:
    """R-BIND-1/2/3: inside the school's window, a snapshot of the roll bound to the account."""
    entry = find_candidate(ctx, account, id_type, id_number, name)
    now = ctx.clock.now()
    if not ctx.catalogs.catalog().window_open(entry.school_id, now):
        raise RegistrationClosed()
    registration = Registration(account.account_id, entry, now)
    for attempt in range(3):
        try:
            ctx.registrations.bind(registration)
            return registration
        except (AccountAlreadyBound, CandidateAlreadyBound) as conflict:
            # R-BIND-4: a registration that is already gone blocks neither side of a new binding.
            if attempt == 2 or not _purge_blocking(ctx, registration, conflict, now):
                raise
    raise AssertionError("unreachable")


def _purge_blocking(ctx: RegistrationContext, wanted: Registration, conflict: Exception, now: datetime) -> bool:
    holder = wanted.account_id
    if isinstance(conflict, CandidateAlreadyBound):
        holder = ctx.registrations.bound_account(wanted.candidate.key) or ""
    blocking = ctx.registrations.get(holder)
    if blocking is None or not blocking.is_gone(now):
        return False
    ctx.registrations.delete_registration(blocking, now)
    return True


def current_registration(ctx: RegistrationContext, account: Account) -> Registration:
    registration = ctx.registrations.get(account.account_id)
    if registration is None or registration.is_gone(ctx.clock.now()):
        raise NotFound("您还没有保存报名信息，请先查询资格并保存。")
    return registration


def registration_or_none(ctx: RegistrationContext, account: Account) -> Registration | None:
    registration = ctx.registrations.get(account.account_id)
    if registration is None or registration.is_gone(ctx.clock.now()):
        return None
    return registration


def _qualified(ctx: RegistrationContext, registration: Registration) -> tuple[str, ...]:
    review: Cet6Review | None = ctx.reviews.get(registration.account_id)
    return qualified_subjects(registration.candidate, review)


def subject_options(ctx: RegistrationContext, account: Account) -> list[SubjectOption]:
    registration = current_registration(ctx, account)
    qualified = _qualified(ctx, registration)
    now = ctx.clock.now()
    options = []
    for subject in ctx.catalogs.catalog().subjects.values():
        ok, reason = subject_qualification(subject, qualified)
        options.append(SubjectOption(subject, ok, reason, written_missing(registration, subject, now)))
    return options


def _subject(ctx: RegistrationContext, code: object, field: str = "subject") -> Subject:
    subject = ctx.catalogs.catalog().subjects.get(code) if isinstance(code, str) else None
    if subject is None:
        raise InvalidRequest(field, "不是本省开考的科目")
    return subject


def _oral_subject(ctx: RegistrationContext, code: object) -> Subject:
    subject = _subject(ctx, code)
    if subject.kind is not SubjectKind.ORAL:
        raise InvalidRequest("subject", "不是口试科目")
    return subject


def _oral_offerings(
    ctx: RegistrationContext, account: Account, code: object
) -> tuple[Subject, Catalog, list[tuple[Campus, OralOffering]]]:
    """R-ORAL-1/2: every campus the student may choose for the oral subject, open or not yet."""
    registration = current_registration(ctx, account)
    subject = _oral_subject(ctx, code)
    catalog = ctx.catalogs.catalog()
    offerings = [
        (campus, offering)
        for campus in oral_campus_choices(registration.candidate, catalog, subject.code)
        if (offering := campus.offering(subject.code)) is not None
    ]
    return subject, catalog, offerings


def oral_campuses(ctx: RegistrationContext, account: Account, code: object) -> list[OralCampus]:
    """R-ORAL-1/2/3: open campuses only, the external rule, capacity as a colour."""
    subject, catalog, offered = _oral_offerings(ctx, account, code)
    now = ctx.clock.now()
    offerings = [(campus, offering) for campus, offering in offered if offering.is_open(now)]
    capacity = {SeatGrab(campus.id, subject.code): offering.capacity for campus, offering in offerings}
    taken = _taken_by_live_holds(ctx, capacity, now)
    result = []
    for campus, offering in offerings:
        school = catalog.schools[campus.school_id]
        colour = capacity_colour(offering.capacity, taken.get(SeatGrab(campus.id, subject.code), offering.capacity))
        result.append(OralCampus(campus, school.name, colour, school.notice))
    return result


def upcoming_oral_campuses(ctx: RegistrationContext, account: Account, code: object) -> list[UpcomingCampus]:
    """R-DATE-1, R-ORAL-1/2: the campuses this student could choose once their oral registration opens."""
    _, catalog, offered = _oral_offerings(ctx, account, code)
    now = ctx.clock.now()
    upcoming = [
        UpcomingCampus(campus, catalog.schools[campus.school_id].name, offering.opens_at)
        for campus, offering in offered
        if now < offering.opens_at
    ]
    return sorted(upcoming, key=lambda u: (u.opens_at, u.campus.id))


def _taken_by_live_holds(ctx: RegistrationContext, capacity: dict[SeatGrab, int], now: datetime) -> dict[SeatGrab, int]:
    """Seats taken (all shards summed), after reclaiming expired holds wherever they could change
    the colour shown."""
    taken = ctx.catalogs.seats_taken(list(capacity))
    not_green = [s for s, n in taken.items() if capacity_colour(capacity[s], n) is not Capacity.GREEN]
    reclaimed = [seat for seat in not_green if ctx.registrations.reclaim_expired_holds(seat, now).released]
    for seat in reclaimed:
        ctx.full_seats.forget(seat)
    return ctx.catalogs.seats_taken(list(capacity)) if reclaimed else taken


def choose_subject(
    ctx: RegistrationContext, account: Account, code: object, campus_id: object, file: AccountFile | None = None
) -> Registration:
    """R-WRIT-1/2, R-ORAL-1..4, R-PAY-1: hold the subject (and a seat) until `pay_by`.

    One read (the account's partition: `file`, read here unless the caller has it) and, for a
    seat, one transaction; a campus this Lambda knows to be full costs none (services/seats.py).
    """
    file = file or ctx.registrations.file(account.account_id)
    now = ctx.clock.now()
    registration = file.registration
    if registration is None or registration.is_gone(now):
        raise NotFound("您还没有保存报名信息，请先查询资格并保存。")
    subject = _subject(ctx, code)
    qualified = qualified_subjects(registration.candidate, file.review)
    catalog = ctx.catalogs.catalog()
    offering: OralOffering | None = None
    if subject.kind is SubjectKind.WRITTEN:
        check_written_choice(registration, subject, qualified, now)
    else:
        campus = catalog.campuses.get(campus_id) if isinstance(campus_id, str) else None
        if campus is None:
            raise InvalidRequest("campus_id", "缺失或不是本省的校区")
        offering = check_oral_choice(registration, subject, campus, catalog, qualified, now)
        # R-QUEUE-1/5: inside an opening's queue window, only with the candidate's live admission,
        # found in the partition already read (or through the candidate's claim, R-QUEUE-2)
        check_oral_admission(catalog.openings.values(), campus.id, admissions(ctx.waiting_room, file, now), now)
    campus_id = offering.campus_id if offering else None
    chosen = ChosenSubject.unpaid(subject, campus_id, now, pay_by_for(registration, subject, now))
    stale = registration.stale_in_slot(slot_of(subject.kind, subject.level), now)
    try:
        if offering is None:
            ctx.registrations.add_subject(registration, chosen, stale)
        else:
            capacities = split(offering.capacity, offering.shards)
            chosen = hold_a_seat(ctx.registrations, ctx.full_seats, registration, chosen, stale, capacities, now)
    except LevelTaken:
        # Someone else (a second tab) filled the slot meanwhile: say precisely what holds it.
        check_slot_free(current_registration(ctx, account), subject, now)
        raise
    return registration.with_subject(chosen)


def remove_subject(ctx: RegistrationContext, account: Account, code: str) -> Registration:
    """R-PAY-3, R-ORAL-5: an unpaid subject goes, and its seat with it."""
    registration = current_registration(ctx, account)
    _subject(ctx, code, field="code")
    now = ctx.clock.now()
    chosen = check_removal(registration, code, now)
    ctx.registrations.remove_subject(account.account_id, chosen, now)
    if chosen.campus_id is not None:
        ctx.full_seats.forget(SeatGrab(chosen.campus_id, chosen.code))
    # Not re-read: once its last subject is gone an old registration is gone too (R-BIND-4),
    # and the student still deserves to see the removal succeed.
    return registration.without_subject(chosen)
