"""The local payment sandbox behaves as the providers' servers do (R-PAY-1, R-PAY-2, R-PAY-3)."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest

from chalicelib.payments.alipay import AlipayProvider
from chalicelib.payments.bank import BankGatewayProvider
from chalicelib.payments.base import TradeState
from devstack.payment_sandbox import PaymentSandbox, SandboxRefused, UnknownTrade, new_rsa_key_pair
from tests.unit.payments.world import (
    ALIPAY_GATEWAY,
    APP_ID,
    BANK_GATEWAY,
    BANK_KEY,
    EXPIRES,
    MERCHANT,
    NOW,
    SELLER_ID,
    Keys,
    pay_request,
)


@pytest.fixture(params=["alipay", "bank"])
def pay_url(request: pytest.FixtureRequest, alipay: AlipayProvider, bank: BankGatewayProvider) -> str:
    if request.param == "alipay":
        return alipay.pay_url(pay_request())
    return bank.pay_url(pay_request(bank="CMB"))


def test_r_pay_2_opening_the_same_order_twice_keeps_one_trade(sandbox: PaymentSandbox, pay_url: str) -> None:
    first = sandbox.open_trade(pay_url, NOW)
    again = sandbox.open_trade(pay_url, NOW + timedelta(minutes=1))
    assert again == first
    assert first.state is TradeState.OPEN


def test_an_order_reopened_with_other_trade_data_is_refused(
    sandbox: PaymentSandbox, alipay: AlipayProvider, bank: BankGatewayProvider
) -> None:
    sandbox.open_trade(alipay.pay_url(pay_request(amount=8000)), NOW)
    with pytest.raises(SandboxRefused, match="different"):
        sandbox.open_trade(alipay.pay_url(pay_request(amount=3000)), NOW)
    with pytest.raises(SandboxRefused, match="different"):
        sandbox.open_trade(bank.pay_url(pay_request(bank="ICBC")), NOW)


@pytest.mark.parametrize("minutes_late", [0, 1, 60 * 24])
def test_r_pay_1_an_expired_trade_cannot_be_paid_and_is_closed(
    sandbox: PaymentSandbox, pay_url: str, minutes_late: int
) -> None:
    sandbox.open_trade(pay_url, NOW)
    with pytest.raises(SandboxRefused, match="expired") as refused:
        sandbox.pay("O-1", EXPIRES + timedelta(minutes=minutes_late))
    assert refused.value.reason == "trade expired"
    trade = sandbox.trade("O-1")
    assert (trade.state, trade.closed_at) == (TradeState.CLOSED, EXPIRES)
    with pytest.raises(SandboxRefused, match="closed"):
        sandbox.pay("O-1", NOW)  # closed stays closed, even if someone's clock runs behind


def test_r_pay_1_a_trade_is_payable_until_the_second_before_it_expires(sandbox: PaymentSandbox, pay_url: str) -> None:
    sandbox.open_trade(pay_url, NOW)
    paid = sandbox.pay("O-1", EXPIRES - timedelta(seconds=1))
    assert (paid.state, paid.paid_at) == (TradeState.PAID, EXPIRES - timedelta(seconds=1))


def test_r_pay_3_a_paid_trade_cannot_be_paid_again(sandbox: PaymentSandbox, pay_url: str) -> None:
    sandbox.open_trade(pay_url, NOW)
    sandbox.pay("O-1", NOW)
    with pytest.raises(SandboxRefused, match="already paid"):
        sandbox.pay("O-1", NOW)


def test_r_pay_1_a_trade_closed_by_the_app_cannot_be_paid(
    sandbox: PaymentSandbox, alipay: AlipayProvider, bank: BankGatewayProvider
) -> None:
    sandbox.open_trade(alipay.pay_url(pay_request("O-a")), NOW)
    sandbox.open_trade(bank.pay_url(pay_request("O-b", bank="BOC")), NOW)
    alipay.close("O-a")
    bank.close("O-b")
    for merchant_no in ("O-a", "O-b"):
        with pytest.raises(SandboxRefused, match="closed"):
            sandbox.pay(merchant_no, NOW)


def test_cancel_leaves_the_trade_open_until_it_expires(sandbox: PaymentSandbox, pay_url: str) -> None:
    sandbox.open_trade(pay_url, NOW)
    cancelled = sandbox.cancel("O-1")
    assert (cancelled.state, cancelled.cancellations) == (TradeState.OPEN, 1)
    assert sandbox.pay("O-1", NOW + timedelta(hours=1)).state is TradeState.PAID


def test_only_one_of_many_simultaneous_payments_goes_through(sandbox: PaymentSandbox, pay_url: str) -> None:
    sandbox.open_trade(pay_url, NOW)
    outcomes: list[str] = []
    start = threading.Barrier(16)

    def press_pay() -> None:
        start.wait()
        try:
            sandbox.pay("O-1", NOW)
            outcomes.append("paid")
        except SandboxRefused as refused:
            outcomes.append(refused.reason)

    threads = [threading.Thread(target=press_pay) for _ in range(16)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes) == ["already paid"] * 15 + ["paid"]


def test_an_unknown_order_has_no_trade(sandbox: PaymentSandbox) -> None:
    with pytest.raises(UnknownTrade):
        sandbox.pay("O-x", NOW)
    with pytest.raises(UnknownTrade):
        sandbox.cancel("O-x")
    with pytest.raises(UnknownTrade):
        sandbox.notification("O-x", NOW)


@pytest.mark.parametrize(
    "url",
    [
        "https://openapi.alipay.com/gateway.do",
        "https://openapi.alipay.com/gateway.do?method=alipay.trade.page.pay&sign=eA%3D%3D",
        "https://pay.bank.example.com/pay?v_mid=3201",
        "https://example.com/?a=1&&",
    ],
)
def test_a_pay_url_that_is_not_properly_signed_is_refused(sandbox: PaymentSandbox, url: str) -> None:
    with pytest.raises(SandboxRefused):
        sandbox.open_trade(url, NOW)


def test_a_pay_url_of_another_app_is_refused(sandbox: PaymentSandbox, keys: Keys) -> None:
    other_app = AlipayProvider(
        "2021999999999999", keys.app_private, keys.app_public, ALIPAY_GATEWAY, sandbox.transport, seller_id=SELLER_ID
    )
    with pytest.raises(SandboxRefused, match="app_id"):
        sandbox.open_trade(other_app.pay_url(pay_request()), NOW)
    other_merchant = BankGatewayProvider("9999", BANK_KEY, BANK_GATEWAY, sandbox.transport)
    with pytest.raises(SandboxRefused, match="merchant"):
        sandbox.open_trade(other_merchant.pay_url(pay_request(bank="ICBC")), NOW)


def test_notifications_are_forms(sandbox: PaymentSandbox, pay_url: str) -> None:
    sandbox.open_trade(pay_url, NOW)
    body, content_type = sandbox.notification("O-1", NOW)
    assert content_type == "application/x-www-form-urlencoded; charset=utf-8"
    assert body.isascii()


def test_alipay_redelivers_on_its_schedule_compressed() -> None:
    app_public = new_rsa_key_pair()[1]
    sandbox = PaymentSandbox(
        app_id=APP_ID, seller_id=SELLER_ID, app_public_key_pem=app_public, bank_merchant_id="M", bank_merchant_key=b"k"
    )
    assert sandbox.redelivery_delays() == pytest.approx([0.4, 1.0, 1.0, 6.0, 12.0, 36.0, 90.0])
    assert sandbox.alipay_public_key_pem.startswith(b"-----BEGIN PUBLIC KEY-----")  # generated at construction
    real_time = PaymentSandbox(
        app_id=APP_ID,
        seller_id=SELLER_ID,
        app_public_key_pem=app_public,
        bank_merchant_id="M",
        bank_merchant_key=b"k",
        time_scale=1,
        alipay_private_key_pem=new_rsa_key_pair()[0],
    )
    assert real_time.redelivery_delays() == [240, 600, 600, 3600, 7200, 21600, 54000]


def test_the_transport_serves_only_the_providers_requests(sandbox: PaymentSandbox) -> None:
    with pytest.raises(ValueError, match="does not serve"):
        sandbox.transport("https://pay.bank.example.com/pay", {"v_mid": MERCHANT})
    with pytest.raises(ValueError, match="does not serve"):
        sandbox.transport("https://example.com/", {})
