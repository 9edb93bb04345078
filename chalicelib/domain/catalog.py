"""What a province loads: subjects, schools, campuses, oral offerings and windows."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum

from chalicelib.domain.identity import IdentityMark
from chalicelib.domain.sitting import ExamSitting
from chalicelib.domain.waiting_room import Opening


class SubjectKind(StrEnum):
    WRITTEN = "written"
    ORAL = "oral"


class Capacity(StrEnum):
    """R-ORAL-3: green above half of the set capacity left, yellow half or less, none when full."""

    GREEN = "green"
    YELLOW = "yellow"
    NONE = "none"


@dataclass(frozen=True)
class Subject:
    code: str
    name: str
    kind: SubjectKind
    level: int
    fee: int  # fen
    exam_at: datetime | None = None  # R-DATE-1: the exam's date and time, when the province says
    # R-TICKET-1, R-TICKET-2: a written subject's digit in the ticket number, and how long it lasts
    ticket_code: str | None = None
    exam_minutes: int | None = None

    @property
    def requires(self) -> str | None:
        """R-ORAL-4: an oral subject needs the English written subject of its level."""
        return f"CET{self.level}" if self.kind is SubjectKind.ORAL else None


@dataclass(frozen=True)
class OralOffering:
    campus_id: str
    subject: str
    capacity: int
    opens_at: datetime
    closes_at: datetime
    shards: int = 1  # counter shards the capacity is spread over (domain/seats.py); set by the loader

    def is_open(self, now: datetime) -> bool:
        return self.opens_at <= now < self.closes_at


@dataclass(frozen=True)
class RoomName:
    """R-TICKET-2: the name a school gives one of its site's room numbers (`001` → 教学楼A101)."""

    code: str
    name: str


@dataclass(frozen=True)
class Campus:
    id: str
    name: str
    school_id: str
    written_subjects: tuple[str, ...]
    oral: tuple[OralOffering, ...] = ()
    site_code: str | None = None  # R-TICKET-1: the test site's 6 digits (考点代码)
    rooms: tuple[RoomName, ...] = ()

    def offering(self, subject: str) -> OralOffering | None:
        return next((o for o in self.oral if o.subject == subject), None)

    def room_name(self, code: str) -> str | None:
        return next((room.name for room in self.rooms if room.code == code), None)


@dataclass(frozen=True)
class School:
    id: str
    name: str
    notice: str
    allow_external_oral: bool


@dataclass(frozen=True)
class Window:
    school_id: str
    opens_at: datetime
    closes_at: datetime

    def is_open(self, now: datetime) -> bool:
        return self.opens_at <= now < self.closes_at


@dataclass(frozen=True)
class Province:
    code: str
    name: str
    notice: str
    seat_shard_size: int | None = None  # seats per counter shard; None: domain.seats' default


@dataclass(frozen=True)
class Catalog:
    province: Province
    subjects: dict[str, Subject] = field(default_factory=dict)
    schools: dict[str, School] = field(default_factory=dict)
    campuses: dict[str, Campus] = field(default_factory=dict)
    windows: dict[str, tuple[Window, ...]] = field(default_factory=dict)
    identity: IdentityMark | None = None  # which key the table's ID digests were made with
    openings: dict[str, Opening] = field(default_factory=dict)  # R-QUEUE-1
    exam: ExamSitting | None = None  # R-ROOM-1: without it, no room plan (never the seed)

    def window_open(self, school_id: str, now: datetime) -> bool:
        return any(w.is_open(now) for w in self.windows.get(school_id, ()))

    def window_of(self, school_id: str, now: datetime) -> Window | None:
        """R-DATE-1: the window to show: the open one, else the next to open, else the last closed."""
        windows = sorted(self.windows.get(school_id, ()), key=lambda w: w.opens_at)
        current = [w for w in windows if now < w.closes_at]
        return current[0] if current else (windows[-1] if windows else None)

    def campuses_offering(self, subject: str) -> list[tuple[Campus, OralOffering]]:
        found = []
        for campus in self.campuses.values():
            offering = campus.offering(subject)
            if offering is not None:
                found.append((campus, offering))
        return found


def capacity_colour(capacity: int, taken: int) -> Capacity:
    remaining = capacity - taken
    if remaining <= 0:
        return Capacity.NONE
    return Capacity.GREEN if remaining * 2 > capacity else Capacity.YELLOW
