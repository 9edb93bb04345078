"""Orders: paying the unpaid subjects together (R-PAY-1..5)."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from chalicelib.domain.clock import SHANGHAI
from chalicelib.domain.identity import IdType
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
    ALREADY = "already"  # someone settled this order first (paid or refunded): nothing changes
    HOLDS_CHANGED = "holds_changed"  # a hold expired and went: the late-payment path (R-PAY-5)
    ORDER_MOVED = "order_moved"  # read open, closed since: nothing changed; try again on the order as it is
    REFUND_CLAIMED = "refund_claimed"  # R-PAY-5: refunded, in the refunds queue until the provider confirms


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
    number: str | None = None  # R-PAY-6: what the student reads to a helpdesk; None on orders made before it
    merchant_no: str | None = None  # R-PAY-7: the number as the provider was given it; None before R-PAY-7

    @property
    def amount(self) -> int:
        return sum(s.fee for s in self.subjects)

    @property
    def provider_order_no(self) -> str:
        """R-PAY-7: what the provider knows this order by (its out_trade_no or v_oid): the order's
        number; an order placed before R-PAY-7 was sent by its id, and keeps that with the provider."""
        return self.merchant_no or self.order_id

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
    number: str | None = None  # R-PAY-7: the digits the student and the helpdesk know; None on older records


def payable(registration: Registration, now: datetime) -> tuple[ChosenSubject, ...]:
    """R-PAY-2: every live unpaid subject, paid together."""
    return tuple(s for s in registration.live_subjects(now) if s.status is SubjectStatus.UNPAID)


def late_payment_of(order: Order, outcome: LateOutcome, at: datetime) -> LatePayment:
    """R-PAY-5: what the school's staff see of a late payment, from the order's own snapshot."""
    name = order.candidate.name if order.candidate else ""
    masked = order.candidate.masked_id if order.candidate else ""
    found = (order.order_id, order.school_id, order.account_id, name, masked, order.amount, outcome, at)
    return LatePayment(*found, number=order.number)


def order_deadline(subjects: tuple[ChosenSubject, ...]) -> datetime:
    """An order never outlives the earliest `pay_by` among its subjects (R-PAY-1)."""
    return min(s.pay_by for s in subjects if s.pay_by is not None)


# R-PAY-6: the Beijing date the order was placed, then random digits claimed with a conditional
# write (docs/data-model.md): 16 digits, read out in two groups of eight.
NUMBER_RANDOM_DIGITS = 8
NUMBER_PATTERN = re.compile(r"[0-9]{1,20}")


class OrderNumberTaken(Exception):
    """The drawn number is another order's already: draw again."""


def order_number(created_at: datetime, draw: Callable[[int], int]) -> str:
    """`draw(n)` returns an integer in [0, n): `secrets.randbelow` in the service, fixed in tests."""
    random_part = draw(10**NUMBER_RANDOM_DIGITS)
    return created_at.astimezone(SHANGHAI).strftime("%Y%m%d") + f"{random_part:0{NUMBER_RANDOM_DIGITS}d}"


def is_order_number(text: str) -> bool:
    """The shape `order_number` draws: the date's 8 digits, then the random ones."""
    return len(text) == 8 + NUMBER_RANDOM_DIGITS and text.isascii() and text.isdigit()


def newest_first(orders: list[Order]) -> list[Order]:
    return sorted(orders, key=lambda order: (order.created_at, order.order_id), reverse=True)


ID_TYPE_NAMES = {
    IdType.RESIDENT_ID: "居民身份证",
    IdType.HK_MACAO_PERMIT: "港澳居民来往内地通行证",
    IdType.TAIWAN_PERMIT: "台湾居民来往大陆通行证",
    IdType.PASSPORT: "护照",
    IdType.HMT_RESIDENCE_PERMIT: "港澳台居民居住证",
    IdType.FOREIGN_PERMANENT_RESIDENT: "外国人永久居留身份证",
}


@dataclass(frozen=True)
class ReceiptLine:
    code: str
    name: str
    campus: str | None
    fee: int


@dataclass(frozen=True)
class Receipt:
    """R-PAY-6 缴费凭证: what a paid order proves. The candidate's ID number only masked."""

    number: str
    order_id: str
    candidate_name: str
    candidate_id: str  # masked
    id_type: str  # its Chinese name
    school: str
    lines: tuple[ReceiptLine, ...]
    paid_at: datetime
    provider: str  # its Chinese name
    trade_no: str
    province: str

    @property
    def amount(self) -> int:
        return sum(line.fee for line in self.lines)
