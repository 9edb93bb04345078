"""The payments service's edges that need no store (R-PAY-3), and its settlements on one order
under the store's conditions (R-PAY-5)."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta

import pytest

from chalicelib.api.requests import path_id
from chalicelib.domain.catalog import SubjectKind
from chalicelib.domain.clock import FixedClock
from chalicelib.domain.errors import Busy, NotFound
from chalicelib.domain.orders import LateOutcome, LatePayment, Order, OrderStatus, Settlement, late_payment_of
from chalicelib.domain.registration import ChosenSubject, Registration, SubjectStatus
from chalicelib.payments.base import TradeState, TradeStatus
from chalicelib.services import payments
from tests import factories
from tests.factories import NOW


def test_r_pay_3_a_notification_for_a_provider_the_stage_does_not_offer_changes_nothing() -> None:
    ctx = payments.PaymentsContext(
        orders=None,  # type: ignore[arg-type]  # never reached: nothing may be read or written
        registrations=None,  # type: ignore[arg-type]
        providers={},
        clock=FixedClock(NOW),
        public_url="http://127.0.0.1:8000/api",
    )
    ack = payments.handle_notification(ctx, "alipay", b"out_trade_no=1&trade_status=TRADE_SUCCESS", "")
    assert ack.body == "fail"


@pytest.mark.parametrize("value", ["", "a" * 65, "../x", "订单", "a b", "a%2Fb"])
def test_path_ids_that_cannot_exist_are_not_found(value: str) -> None:
    with pytest.raises(NotFound):
        path_id(value, "订单")


def test_real_ids_pass() -> None:
    assert path_id("20261127f9f3f3c34f51a859abcd", "订单") == "20261127f9f3f3c34f51a859abcd"
    assert path_id("3152c7ac306a4b8e8e9c03206da5ed31", "复核申请") == "3152c7ac306a4b8e8e9c03206da5ed31"


def test_r_pay_3_update_for_a_provider_no_longer_offered_leaves_the_order_as_it_is() -> None:
    from datetime import timedelta

    order = Order("o1", "acc1", "NJU", "alipay", None, (), OrderStatus.OPEN, NOW, NOW + timedelta(hours=1))
    ctx = payments.PaymentsContext(
        orders=None,  # type: ignore[arg-type]  # never reached
        registrations=None,  # type: ignore[arg-type]
        providers={},
        clock=FixedClock(NOW),
        public_url="http://127.0.0.1:8000/api",
    )
    assert payments.refresh_order(ctx, order) is order


# --- R-PAY-5: a settlement acts on the order as it is, never on a stale read ---------------------------------------


class OneOrder:
    """One order under the store's conditions (storage/orders.py, storage/late_payments.py): an order
    no longer open or closed is settled ALREADY; one read open that is not open any more (its lock is
    gone) is ORDER_MOVED, nothing written; then the holds, and for a late payment the seats, decide.
    `closes_before` closes the order just before that call of the store, once, as another thread would.
    Reads that are not consistent may answer the order as it was first read."""

    def __init__(self, read: Order, holds_there: bool, seats_free: bool, closes_before: str = "") -> None:
        self.stored, self.first_read = read, read
        self.holds_there, self.seats_free, self.closes_before = holds_there, seats_free, closes_before
        self.calls: list[tuple[str, OrderStatus]] = []
        self.late: dict[str, LatePayment] = {}

    def get(self, order_id: str, consistent: bool = False) -> Order:
        return self.stored if consistent else self.first_read

    def _failed(self, call: str, order: Order) -> Settlement | None:
        self.calls.append((call, order.status))
        if call == self.closes_before and self.stored.status is OrderStatus.OPEN:
            self.stored = replace(self.stored, status=OrderStatus.CLOSED)
        if self.stored.status not in (OrderStatus.OPEN, OrderStatus.CLOSED):
            return Settlement.ALREADY
        if order.status is OrderStatus.OPEN and self.stored.status is not OrderStatus.OPEN:
            return Settlement.ORDER_MOVED
        return None

    def _mark(self, status: OrderStatus, trade_no: str, now: datetime, late: LateOutcome | None) -> None:
        self.stored = replace(self.stored, status=status, provider_trade_no=trade_no, paid_at=now, late=late)
        if late is not None:  # in the same transaction (storage/late_payments.py)
            self.late[self.stored.order_id] = late_payment_of(self.stored, late, now)

    def settle(self, order: Order, trade_no: str, now: datetime) -> Settlement:
        failed = self._failed("settle", order)
        if failed is None and not self.holds_there:
            failed = Settlement.HOLDS_CHANGED
        if failed is None:
            self._mark(OrderStatus.PAID, trade_no, now, None)
        return failed or Settlement.PAID

    def re_reserve(self, order: Order, registration: Registration, trade_no: str, now: datetime) -> Settlement:
        failed = self._failed("re_reserve", order)
        if failed is None and not self.seats_free:
            failed = Settlement.HOLDS_CHANGED
        if failed is None:
            self._mark(OrderStatus.PAID, trade_no, now, LateOutcome.RE_RESERVED)
        return failed or Settlement.PAID

    def claim_refund(self, order: Order, trade_no: str, now: datetime) -> Settlement:
        failed = self._failed("claim_refund", order)
        if failed is None:
            self._mark(OrderStatus.REFUNDED, trade_no, now, LateOutcome.REFUND_PENDING)
        return failed or Settlement.REFUND_CLAIMED

    def set_late_outcome(self, order: Order, outcome: LateOutcome) -> None:
        self.stored = replace(self.stored, late=outcome)

    def record_late(self, late: LatePayment) -> None:
        self.late[late.order_id] = late


class StillRegistered:
    """The student's registration, still there: the late-payment path re-reserves it."""

    def get(self, account_id: str) -> Registration:
        return Registration(account_id, factories.entry(factories.ZHANG), NOW)


