"""R-PAY-3 on a staging stack (decision 0038): the rehearsal plays Alipay with a key pair of its
own; the stack trusts its notices exactly as it trusts Alipay's, and nobody else's."""

from __future__ import annotations

import json
import stat
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

import pytest

from chalicelib.domain.clock import FixedClock
from chalicelib.payments.alipay import AlipayProvider, load_private_key, rsa2_sign
from chalicelib.payments.base import NotificationRejected, PaymentRequest, ProviderError, TradeState
from chalicelib.payments.gateways import build_providers
from chalicelib.payments.settings import PaymentSettings, with_rehearsal_key
from devstack.payment_sandbox import new_rsa_key_pair
from province import staging
from province.staging import Provider, StagingPaymentsError, captcha_answer, new_provider, paid_notice

NOW = datetime(2027, 8, 25, 2, 0, tzinfo=UTC)
NOTIFY = "https://cet-staging.zj.example.gov.cn/api/payments/alipay/notify"


SANDBOX_PRIVATE, SANDBOX_PUBLIC = new_rsa_key_pair()  # the Alipay sandbox's own key pair


def staging_payments(gateway: str = "https://openapi-sandbox.dl.alipaydev.com/gateway.do") -> dict[str, Any]:
    app_private, _ = new_rsa_key_pair()
    return {
        "alipay": {
            "app_id": "2021000122600000",
            "seller_id": "2088721000000000",
            "app_private_key": app_private.decode(),
            "public_key": SANDBOX_PUBLIC.decode(),
            "gateway_url": gateway,
        }
    }


def stage_trusting(payments: dict[str, Any], staging_stack: bool = True) -> AlipayProvider:
    """The stack's Alipay as chalicelib/payments/gateways.py builds it from the payment secret."""
    alipay = with_rehearsal_key(PaymentSettings(payments["alipay"], {}), staging=staging_stack).alipay

    def no_calls(url: str, fields: object) -> bytes:
        raise AssertionError("a notice is checked without calling Alipay")

    providers = build_providers(PaymentSettings(alipay, {}), no_calls, FixedClock(NOW))
    provider = providers["alipay"]
    assert isinstance(provider, AlipayProvider)
    return provider


def pay_url(stage: AlipayProvider, number: str = "2027082500000001", amount: int = 3000) -> str:
    request = PaymentRequest(number, amount, "CET4", NOW + timedelta(hours=24), NOTIFY, "https://x/return")
    return stage.pay_url(request)


def test_r_pay_3_a_staging_stack_takes_the_rehearsals_notice_as_alipays() -> None:
    provider, payments = new_provider(staging_payments())
    stage = stage_trusting(payments)
    notice = paid_notice(provider, pay_url(stage), NOW)
    assert notice.url == NOTIFY  # where the stack told Alipay to send it
    seen = stage.parse_notification(notice.body, notice.content_type)
    assert (seen.merchant_no, seen.amount, seen.state) == ("2027082500000001", 3000, TradeState.PAID)


def test_r_pay_3_a_notice_signed_with_another_rehearsals_key_is_refused() -> None:
    _, payments = new_provider(staging_payments())
    someone_else, _ = new_provider(staging_payments())
    stage = stage_trusting(payments)
    forged = Provider(someone_else.private_key_pem, stage.app_id, stage.seller_id)
    notice = paid_notice(forged, pay_url(stage), NOW)
    with pytest.raises(NotificationRejected, match="bad signature"):
        stage.parse_notification(notice.body, notice.content_type)


def test_r_pay_3_the_rehearsals_alipay_pays_only_the_amount_asked() -> None:
    provider, payments = new_provider(staging_payments())
    notice = paid_notice(provider, pay_url(stage_trusting(payments), amount=5500), NOW)
    fields = {name: values[0] for name, values in parse_qs(notice.body.decode()).items()}
    assert fields["total_amount"] == "55.00"


def test_r_pay_3_a_staging_stack_still_takes_the_sandboxs_own_notices() -> None:
    """A tester who pays one order in Alipay's sandbox by hand sees it paid too."""
    provider, payments = new_provider(staging_payments())
    stage = stage_trusting(payments)
    sandbox = Provider(SANDBOX_PRIVATE, provider.app_id, provider.seller_id)
    notice = paid_notice(sandbox, pay_url(stage), NOW)
    assert stage.parse_notification(notice.body, notice.content_type).state is TradeState.PAID


