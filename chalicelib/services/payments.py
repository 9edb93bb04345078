"""Orders and payments (R-PAY-1..5): one order for the unpaid subjects, settled exactly once.

A notification, the student's "更新" and the reconcile job all end in `apply_trade`, so a payment
is counted once whichever of them brings the news first, and is not lost if the others are.
"""

from __future__ import annotations

import contextlib
import uuid
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Protocol

from chalicelib.domain.accounts import Account
from chalicelib.domain.clock import Clock
from chalicelib.domain.errors import (
    AccountAlreadyBound,
    CandidateAlreadyBound,
    Forbidden,
    InvalidRequest,
    NotFound,
    NothingToPay,
)
from chalicelib.domain.orders import (
    LateOutcome,
    LatePayment,
    Order,
    OrderStatus,
    Settlement,
    order_deadline,
    payable,
)
from chalicelib.domain.registration import Registration
from chalicelib.logs import logger
from chalicelib.metrics import count
from chalicelib.payments.base import (
    Acknowledgement,
    NotificationRejected,
    PaymentProvider,
    PaymentRequest,
    ProviderError,
    TradeState,
)
from chalicelib.services.ports import RegistrationStore

RECONCILE_AFTER = timedelta(minutes=5)


class OrderStore(Protocol):
    def create(self, order: Order) -> None: ...
    def get(self, order_id: str) -> Order | None: ...
    def open_order_of(self, account_id: str) -> str | None: ...
    def close(self, order: Order) -> bool: ...
    def settle(self, order: Order, trade_no: str, now: datetime) -> Settlement: ...
    def re_reserve(self, order: Order, registration: Registration, trade_no: str, now: datetime) -> Settlement: ...
    def claim_refund(self, order: Order, trade_no: str, now: datetime) -> bool: ...
    def set_late_outcome(self, order: Order, outcome: LateOutcome) -> None: ...
    def record_late(self, late: LatePayment) -> None: ...
    def late_payments(self, school_id: str) -> list[LatePayment]: ...
    def open_orders_before(self, moment: datetime) -> list[Order]: ...
    def refunds_pending(self, moment: datetime) -> list[Order]: ...


@dataclass(frozen=True)
class PaymentsContext:
    orders: OrderStore
    registrations: RegistrationStore
    providers: dict[str, PaymentProvider]
    clock: Clock
    public_url: str  # the API's public base: notifications come back to it


def provider(ctx: PaymentsContext, name: object) -> PaymentProvider:
    found = ctx.providers.get(name) if isinstance(name, str) else None
    if found is None:
        raise InvalidRequest("provider", f"应为 {' 或 '.join(sorted(ctx.providers))}")
    return found


def _live_registration(ctx: PaymentsContext, account_id: str) -> Registration:
    registration = ctx.registrations.get(account_id)
    if registration is None or registration.is_gone(ctx.clock.now()):
        raise NotFound("您还没有保存报名信息，请先查询资格并保存。")
    return registration


def place_order(ctx: PaymentsContext, account: Account, provider_name: object, bank: str | None) -> Order:
    """R-PAY-2: the unpaid subjects together, one open order at a time; never past the first pay_by."""
    gateway = provider(ctx, provider_name)
    registration = _live_registration(ctx, account.account_id)
    now = ctx.clock.now()
    _end_stale_order(ctx, account.account_id, now)
    subjects = payable(registration, now)
    if not subjects:
        raise NothingToPay()
    order = Order(
        order_id=now.strftime("%Y%m%d") + uuid.uuid4().hex[:20],
        account_id=account.account_id,
        school_id=registration.candidate.school_id,
        provider=gateway.name,
        bank=bank if gateway.name == "bank" else None,  # only the bank gateway asks for a bank
        subjects=subjects,
        status=OrderStatus.OPEN,
        created_at=now,
        expires_at=order_deadline(subjects),
        candidate=registration.candidate,
    )
    request = PaymentRequest(
        order_id=order.order_id,
        amount=order.amount,
        title="全国大学英语四、六级考试报名费",
        expires_at=order.expires_at,
        notify_url=f"{ctx.public_url}/payments/{gateway.name}/notify",
        return_url=f"{ctx.public_url.removesuffix('/api')}/",
        bank=bank,
    )
    try:
        order = replace(order, pay_url=gateway.pay_url(request))
    except ValueError as problem:
        raise InvalidRequest("bank", f"不是支持的银行（{problem}）") from None
    ctx.orders.create(order)  # OrderOpen if another is open
    return order


