"""The school roll (学籍库) and the CET4 score records the review is checked against.

The province's rows arrive with whole ID numbers (`RollRow`, `ScoreRow`); the loader protects
each number once (decision 0013), and the service only ever holds the protected form.
"""

from __future__ import annotations

from dataclasses import dataclass

from chalicelib.domain.identity import IdType, Protect, ProtectedId, candidate_key

CET4_PASS = 425


@dataclass(frozen=True)
class Accommodation:
    """R-ROOM-3: a reasonable accommodation (合理便利) on the roll: a separate room, extra minutes."""

    separate_room: bool = False
    extra_minutes: int = 0


NO_ACCOMMODATION = Accommodation()


@dataclass(frozen=True)
class RollEntry:
    id_type: IdType
    identity: ProtectedId
    name: str
    school_id: str
    campus_id: str
    student_no: str
    qualified_subjects: tuple[str, ...]
    cet6_barred: bool = False
    accommodation: Accommodation = NO_ACCOMMODATION

    @property
    def key(self) -> str:
        return candidate_key(self.id_type, self.identity)

    @property
    def masked_id(self) -> str:
        return self.identity.masked


@dataclass(frozen=True)
class Cet4Record:
    ticket_number: str
    identity: ProtectedId
    name: str
    score: int
    year: int

    @property
    def passed(self) -> bool:
        return self.score >= CET4_PASS


@dataclass(frozen=True)
class RollRow:
    """A roll entry as the province's registry exports it, whole ID number included."""

    id_type: IdType
    id_number: str
    name: str
    school_id: str
    campus_id: str
    student_no: str
    qualified_subjects: tuple[str, ...]
    cet6_barred: bool = False
    accommodation: Accommodation = NO_ACCOMMODATION

    def protected(self, protect: Protect) -> RollEntry:
        return RollEntry(
            self.id_type,
            protect(self.id_number),
            self.name,
            self.school_id,
            self.campus_id,
            self.student_no,
            self.qualified_subjects,
            self.cet6_barred,
            self.accommodation,
        )


@dataclass(frozen=True)
class ScoreRow:
    """A CET4 score record as the province receives it, whole ID number included."""

    ticket_number: str
    id_number: str
    name: str
    score: int
    year: int

    def protected(self, protect: Protect) -> Cet4Record:
        return Cet4Record(self.ticket_number, protect(self.id_number), self.name, self.score, self.year)
