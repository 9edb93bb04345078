"""Domain objects as the contract's JSON. Whole ID numbers never leave (R-QUAL, api.md)."""

from __future__ import annotations

from typing import Any

from chalicelib.domain.catalog import Catalog, Window
from chalicelib.domain.clock import iso
from chalicelib.domain.registration import ChosenSubject, Registration
from chalicelib.domain.reviews import Cet6Review
from chalicelib.domain.roll import Cet4Record, RollEntry


def optional_iso(value: Any) -> str | None:
    return iso(value) if value is not None else None


def candidate(entry: RollEntry, catalog: Catalog) -> dict[str, Any]:
    school = catalog.schools.get(entry.school_id)
    campus = catalog.campuses.get(entry.campus_id)
    return {
        "id_type": entry.id_type.value,
        "id_number": entry.masked_id,
        "name": entry.name,
        "school_id": entry.school_id,
        "school": school.name if school else entry.school_id,
        "campus_id": entry.campus_id,
        "campus": campus.name if campus else entry.campus_id,
        "student_no": entry.student_no,
    }


def chosen_subject(chosen: ChosenSubject, catalog: Catalog) -> dict[str, Any]:
    subject = catalog.subjects.get(chosen.code)
    campus = catalog.campuses.get(chosen.campus_id) if chosen.campus_id else None
    return {
        "code": chosen.code,
        "name": subject.name if subject else chosen.code,
        "kind": chosen.kind.value,
        "level": chosen.level,
        "campus_id": chosen.campus_id,
        "campus": campus.name if campus else None,
        "fee": chosen.fee,
        "status": chosen.status.value,
        "pay_by": optional_iso(chosen.pay_by),
        "offered": chosen.offered,  # R-WAIT-2: a seat from the waiting list
    }


def registration(reg: Registration, catalog: Catalog, now: Any) -> dict[str, Any]:
    return {
        "candidate": candidate(reg.candidate, catalog),
        "saved_at": iso(reg.saved_at),
        "expires_at": optional_iso(reg.expires_at()),
        "subjects": [chosen_subject(s, catalog) for s in reg.live_subjects(now)],
        "amount_due": reg.amount_due(now),
    }


def window(item: Window | None) -> dict[str, str] | None:
    """R-DATE-1: the school's registration window, 北京时间."""
    return {"opens_at": iso(item.opens_at), "closes_at": iso(item.closes_at)} if item else None


def review(item: Cet6Review | None) -> dict[str, Any] | None:
    if item is None:
        return None
    return {
        "review_id": item.review_id,
        "status": item.status.value,
        "ticket_number": item.ticket_number,
        "submitted_at": iso(item.submitted_at),
        "decided_at": optional_iso(item.decided_at),
        "note": item.note,
    }


def cet4_record(record: Cet4Record | None) -> dict[str, Any] | None:
    """The CET4 score record a review's ticket names, its ID number masked (decision 0013)."""
    if record is None:
        return None
    return {
        "ticket_number": record.ticket_number,
        "name": record.name,
        "id_number": record.identity.masked,
        "score": record.score,
        "year": record.year,
    }


def staff_review(item: Cet6Review, record: Cet4Record | None = None) -> dict[str, Any]:
    return {
        "review_id": item.review_id,
        "status": item.status.value,
        "ticket_number": item.ticket_number,
        "candidate": {"id_type": item.id_type.value, "id_number": item.masked_id, "name": item.name},
        "submitted_at": iso(item.submitted_at),
        "decided_at": optional_iso(item.decided_at),
        "note": item.note,
        "cet4_record": cet4_record(record),
    }
