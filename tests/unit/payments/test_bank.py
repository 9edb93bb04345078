"""The PayEase-style bank gateway provider through the local sandbox (R-PAY-1, R-PAY-2, R-PAY-3, R-PAY-5)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from urllib.parse import urlencode

import pytest

from chalicelib.domain.clock import SHANGHAI, FixedClock
from chalicelib.payments.bank import BANKS, BankGatewayProvider, mac
from chalicelib.payments.base import NotificationRejected, ProviderError, TradeState
from devstack.payment_sandbox import PaymentSandbox, SandboxRefused
from tests.unit.payments.world import (
    BANK_GATEWAY,
    BANK_KEY,
    EXPIRES,
    FORM,
    MERCHANT,
    NOTIFY_URL,
    NOW,
    RETURN_URL,
    form_of,
    opened,
    pay_request,
    query_of,
)


@pytest.fixture
def provider(bank: BankGatewayProvider) -> BankGatewayProvider:
    return bank


def paid_notification(provider: BankGatewayProvider, sandbox: PaymentSandbox) -> dict[str, str]:
    opened(provider, sandbox)
    sandbox.pay("O-1", NOW)
    return form_of(sandbox.notification("O-1", NOW)[0])


def resigned(fields: Mapping[str, str], key: bytes = BANK_KEY) -> bytes:
    """The bank's two MACs recomputed over the fields as they are now."""
    signed = dict(fields)
    signed["v_md5str"] = mac(key, signed["v_oid"] + signed["v_pstatus"] + signed["v_pstring"] + signed["v_pmode"])
    signed["v_md5money"] = mac(key, signed["v_amount"] + signed["v_moneytype"])
    return urlencode(signed).encode("utf-8")


# --- R-PAY-2: the pay form ---------------------------------------------------------------------------------


def test_r_pay_2_the_pay_url_carries_the_payease_fields_and_the_sandbox_opens_it(
    provider: BankGatewayProvider, sandbox: PaymentSandbox
) -> None:
    url = provider.pay_url(pay_request())
    assert url.startswith(BANK_GATEWAY + "/pay?")
    fields = query_of(url)
    assert fields["v_mid"] == MERCHANT
    assert fields["v_oid"] == "O-1"
    assert fields["v_ymd"] == "20980901"
    assert fields["v_amount"] == "80.00"
    assert fields["v_moneytype"] == "0"
    assert fields["v_expire"] == "20980902100000"
    assert fields["v_bank"] == "ICBC"
    assert fields["v_url"] == RETURN_URL
    assert fields["v_notify"] == NOTIFY_URL
    assert len(fields["v_md5info"]) == 64  # HMAC-SHA256, hex
    trade = sandbox.open_trade(url, NOW)
    assert (trade.merchant_no, trade.amount, trade.state, trade.provider, trade.bank) == (
        "O-1",
        8000,
        TradeState.OPEN,
        "bank",
        "ICBC",
    )
    assert trade.expires_at == EXPIRES


@pytest.mark.parametrize("chosen", [None, "", "HSBC", "icbc"])
def test_r_pay_2_the_student_must_choose_a_known_bank(provider: BankGatewayProvider, chosen: str | None) -> None:
    with pytest.raises(ValueError, match="unknown bank"):
        provider.pay_url(pay_request(bank=chosen))


def test_the_bank_list_names_the_big_banks_in_chinese() -> None:
    assert BANKS["ICBC"] == "中国工商银行"
    assert {"CCB", "ABC", "BOC", "CMB", "BOCOM"} <= set(BANKS)


@pytest.mark.parametrize(
    "expires_at",
    [datetime(2098, 9, 2, 10, 0, 59, 999_999, tzinfo=SHANGHAI), datetime(2098, 9, 2, 2, 0, 59, 1, tzinfo=UTC)],
)
def test_r_pay_1_v_expire_is_never_after_expires_at(
    provider: BankGatewayProvider, sandbox: PaymentSandbox, expires_at: datetime
) -> None:
    url = provider.pay_url(pay_request(expires_at=expires_at))
    assert query_of(url)["v_expire"] == "20980902100059"
    assert sandbox.open_trade(url, NOW).expires_at <= expires_at


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("v_amount", "0.01"),
        ("v_expire", "20991231235959"),  # PayEase left this out of the MAC; we do not
        ("v_notify", "https://evil.example.com/"),
        ("v_oid", "O-2"),
        ("v_bank", "CCB"),
    ],
)
def test_r_pay_2_a_pay_url_tampered_in_the_browser_is_refused(
    provider: BankGatewayProvider, sandbox: PaymentSandbox, field: str, value: str
) -> None:
    fields = query_of(provider.pay_url(pay_request()))
    fields[field] = value
    with pytest.raises(SandboxRefused, match="v_md5info"):
        sandbox.open_trade(f"{BANK_GATEWAY}/pay?{urlencode(fields)}", NOW)


