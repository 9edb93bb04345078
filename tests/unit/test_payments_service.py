"""The payments service's edges that need no store (R-PAY-3)."""

from __future__ import annotations

import pytest

from chalicelib.api.requests import path_id
from chalicelib.domain.clock import FixedClock
from chalicelib.domain.errors import NotFound
from chalicelib.services import payments
from tests.factories import NOW


def test_r_pay_3_a_notification_for_a_provider_the_stage_does_not_offer_changes_nothing() -> None:
    ctx = payments.PaymentsContext(
        orders=None,  # type: ignore[arg-type]  # never reached: nothing may be read or written
        registrations=None,  # type: ignore[arg-type]
        providers={},
        clock=FixedClock(NOW),
        public_url="http://127.0.0.1:8000/api",
    )
    ack = payments.handle_notification(ctx, "alipay", b"out_trade_no=1&trade_status=TRADE_SUCCESS", "")
    assert ack.body == "fail"


@pytest.mark.parametrize("value", ["", "a" * 65, "../x", "订单", "a b", "a%2Fb"])
def test_path_ids_that_cannot_exist_are_not_found(value: str) -> None:
    with pytest.raises(NotFound):
        path_id(value, "订单")


def test_real_ids_pass() -> None:
    assert path_id("20261127f9f3f3c34f51a859abcd", "订单") == "20261127f9f3f3c34f51a859abcd"
    assert path_id("3152c7ac306a4b8e8e9c03206da5ed31", "复核申请") == "3152c7ac306a4b8e8e9c03206da5ed31"


def test_r_pay_3_update_for_a_provider_no_longer_offered_leaves_the_order_as_it_is() -> None:
    from datetime import timedelta

    from chalicelib.domain.orders import Order, OrderStatus

    order = Order("o1", "acc1", "NJU", "alipay", None, (), OrderStatus.OPEN, NOW, NOW + timedelta(hours=1))
    ctx = payments.PaymentsContext(
        orders=None,  # type: ignore[arg-type]  # never reached
        registrations=None,  # type: ignore[arg-type]
        providers={},
        clock=FixedClock(NOW),
        public_url="http://127.0.0.1:8000/api",
    )
    assert payments.refresh_order(ctx, order) is order
