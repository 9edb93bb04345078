"""Alipay RSA2 provider, round trips through the local sandbox (R-PAY-1, R-PAY-2, R-PAY-3, R-PAY-5)."""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from urllib.parse import urlencode

import pytest

from chalicelib.domain.clock import SHANGHAI, FixedClock
from chalicelib.payments.alipay import (
    AlipayProvider,
    canonical_string,
    json_members,
    load_private_key,
    rsa2_sign,
)
from chalicelib.payments.base import NotificationRejected, ProviderError, TradeState
from devstack.payment_sandbox import PaymentSandbox, SandboxRefused
from tests.unit.payments.world import (
    ALIPAY_GATEWAY,
    APP_ID,
    EXPIRES,
    FORM,
    NOTIFY_URL,
    NOW,
    RETURN_URL,
    SELLER_ID,
    TITLE,
    Keys,
    form_of,
    new_sandbox,
    opened,
    pay_request,
    query_of,
)


@pytest.fixture
def provider(alipay: AlipayProvider) -> AlipayProvider:
    return alipay


def signed_by(private_pem: bytes, fields: Mapping[str, str]) -> bytes:
    """A notification body signed as Alipay signs one (sign and sign_type left out of the string)."""
    unsigned = {key: value for key, value in fields.items() if key != "sign"}
    signature = rsa2_sign(load_private_key(private_pem), canonical_string(unsigned, exclude=("sign", "sign_type")))
    return urlencode({**unsigned, "sign": signature}).encode("ascii")


def paid_notification(provider: AlipayProvider, sandbox: PaymentSandbox) -> dict[str, str]:
    opened(provider, sandbox)
    sandbox.pay("O-1", NOW + timedelta(minutes=5))
    body, _ = sandbox.notification("O-1", NOW + timedelta(minutes=5))
    return form_of(body)


# --- canonical strings, JSON answers -----------------------------------------------------------


def test_the_canonical_string_sorts_keys_and_drops_sign_and_empty_values() -> None:
    params = {"method": "alipay.trade.query", "app_id": "1", "sign": "x", "notify_url": "", "biz_content": '{"a":"b"}'}
    assert canonical_string(params) == 'app_id=1&biz_content={"a":"b"}&method=alipay.trade.query'
    assert canonical_string({"sign_type": "RSA2", "b": "2"}, exclude=("sign", "sign_type")) == "b=2"


def test_json_members_keep_the_exact_text_of_each_value() -> None:
    text = '{ "a_response" : {"code": "10000",  "msg":"成功"} ,\n"sign":"c2ln"}'
    members = json_members(text)
    assert members["a_response"][1] == '{"code": "10000",  "msg":"成功"}'
    assert members["sign"] == ("c2ln", '"c2ln"')


@pytest.mark.parametrize("text", ['{"a":1,"a":2}', "[1]", '{"a":1} x', '{"a" 1}', "{1:2}", ""])
def test_json_members_refuse_what_is_not_one_plain_object(text: str) -> None:
    with pytest.raises(ValueError):  # noqa: PT011 - each shape has its own message
        json_members(text)


# --- R-PAY-2: the pay URL ------------------------------------------------------------------------------


def test_r_pay_2_the_pay_url_is_signed_and_the_sandbox_opens_the_trade(
    provider: AlipayProvider, sandbox: PaymentSandbox
) -> None:
    url = provider.pay_url(pay_request())
    assert url.startswith(ALIPAY_GATEWAY + "?")
    params = query_of(url)
    assert params["app_id"] == APP_ID
    assert params["method"] == "alipay.trade.page.pay"
    assert (params["format"], params["charset"], params["sign_type"], params["version"]) == (
        "JSON",
        "utf-8",
        "RSA2",
        "1.0",
    )
    assert params["timestamp"] == "2098-09-01 10:00:00"
    assert params["notify_url"] == NOTIFY_URL
    assert params["return_url"] == RETURN_URL
    assert json.loads(params["biz_content"]) == {
        "out_trade_no": "O-1",
        "product_code": "FAST_INSTANT_TRADE_PAY",
        "total_amount": "80.00",
        "subject": TITLE,
        "time_expire": "2098-09-02 10:00:00",
    }
    trade = sandbox.open_trade(url, NOW)
    assert (trade.merchant_no, trade.amount, trade.state, trade.provider) == ("O-1", 8000, TradeState.OPEN, "alipay")
    assert trade.expires_at == EXPIRES
    assert trade.notify_url == NOTIFY_URL