def _end_stale_order(ctx: PaymentsContext, account_id: str, now: datetime) -> None:
    """An open order past its deadline no longer blocks a new one; the provider is told first."""
    open_id = ctx.orders.open_order_of(account_id)
    order = ctx.orders.get(open_id) if open_id else None
    if order is not None and not order.is_open(now):
        refresh_order(ctx, order)


def order_of(ctx: PaymentsContext, account: Account, order_id: str) -> Order:
    order = ctx.orders.get(order_id)
    if order is None:
        raise NotFound("没有这笔订单。")
    if order.account_id != account.account_id:
        raise Forbidden("这不是您的订单。")
    return order


def _gateway(ctx: PaymentsContext, order: Order) -> PaymentProvider:
    """The order's provider; one the stage stopped offering is unreachable like any outage."""
    gateway = ctx.providers.get(order.provider)
    if gateway is None:
        raise ProviderError(f"{order.provider} is not configured on this stage")
    return gateway


def refresh_order(ctx: PaymentsContext, order: Order) -> Order:
    """R-PAY-3 "更新": ask the provider now instead of paying again."""
    if order.status is not OrderStatus.OPEN:
        return order
    try:
        status = _gateway(ctx, order).query(order.order_id)
    except ProviderError as error:
        logger().warning("provider query failed", extra={"order_id": order.order_id, "error": str(error)})
        return order
    apply_trade(ctx, order, status.state, status.provider_trade_no or "", status.amount)
    if status.state is not TradeState.PAID and ctx.clock.now() >= order.expires_at:
        _close(ctx, order)
    return ctx.orders.get(order.order_id) or order


def _close(ctx: PaymentsContext, order: Order) -> None:
    """Close with the provider first, so it cannot take money for an order we call closed."""
    try:
        state = _gateway(ctx, order).close(order.order_id).state
    except ProviderError:
        return  # the next refresh or reconcile tries again
    if state is TradeState.PAID:
        apply_trade(ctx, order, state, "", order.amount)
    else:
        ctx.orders.close(order)


def handle_notification(ctx: PaymentsContext, provider_name: str, body: bytes, content_type: str) -> Acknowledgement:
    """R-PAY-3/5: a verified notification changes state at most once; anything else changes nothing."""
    gateway = ctx.providers.get(provider_name)
    if gateway is None:
        _security_event("notification for a provider this stage does not offer", provider_name, "")
        return Acknowledgement("fail")
    try:
        notification = gateway.parse_notification(body, content_type)
    except NotificationRejected as rejected:
        _security_event("notification rejected", provider_name, rejected.reason)
        return gateway.acknowledge(accepted=False)
    order = ctx.orders.get(notification.order_id)
    if order is None or order.provider != provider_name or notification.amount != order.amount:
        _security_event("notification does not match an order", provider_name, notification.order_id)
        return gateway.acknowledge(accepted=False)
    apply_trade(ctx, order, notification.state, notification.provider_trade_no, notification.amount)
    return gateway.acknowledge(accepted=True)


def _security_event(what: str, provider_name: str, detail: str) -> None:
    logger().warning(what, extra={"security_event": True, "provider": provider_name, "detail": detail})


