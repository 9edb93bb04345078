"""The room plan's runs (R-ROOM-1, R-ROOM-2): who waits for a seat, and which run seats them.

The seats themselves are drawn by `domain/rooms.py`; this module says what a run works on so
that a run stopped half way and run again gives exactly the plan an uninterrupted run gives:
a run's sitters are those settled by its `cutoff`, a minute before it began (no settlement still
in flight is seen by one try of the run and missed by another), less those seated by earlier runs.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum

from chalicelib.domain.catalog import SubjectKind
from chalicelib.domain.registration import ChosenSubject
from chalicelib.domain.roll import RollEntry
from chalicelib.domain.rooms import Seat

# A settlement's transaction takes its `now` before it commits; a run ignores the last minute's,
# so the sitters a run sees do not depend on when (or how often) it reads them.
SETTLED_MARGIN = timedelta(minutes=1)


@dataclass(frozen=True)
class Sitter:
    """A paid written subject: the candidate sits it at their own campus (the test site, 考点).

    Written when the subject is paid, with what the plan and the ticket need of the candidate as
    the registration recorded them (R-BIND-3), so the plan reads one partition per site and subject.
    """

    account_id: str
    campus_id: str
    subject: str
    level: int
    settled_at: datetime
    name: str
    id_masked: str
    school_id: str
    separate_room: bool = False  # R-ROOM-3
    extra_minutes: int = 0


def sitters_paid(account_id: str, candidate: RollEntry, paid: tuple[ChosenSubject, ...], now: datetime) -> list[Sitter]:
    """The sitters a payment makes: one per written subject it pays, at the candidate's campus."""
    return [
        Sitter(
            account_id=account_id,
            campus_id=candidate.campus_id,
            subject=subject.code,
            level=subject.level,
            settled_at=now,
            name=candidate.name,
            id_masked=candidate.masked_id,
            school_id=candidate.school_id,
            separate_room=candidate.accommodation.separate_room,
            extra_minutes=candidate.accommodation.extra_minutes,
        )
        for subject in paid
        if subject.kind is SubjectKind.WRITTEN
    ]


class SeatsConflict(RuntimeError):
    """A seat or a ticket already given otherwise: two plans met. Nothing of that batch is written
    (never one seat given twice); the group is left for the province to look at (R-ROOM-1)."""


class RunState(StrEnum):
    SEATING = "seating"
    DONE = "done"


@dataclass(frozen=True)
class PlanRun:
    """One run of the plan job over every site and subject. Run n seats the sitters settled by its
    cutoff and not seated by runs 1..n−1; it is begun once, and continued until done."""

    number: int
    cutoff: datetime
    state: RunState
    began_at: datetime
    seated: int = 0  # the plan's seats and rooms as the last finished run left them (GET /room-plan)
    rooms: int = 0

    @classmethod
    def first_after(cls, previous: PlanRun | None, now: datetime) -> PlanRun:
        return cls(
            number=(previous.number if previous else 0) + 1,
            cutoff=now - SETTLED_MARGIN,
            state=RunState.SEATING,
            began_at=now,
            seated=previous.seated if previous else 0,
            rooms=previous.rooms if previous else 0,
        )

    @property
    def done(self) -> bool:
        return self.state is RunState.DONE


@dataclass(frozen=True)
class GroupRef:
    """A site and a written subject: the unit of work of a run (one partition of sitters and seats)."""

    campus_id: str
    site_code: str
    subject: str


@dataclass(frozen=True)
class GivenSeat:
    """A seat as the plan gives it: the seat, the run that gave it, its ticket number (R-TICKET-1),
    and the sitter's name and masked ID as the sign-in sheet prints them (R-TICKET-3)."""

    seat: Seat
    campus_id: str
    run: int
    ticket_number: str
    name: str
    id_masked: str
    level: int
    extra_minutes: int = 0


@dataclass(frozen=True)
class RoomSummary:
    room: int
    seated: int
    separate_room: bool


@dataclass(frozen=True)
class GroupSummary:
    """A site and subject after the last run that seated it (R-TICKET-3: the plan per site)."""

    group: GroupRef
    school_id: str
    run: int
    rooms: tuple[RoomSummary, ...]

    @property
    def seated(self) -> int:
        return sum(room.seated for room in self.rooms)


@dataclass
class PlanReport:
    run: int = 0
    groups: int = 0
    seated: int = 0
    failed: int = 0  # sites and subjects left unseated by a conflict or a room past 999: an alarm
    problems: list[str] = field(default_factory=list)  # which, and why (for the job's log)

    def as_dict(self) -> dict[str, int]:
        return {"run": self.run, "groups": self.groups, "seated": self.seated, "failed": self.failed}
