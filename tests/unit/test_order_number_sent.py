"""R-PAY-7 in the payments service: the provider knows an order by the number it was given, and only by
that; an order placed before R-PAY-7 was given its id, and keeps it with the provider after it got a
number of its own (R-PAY-6), so asking, closing, refunding and matching notices use what was sent."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

import pytest

from chalicelib.domain.catalog import SubjectKind
from chalicelib.domain.clock import FixedClock
from chalicelib.domain.orders import Order, OrderStatus
from chalicelib.domain.registration import ChosenSubject, SubjectStatus
from chalicelib.payments.base import Acknowledgement, Notification, TradeState, TradeStatus
from chalicelib.services import payments
from tests.factories import NOW

HOLD = ChosenSubject("CET4", SubjectKind.WRITTEN, 4, 3000, SubjectStatus.UNPAID, NOW, NOW, "h1")
PLACED = Order("20261206" + "a" * 20, "acc1", "NJU", "alipay", None, (HOLD,), OrderStatus.OPEN, NOW, NOW + timedelta(1))
NEW = replace(PLACED, number="2026120612345678", merchant_no="2026120612345678")
BEFORE_R_PAY_7 = replace(PLACED, number="2026120687654321")  # numbered when first shown; sent by its id


class Orders:
    """The two reads the service makes to find an order: by id, and by the claim on a number."""

    def __init__(self, order: Order) -> None:
        self.order = order

    def get(self, order_id: str, consistent: bool = False) -> Order | None:
        return self.order if order_id == self.order.order_id else None

    def numbered(self, number: str) -> str | None:
        return self.order.order_id if number == self.order.number else None

    def close(self, order: Order) -> bool:
        self.order = replace(order, status=OrderStatus.CLOSED)
        return True


class Provider:
    """Says every trade is still open; remembers what it was asked about; its notices name `notice_for`."""

    name = "alipay"

    def __init__(self, notice_for: str = "") -> None:
        self.asked: list[str] = []
        self.notice_for = notice_for

    def query(self, merchant_no: str) -> TradeStatus:
        self.asked.append(merchant_no)
        return TradeStatus(merchant_no, TradeState.OPEN)

    def close(self, merchant_no: str) -> TradeStatus:
        self.asked.append(f"close {merchant_no}")
        return TradeStatus(merchant_no, TradeState.CLOSED)

    def parse_notification(self, body: bytes, content_type: str) -> Notification:
        return Notification(self.notice_for, HOLD.fee, TradeState.OPEN, "T1")

    def acknowledge(self, accepted: bool) -> Acknowledgement:
        return Acknowledgement("success" if accepted else "fail")


def context(order: Order, provider: Provider) -> payments.PaymentsContext:
    return payments.PaymentsContext(
        orders=Orders(order),  # type: ignore[arg-type]  # the reads that find an order
        registrations=None,  # type: ignore[arg-type]  # never reached: an open trade changes nothing
        providers={"alipay": provider},  # type: ignore[dict-item]
        clock=FixedClock(NOW),
        public_url="http://127.0.0.1:8000/api",
    )


@pytest.mark.parametrize(("order", "sent_as"), [(NEW, NEW.number), (BEFORE_R_PAY_7, BEFORE_R_PAY_7.order_id)])
def test_r_pay_7_update_asks_the_provider_about_the_number_it_was_given(order: Order, sent_as: str) -> None:
    provider = Provider()
    payments.refresh_order(context(order, provider), order)
    assert provider.asked == [sent_as]


@pytest.mark.parametrize(
    ("order", "notice_for", "ack"),
    [
        (NEW, NEW.number, "success"),
        (NEW, NEW.order_id, "fail"),  # never sent by its id: no order of ours
        (BEFORE_R_PAY_7, BEFORE_R_PAY_7.order_id, "success"),
        (BEFORE_R_PAY_7, BEFORE_R_PAY_7.number, "fail"),  # its number came after; the provider never had it
        (NEW, "2026120600000000", "fail"),
    ],
)
def test_r_pay_7_a_notice_is_matched_by_the_number_the_provider_was_given(
    order: Order, notice_for: str, ack: str
) -> None:
    reply = payments.handle_notification(context(order, Provider(notice_for)), "alipay", b"", "")
    assert reply.body == ack


@pytest.mark.parametrize(("order", "sent_as"), [(NEW, NEW.number), (BEFORE_R_PAY_7, BEFORE_R_PAY_7.order_id)])
def test_r_pay_7_an_order_past_its_deadline_is_closed_at_the_provider_by_what_it_was_given(
    order: Order, sent_as: str
) -> None:
    """R-PAY-1, R-PAY-7: an unpaid order past its deadline is closed with the provider first, by the
    number the provider knows it by, then here."""
    provider = Provider()
    ctx = context(replace(order, expires_at=NOW), provider)
    closed = payments.refresh_order(ctx, replace(order, expires_at=NOW))
    assert provider.asked == [sent_as, f"close {sent_as}"]
    assert closed.status is OrderStatus.CLOSED
