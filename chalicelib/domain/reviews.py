"""The CET6 qualification review (CET6资格复核), R-REV-1..4."""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from datetime import datetime
from enum import StrEnum

from chalicelib.domain.catalog import Catalog
from chalicelib.domain.errors import (
    InvalidRequest,
    ReviewBefore2005,
    ReviewLocked,
    ReviewNoMatch,
    ReviewNotOffered,
)
from chalicelib.domain.identity import IdType, ProtectedId, same_number
from chalicelib.domain.roll import Cet4Record, RollEntry

CET6 = "CET6"
FIRST_ONLINE_YEAR = 2005
_TICKET = re.compile(r"\d{15}")


class ReviewStatus(StrEnum):
    APPROVED = "approved"
    PENDING = "pending"
    REJECTED = "rejected"


@dataclass(frozen=True)
class Cet6Review:
    review_id: str
    account_id: str
    school_id: str
    id_type: IdType
    identity: ProtectedId
    name: str
    ticket_number: str
    status: ReviewStatus
    submitted_at: datetime
    decided_at: datetime | None = None
    note: str = ""

    @property
    def masked_id(self) -> str:
        return self.identity.masked

    @property
    def locked(self) -> bool:
        """R-REV-3/4: pending and approved reviews can be neither modified nor cancelled."""
        return self.status in (ReviewStatus.PENDING, ReviewStatus.APPROVED)

    def grants_cet6_to(self, entry: RollEntry) -> bool:
        return (
            self.status is ReviewStatus.APPROVED
            and self.id_type is entry.id_type
            and same_number(self.identity, entry.identity)
        )

    def decided(self, approve: bool, note: str, now: datetime) -> Cet6Review:
        status = ReviewStatus.APPROVED if approve else ReviewStatus.REJECTED
        return replace(self, status=status, note=note, decided_at=now)


def review_offered(entry: RollEntry, catalog: Catalog) -> bool:
    """R-REV-1: the campus offers CET6, the candidate is not barred, CET6 is not yet qualified.

    The CET4 pass is the student's claim; it is checked against the score records on submission.
    """
    campus = catalog.campuses.get(entry.campus_id)
    offers_cet6 = campus is not None and CET6 in campus.written_subjects
    return offers_cet6 and not entry.cet6_barred and CET6 not in entry.qualified_subjects


def check_ticket_shape(ticket_number: str) -> str:
    ticket = ticket_number.strip()
    if not _TICKET.fullmatch(ticket):
        raise InvalidRequest("ticket_number", "应为 15 位数字的 CET4 笔试准考证号")
    return ticket


def judge_review(entry: RollEntry, record: Cet4Record | None) -> ReviewStatus:
    """R-REV-2/3: approved on ticket + ID number, pending on ticket + name, otherwise refused."""
    if record is None or not record.passed:
        raise ReviewNoMatch()
    if record.year < FIRST_ONLINE_YEAR:
        raise ReviewBefore2005()
    if same_number(record.identity, entry.identity):
        return ReviewStatus.APPROVED
    if record.name == entry.name:
        return ReviewStatus.PENDING
    raise ReviewNoMatch()


def ensure_offered(entry: RollEntry, catalog: Catalog) -> None:
    if not review_offered(entry, catalog):
        raise ReviewNotOffered()


def ensure_unlocked(review: Cet6Review) -> None:
    if review.locked:
        raise ReviewLocked()
