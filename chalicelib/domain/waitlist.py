"""The waiting list for a full campus (R-WAIT-1..2): who waits where, and what an offer holds.

A student waits for one campus per oral level; a seat that comes back goes to the first on the
list who can still take it, as an ordinary unpaid hold due 2 hours after the offer (never later
than R-PAY-1 would give).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from chalicelib.domain.catalog import Subject

OFFER_HELD_FOR = timedelta(hours=2)


@dataclass(frozen=True)
class WaitlistEntry:
    """One student waiting at one campus for one oral subject (one per level: R-WAIT-1)."""

    account_id: str
    subject: str
    level: int
    campus_id: str
    joined_at: datetime


@dataclass(frozen=True)
class PlacedEntry:
    entry: WaitlistEntry
    position: int  # 1-based: 1 is offered the next seat that comes back


@dataclass(frozen=True)
class PendingSeat:
    """A seat that came back while students were waiting: still counted as taken on `counter`,
    offered to nobody yet. `offer_id` names it: the released hold's id."""

    offer_id: str
    campus_id: str
    subject: str
    counter: str  # the seat counter the seat belongs to; the offered hold is released against it


def offer_pay_by(rule_pay_by: datetime, offered_at: datetime) -> datetime:
    """R-WAIT-2: 2 hours after the offer, never later than R-PAY-1 would give (`rule_pay_by`)."""
    return min(offered_at + OFFER_HELD_FOR, rule_pay_by)


def seat_name(subject: Subject, campus_name: str) -> str:
    """How the message names the seat: 南京大学鼓楼校区 CET-SET4 口试."""
    return f"{campus_name} {subject.name}"


class OfferOutcome(StrEnum):
    DONE = "done"
    SEAT_GONE = "seat_gone"  # another offer step took the pending seat first
    ENTRY_GONE = "entry_gone"  # the student left, or was served by another offer step
    CANNOT_TAKE = "cannot_take"  # the student's slot filled or the registration went meanwhile
    SOMEONE_WAITS = "someone_waits"  # a student joined meanwhile: the seat is theirs, not the counter's
