"""Money and forms as both providers speak them: fen inside, yuan with two decimals outside (R-PAY-2)."""

from __future__ import annotations

import pytest

from chalicelib.payments.base import NotificationRejected, ProviderError
from chalicelib.payments.forms import answer_fen, fen_to_yuan, notification_form, yuan_to_fen
from tests.unit.payments.world import FORM


@pytest.mark.parametrize(("fen", "yuan"), [(8000, "80.00"), (1, "0.01"), (99, "0.99"), (100, "1.00"), (3050, "30.50")])
def test_amounts_in_fen_round_trip_exactly(fen: int, yuan: str) -> None:
    assert fen_to_yuan(fen) == yuan
    assert yuan_to_fen(yuan) == fen


@pytest.mark.parametrize("text", ["80", "80.0", "80.000", "-1.00", "1e2", "080.00", " 80.00", "８０.００", "", "80,00"])
def test_an_amount_without_exactly_two_decimals_is_not_money(text: str) -> None:
    with pytest.raises(ValueError, match="two decimals"):
        yuan_to_fen(text)


@pytest.mark.parametrize(
    ("body", "content_type"),
    [(b"a=1&a=2", FORM), (b"\xff=1", FORM), (b"a=1", "application/json"), (b"a", FORM)],
)
def test_a_notification_that_is_no_clean_form_is_rejected(body: bytes, content_type: str) -> None:
    with pytest.raises(NotificationRejected, match="malformed body"):
        notification_form(body, content_type)


def test_a_notification_form_reads_as_fields() -> None:
    assert notification_form(b"trade_status=TRADE_SUCCESS&total_amount=80.00&memo=", FORM) == {
        "trade_status": "TRADE_SUCCESS",
        "total_amount": "80.00",
        "memo": "",
    }


def test_r_pay_3_an_amount_in_a_providers_answer_is_fen_or_none_never_a_guess() -> None:
    """R-PAY-3 (更新 asks the provider): both providers read an answer's amount the same way."""
    assert answer_fen({"v_amount": "80.00"}, "v_amount", "bank query") == 8000
    assert answer_fen({"v_amount": ""}, "v_amount", "bank query") is None
    assert answer_fen({}, "refund_fee", "alipay.trade.refund") is None
    with pytest.raises(ProviderError, match=r"^alipay.trade.query: malformed total_amount in answer"):
        answer_fen({"total_amount": "80"}, "total_amount", "alipay.trade.query")