class Refunding:
    """The provider: a refund is made at once."""

    name = "alipay"

    def __init__(self) -> None:
        self.refunds: list[str] = []

    def refund(self, order_id: str, amount: int, reason: str) -> TradeStatus:
        self.refunds.append(order_id)
        return TradeStatus(order_id, TradeState.REFUNDED, amount)


def settled(store: OneOrder) -> Refunding:
    provider = Refunding()
    ctx = payments.PaymentsContext(
        orders=store,  # type: ignore[arg-type]  # the settlement's part of the store
        registrations=StillRegistered(),  # type: ignore[arg-type]
        providers={"alipay": provider},  # type: ignore[dict-item]
        clock=FixedClock(NOW),
        public_url="http://127.0.0.1:8000/api",
    )
    payments.apply_trade(ctx, store.first_read, TradeState.PAID, "T1", store.first_read.amount)
    return provider


def open_order() -> Order:
    hold = ChosenSubject("CET4", SubjectKind.WRITTEN, 4, 3000, SubjectStatus.UNPAID, NOW, NOW, "h1")
    return Order("o1", "acc1", "NJU", "alipay", None, (hold,), OrderStatus.OPEN, NOW, NOW)


@pytest.mark.parametrize(
    ("holds_there", "seats_free", "closes_before", "ends", "calls"),
    [
        (True, True, "settle", (OrderStatus.PAID, None), ["settle:open", "settle:closed"]),
        (
            False,
            True,
            "settle",
            (OrderStatus.PAID, LateOutcome.RE_RESERVED),
            ["settle:open", "settle:closed", "re_reserve:closed"],
        ),
        (
            False,
            False,
            "re_reserve",
            (OrderStatus.REFUNDED, LateOutcome.REFUNDED),
            ["settle:open", "re_reserve:open", "re_reserve:closed", "claim_refund:closed"],
        ),
        (
            False,
            False,
            "claim_refund",
            (OrderStatus.REFUNDED, LateOutcome.REFUNDED),
            ["settle:open", "re_reserve:open", "claim_refund:open", "claim_refund:closed"],
        ),
    ],
)
def test_r_pay_5_an_order_closed_after_it_was_read_is_settled_as_it_is_now(
    holds_there: bool,
    seats_free: bool,
    closes_before: str,
    ends: tuple[OrderStatus, LateOutcome | None],
    calls: list[str],
) -> None:
    """Closed just before the settlement, the re-reservation or the refund claim acts on it: the
    order is read again (a consistent read) and the step tried on the order as it is. It ends paid
    or refunded, its late payment recorded with the step. Fails on the old service code: the order
    stays closed."""
    store = OneOrder(open_order(), holds_there, seats_free, closes_before)

    settled(store)

    assert (store.stored.status, store.stored.late) == ends
    assert [f"{call}:{status.value}" for call, status in store.calls] == calls
    assert store.stored.provider_trade_no == "T1"
    assert {o: late.outcome for o, late in store.late.items()} == ({"o1": ends[1]} if ends[1] else {})