def apply_trade(ctx: PaymentsContext, order: Order, state: TradeState, trade_no: str, amount: int | None) -> None:
    if state is not TradeState.PAID or (amount is not None and amount != order.amount):
        return
    now = ctx.clock.now()
    outcome = ctx.orders.settle(order, trade_no, now)
    count("OrderSettlements", outcome=outcome.value, provider=order.provider)  # paid, already, holds_changed
    if outcome is not Settlement.HOLDS_CHANGED:
        return
    _late_payment(ctx, order, trade_no, now)


def _late_payment(ctx: PaymentsContext, order: Order, trade_no: str, now: datetime) -> None:
    """R-PAY-5: re-reserve if the seats are free, else refund; staff see every such case."""
    existing = ctx.registrations.get(order.account_id)
    registration = existing or _saved_again(ctx, order, now)
    if registration is not None:
        outcome = ctx.orders.re_reserve(order, registration, trade_no, now)
        if outcome is Settlement.PAID:
            _record_late(ctx, order, LateOutcome.RE_RESERVED, now)
            return
        if existing is None:  # saved again only for this payment: undone
            with contextlib.suppress(NotFound):
                ctx.registrations.delete_registration(registration, now)
        if outcome is Settlement.ALREADY:
            return
    if not ctx.orders.claim_refund(order, trade_no, now):
        return  # another delivery is handling it
    _refund(ctx, order, now)


def _saved_again(ctx: PaymentsContext, order: Order, now: datetime) -> Registration | None:
    """The registration went with its expired subjects (R-BIND-4): save it again if both sides are free."""
    if order.candidate is None:
        return None
    try:
        ctx.registrations.bind(Registration(order.account_id, order.candidate, now))
    except (AccountAlreadyBound, CandidateAlreadyBound):
        return None
    return ctx.registrations.get(order.account_id)


def _refund(ctx: PaymentsContext, order: Order, now: datetime) -> None:
    """Ask the provider to refund (idempotent on its side); until it confirms, the order stays in
    the refunds queue and the reconcile job asks again."""
    try:
        state = _gateway(ctx, order).refund(order.order_id, order.amount, "报名科目已过期，名额已满").state
    except ProviderError:
        state = TradeState.UNKNOWN
    outcome = LateOutcome.REFUNDED if state is TradeState.REFUNDED else LateOutcome.REFUND_PENDING
    ctx.orders.set_late_outcome(order, outcome)
    _record_late(ctx, order, outcome, now)


def _record_late(ctx: PaymentsContext, order: Order, outcome: LateOutcome, now: datetime) -> None:
    name = order.candidate.name if order.candidate else ""
    masked = order.candidate.masked_id if order.candidate else ""
    late = LatePayment(order.order_id, order.school_id, order.account_id, name, masked, order.amount, outcome, now)
    ctx.orders.record_late(late)
    logger().info("late payment", extra={"order_id": order.order_id, "outcome": outcome.value})
    count("LatePayments", outcome=outcome.value)


@dataclass
class ReconcileReport:
    checked: int = 0
    paid: int = 0
    closed: int = 0
    refunds_retried: int = 0

    def as_dict(self) -> dict[str, int]:
        return dict(vars(self))


def reconcile(ctx: PaymentsContext) -> ReconcileReport:
    """Open orders older than a few minutes: ask the provider; paid ones settle, dead ones close."""
    report = ReconcileReport()
    now = ctx.clock.now()
    for order in ctx.orders.open_orders_before(now - RECONCILE_AFTER):
        report.checked += 1
        after = refresh_order(ctx, order)
        report.paid += after.status is OrderStatus.PAID
        report.closed += after.status is OrderStatus.CLOSED
    for order in ctx.orders.refunds_pending(now):
        report.refunds_retried += 1
        _refund(ctx, order, now)
    return report


def late_payments(ctx: PaymentsContext, school_id: str) -> list[LatePayment]:
    return ctx.orders.late_payments(school_id)