def test_r_pay_3_a_stack_that_is_not_a_staging_one_refuses_the_rehearsals_notices() -> None:
    """The province's real stack ignores a rehearsal key its payment secret names by mistake."""
    provider, payments = new_provider(staging_payments())
    stage = stage_trusting(payments, staging_stack=False)
    notice = paid_notice(provider, pay_url(stage), NOW)
    with pytest.raises(NotificationRejected, match="bad signature"):
        stage.parse_notification(notice.body, notice.content_type)


def signed_answer(private_key_pem: bytes, number: str) -> bytes:
    """alipay.trade.query's answer, as the gateway signs it."""
    node = {"code": "10000", "msg": "Success", "out_trade_no": number, "trade_status": "WAIT_BUYER_PAY"}
    node["total_amount"] = "30.00"
    text = json.dumps(node, separators=(",", ":"))
    signature = rsa2_sign(load_private_key(private_key_pem), text)
    return f'{{"alipay_trade_query_response":{text},"sign":"{signature}"}}'.encode()


def test_r_pay_3_the_rehearsals_key_never_checks_alipays_answers() -> None:
    """The stack's calls to the sandbox (query, close, refund) are checked with the sandbox's key:
    an answer signed with the rehearsal's is refused, the sandbox's is taken."""
    provider, payments = new_provider(staging_payments())
    for key, taken in ((provider.private_key_pem, False), (SANDBOX_PRIVATE, True)):
        answers = lambda url, fields, key=key: signed_answer(key, "2027082500000001")  # noqa: E731
        stage = build_providers(
            PaymentSettings(with_rehearsal_key(PaymentSettings(payments["alipay"], {}), staging=True).alipay, {}),
            answers,
            FixedClock(NOW),
        )["alipay"]
        if taken:
            assert stage.query("2027082500000001").state is TradeState.OPEN
        else:
            with pytest.raises(ProviderError, match="does not verify"):
                stage.query("2027082500000001")


@pytest.mark.parametrize(
    "gateway",
    [
        "https://openapi.alipay.com/gateway.do",
        "https://openapi.alipay.com./gateway.do",
        "https://intlmapi.alipay.com/gateway.do",
        "http://openapi-sandbox.dl.alipaydev.com/gateway.do",
        "https://alipaydev.com.example.cn/gateway.do",
        "",
    ],
)
def test_going_live_a_staging_stack_uses_alipays_sandbox_gateway_only(gateway: str) -> None:
    with pytest.raises(StagingPaymentsError, match="sandbox gateway"):
        new_provider(staging_payments(gateway))


def test_r_acc_2_the_rehearsal_answers_with_the_given_answer_or_its_key() -> None:
    assert captcha_answer({"captcha_id": "c1", "answer": "AB12"}, {}) == "AB12"  # test mode
    with_key = captcha_answer({"captcha_id": "c1"}, {staging.KEY_VARIABLE: "k" * 48})
    assert with_key is not None
    assert len(with_key) == 32
    assert captcha_answer({"captcha_id": "c1"}, {}) is None  # a stack the rehearsal cannot answer


def test_the_rehearsals_alipay_key_is_written_for_its_owner_only(tmp_path: Path) -> None:
    given = tmp_path / "given.json"
    given.write_text(json.dumps(staging_payments()), encoding="utf-8")
    assert staging.main(["--payments", str(given), "--out", str(tmp_path / "out")]) == 0
    for name in ("provider.json", "payments.json"):
        assert stat.S_IMODE((tmp_path / "out" / name).stat().st_mode) == 0o600, name
    provider = Provider.read(tmp_path / "out" / "provider.json")
    stage = stage_trusting(json.loads((tmp_path / "out" / "payments.json").read_text(encoding="utf-8")))
    notice = paid_notice(provider, pay_url(stage), NOW)
    assert stage.parse_notification(notice.body, notice.content_type).state is TradeState.PAID


def test_a_second_run_keeps_the_rehearsals_key_unless_forced(tmp_path: Path) -> None:
    """A new key pair would no longer match the staging secret already stored."""
    given = tmp_path / "given.json"
    given.write_text(json.dumps(staging_payments()), encoding="utf-8")
    out = ["--payments", str(given), "--out", str(tmp_path)]
    assert staging.main(out) == 0
    first = (tmp_path / "provider.json").read_text(encoding="utf-8")
    assert staging.main(out) == 2
    assert (tmp_path / "provider.json").read_text(encoding="utf-8") == first
    assert staging.main([*out, "--force"]) == 0
    assert (tmp_path / "provider.json").read_text(encoding="utf-8") != first