def test_r_pay_5_a_settlement_whose_order_keeps_moving_is_busy_and_writes_nothing() -> None:
    """Never acknowledged for a payment not recorded: past FRESH_READS reads, BUSY (503, delivered again)."""

    class KeepsMoving(OneOrder):
        def settle(self, order: Order, trade_no: str, now: datetime) -> Settlement:
            self.calls.append(("settle", order.status))
            return Settlement.ORDER_MOVED

    store = KeepsMoving(open_order(), holds_there=True, seats_free=True)
    with pytest.raises(Busy):
        settled(store)
    assert len(store.calls) == payments.FRESH_READS
    assert (store.stored.status, store.late) == (OrderStatus.OPEN, {})


def test_r_pay_5_a_refund_claimed_by_another_delivery_is_left_to_it() -> None:
    """ALREADY only when the order is paid or refunded: another delivery claimed the refund just
    before this one; this one asks the provider nothing and records nothing."""

    class ClaimedMeanwhile(OneOrder):
        def claim_refund(self, order: Order, trade_no: str, now: datetime) -> Settlement:
            self._mark(OrderStatus.REFUNDED, "T1", now, LateOutcome.REFUND_PENDING)
            self.late.clear()  # what this delivery writes, if anything
            return super().claim_refund(order, trade_no, now)

    store = ClaimedMeanwhile(replace(open_order(), status=OrderStatus.CLOSED), holds_there=False, seats_free=False)
    provider = settled(store)
    assert [call for call, _ in store.calls] == ["settle", "re_reserve", "claim_refund"]
    assert (store.stored.status, store.stored.late, store.late, provider.refunds) == (
        OrderStatus.REFUNDED,
        LateOutcome.REFUND_PENDING,
        {},
        [],
    )


class PaidAtTheProvider:
    """The provider: every order asked about is paid."""

    name = "alipay"

    def query(self, order_id: str) -> TradeStatus:
        return TradeStatus(order_id, TradeState.PAID, 3000, f"T-{order_id}")


class TwoOpenOrders:
    """Two open orders the reconcile job finds; the first keeps moving under every settlement."""

    def __init__(self) -> None:
        self.stored = {n: replace(open_order(), order_id=n) for n in ("o1", "o2")}

    def open_orders_before(self, moment: datetime) -> list[Order]:
        return list(self.stored.values())

    def refunds_pending(self, moment: datetime) -> list[Order]:
        return []

    def get(self, order_id: str, consistent: bool = False) -> Order:
        return self.stored[order_id]

    def settle(self, order: Order, trade_no: str, now: datetime) -> Settlement:
        if order.order_id == "o1":
            return Settlement.ORDER_MOVED
        self.stored[order.order_id] = replace(order, status=OrderStatus.PAID, provider_trade_no=trade_no)
        return Settlement.PAID


def test_r_pay_3_one_order_the_reconcile_job_cannot_settle_now_leaves_the_others_settled() -> None:
    """BUSY on one order (it kept moving) is that order's, left for the next run: the job settles the
    rest and says how many it left (fails on the old code: the first BUSY ended the whole run)."""
    store = TwoOpenOrders()
    ctx = payments.PaymentsContext(
        orders=store,  # type: ignore[arg-type]  # the reconcile job's part of the store
        registrations=StillRegistered(),  # type: ignore[arg-type]
        providers={"alipay": PaidAtTheProvider()},  # type: ignore[dict-item]
        clock=FixedClock(NOW + timedelta(hours=1)),
        public_url="http://127.0.0.1:8000/api",
    )
    report = payments.reconcile(ctx)
    assert report.as_dict() == {"checked": 2, "paid": 1, "closed": 0, "refunds_retried": 0, "left_busy": 1}
    assert (store.stored["o1"].status, store.stored["o2"].status) == (OrderStatus.OPEN, OrderStatus.PAID)