# --- R-PAY-2: notifications ----------------------------------------------------------------------------------


def test_r_pay_2_a_paid_notification_round_trips(provider: BankGatewayProvider, sandbox: PaymentSandbox) -> None:
    fields = paid_notification(provider, sandbox)
    assert (fields["v_pstatus"], fields["v_pmode"]) == ("20", "中国工商银行")
    notification = provider.parse_notification(urlencode(fields).encode("utf-8"), FORM)
    assert (notification.merchant_no, notification.amount, notification.state) == ("O-1", 8000, TradeState.PAID)
    assert notification.provider_trade_no == "O-1"
    assert provider.acknowledge(True).body == "sent"
    assert provider.acknowledge(False).body == "error"


@pytest.mark.parametrize(
    ("field", "value", "reason"),
    [
        ("v_oid", "O-2", "v_md5str"),
        ("v_pstring", "支付完成", "v_md5str"),
        ("v_pmode", "中国银行", "v_md5str"),
        ("v_amount", "0.01", "v_md5money"),
        ("v_moneytype", "1", "v_md5money"),
        ("v_md5str", "0" * 64, "v_md5str"),
        ("v_md5money", "不是MAC", "v_md5money"),
    ],
)
def test_r_pay_2_a_tampered_field_is_rejected(
    provider: BankGatewayProvider, sandbox: PaymentSandbox, field: str, value: str, reason: str
) -> None:
    fields = paid_notification(provider, sandbox)
    fields[field] = value
    with pytest.raises(NotificationRejected, match=reason):
        provider.parse_notification(urlencode(fields).encode("utf-8"), FORM)


def test_r_pay_2_a_closed_trade_notification_turned_paid_is_rejected(
    provider: BankGatewayProvider, sandbox: PaymentSandbox
) -> None:
    opened(provider, sandbox)
    fields = form_of(sandbox.notification("O-1", EXPIRES)[0])
    assert fields["v_pstatus"] == "30"
    fields["v_pstatus"] = "20"
    with pytest.raises(NotificationRejected, match="v_md5str"):
        provider.parse_notification(urlencode(fields).encode("utf-8"), FORM)


def test_r_pay_2_macs_by_another_key_are_rejected(provider: BankGatewayProvider, sandbox: PaymentSandbox) -> None:
    fields = paid_notification(provider, sandbox)
    with pytest.raises(NotificationRejected, match="v_md5str"):
        provider.parse_notification(resigned(fields, key=b"another merchant's key"), FORM)
    assert provider.parse_notification(resigned(fields), FORM).state is TradeState.PAID


@pytest.mark.parametrize("amount", ["80", "80.0", "80.000", "-80.00", "八十"])
def test_r_pay_2_a_malformed_amount_is_rejected_even_when_signed(
    provider: BankGatewayProvider, sandbox: PaymentSandbox, amount: str
) -> None:
    fields = paid_notification(provider, sandbox)
    fields["v_amount"] = amount
    with pytest.raises(NotificationRejected, match="v_amount"):
        provider.parse_notification(resigned(fields), FORM)


@pytest.mark.parametrize(("field", "value"), [("v_pstatus", "99"), ("v_pstatus", "0"), ("v_moneytype", "1")])
def test_r_pay_2_an_unknown_status_or_currency_is_rejected_even_when_signed(
    provider: BankGatewayProvider, sandbox: PaymentSandbox, field: str, value: str
) -> None:
    fields = paid_notification(provider, sandbox)
    fields[field] = value
    with pytest.raises(NotificationRejected):
        provider.parse_notification(resigned(fields), FORM)


@pytest.mark.parametrize(
    "field", ["v_oid", "v_pstatus", "v_pstring", "v_pmode", "v_amount", "v_moneytype", "v_md5str", "v_md5money"]
)
def test_r_pay_2_a_missing_field_is_rejected(
    provider: BankGatewayProvider, sandbox: PaymentSandbox, field: str
) -> None:
    fields = paid_notification(provider, sandbox)
    del fields[field]
    with pytest.raises(NotificationRejected, match=f"missing {field}|{field}"):
        provider.parse_notification(urlencode(fields).encode("utf-8"), FORM)


def test_r_pay_2_a_body_that_is_not_a_form_is_rejected(provider: BankGatewayProvider) -> None:
    with pytest.raises(NotificationRejected, match="form"):
        provider.parse_notification(b'{"v_oid": "O-1"}', "application/json")
    with pytest.raises(NotificationRejected, match="malformed"):
        provider.parse_notification(b"v_oid=\xff", FORM)


# --- R-PAY-3: query, close, refund ---------------------------------------------------------------------------


def test_r_pay_3_update_queries_the_trade(provider: BankGatewayProvider, sandbox: PaymentSandbox) -> None:
    unknown = provider.query("O-1")
    assert (unknown.state, unknown.amount, unknown.provider_trade_no) == (TradeState.UNKNOWN, None, None)
    opened(provider, sandbox)
    assert provider.query("O-1").state is TradeState.OPEN
    sandbox.pay("O-1", NOW)
    paid = provider.query("O-1")
    assert (paid.state, paid.amount, paid.provider_trade_no) == (TradeState.PAID, 8000, "O-1")


