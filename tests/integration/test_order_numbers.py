"""R-PAY-6 order numbers: one claim per number, on both backends; never shared under concurrency."""

from __future__ import annotations

import itertools
from collections.abc import Callable
from datetime import timedelta

import pytest

from chalicelib.config import Settings
from chalicelib.domain.clock import SHANGHAI
from chalicelib.domain.orders import Order, OrderNumberTaken, OrderStatus
from chalicelib.services import payments
from chalicelib.storage.models import OpenOrderItem
from chalicelib.storage.orders import DynamoOrders
from chalicelib.storage.tables import bind_table
from tests import factories
from tests.race import all_at_once

DAY = factories.NOW.astimezone(SHANGHAI).strftime("%Y%m%d")
NUMBER = f"{DAY}00000001"


def no_pay_url(order: Order) -> str:  # the provider is not reached here
    return ""


def an_order(account_id: str, number: str | None = NUMBER) -> Order:
    return Order(
        order_id=f"20261127{account_id}",
        account_id=account_id,
        school_id="NJU",
        provider="alipay",
        bank=None,
        subjects=(),
        status=OrderStatus.OPEN,
        created_at=factories.NOW,
        expires_at=factories.NOW + timedelta(hours=1),
        number=number,
    )


def test_r_pay_6_a_number_another_order_holds_is_refused_and_nothing_is_written(table: Settings) -> None:
    bind_table(table)
    orders = DynamoOrders()
    orders.create(an_order("acc1"))

    with pytest.raises(OrderNumberTaken):
        orders.create(an_order("acc2"))

    assert orders.get("20261127acc2") is None
    assert orders.open_order_of("acc2") is None
    assert orders.orders_of("acc2") == []
    assert [o.number for o in orders.orders_of("acc1")] == [NUMBER]


def test_r_pay_6_a_drawn_number_already_taken_is_drawn_again(table: Settings) -> None:
    bind_table(table)
    orders = DynamoOrders()
    orders.create(an_order("acc1"))
    draws = iter([1, 1, 2])  # the second order draws the first's number, then another
    ctx = payments.PaymentsContext(orders, None, {}, None, "", draw=lambda _: next(draws))  # type: ignore[arg-type]

    created = payments._create_numbered(ctx, an_order("acc2", None), no_pay_url)

    assert created.number == f"{DAY}00000002"
    assert orders.get("20261127acc2") == created


def test_r_pay_6_an_old_order_gets_its_number_once(table: Settings) -> None:
    bind_table(table)
    orders = DynamoOrders()
    old = an_order("acc1", None)
    orders.create(old)
    numbered = orders.assign_number(old, f"{DAY}00000009")

    assert numbered is not None
    assert numbered.number == f"{DAY}00000009"
    assert orders.assign_number(old, f"{DAY}00000010") is None  # numbered already: read it again
    assert (orders.get(old.order_id) or old).number == f"{DAY}00000009"
    assert [o.number for o in orders.orders_of("acc1")] == [f"{DAY}00000009"]


@pytest.mark.dynamodb_local
def test_r_pay_6_orders_placed_at_once_with_the_same_number_one_gets_it(local_table: Settings) -> None:
    bind_table(local_table)
    orders = DynamoOrders()
    accounts = [f"acc{i}" for i in range(8)]

    def create(account_id: str) -> Callable[[], str]:
        def attempt() -> str:
            try:
                orders.create(an_order(account_id))
            except OrderNumberTaken:
                return "taken"
            return "created"

        return attempt

    outcomes = all_at_once([create(a) for a in accounts])

    assert sorted(map(str, outcomes)) == ["created"] + ["taken"] * 7
    holders = [a for a in accounts if orders.get(f"20261127{a}") is not None]
    assert len(holders) == 1
    assert all(OpenOrderItem.count(f"ACCOUNT#{a}") == (a in holders) for a in accounts)


@pytest.mark.dynamodb_local
def test_r_pay_6_orders_placed_at_once_all_get_different_numbers(local_table: Settings) -> None:
    """The first four draws are the same number: the claims keep every number distinct."""
    bind_table(local_table)
    orders = DynamoOrders()
    counter = itertools.count()
    ctx = payments.PaymentsContext(orders, None, {}, None, "", draw=lambda _: next(counter) // 4)  # type: ignore[arg-type]

    placed = all_at_once(
        [lambda a=a: payments._create_numbered(ctx, an_order(a, None), no_pay_url) for a in ["a", "b", "c", "d"]]
    )

    numbers = [o.number for o in placed if isinstance(o, Order)]
    assert len(numbers) == 4
    assert len(set(numbers)) == 4