def test_r_pay_2_phones_get_the_wap_pay_url(keys: Keys, sandbox: PaymentSandbox, clock: FixedClock) -> None:
    wap = AlipayProvider(
        APP_ID,
        keys.app_private,
        sandbox.alipay_public_key_pem,
        ALIPAY_GATEWAY,
        sandbox.transport,
        wap=True,
        clock=clock,
        seller_id=SELLER_ID,
    )
    params = query_of(wap.pay_url(pay_request()))
    assert params["method"] == "alipay.trade.wap.pay"
    assert json.loads(params["biz_content"])["product_code"] == "QUICK_WAP_WAY"
    assert sandbox.open_trade(wap.pay_url(pay_request()), NOW).amount == 8000


@pytest.mark.parametrize(
    "expires_at",
    [
        datetime(2098, 9, 2, 10, 0, 59, 999_999, tzinfo=SHANGHAI),
        datetime(2098, 9, 2, 2, 0, 59, 500_000, tzinfo=UTC),
        datetime(2098, 9, 2, 10, 0, tzinfo=SHANGHAI),
    ],
)
def test_r_pay_1_time_expire_is_never_after_expires_at(
    provider: AlipayProvider, sandbox: PaymentSandbox, expires_at: datetime
) -> None:
    url = provider.pay_url(pay_request(expires_at=expires_at))
    time_expire = json.loads(query_of(url)["biz_content"])["time_expire"]
    assert time_expire.startswith("2098-09-02 10:00:")  # Shanghai wall time, whatever the offset given
    trade = sandbox.open_trade(url, NOW)
    assert trade.expires_at <= expires_at
    assert expires_at - trade.expires_at < timedelta(seconds=1)


def test_a_pay_url_without_money_or_with_a_naive_expiry_is_a_bug(provider: AlipayProvider) -> None:
    with pytest.raises(ValueError, match="nothing to pay"):
        provider.pay_url(pay_request(amount=0))
    with pytest.raises(ValueError, match="offset"):
        provider.pay_url(pay_request(expires_at=datetime(2098, 9, 2, 10, 0)))


def test_r_pay_2_a_pay_url_tampered_in_the_browser_is_refused(
    provider: AlipayProvider, sandbox: PaymentSandbox
) -> None:
    params = query_of(provider.pay_url(pay_request()))
    params["biz_content"] = params["biz_content"].replace('"80.00"', '"0.01"')
    with pytest.raises(SandboxRefused, match="signature"):
        sandbox.open_trade(f"{ALIPAY_GATEWAY}?{urlencode(params)}", NOW)


# --- R-PAY-2: notifications ------------------------------------------------------------------------------


def test_r_pay_2_a_paid_notification_round_trips(provider: AlipayProvider, sandbox: PaymentSandbox) -> None:
    opened(provider, sandbox)
    paid = sandbox.pay("O-1", NOW + timedelta(minutes=5))
    body, content_type = sandbox.notification("O-1", NOW + timedelta(minutes=6))
    notification = provider.parse_notification(body, content_type)
    assert notification.merchant_no == "O-1"
    assert notification.amount == 8000
    assert notification.state is TradeState.PAID
    assert notification.provider_trade_no == paid.provider_trade_no
    assert notification.paid_at == NOW + timedelta(minutes=5)
    assert notification.raw["notify_type"] == "trade_status_sync"
    assert provider.acknowledge(True).body == "success"
    assert provider.acknowledge(False).body == "fail"
    assert provider.acknowledge(True).content_type.startswith("text/plain")


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("total_amount", "0.01"),
        ("out_trade_no", "O-2"),
        ("trade_status", "TRADE_FINISHED"),
        ("app_id", "2021999999999999"),
        ("trade_no", "2098090122000000000000000099"),
        ("gmt_payment", "2098-09-01 09:00:00"),
    ],
)
def test_r_pay_2_a_tampered_field_is_rejected(
    provider: AlipayProvider, sandbox: PaymentSandbox, field: str, value: str
) -> None:
    fields = paid_notification(provider, sandbox)
    fields[field] = value
    with pytest.raises(NotificationRejected, match="bad signature"):
        provider.parse_notification(urlencode(fields).encode("ascii"), FORM)


