"""Orders and payments (R-PAY-1..5): one order for the unpaid subjects, settled exactly once.

A notification, the student's "更新" and the reconcile job all end in `apply_trade`, so a payment
is counted once whichever of them brings the news first, and is not lost if the others are.
"""

from __future__ import annotations

import contextlib
import secrets
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta

from chalicelib.domain.accounts import Account
from chalicelib.domain.clock import Clock
from chalicelib.domain.errors import (
    AccountAlreadyBound,
    Busy,
    CandidateAlreadyBound,
    Forbidden,
    IdentityKeyUnavailable,
    InvalidRequest,
    NotFound,
    NothingToPay,
)
from chalicelib.domain.orders import (
    LateOutcome,
    LatePayment,
    Order,
    OrderNumberTaken,
    OrderStatus,
    Settlement,
    is_order_number,
    late_payment_of,
    newest_first,
    order_deadline,
    order_number,
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
from chalicelib.services.payments_ports import OrderStore
from chalicelib.services.registration_ports import RegistrationStore

RECONCILE_AFTER = timedelta(minutes=5)
# R-PAY-6: a drawn number taken already is drawn again; 10^8 a day makes a second miss rare.
NUMBER_DRAWS = 8
# R-PAY-5: an order read open and closed before its payment settled is read again, and the settlement
# tried on it as it is. Closed moves on only to paid or refunded, so a second read is the last that
# can be needed; past these, BUSY (the provider delivers again).
FRESH_READS = 3


@dataclass(frozen=True)
class PaymentsContext:
    orders: OrderStore
    registrations: RegistrationStore
    providers: dict[str, PaymentProvider]
    clock: Clock
    public_url: str  # the API's public base: notifications come back to it
    draw: Callable[[int], int] = field(default=secrets.randbelow)  # R-PAY-6 order numbers


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
    return _create_numbered(ctx, order, lambda numbered: _pay_url(ctx, numbered, gateway, bank))


def _create_numbered(ctx: PaymentsContext, order: Order, pay_url: Callable[[Order], str]) -> Order:
    """R-PAY-6: a number no other order holds, claimed in the order's own transaction; R-PAY-7: the
    provider is given that number as the merchant order number (in `pay_url`), so its bill shows the
    same digits."""
    for _ in range(NUMBER_DRAWS):
        number = order_number(order.created_at, ctx.draw)
        numbered = replace(order, number=number, merchant_no=number)
        numbered = replace(numbered, pay_url=pay_url(numbered))
        try:
            ctx.orders.create(numbered)  # OrderOpen if another is open
        except OrderNumberTaken:
            continue
        return numbered
    raise Busy()


def _pay_url(ctx: PaymentsContext, order: Order, gateway: PaymentProvider, bank: str | None) -> str:
    request = PaymentRequest(
        merchant_no=order.provider_order_no,
        amount=order.amount,
        title="全国大学英语四、六级考试报名费",
        expires_at=order.expires_at,
        notify_url=f"{ctx.public_url}/payments/{gateway.name}/notify",
        return_url=f"{ctx.public_url.removesuffix('/api')}/",
        bank=bank,
    )
    try:
        return gateway.pay_url(request)
    except ValueError as problem:
        raise InvalidRequest("bank", f"不是支持的银行（{problem}）") from None


def _numbered(ctx: PaymentsContext, order: Order) -> Order:
    """R-PAY-6: an order made before numbers gets one the first time it is shown, once."""
    current: Order | None = order
    for _ in range(NUMBER_DRAWS):
        if current is None or current.number is not None:
            break
        try:
            current = ctx.orders.assign_number(current, order_number(current.created_at, ctx.draw))
        except OrderNumberTaken:
            continue
        if current is None:  # it changed meanwhile: as it is now
            current = ctx.orders.get(order.order_id)
    if current is None or current.number is None:
        raise Busy()
    return current


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
    return _numbered(ctx, order)


def orders_of(ctx: PaymentsContext, account: Account) -> list[Order]:
    """R-PAY-6: every order the account ever placed, newest first, each with its number."""
    listed = ctx.orders.orders_of(account.account_id)
    return newest_first([order if order.number else _numbered(ctx, _fresh(ctx, order)) for order in listed])


def _fresh(ctx: PaymentsContext, entry: Order) -> Order:
    """The order itself, for a copy that lacks a number the order may have had since."""
    return ctx.orders.get(entry.order_id) or entry


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
        status = _gateway(ctx, order).query(order.provider_order_no)
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
        state = _gateway(ctx, order).close(order.provider_order_no).state
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
    order = _sent_as(ctx, notification.merchant_no)
    if order is None or order.provider != provider_name or notification.amount != order.amount:
        _security_event("notification does not match an order", provider_name, notification.merchant_no)
        return gateway.acknowledge(accepted=False)
    apply_trade(ctx, order, notification.state, notification.provider_trade_no, notification.amount)
    return gateway.acknowledge(accepted=True)


def _sent_as(ctx: PaymentsContext, merchant_no: str) -> Order | None:
    """R-PAY-7: the order the provider was given this merchant order number for: found by its number
    (its claim), or, for an order placed before R-PAY-7, by its id. Any other reference is no order."""
    order_id = ctx.orders.numbered(merchant_no) if is_order_number(merchant_no) else merchant_no
    order = ctx.orders.get(order_id) if order_id else None
    return order if order is not None and order.provider_order_no == merchant_no else None


def _security_event(what: str, provider_name: str, detail: str) -> None:
    logger().warning(what, extra={"security_event": True, "provider": provider_name, "detail": detail})


def apply_trade(ctx: PaymentsContext, order: Order, state: TradeState, trade_no: str, amount: int | None) -> None:
    if state is not TradeState.PAID or (amount is not None and amount != order.amount):
        return
    now = ctx.clock.now()
    outcome, order = _as_it_is(ctx, order, lambda current: ctx.orders.settle(current, trade_no, now))
    count("OrderSettlements", outcome=outcome.value, provider=order.provider)  # paid, already, holds_changed
    if outcome is not Settlement.HOLDS_CHANGED:
        return
    _late_payment(ctx, order, trade_no, now)


def _as_it_is(ctx: PaymentsContext, order: Order, attempt: Callable[[Order], Settlement]) -> tuple[Settlement, Order]:
    """A settlement never acts on a stale read of the order: one read open and closed since (by the
    expiry path, or the student's next order) is read again and the settlement tried on it as it is
    now. Raises Busy past FRESH_READS, nothing written: a notification is answered 503 and comes
    again, never acknowledged for a payment not recorded."""
    for _ in range(FRESH_READS):
        outcome = attempt(order)
        if outcome is not Settlement.ORDER_MOVED:
            return outcome, order
        logger().info("order moved while settling", extra={"order_id": order.order_id, "read": order.status.value})
        order = ctx.orders.get(order.order_id, consistent=True) or order
    raise Busy()


def _late_payment(ctx: PaymentsContext, order: Order, trade_no: str, now: datetime) -> None:
    """R-PAY-5: re-reserve if the seats are free, else claim a refund, each in one transaction with the
    payment's record and the staff's record of the case; then the provider refunds."""
    existing = ctx.registrations.get(order.account_id)
    registration = existing or _saved_again(ctx, order, now)
    if registration is not None:
        try:
            outcome, order = _as_it_is(
                ctx, order, lambda current: ctx.orders.re_reserve(current, registration, trade_no, now)
            )
        except Busy:
            outcome = Settlement.ORDER_MOVED
        if outcome is Settlement.PAID:
            _told_late(order, LateOutcome.RE_RESERVED)
            return
        if existing is None:  # saved again only for this payment: undone
            with contextlib.suppress(NotFound):
                ctx.registrations.delete_registration(registration, now)
        if outcome is Settlement.ORDER_MOVED:
            raise Busy()
        if outcome is Settlement.ALREADY:
            return
    outcome, order = _as_it_is(ctx, order, lambda current: ctx.orders.claim_refund(current, trade_no, now))
    if outcome is not Settlement.REFUND_CLAIMED:
        return  # ALREADY: paid or refunded by another delivery (a claim is in the refunds queue until done)
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
        state = _gateway(ctx, order).refund(order.provider_order_no, order.amount, "报名科目已过期，名额已满").state
    except ProviderError:
        state = TradeState.UNKNOWN
    outcome = LateOutcome.REFUNDED if state is TradeState.REFUNDED else LateOutcome.REFUND_PENDING
    ctx.orders.set_late_outcome(order, outcome)
    ctx.orders.record_late(late_payment_of(order, outcome, now))
    _told_late(order, outcome)


def _told_late(order: Order, outcome: LateOutcome) -> None:
    logger().info("late payment", extra={"order_id": order.order_id, "outcome": outcome.value})
    count("LatePayments", outcome=outcome.value)


@dataclass
class ReconcileReport:
    checked: int = 0
    paid: int = 0
    closed: int = 0
    refunds_retried: int = 0
    left_busy: int = 0  # could not be settled now: the next run tries again

    def as_dict(self) -> dict[str, int]:
        return dict(vars(self))


def reconcile(ctx: PaymentsContext) -> ReconcileReport:
    """Open orders older than a few minutes: ask the provider; paid ones settle, dead ones close.
    One order that cannot be settled now (BUSY) waits for the next run; the others go on."""
    report = ReconcileReport()
    now = ctx.clock.now()
    for order in ctx.orders.open_orders_before(now - RECONCILE_AFTER):
        report.checked += 1
        try:
            after = refresh_order(ctx, order)
        except (Busy, IdentityKeyUnavailable):
            _left_busy(order, report)
            continue
        report.paid += after.status is OrderStatus.PAID
        report.closed += after.status is OrderStatus.CLOSED
    for order in ctx.orders.refunds_pending(now):
        report.refunds_retried += 1
        try:
            _refund(ctx, order, now)
        except (Busy, IdentityKeyUnavailable):
            _left_busy(order, report)
    return report


def _left_busy(order: Order, report: ReconcileReport) -> None:
    report.left_busy += 1
    logger().warning("reconcile: order left for the next run", extra={"order_id": order.order_id})


def late_payments(ctx: PaymentsContext, school_id: str) -> list[LatePayment]:
    return ctx.orders.late_payments(school_id)
