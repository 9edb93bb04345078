"""Orders: paying the unpaid subjects together (R-PAY-1..5)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from chalicelib.domain.registration import ChosenSubject, Registration, SubjectStatus
from chalicelib.domain.roll import RollEntry


class OrderStatus(StrEnum):
    OPEN = "open"
    PAID = "paid"
    CLOSED = "closed"
    REFUNDED = "refunded"


class Settlement(StrEnum):
    """What one attempt to settle a paid order found."""

    PAID = "paid"  # the holds were there: they are paid now
    ALREADY = "already"  # someone settled this order first: nothing changes
    HOLDS_CHANGED = "holds_changed"  # a hold expired and went: the late-payment path (R-PAY-5)


class LateOutcome(StrEnum):
    """R-PAY-5: what became of a payment that arrived after its subjects expired."""

    RE_RESERVED = "re_reserved"
    REFUNDED = "refunded"
    REFUND_PENDING = "refund_pending"  # the provider did not confirm yet; reconcile asks again


@dataclass(frozen=True)
class Order:
    order_id: str
    account_id: str
    school_id: str
    provider: str
    bank: str | None
    subjects: tuple[ChosenSubject, ...]
    status: OrderStatus
    created_at: datetime
    expires_at: datetime
    pay_url: str = ""
    paid_at: datetime | None = None
    provider_trade_no: str | None = None
    late: LateOutcome | None = None
    candidate: RollEntry | None = None  # to save the registration again for a late payment (R-PAY-5)

    @property
    def amount(self) -> int:
        return sum(s.fee for s in self.subjects)

    def is_open(self, now: datetime) -> bool:
        return self.status is OrderStatus.OPEN and now < self.expires_at


@dataclass(frozen=True)
class LatePayment:
    order_id: str
    school_id: str
    account_id: str
    candidate_name: str
    candidate_id: str  # masked
    amount: int
    outcome: LateOutcome
    recorded_at: datetime


def payable(registration: Registration, now: datetime) -> tuple[ChosenSubject, ...]:
    """R-PAY-2: every live unpaid subject, paid together."""
    return tuple(s for s in registration.live_subjects(now) if s.status is SubjectStatus.UNPAID)


def order_deadline(subjects: tuple[ChosenSubject, ...]) -> datetime:
    """An order never outlives the earliest `pay_by` among its subjects (R-PAY-1)."""
    return min(s.pay_by for s in subjects if s.pay_by is not None)