def test_r_pay_2_an_added_field_breaks_the_signature(provider: AlipayProvider, sandbox: PaymentSandbox) -> None:
    fields = paid_notification(provider, sandbox)
    fields["refund_fee"] = "80.00"
    with pytest.raises(NotificationRejected, match="bad signature"):
        provider.parse_notification(urlencode(fields).encode("ascii"), FORM)


@pytest.mark.parametrize("signature", ["", "not base64!", "c2lnbmF0dXJl", "签名"])
def test_r_pay_2_a_wrong_signature_is_rejected(
    provider: AlipayProvider, sandbox: PaymentSandbox, signature: str
) -> None:
    fields = paid_notification(provider, sandbox)
    fields["sign"] = signature
    with pytest.raises(NotificationRejected, match="sign"):
        provider.parse_notification(urlencode(fields).encode("utf-8"), FORM)


def test_r_pay_2_a_signature_by_another_key_is_rejected(
    keys: Keys, provider: AlipayProvider, sandbox: PaymentSandbox, clock: FixedClock
) -> None:
    impostor = new_sandbox(keys, clock, alipay_private=keys.other_private)
    impostor.open_trade(provider.pay_url(pay_request()), NOW)
    impostor.pay("O-1", NOW)
    with pytest.raises(NotificationRejected, match="bad signature"):
        provider.parse_notification(*impostor.notification("O-1", NOW))
    # the same fields, signed by the right key, pass: only the key was wrong
    fields = form_of(impostor.notification("O-1", NOW)[0])
    assert provider.parse_notification(signed_by(keys.alipay_private, fields), FORM).state is TradeState.PAID


def test_r_pay_2_another_app_id_is_rejected_even_when_alipay_signed_it(
    keys: Keys, provider: AlipayProvider, sandbox: PaymentSandbox
) -> None:
    fields = paid_notification(provider, sandbox)
    fields["app_id"] = "2021999999999999"
    with pytest.raises(NotificationRejected, match="app_id"):
        provider.parse_notification(signed_by(keys.alipay_private, fields), FORM)


@pytest.mark.parametrize("seller_id", ["2088999999999999", "", None])
def test_r_pay_2_a_notice_for_another_merchant_is_rejected_even_when_alipay_signed_it(
    keys: Keys, provider: AlipayProvider, sandbox: PaymentSandbox, seller_id: str | None
) -> None:
    """Alipay's notification checks: out_trade_no, total_amount, seller_id and app_id (one app may
    sign for several merchants). The reason never carries the other seller_id (it may be a person's)."""
    fields = paid_notification(provider, sandbox)
    assert fields["seller_id"] == SELLER_ID  # the sandbox sends the province's merchant
    if seller_id is None:
        del fields["seller_id"]
    else:
        fields["seller_id"] = seller_id
    with pytest.raises(NotificationRejected, match="seller_id") as rejected:
        provider.parse_notification(signed_by(keys.alipay_private, fields), FORM)
    assert "2088999999999999" not in rejected.value.reason


@pytest.mark.parametrize("seller_id", ["", "2088", "20880000000000011", "3088000000000001", "２０８８000000000001"])
def test_a_provider_needs_the_merchants_pid(keys: Keys, seller_id: str) -> None:
    with pytest.raises(ValueError, match="seller_id"):
        AlipayProvider(
            APP_ID, keys.app_private, keys.alipay_public, ALIPAY_GATEWAY, lambda u, f: b"", seller_id=seller_id
        )


@pytest.mark.parametrize("amount", ["80", "80.0", "80.000", "-80.00", "八十", "8e1"])
def test_r_pay_2_a_malformed_amount_is_rejected_even_when_signed(
    keys: Keys, provider: AlipayProvider, sandbox: PaymentSandbox, amount: str
) -> None:
    fields = paid_notification(provider, sandbox)
    fields["total_amount"] = amount
    with pytest.raises(NotificationRejected, match="malformed"):
        provider.parse_notification(signed_by(keys.alipay_private, fields), FORM)


@pytest.mark.parametrize("field", ["out_trade_no", "total_amount", "trade_status", "trade_no", "app_id", "seller_id"])
def test_r_pay_2_a_missing_field_is_rejected_even_when_signed(
    keys: Keys, provider: AlipayProvider, sandbox: PaymentSandbox, field: str
) -> None:
    fields = paid_notification(provider, sandbox)
    del fields[field]
    with pytest.raises(NotificationRejected):
        provider.parse_notification(signed_by(keys.alipay_private, fields), FORM)


