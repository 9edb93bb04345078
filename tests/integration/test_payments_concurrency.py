"""Notifications delivered again and at once, on DynamoDB Local with real threads (R-PAY-3)."""

from __future__ import annotations

import pytest

from chalicelib.bootstrap import Services, build_services
from chalicelib.config import Settings, settings
from chalicelib.domain.accounts import Account
from chalicelib.domain.clock import FixedClock
from chalicelib.domain.orders import OrderStatus
from chalicelib.domain.registration import Registration, SubjectStatus
from chalicelib.services import payments
from chalicelib.services import registration as reg
from chalicelib.services.ports import SeatGrab
from chalicelib.services.province import load_province
from chalicelib.storage.models import LatePaymentItem
from devstack.payments_local import SandboxDriver, install_sandbox
from tests import factories

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
