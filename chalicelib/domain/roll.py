"""The school roll (学籍库) and the CET4 score records the review is checked against."""

from __future__ import annotations

from dataclasses import dataclass

from chalicelib.domain.identity import IdType, candidate_key, mask_id_number

CET4_PASS = 425


@dataclass(frozen=True)
class RollEntry:
    id_type: IdType
    id_number: str
    name: str
    school_id: str
    campus_id: str
    student_no: str
    qualified_subjects: tuple[str, ...]
    cet6_barred: bool = False

    @property
    def key(self) -> str:
        return candidate_key(self.id_type, self.id_number)

    @property
    def masked_id(self) -> str:
        return mask_id_number(self.id_number)


@dataclass(frozen=True)
class Cet4Record:
    ticket_number: str
    id_number: str
    name: str
    score: int
    year: int

    @property
    def passed(self) -> bool:
        return self.score >= CET4_PASS
