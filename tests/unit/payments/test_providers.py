"""What every payment provider promises the service, Alipay and the bank alike (R-PAY-2, R-PAY-3, R-PAY-5)."""

from __future__ import annotations

from datetime import datetime

import pytest

from chalicelib.payments.base import PaymentProvider, TradeState
from devstack.payment_sandbox import PaymentSandbox
from tests.unit.payments.world import EXPIRES, NOW, opened, pay_request


@pytest.fixture(params=["alipay", "bank"])
def provider(request: pytest.FixtureRequest) -> PaymentProvider:
    found: PaymentProvider = request.getfixturevalue(request.param)
    return found


@pytest.mark.parametrize("amount", [1, 8000, 9_999_999, 12_345_678])
def test_amounts_in_fen_round_trip_through_the_pay_url_and_notification(
    provider: PaymentProvider, sandbox: PaymentSandbox, amount: int
) -> None:
    assert sandbox.open_trade(provider.pay_url(pay_request(amount=amount)), NOW).amount == amount
    sandbox.pay("O-1", NOW)
    assert provider.parse_notification(*sandbox.notification("O-1", NOW)).amount == amount


def test_notifications_carry_open_closed_and_refunded_states(
    provider: PaymentProvider, sandbox: PaymentSandbox
) -> None:
    opened(provider, sandbox, "O-open")
    opened(provider, sandbox, "O-late")
    opened(provider, sandbox, "O-refund")
    sandbox.pay("O-refund", NOW)
    provider.refund("O-refund", 8000, "重复支付")

    def state_of(merchant_no: str, now: datetime) -> TradeState:
        return provider.parse_notification(*sandbox.notification(merchant_no, now)).state

    assert state_of("O-open", NOW) is TradeState.OPEN
    assert state_of("O-late", EXPIRES) is TradeState.CLOSED
    assert state_of("O-refund", NOW) is TradeState.REFUNDED
