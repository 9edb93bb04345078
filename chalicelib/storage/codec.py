"""Turning domain objects into items and back."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta
from typing import Any

from chalicelib.domain.accounts import Account, Role
from chalicelib.domain.catalog import (
    SubjectKind,
)
from chalicelib.domain.clock import iso, parse_iso
from chalicelib.domain.errors import IdentityKeyUnavailable
from chalicelib.domain.identity import IdType, ProtectedId
from chalicelib.domain.registration import ChosenSubject, ExamSeat, SubjectStatus
from chalicelib.domain.reviews import Cet6Review, ReviewStatus
from chalicelib.domain.roll import NO_ACCOMMODATION, Accommodation, Cet4Record, RollEntry
from chalicelib.storage import keys
from chalicelib.storage.models import (
    AccountItem,
    Cet4ScoreItem,
    ReviewItem,
    RollItem,
    SubjectItem,
)

# Expired holds linger this long before TTL may collect them: the expiry job goes first, and the
# stream handler releases the seat of any hold TTL deletes (services/expiry.py).
TTL_GRACE = timedelta(hours=1)


def on_counter(hold: ChosenSubject, counter: str) -> ChosenSubject:
    """The hold made to count on `counter`, a shard of its campus + subject (an offered seat stays
    on the shard it came from, R-WAIT-2)."""
    assert hold.campus_id is not None, "only an oral hold counts on a seat counter"
    return replace(hold, shard=keys.seat_shard_of(counter, hold.campus_id, hold.code))


def optional_time(text: str | None) -> datetime | None:
    return parse_iso(text) if text else None


def optional_iso(moment: datetime | None) -> str | None:
    return iso(moment) if moment else None


# Accounts
def account_from_item(item: AccountItem) -> Account:
    return Account(
        account_id=item.account_id,
        login=item.login,
        password_hash=item.password_hash,
        role=Role(item.role),
        school_id=item.school_id,
        agreement_accepted_at=optional_time(item.agreement_accepted_at),
        created_at=optional_time(item.created_at),
        session_generation=int(item.session_generation or 0),
        looked_up_school_id=item.looked_up_school_id,
        looked_up=item.looked_up,
    )


def account_item(account: Account) -> AccountItem:
    return AccountItem(
        keys.account_pk(account.account_id),
        keys.ACCOUNT_SK,
        account_id=account.account_id,
        login=account.login,
        password_hash=account.password_hash,
        role=account.role.value,
        school_id=account.school_id,
        agreement_accepted_at=optional_iso(account.agreement_accepted_at),
        created_at=optional_iso(account.created_at),
        session_generation=account.session_generation,
        looked_up_school_id=account.looked_up_school_id,
        looked_up=account.looked_up,
    )


# Roll and scores: ID numbers only in their protected form (decision 0013)
def identity_fields(identity: ProtectedId) -> dict[str, str]:
    return {"id_digest": identity.digest, "id_masked": identity.masked, "id_sealed": identity.sealed}


def identity_from(data: dict[str, Any]) -> ProtectedId:
    """The protected form, or a clear refusal: an item of the old form is never half read."""
    if "id_digest" not in data or data.get("id_digest") is None:
        raise IdentityKeyUnavailable()
    return ProtectedId(data["id_digest"], data["id_masked"], data.get("id_sealed") or "")


def roll_to_json(entry: RollEntry) -> dict[str, Any]:
    return {
        "id_type": entry.id_type.value,
        **identity_fields(entry.identity),
        "name": entry.name,
        "school_id": entry.school_id,
        "campus_id": entry.campus_id,
        "student_no": entry.student_no,
        "qualified_subjects": list(entry.qualified_subjects),
        "cet6_barred": entry.cet6_barred,
        **accommodation_fields(entry.accommodation),
    }


def accommodation_fields(accommodation: Accommodation) -> dict[str, Any]:
    """R-ROOM-3: only what the roll gives (an entry without an accommodation has neither field)."""
    found: dict[str, Any] = {}
    if accommodation.separate_room:
        found["separate_room"] = True
    if accommodation.extra_minutes:
        found["extra_minutes"] = accommodation.extra_minutes
    return found


def roll_from_json(data: dict[str, Any]) -> RollEntry:
    separate, extra = bool(data.get("separate_room")), int(data.get("extra_minutes") or 0)
    return RollEntry(
        id_type=IdType(data["id_type"]),
        identity=identity_from(data),
        name=data["name"],
        school_id=data["school_id"],
        campus_id=data["campus_id"],
        student_no=data["student_no"],
        qualified_subjects=tuple(data["qualified_subjects"]),
        cet6_barred=bool(data["cet6_barred"]),
        accommodation=Accommodation(separate, extra) if separate or extra else NO_ACCOMMODATION,
    )


ROLL_FIELDS = (
    "id_type",
    "id_digest",
    "id_masked",
    "id_sealed",
    "name",
    "school_id",
    "campus_id",
    "student_no",
    "qualified_subjects",
    "cet6_barred",
    "separate_room",
    "extra_minutes",
)


def roll_item(entry: RollEntry) -> RollItem:
    return RollItem(keys.roll_pk(entry.id_type, entry.identity.digest), keys.ROLL_SK, **roll_to_json(entry))


def roll_from_item(item: RollItem) -> RollEntry:
    return roll_from_json({name: getattr(item, name, None) for name in ROLL_FIELDS})


def cet4_item(record: Cet4Record) -> Cet4ScoreItem:
    return Cet4ScoreItem(
        keys.ticket_pk(record.ticket_number),
        keys.CET4_SK,
        ticket_number=record.ticket_number,
        id_digest=record.identity.digest,
        id_masked=record.identity.masked,
        id_sealed=record.identity.sealed,
        name=record.name,
        score=record.score,
        year=record.year,
    )


# The loader's hot path (R-OPS-3): the attribute maps `roll_item(...).serialize()` and
# `cet4_item(...).serialize()` give, built directly; a test keeps them equal.
def roll_attributes(entry: RollEntry) -> dict[str, Any]:
    identity = entry.identity
    return {
        "pk": {"S": keys.roll_pk(entry.id_type, identity.digest)},
        "sk": {"S": keys.ROLL_SK},
        "kind": {"S": "roll"},
        "id_type": {"S": entry.id_type.value},
        "id_digest": {"S": identity.digest},
        "id_masked": {"S": identity.masked},
        "id_sealed": {"S": identity.sealed},
        "name": {"S": entry.name},
        "school_id": {"S": entry.school_id},
        "campus_id": {"S": entry.campus_id},
        "student_no": {"S": entry.student_no},
        "qualified_subjects": {"L": [{"S": code} for code in entry.qualified_subjects]},
        "cet6_barred": {"BOOL": entry.cet6_barred},
        **({"separate_room": {"BOOL": True}} if entry.accommodation.separate_room else {}),
        **(
            {"extra_minutes": {"N": str(entry.accommodation.extra_minutes)}}
            if entry.accommodation.extra_minutes
            else {}
        ),
    }


def cet4_attributes(record: Cet4Record) -> dict[str, Any]:
    identity = record.identity
    return {
        "pk": {"S": keys.ticket_pk(record.ticket_number)},
        "sk": {"S": keys.CET4_SK},
        "kind": {"S": "cet4"},
        "ticket_number": {"S": record.ticket_number},
        "id_digest": {"S": identity.digest},
        "id_masked": {"S": identity.masked},
        "id_sealed": {"S": identity.sealed},
        "name": {"S": record.name},
        "score": {"N": str(record.score)},
        "year": {"N": str(record.year)},
    }


def cet4_from_item(item: Cet4ScoreItem) -> Cet4Record:
    return Cet4Record(item.ticket_number, identity_of(item), item.name, int(item.score), int(item.year))


def identity_of(item: Cet4ScoreItem | ReviewItem) -> ProtectedId:
    return identity_from({"id_digest": item.id_digest, "id_masked": item.id_masked, "id_sealed": item.id_sealed})


# Reviews
def review_item(review: Cet6Review) -> ReviewItem:
    return ReviewItem(
        keys.account_pk(review.account_id),
        keys.REVIEW_SK,
        gsi1pk=keys.reviews_pk(review.school_id, review.status),
        gsi1sk=keys.review_order_sk(review.submitted_at, review.review_id),
        review_id=review.review_id,
        account_id=review.account_id,
        school_id=review.school_id,
        id_type=review.id_type.value,
        id_digest=review.identity.digest,
        id_masked=review.identity.masked,
        id_sealed=review.identity.sealed,
        name=review.name,
        ticket_number=review.ticket_number,
        status=review.status.value,
        submitted_at=iso(review.submitted_at),
        decided_at=optional_iso(review.decided_at),
        note=review.note,
    )


def review_from_item(item: ReviewItem) -> Cet6Review:
    return Cet6Review(
        review_id=item.review_id,
        account_id=item.account_id,
        school_id=item.school_id,
        id_type=IdType(item.id_type),
        identity=identity_of(item),
        name=item.name,
        ticket_number=item.ticket_number,
        status=ReviewStatus(item.status),
        submitted_at=parse_iso(item.submitted_at),
        decided_at=optional_time(item.decided_at),
        note=item.note or "",
    )


# Subjects
def subject_item(account_id: str, chosen: ChosenSubject) -> SubjectItem:
    oral = chosen.campus_id is not None
    due = chosen.pay_by if chosen.status is SubjectStatus.UNPAID else None
    gsi2pk, gsi2sk = keys.due_keys(account_id, due, chosen.slot)
    return SubjectItem(
        keys.account_pk(account_id),
        keys.subject_sk(chosen.slot),
        gsi1pk=keys.holds_pk(chosen.campus_id, chosen.code) if chosen.campus_id is not None else None,
        gsi1sk=keys.hold_order_sk(chosen.pay_by, chosen.hold_id) if oral else None,
        expires=(due + TTL_GRACE) if due else None,
        gsi2pk=gsi2pk,
        gsi2sk=gsi2sk,
        account_id=account_id,
        code=chosen.code,
        subject_kind=chosen.kind.value,
        level=chosen.level,
        fee=chosen.fee,
        status=chosen.status.value,
        chosen_at=iso(chosen.chosen_at),
        pay_by=optional_iso(chosen.pay_by),
        hold_id=chosen.hold_id,
        campus_id=chosen.campus_id,
        offered=chosen.offered or None,
        shard=chosen.shard if oral else None,
        **exam_seat_attributes(chosen.exam_seat),
    )


def exam_seat_attributes(seat: ExamSeat | None) -> dict[str, Any]:
    if seat is None:
        return {}
    return {
        "ticket_number": seat.ticket_number,
        "site_code": seat.site_code,
        "room": seat.room,
        "seat": seat.seat,
        "separate_room": seat.separate_room,
        "extra_minutes": seat.extra_minutes,
    }


def exam_seat_of(item: SubjectItem) -> ExamSeat | None:
    number, room, seat = item.ticket_number, item.room, item.seat
    if not (number and room and seat):  # not seated yet (rooms and seats count from 1)
        return None
    return ExamSeat(
        ticket_number=number,
        site_code=item.site_code or "",
        room=int(room),
        seat=int(seat),
        separate_room=bool(item.separate_room),
        extra_minutes=int(item.extra_minutes or 0),
    )


def subject_from_item(item: SubjectItem) -> ChosenSubject:
    return ChosenSubject(
        code=item.code,
        kind=SubjectKind(item.subject_kind),
        level=int(item.level),
        fee=int(item.fee),
        status=SubjectStatus(item.status),
        chosen_at=parse_iso(item.chosen_at),
        pay_by=optional_time(item.pay_by),
        hold_id=item.hold_id,
        campus_id=item.campus_id,
        offered=bool(item.offered),
        # holds taken before shards sit in shard 0, where the loader folded their counter
        shard=(int(item.shard) if item.shard is not None else 0) if item.campus_id else None,
        exam_seat=exam_seat_of(item),
    )
