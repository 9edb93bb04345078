"""Notifications delivered again and at once, on DynamoDB Local with real threads (R-PAY-3); an
order closed while its payment settles still ends paid or refunded (R-PAY-5)."""

from __future__ import annotations

import functools
import json
import threading
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import replace
from datetime import datetime, timedelta

import pytest

from chalicelib.bootstrap import Services, build_services
from chalicelib.config import Settings, settings
from chalicelib.domain.accounts import Account
from chalicelib.domain.clock import FixedClock
from chalicelib.domain.orders import LateOutcome, Order, OrderStatus, Settlement
from chalicelib.domain.registration import Registration, SubjectStatus
from chalicelib.domain.roll import RollRow
from chalicelib.domain.seats import SeatGrab
from chalicelib.payments.base import TradeState, TradeStatus
from chalicelib.services import expiry, payments
from chalicelib.services import registration as reg
from chalicelib.services.province import load_province
from chalicelib.storage.late_payments import DynamoOrdersWithLatePayments
from chalicelib.storage.models import LatePaymentItem, OrderItem
from devstack.payments_local import SandboxDriver, install_sandbox
from tests import factories
from tests.integration.students import prepared
from tests.race import all_at_once, until_answered

pytestmark = pytest.mark.dynamodb_local
SEAT = SeatGrab("NJU-GL", "CET-SET4")


@pytest.fixture
def world(local_table: Settings, monkeypatch: pytest.MonkeyPatch) -> tuple[Services, SandboxDriver]:
    clock = FixedClock(factories.NOW)
    driver, payment_settings = install_sandbox(clock, "https://sandbox.invalid")
    for name, value in payment_settings.items():
        monkeypatch.setenv(name, value)
    built = build_services(settings(), clock)
    load_province(built.loading, factories.province(capacity=5), factories.NOW)
    return built, driver


def holding_student(built: Services) -> Account:
    account = Account("acc1", "a@example.cn", "-", agreement_accepted_at=factories.NOW, created_at=factories.NOW)
    built.accounts.accounts.create(account)
    ctx = built.registration
    ctx.registrations.bind(Registration(account.account_id, factories.entry(factories.ZHANG), factories.NOW))
    reg.choose_subject(ctx, account, "CET4", None)
    reg.choose_subject(ctx, account, "CET-SET4", "NJU-GL")
    return account


@pytest.mark.parametrize(("deliveries", "parallel"), [(8, False), (5, True)])
def test_r_pay_3_paid_exactly_once_however_often_the_notification_comes(
    world: tuple[Services, SandboxDriver], deliveries: int, parallel: bool
) -> None:
    built, driver = world
    account = holding_student(built)
    order = payments.place_order(built.payments, account, "alipay", None)

    acknowledgements = driver.pay(order, deliveries, parallel)

    assert acknowledgements == ["success"] * deliveries
    stored = built.payments.orders.get(order.order_id)
    assert stored is not None
    assert stored.status is OrderStatus.PAID
    assert stored.late is None
    registration = built.registration.registrations.get(account.account_id)
    assert registration is not None
    assert [s.status for s in registration.subjects] == [SubjectStatus.PAID, SubjectStatus.PAID]
    assert registration.version == 3  # two subjects chosen, one settlement: one change of state
    assert built.registration.catalogs.seats_taken([SEAT]) == {SEAT: 1}
    assert list(LatePaymentItem.scan()) == []


# --- R-PAY-5: an order closed between the notification reading it and settling it ---------------------------------

DAY = 24 * 3600
FORM = "application/x-www-form-urlencoded"


@pytest.fixture
def bare(local_table: Settings, monkeypatch: pytest.MonkeyPatch) -> tuple[Services, SandboxDriver, FixedClock]:
    """The stage without its province: each test loads the capacity it needs."""
    clock = FixedClock(factories.NOW)
    driver, payment_settings = install_sandbox(clock, "https://sandbox.invalid")
    for name, value in payment_settings.items():
        monkeypatch.setenv(name, value)
    return build_services(settings(), clock), driver, clock


def paid_at_provider(driver: SandboxDriver, order: Order, at: datetime) -> bytes:
    """The student pays in time at the provider; its notification, signed then, is delivered later."""
    driver.sandbox.open_trade(order.pay_url, at)
    driver.sandbox.pay(order.provider_order_no, at)
    body, _ = driver.sandbox.notification(order.provider_order_no, at)
    return body


@contextmanager
def provider_not_showing_the_payment(built: Services) -> Iterator[None]:
    """R-PAY-3's "charged, but the status still shows unpaid": the provider's query and close do not
    show yet the payment it is notifying, so the expiry path may close the order."""
    gateway = built.payments.providers["alipay"]
    real_query, real_close = gateway.query, gateway.close

    def unpaid(order_id: str) -> TradeStatus:
        return TradeStatus(order_id, TradeState.CLOSED)

    gateway.query, gateway.close = unpaid, unpaid  # type: ignore[method-assign]
    try:
        yield
    finally:
        gateway.query, gateway.close = real_query, real_close  # type: ignore[method-assign]


