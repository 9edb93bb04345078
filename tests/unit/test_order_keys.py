"""The order's copy in the account's partition sorts newest first (R-PAY-6), to the microsecond."""

from __future__ import annotations

from datetime import timedelta

from chalicelib.domain.orders import Order, OrderStatus
from chalicelib.storage.keys import order_entry_sk
from chalicelib.storage.orders import order_from_item, order_item
from tests.factories import NOW


def order(order_id: str, seconds: float) -> Order:
    created = NOW.replace(microsecond=0) + timedelta(seconds=seconds)
    return Order(order_id, "acc1", "NJU", "alipay", None, (), OrderStatus.OPEN, created, created + timedelta(hours=1))


def entry_sk(placed: Order) -> str:
    return order_entry_sk(placed.created_at, placed.order_id)


def test_r_pay_6_orders_placed_within_one_second_list_newest_first() -> None:
    """R-PAY-6: a paid order and the next one, placed in the same second, list newest first whatever
    their ids (the ids are random: "z…" would sort after "a…")."""
    first, second = order("zzz-first", 0.1), order("aaa-second", 0.9)
    assert sorted([entry_sk(first), entry_sk(second)], reverse=True) == [entry_sk(second), entry_sk(first)]


def test_r_pay_6_the_copys_key_is_the_same_when_the_order_is_read_back_and_written_again() -> None:
    """R-PAY-6: each transaction that changes an order rewrites its copy: the key made from the
    order read back from storage is the key it was first written under (no second copy)."""
    placed = order("o1", 0.123456)
    assert entry_sk(order_from_item(order_item(placed))) == entry_sk(placed)