def test_r_pay_1_a_closed_or_expired_trade_cannot_be_paid(
    provider: BankGatewayProvider, sandbox: PaymentSandbox, clock: FixedClock
) -> None:
    opened(provider, sandbox, "O-closed")
    opened(provider, sandbox, "O-late")
    assert provider.close("O-closed").state is TradeState.CLOSED
    with pytest.raises(SandboxRefused, match="closed"):
        sandbox.pay("O-closed", NOW)
    clock.advance(24 * 3600)
    assert provider.query("O-late").state is TradeState.CLOSED
    with pytest.raises(SandboxRefused):
        sandbox.pay("O-late", EXPIRES)


def test_closing_a_trade_paid_meanwhile_reports_it_paid(provider: BankGatewayProvider, sandbox: PaymentSandbox) -> None:
    opened(provider, sandbox)
    sandbox.pay("O-1", NOW)
    assert provider.close("O-1").state is TradeState.PAID


def test_r_pay_5_a_paid_trade_is_refunded_once_and_a_retry_stays_refunded(
    provider: BankGatewayProvider, sandbox: PaymentSandbox
) -> None:
    opened(provider, sandbox)
    sandbox.pay("O-1", NOW)
    assert provider.refund("O-1", 8000, "重复支付").state is TradeState.REFUNDED
    assert provider.refund("O-1", 8000, "重复支付").state is TradeState.REFUNDED
    assert provider.query("O-1").state is TradeState.REFUNDED


def test_r_pay_3_only_a_paid_trade_is_refunded_and_only_whole(
    provider: BankGatewayProvider, sandbox: PaymentSandbox
) -> None:
    assert provider.refund("O-never", 8000, "重复支付").state is TradeState.UNKNOWN
    opened(provider, sandbox)
    assert provider.refund("O-1", 8000, "重复支付").state is TradeState.OPEN
    sandbox.pay("O-1", NOW)
    assert provider.refund("O-1", 100, "重复支付").state is TradeState.PAID


def test_an_unreachable_gateway_is_a_provider_error() -> None:
    def down(url: str, fields: Mapping[str, str]) -> bytes:
        raise TimeoutError("read timed out")

    with pytest.raises(ProviderError, match="timed out"):
        BankGatewayProvider(MERCHANT, BANK_KEY, BANK_GATEWAY, down).query("O-1")


def test_a_request_signed_with_another_key_is_refused(sandbox: PaymentSandbox) -> None:
    provider = BankGatewayProvider(MERCHANT, b"wrong key", BANK_GATEWAY, sandbox.transport)
    with pytest.raises(ProviderError, match="does not verify"):
        provider.query("O-1")


@pytest.mark.parametrize(
    ("answer", "key"),
    [
        ({"v_mid": MERCHANT, "v_oid": "O-1", "v_pstatus": "20", "v_amount": "80.00"}, b"another key"),
        ({"v_mid": MERCHANT, "v_oid": "O-2", "v_pstatus": "20", "v_amount": "80.00"}, BANK_KEY),  # another order
        ({"v_mid": "9999", "v_oid": "O-1", "v_pstatus": "20", "v_amount": "80.00"}, BANK_KEY),  # another merchant
        ({"v_mid": MERCHANT, "v_oid": "O-1", "v_pstatus": "7"}, BANK_KEY),
        ({"v_mid": MERCHANT, "v_oid": "O-1", "v_pstatus": "20", "v_amount": "80"}, BANK_KEY),
        ({"v_error": "系统繁忙"}, None),  # unsigned
    ],
)
def test_an_answer_that_must_not_be_believed_is_a_provider_error(answer: dict[str, str], key: bytes | None) -> None:
    text = "&".join(f"{k}={v}" for k, v in sorted(answer.items()))
    body = urlencode({**answer, "v_sign": mac(key, text)} if key else answer).encode("utf-8")
    provider = BankGatewayProvider(MERCHANT, BANK_KEY, BANK_GATEWAY, lambda url, fields: body)
    with pytest.raises(ProviderError):
        provider.query("O-1")


def test_a_signed_answer_is_believed() -> None:
    answer = {"v_mid": MERCHANT, "v_oid": "O-1", "v_pstatus": "20", "v_amount": "80.00"}
    text = "&".join(f"{k}={v}" for k, v in sorted(answer.items()))
    body = urlencode({**answer, "v_sign": mac(BANK_KEY, text)}).encode("utf-8")
    status = BankGatewayProvider(MERCHANT, BANK_KEY, BANK_GATEWAY, lambda url, fields: body).query("O-1")
    assert (status.state, status.amount) == (TradeState.PAID, 8000)