def closed_between_read_and_settle(built: Services, body: bytes, close: Callable[[], object]) -> list[object]:
    """Two real threads: the notification reads the order open, and before it settles, `close`
    (another thread) closes the order. Returns [the acknowledgement, what `close` returned]."""
    read, closed = threading.Event(), threading.Event()

    class ReadThenWait(DynamoOrdersWithLatePayments):
        def settle(self, order: Order, trade_no: str, now: datetime) -> Settlement:
            if not read.is_set():  # the first settle only: the one that acts on the read
                read.set()
                assert closed.wait(30), "the closing thread never finished"
            return super().settle(order, trade_no, now)

    notified = replace(built.payments, orders=ReadThenWait())

    def notification() -> str:
        return payments.handle_notification(notified, "alipay", body, FORM).body

    def closing() -> object:
        assert read.wait(30), "the notification never reached its settlement"
        try:
            with provider_not_showing_the_payment(built):
                return close()
        finally:
            closed.set()

    return list(all_at_once([notification, closing]))


def ends_recorded(built: Services, order: Order) -> Order:
    """R-PAY-5: a payment ends paid (held or re-reserved) or with its refund claimed; never neither.
    Its trade number is recorded either way; a late one is in the staff's list."""
    stored = built.payments.orders.get(order.order_id)
    assert stored is not None
    paid = stored.status is OrderStatus.PAID and stored.late in (None, LateOutcome.RE_RESERVED)
    refund = stored.status is OrderStatus.REFUNDED and stored.late in (LateOutcome.REFUND_PENDING, LateOutcome.REFUNDED)
    assert paid or refund, f"a payment ended with neither seat nor refund: order {stored.status}, late {stored.late}"
    assert stored.provider_trade_no, "the payment's trade number is not recorded"
    assert stored.paid_at is not None, "the payment's time is not recorded"
    late = {item.order_id: item.outcome for item in LatePaymentItem.scan()}
    assert late.get(order.order_id) == (stored.late.value if stored.late else None), late
    return stored


def assert_counters_recount(built: Services) -> None:
    """R-OPS-1: the administrator's counters equal a recount of the orders and late payments."""
    statuses: Counter[str] = Counter()
    paid_amount = 0
    for item in OrderItem.scan(OrderItem.sk == "ORDER"):
        statuses[item.status] += 1
        paid_amount += sum(int(s["fee"]) for s in json.loads(item.subjects)) if item.status == "paid" else 0
    figures = built.administration.store.figures()
    kept = figures.orders
    assert {"open": kept.open, "paid": kept.paid, "closed": kept.closed, "refunded": kept.refunded} == {
        status: statuses.get(status, 0) for status in ("open", "paid", "closed", "refunded")
    }
    assert kept.paid_amount == paid_amount
    assert figures.late_payments == len(list(LatePaymentItem.scan()))


def paid_subjects(built: Services, account: Account) -> list[tuple[str, SubjectStatus]]:
    registration = built.registration.registrations.get(account.account_id)
    return [(s.code, s.status) for s in registration.subjects] if registration else []


def another_takes_the_seat(built: Services, entry: RollRow, n: int) -> Registration:
    """Another student saves a registration now, chooses CET4 and grabs the oral seat; told BUSY,
    tries again (api.md)."""
    now = built.payments.clock.now()
    other = Account(f"other{n}", f"o{n}@example.cn", "-", agreement_accepted_at=now, created_at=now)
    ctx = built.registration
    until_answered(lambda: built.accounts.accounts.create(other))
    until_answered(lambda: ctx.registrations.bind(Registration(other.account_id, factories.entry(entry), now)))
    until_answered(lambda: reg.choose_subject(ctx, other, "CET4", None))
    return until_answered(lambda: reg.choose_subject(ctx, other, "CET-SET4", "NJU-GL"))


@pytest.mark.parametrize(
    ("expired", "seat_taken", "ends"),
    [
        (False, False, (OrderStatus.PAID, None)),
        (True, False, (OrderStatus.PAID, LateOutcome.RE_RESERVED)),
        (True, True, (OrderStatus.REFUNDED, LateOutcome.REFUNDED)),
    ],
)
def test_r_pay_5_an_order_the_reconcile_job_closes_while_its_payment_settles_ends_paid_or_refunded(
    bare: tuple[Services, SandboxDriver, FixedClock],
    expired: bool,
    seat_taken: bool,
    ends: tuple[OrderStatus, LateOutcome | None],
) -> None:
    """Paid in time at the provider; the notification comes a day later and reads the order open;
    meanwhile the reconcile job (the provider's query not showing the payment yet) closes it. With
    the holds still there they are paid; gone by the expiry job, they are re-reserved, or refunded
    when another student took the seat. Fails on the old code: the order stays closed, no refund."""
    built, driver, clock = bare
    load_province(built.loading, factories.province(capacity=1), factories.NOW)
    account = holding_student(built)
    order = payments.place_order(built.payments, account, "alipay", None)
    body = paid_at_provider(driver, order, clock.now())
    clock.advance(DAY + 10 * 60)
    if expired:
        expiry.expire(built.registration.registrations, clock.now())
    if seat_taken:
        another_takes_the_seat(built, factories.LI, 1)

    acknowledged, report = closed_between_read_and_settle(built, body, lambda: payments.reconcile(built.payments))

    assert isinstance(report, payments.ReconcileReport)
    assert report.closed == 1, report  # the race did happen
    assert acknowledged == "success"
    stored = ends_recorded(built, order)
    assert (stored.status, stored.late) == ends
    if ends[0] is OrderStatus.PAID:
        assert paid_subjects(built, account) == [("CET4", SubjectStatus.PAID), ("CET-SET4", SubjectStatus.PAID)]
    assert_counters_recount(built)