@pytest.mark.parametrize(("field", "value"), [("trade_status", "TRADE_PENDING"), ("gmt_payment", "yesterday")])
def test_r_pay_2_an_unknown_status_or_bad_time_is_rejected_even_when_signed(
    keys: Keys, provider: AlipayProvider, sandbox: PaymentSandbox, field: str, value: str
) -> None:
    fields = paid_notification(provider, sandbox)
    fields[field] = value
    with pytest.raises(NotificationRejected):
        provider.parse_notification(signed_by(keys.alipay_private, fields), FORM)


@pytest.mark.parametrize(
    ("body", "content_type"),
    [
        (b'{"trade_status": "TRADE_SUCCESS"}', "application/json"),
        (b"out_trade_no=\xff\xfe", FORM),
        (b"out_trade_no=O-1&out_trade_no=O-2&sign=x", FORM),
        (b"", FORM),
        (b"&&=", FORM),
    ],
)
def test_r_pay_2_a_body_that_is_no_signed_form_is_rejected(
    provider: AlipayProvider, body: bytes, content_type: str
) -> None:
    with pytest.raises(NotificationRejected):
        provider.parse_notification(body, content_type)


# --- R-PAY-3: query, close, refund -------------------------------------------------------------------------


def test_r_pay_3_update_queries_the_trade(provider: AlipayProvider, sandbox: PaymentSandbox) -> None:
    assert provider.query("O-1").state is TradeState.UNKNOWN
    opened(provider, sandbox)
    assert provider.query("O-1").state is TradeState.OPEN
    paid = sandbox.pay("O-1", NOW)
    status = provider.query("O-1")
    assert (status.state, status.amount, status.provider_trade_no) == (TradeState.PAID, 8000, paid.provider_trade_no)


def test_r_pay_1_an_unpaid_trade_reads_closed_once_it_expires(
    provider: AlipayProvider, sandbox: PaymentSandbox, clock: FixedClock
) -> None:
    opened(provider, sandbox)
    clock.advance(24 * 3600)
    assert provider.query("O-1").state is TradeState.CLOSED


def test_r_pay_1_a_closed_trade_cannot_be_paid(provider: AlipayProvider, sandbox: PaymentSandbox) -> None:
    opened(provider, sandbox)
    assert provider.close("O-1").state is TradeState.CLOSED
    with pytest.raises(SandboxRefused, match="closed"):
        sandbox.pay("O-1", NOW)
    assert provider.query("O-1").state is TradeState.CLOSED


def test_closing_a_trade_paid_meanwhile_reports_it_paid(provider: AlipayProvider, sandbox: PaymentSandbox) -> None:
    opened(provider, sandbox)
    sandbox.pay("O-1", NOW)
    status = provider.close("O-1")
    assert (status.state, status.amount) == (TradeState.PAID, 8000)


def test_closing_a_trade_alipay_never_saw_reports_unknown(provider: AlipayProvider) -> None:
    assert provider.close("O-never").state is TradeState.UNKNOWN


def test_r_pay_5_a_paid_trade_is_refunded_and_a_retry_stays_refunded(
    provider: AlipayProvider, sandbox: PaymentSandbox
) -> None:
    opened(provider, sandbox)
    sandbox.pay("O-1", NOW)
    first = provider.refund("O-1", 8000, "重复支付")
    assert (first.state, first.amount) == (TradeState.REFUNDED, 8000)
    assert sandbox.trade("O-1").refund_request_no == "O-1-refund"
    again = provider.refund("O-1", 8000, "重复支付")  # fund_change N: confirmed by the refund query
    assert (again.state, again.amount) == (TradeState.REFUNDED, 8000)
    assert provider.query("O-1").state is TradeState.CLOSED  # Alipay closes a fully refunded trade
    with pytest.raises(SandboxRefused, match="refunded"):
        sandbox.pay("O-1", NOW)


def test_r_pay_3_only_a_paid_trade_is_refunded(provider: AlipayProvider, sandbox: PaymentSandbox) -> None:
    assert provider.refund("O-never", 8000, "重复支付").state is TradeState.UNKNOWN
    opened(provider, sandbox)
    assert provider.refund("O-1", 8000, "重复支付").state is TradeState.OPEN
    assert sandbox.trade("O-1").state is TradeState.OPEN


