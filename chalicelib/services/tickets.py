"""Admission tickets (准考证, R-TICKET-1..3) and the plan as staff, administrators and anyone see it.

A student's tickets come from the account's partition, read once with the session (GET /tickets:
two requests, as GET /me): the room plan wrote each seat onto its paid subject.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from chalicelib.domain.catalog import Catalog
from chalicelib.domain.errors import Forbidden, NotFound, NoTicket, TicketsClosed, TicketsNotOpen
from chalicelib.domain.registration import AccountFile, ChosenSubject, Registration
from chalicelib.domain.room_plan import GroupSummary, PlanRun
from chalicelib.domain.sitting import ExamSitting
from chalicelib.domain.ticket_document import SignInRow, SignInSheet, TicketDocument
from chalicelib.services.registration_ports import CatalogStore
from chalicelib.services.room_plan_ports import RoomPlanStore


@dataclass(frozen=True)
class Ticket:
    """One seated written subject's ticket, as GET /tickets shows it and the PDF prints it;
    `issued_at` (the sitting's `tickets_open_at`) is the PDF's date, so each print is the same file."""

    document: TicketDocument
    campus_id: str
    issued_at: datetime


@dataclass(frozen=True)
class RoomSheet:
    """R-TICKET-3 one room's sign-in sheet; `printed_at` (the sitting's `plan_at`) is the PDF's
    date, so the same room is the same file until a later run seats someone there."""

    sheet: SignInSheet
    printed_at: datetime


@dataclass(frozen=True)
class PlanState:
    """GET /room-plan and the administrator's view (R-ROOM-2: the seed once the plan is drawn)."""

    sitting: ExamSitting
    drawn: bool
    seed: str | None
    seated: int
    rooms: int
    summaries: tuple[GroupSummary, ...] = ()  # the administrator's: every site and subject


def tickets_of(catalog: Catalog, file: AccountFile, now: datetime) -> list[Ticket]:
    """R-TICKET-2: the bound registration's tickets, from `tickets_open_at`; [] when none."""
    sitting = catalog.exam
    if sitting is None or now < sitting.tickets_open_at:
        raise TicketsNotOpen()
    registration = file.registration
    if registration is None:
        return []
    found = (_ticket(catalog, sitting, registration, chosen) for chosen in registration.subjects)
    return [ticket for ticket in found if ticket is not None]


def printable_ticket(catalog: Catalog, file: AccountFile, subject: str, now: datetime) -> Ticket:
    """R-TICKET-2: one ticket to print, until its exam ends."""
    found = next((ticket for ticket in tickets_of(catalog, file, now) if ticket.document.subject == subject), None)
    if found is None:
        raise NoTicket()
    if now >= found.document.ends_at:
        raise TicketsClosed()
    return found


def _ticket(catalog: Catalog, sitting: ExamSitting, registration: Registration, chosen: ChosenSubject) -> Ticket | None:
    """The ticket of a seated subject; None for one without a seat or (never in a loaded dataset,
    which gives every written subject its time) without an exam time."""
    seat = chosen.exam_seat
    subject = catalog.subjects.get(chosen.code)
    if seat is None or subject is None or subject.exam_at is None:
        return None
    candidate = registration.candidate
    campus = catalog.campuses.get(candidate.campus_id)
    school = catalog.schools.get(candidate.school_id)
    room = f"{seat.room:03d}"
    document = TicketDocument(
        ticket_number=seat.ticket_number,
        name=candidate.name,
        masked_id=candidate.masked_id,
        school=school.name if school else candidate.school_id,
        subject=subject.code,
        subject_name=subject.name,
        exam_at=subject.exam_at,
        exam_minutes=subject.exam_minutes or 0,
        site_code=seat.site_code,
        campus_name=campus.name if campus else candidate.campus_id,
        room=room,
        seat=f"{seat.seat:02d}",
        room_name=campus.room_name(room) if campus else None,
        separate_room=seat.separate_room,
        extra_minutes=seat.extra_minutes,
    )
    return Ticket(document, candidate.campus_id, sitting.tickets_open_at)


def plan_state(catalog: CatalogStore, store: RoomPlanStore, per_site: bool = False) -> PlanState | None:
    """None where the province has no sitting (404). Public, it is two reads (the run, the sitting):
    its figures are the last finished run's; `per_site` (the administrator) reads every summary."""
    run: PlanRun | None = store.current_run()
    drawn = run is not None
    sitting = catalog.sitting(with_seed=drawn)
    if sitting is None:
        return None
    summaries = tuple(store.group_summaries()) if drawn and per_site else ()
    return PlanState(
        sitting=sitting,
        drawn=drawn,
        seed=sitting.seed if drawn else None,
        seated=sum(s.seated for s in summaries) if per_site else (run.seated if run else 0),
        rooms=sum(len(s.rooms) for s in summaries) if per_site else (run.rooms if run else 0),
        summaries=summaries,
    )


def school_rooms(store: RoomPlanStore, school_id: str, subject: str | None) -> list[GroupSummary]:
    """R-TICKET-3: the rooms of the staff's own school's sites."""
    return [
        summary
        for summary in store.group_summaries()
        if summary.school_id == school_id and (subject is None or summary.group.subject == subject)
    ]


def sign_in_sheet(
    catalog: Catalog, store: RoomPlanStore, school_id: str, campus_id: str, subject: str, room: int
) -> RoomSheet:
    """R-TICKET-3 考场签到表 of one room; 403 for another school's site, 404 for no such room."""
    campus = catalog.campuses.get(campus_id)
    written = catalog.subjects.get(subject)
    sitting = catalog.exam
    if campus is None or written is None or written.exam_at is None or sitting is None:
        raise NotFound("没有这个考场。")
    if campus.school_id != school_id:
        raise Forbidden("只能打印本校考点的签到表。")
    seats = store.seats(campus_id, subject, room)
    if not seats:
        raise NotFound("没有这个考场。")
    exam_at = written.exam_at
    minutes = (written.exam_minutes or 0) + max(given.extra_minutes for given in seats)
    code = f"{room:03d}"
    sheet = SignInSheet(
        site_code=campus.site_code or "",
        campus_name=campus.name,
        subject=subject,
        subject_name=written.name,
        room=code,
        exam_at=exam_at,
        ends_at=exam_at + timedelta(minutes=minutes),
        rows=tuple(
            SignInRow(f"{given.seat.seat:02d}", given.ticket_number, given.name, given.id_masked, given.extra_minutes)
            for given in sorted(seats, key=lambda g: g.seat.seat)
        ),
        room_name=campus.room_name(code),
        separate_room=seats[0].seat.separate_room,
    )
    return RoomSheet(sheet, sitting.plan_at)