def test_r_pay_5_an_order_the_student_ends_with_a_new_order_while_its_payment_settles_is_paid(
    bare: tuple[Services, SandboxDriver, FixedClock],
) -> None:
    """CET6 chosen at 10:00, CET4 and its oral at 20:00: the order of the three is due by 10:00 the
    next day (the earliest pay_by) and is paid at 09:59. At 10:05, before the notification settles,
    the student places a new order for the subjects still held: the old order is closed first. The
    payment pays all three. Fails on the old code: the old order stays closed, no refund."""
    built, driver, clock = bare
    load_province(built.loading, factories.province(capacity=5), factories.NOW)
    account = Account("acc1", "a@example.cn", "-", agreement_accepted_at=factories.NOW, created_at=factories.NOW)
    built.accounts.accounts.create(account)
    built.registration.registrations.bind(Registration("acc1", factories.entry(factories.LI), factories.NOW))
    reg.choose_subject(built.registration, account, "CET6", None)
    clock.advance(10 * 3600)
    reg.choose_subject(built.registration, account, "CET4", None)
    reg.choose_subject(built.registration, account, "CET-SET4", "NJU-GL")
    order = payments.place_order(built.payments, account, "alipay", None)
    assert order.expires_at == factories.NOW + timedelta(hours=24)
    body = paid_at_provider(driver, order, clock.advance(14 * 3600 - 60))
    clock.advance(6 * 60)

    acknowledged, placed = closed_between_read_and_settle(
        built, body, lambda: payments.place_order(built.payments, account, "alipay", None)
    )

    assert isinstance(placed, Order), placed
    assert placed.order_id != order.order_id  # the race did happen
    assert acknowledged == "success"
    stored = ends_recorded(built, order)
    assert (stored.status, stored.late) == (OrderStatus.PAID, None)
    assert sorted(paid_subjects(built, account)) == sorted(
        [("CET6", SubjectStatus.PAID), ("CET4", SubjectStatus.PAID), ("CET-SET4", SubjectStatus.PAID)]
    )
    assert_counters_recount(built)


def test_r_pay_5_late_payments_racing_closes_and_grabs_all_end_paid_or_refunded(
    bare: tuple[Services, SandboxDriver, FixedClock],
) -> None:
    """Six students paid in time; their holds expired and went. At once: each notification, a close
    of each order (the last step of every closing path), and two other students grabbing the oral
    seats (capacity 6). Every payment ends paid or with its refund claimed; the counters equal a
    recount."""
    built, driver, clock = bare
    data = factories.province(capacity=6, extra_students=8)
    load_province(built.loading, data, factories.NOW)
    roll = data.roll[-8:]
    accounts = prepared(built, roll, range(6))
    orders: list[Order] = []
    for a in accounts:
        until_answered(functools.partial(reg.choose_subject, built.registration, a, "CET-SET4", "NJU-GL"))
        orders.append(until_answered(functools.partial(payments.place_order, built.payments, a, "alipay", None)))
    bodies = [paid_at_provider(driver, o, clock.now()) for o in orders]
    clock.advance(DAY + 10 * 60)
    expiry.expire(built.registration.registrations, clock.now())

    def notify(body: bytes) -> str:
        return until_answered(lambda: payments.handle_notification(built.payments, "alipay", body, FORM).body)

    def close(order: Order) -> bool:
        return until_answered(lambda: built.payments.orders.close(order))

    tasks: list[Callable[[], object]] = [functools.partial(notify, b) for b in bodies]
    tasks += [functools.partial(close, o) for o in orders]
    tasks += [functools.partial(another_takes_the_seat, built, roll[n], n) for n in (6, 7)]
    outcomes = all_at_once(tasks)

    assert outcomes[: len(bodies)] == ["success"] * len(bodies), outcomes
    ends = Counter((o.status, o.late) for o in (ends_recorded(built, order) for order in orders))
    grabbed = sum(isinstance(outcome, Registration) for outcome in outcomes[-2:])
    taken = built.registration.catalogs.seats_taken([SEAT])[SEAT]
    assert taken == ends[(OrderStatus.PAID, LateOutcome.RE_RESERVED)] + grabbed <= 6, (ends, grabbed)
    assert_counters_recount(built)