def test_a_refund_of_another_amount_is_a_provider_error(provider: AlipayProvider, sandbox: PaymentSandbox) -> None:
    opened(provider, sandbox)
    sandbox.pay("O-1", NOW)
    with pytest.raises(ProviderError, match="REFUND_AMT"):
        provider.refund("O-1", 100, "重复支付")
    assert sandbox.trade("O-1").state is TradeState.PAID


# --- answers that must not be believed ------------------------------------------------------------------


def test_an_unreachable_provider_is_a_provider_error(keys: Keys, sandbox: PaymentSandbox) -> None:
    def down(url: str, fields: Mapping[str, str]) -> bytes:
        raise OSError("connection refused")

    provider = AlipayProvider(
        APP_ID, keys.app_private, sandbox.alipay_public_key_pem, ALIPAY_GATEWAY, down, seller_id=SELLER_ID
    )
    with pytest.raises(ProviderError, match="connection refused"):
        provider.query("O-1")


def test_an_answer_signed_by_another_key_is_a_provider_error(keys: Keys, sandbox: PaymentSandbox) -> None:
    provider = AlipayProvider(
        APP_ID, keys.app_private, keys.other_public, ALIPAY_GATEWAY, sandbox.transport, seller_id=SELLER_ID
    )
    with pytest.raises(ProviderError, match="does not verify"):
        provider.query("O-1")


def test_a_request_signed_with_the_wrong_app_key_is_refused(keys: Keys, sandbox: PaymentSandbox) -> None:
    provider = AlipayProvider(
        APP_ID,
        keys.other_private,
        sandbox.alipay_public_key_pem,
        ALIPAY_GATEWAY,
        sandbox.transport,
        seller_id=SELLER_ID,
    )
    with pytest.raises(ProviderError, match="invalid-signature"):
        provider.query("O-1")


def canned(keys: Keys, body: str) -> AlipayProvider:
    """A provider whose transport answers `body`, whatever was asked."""
    return AlipayProvider(
        APP_ID,
        keys.app_private,
        keys.alipay_public,
        ALIPAY_GATEWAY,
        lambda url, fields: body.encode(),
        seller_id=SELLER_ID,
    )


def alipay_signed(keys: Keys, node_text: str) -> str:
    return rsa2_sign(load_private_key(keys.alipay_private), node_text)


def test_the_answer_signature_covers_the_node_text_exactly_as_sent(keys: Keys) -> None:
    node = '{ "code" : "10000", "msg": "Success", "out_trade_no": "O-1", "trade_status": "TRADE_SUCCESS",\n'
    node += ' "total_amount": "80.00", "trade_no": "T-1", "buyer_logon_id": "学生***" }'
    body = f'{{"alipay_trade_query_response": {node}, "sign": "{alipay_signed(keys, node)}"}}'
    assert canned(keys, body).query("O-1").state is TradeState.PAID
    compact = json.dumps(json.loads(node), separators=(",", ":"), ensure_ascii=False)
    resigned_elsewhere = body.replace(node, compact)  # same data, other text: the signature no longer fits
    with pytest.raises(ProviderError, match="does not verify"):
        canned(keys, resigned_elsewhere).query("O-1")


@pytest.mark.parametrize(
    "body",
    [
        "<html>502 Bad Gateway</html>",
        '{"error_response":{"code":"40002","msg":"Invalid Arguments","sub_code":"isv.invalid-app-id"}}',
        '{"alipay_trade_query_response":"x","sign":"c2ln"}',
        '{"alipay_trade_query_response":{"code":"10000"},"alipay_trade_query_response":{"code":"10000"},"sign":"x"}',
    ],
)
def test_an_unsigned_or_malformed_answer_is_a_provider_error(keys: Keys, body: str) -> None:
    with pytest.raises(ProviderError):
        canned(keys, body).query("O-1")


def test_an_answer_about_another_order_is_a_provider_error(keys: Keys) -> None:
    node = '{"code":"10000","msg":"Success","out_trade_no":"O-2","trade_status":"TRADE_SUCCESS","total_amount":"80.00"}'
    body = f'{{"alipay_trade_query_response":{node},"sign":"{alipay_signed(keys, node)}"}}'
    with pytest.raises(ProviderError, match="another order"):
        canned(keys, body).query("O-1")
