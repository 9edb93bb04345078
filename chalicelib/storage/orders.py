"""Orders, their settlement and late payments: each state change is one conditional transaction."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import replace
from datetime import datetime
from typing import Any

from pynamodb.exceptions import DoesNotExist
from pynamodb.expressions.update import Action

from chalicelib.domain.catalog import SubjectKind
from chalicelib.domain.clock import iso, parse_iso, precise_iso
from chalicelib.domain.errors import OrderOpen
from chalicelib.domain.orders import (
    LateOutcome,
    Order,
    OrderNumberTaken,
    OrderStatus,
    Settlement,
)
from chalicelib.domain.registration import ChosenSubject, SubjectStatus
from chalicelib.domain.room_plan import sitters_paid
from chalicelib.storage import codec, figures, keys
from chalicelib.storage.models import (
    OpenOrderItem,
    OrderItem,
    OrderNumberItem,
    SubjectItem,
)
from chalicelib.storage.registrations import touch_registration
from chalicelib.storage.room_plan import put_sitters
from chalicelib.storage.tables import connection
from chalicelib.storage.transactions import ConditionsFailed, Txn, run

SETTLEABLE = (OrderStatus.OPEN.value, OrderStatus.CLOSED.value)


def _hold_json(hold: ChosenSubject) -> dict[str, Any]:
    return {
        "code": hold.code,
        "kind": hold.kind.value,
        "level": hold.level,
        "fee": hold.fee,
        "chosen_at": iso(hold.chosen_at),
        "pay_by": iso(hold.pay_by) if hold.pay_by else None,
        "hold_id": hold.hold_id,
        "campus_id": hold.campus_id,
    }


def _hold_from_json(data: dict[str, Any]) -> ChosenSubject:
    return ChosenSubject(
        code=data["code"],
        kind=SubjectKind(data["kind"]),
        level=int(data["level"]),
        fee=int(data["fee"]),
        status=SubjectStatus.UNPAID,
        chosen_at=parse_iso(data["chosen_at"]),
        pay_by=parse_iso(data["pay_by"]) if data["pay_by"] else None,
        hold_id=data["hold_id"],
        campus_id=data["campus_id"],
    )


# The GSI1 queues of orders still needing the provider: open orders (reconcile), refunds (retries).
OrderQueue = Callable[[int], str]


def _queue_keys(order: Order, queue: OrderQueue) -> tuple[str, str]:
    return keys.order_queue_keys(queue, order.created_at, order.order_id)


def order_item(order: Order) -> OrderItem:
    gsi1pk, gsi1sk = _queue_keys(order, keys.open_orders_pk) if order.status is OrderStatus.OPEN else (None, None)
    return OrderItem(
        keys.order_pk(order.order_id),
        keys.ORDER_SK,
        gsi1pk=gsi1pk,
        gsi1sk=gsi1sk,
        order_id=order.order_id,
        account_id=order.account_id,
        school_id=order.school_id,
        provider=order.provider,
        bank=order.bank,
        subjects=json.dumps([_hold_json(s) for s in order.subjects]),
        status=order.status.value,
        created_at=precise_iso(order.created_at),  # orders of one second still list newest first
        expires_at=iso(order.expires_at),
        pay_url=order.pay_url,
        paid_at=iso(order.paid_at) if order.paid_at else None,
        provider_trade_no=order.provider_trade_no,
        late=order.late.value if order.late else None,
        candidate=json.dumps(codec.roll_to_json(order.candidate), ensure_ascii=False) if order.candidate else None,
        number=order.number,
        merchant_no=order.merchant_no,
    )


def entry_item(order: Order) -> OrderItem:
    """R-PAY-6: the order's copy in the account's partition, so one query lists every order.

    Lean on purpose (every request of the student reads that partition): no pay URL, no candidate
    snapshot; never in an index queue. Written in each transaction that changes the order.
    """
    lean = replace(order, pay_url="", candidate=None)
    item = order_item(replace(lean, status=OrderStatus.CLOSED))  # no queue keys
    item.pk, item.sk = keys.account_pk(order.account_id), keys.order_entry_sk(order.created_at, order.order_id)
    item.status = order.status.value
    return item


def order_from_item(item: OrderItem) -> Order:
    return Order(
        order_id=item.order_id,
        account_id=item.account_id,
        school_id=item.school_id,
        provider=item.provider,
        bank=item.bank,
        subjects=tuple(_hold_from_json(s) for s in json.loads(item.subjects)),
        status=OrderStatus(item.status),
        created_at=parse_iso(item.created_at),
        expires_at=parse_iso(item.expires_at),
        pay_url=item.pay_url or "",
        paid_at=parse_iso(item.paid_at) if item.paid_at else None,
        provider_trade_no=item.provider_trade_no,
        late=LateOutcome(item.late) if item.late else None,
        candidate=codec.roll_from_json(json.loads(item.candidate)) if item.candidate else None,
        number=item.number,
        merchant_no=item.merchant_no,
    )


class DynamoOrders:
    def create(self, order: Order) -> None:
        """One open order per account (R-PAY-2): the lock and the order go in together, with the
        claim on its number (R-PAY-6) and its copy in the account's partition."""
        lock = OpenOrderItem(keys.account_pk(order.account_id), keys.OPENORDER_SK, order_id=order.order_id)

        def build(txn: Txn) -> None:
            txn.put("order", order_item(order), OrderItem.pk.does_not_exist())
            txn.put("lock", lock, OpenOrderItem.pk.does_not_exist())
            _claim_number(txn, order)
            txn.put("entry", entry_item(order))
            figures.order_placed(txn, order)  # R-OPS-1

        try:
            run(connection(), build)
        except ConditionsFailed as failed:
            if failed.labels == {"number"}:
                raise OrderNumberTaken() from None
            raise OrderOpen() from None

    def assign_number(self, order: Order, number: str) -> Order | None:
        """R-PAY-6 for an order made before numbers: claimed like a new one, once. The order as it
        is now, or None when it changed meanwhile (read it again)."""
        numbered = replace(order, number=number)

        def build(txn: Txn) -> None:
            unchanged = OrderItem.number.does_not_exist() & (OrderItem.status == order.status.value)
            item = OrderItem(keys.order_pk(order.order_id), keys.ORDER_SK)
            txn.update("order", item, [OrderItem.number.set(number)], unchanged)
            _claim_number(txn, numbered)
            txn.put("entry", entry_item(numbered))

        try:
            run(connection(), build)
        except ConditionsFailed as failed:
            if "order" in failed.labels:
                return None
            raise OrderNumberTaken() from None
        return numbered

    def orders_of(self, account_id: str) -> list[Order]:
        """R-PAY-6: every order the account placed, newest first, by one query of its partition."""
        items = OrderItem.query(
            keys.account_pk(account_id), OrderItem.sk.startswith(keys.ORDER_ENTRIES_PREFIX), scan_index_forward=False
        )
        return [order_from_item(item) for item in items if isinstance(item, OrderItem)]

    def get(self, order_id: str, consistent: bool = False) -> Order | None:
        """`consistent`: as the last write left it (a settlement reading again an order that moved)."""
        try:
            return order_from_item(OrderItem.get(keys.order_pk(order_id), keys.ORDER_SK, consistent_read=consistent))
        except DoesNotExist:
            return None

    def numbered(self, number: str) -> str | None:
        """R-PAY-7: the id of the order that holds this number (its claim), or None."""
        try:
            return OrderNumberItem.get(keys.order_number_pk(number), keys.ORDERNO_SK).order_id
        except DoesNotExist:
            return None

    def open_order_of(self, account_id: str) -> str | None:
        try:
            return OpenOrderItem.get(keys.account_pk(account_id), keys.OPENORDER_SK).order_id
        except DoesNotExist:
            return None

    def close(self, order: Order) -> bool:
        """An unpaid order ends: the account may open another. False if it was not open."""

        def build(txn: Txn) -> None:
            actions: list[Action] = [
                OrderItem.status.set(OrderStatus.CLOSED.value),
                OrderItem.gsi1pk.remove(),
                OrderItem.gsi1sk.remove(),
            ]
            txn.update(
                "order", OrderItem(keys.order_pk(order.order_id), keys.ORDER_SK), actions, OrderItem.status == "open"
            )
            _unlock(txn, order)
            txn.put("entry", entry_item(replace(order, status=OrderStatus.CLOSED)))
            figures.order_moved(txn, replace(order, status=OrderStatus.OPEN), OrderStatus.CLOSED)

        try:
            run(connection(), build)
        except ConditionsFailed:
            return False
        return True

    def settle(self, order: Order, trade_no: str, now: datetime) -> Settlement:
        """R-PAY-3: the order's holds become paid subjects, once, in one transaction."""

        def build(txn: Txn) -> None:
            mark_order(txn, order, OrderStatus.PAID, trade_no, now, None)
            for hold in order.subjects:
                item = SubjectItem(keys.account_pk(order.account_id), keys.subject_sk(hold.slot))
                same_unpaid = (SubjectItem.hold_id == hold.hold_id) & (SubjectItem.status == "unpaid")
                txn.update(f"hold:{hold.hold_id}", item, _paid_actions(), same_unpaid)
            registration_paid(txn, order.account_id)
            if order.candidate is not None:
                put_sitters(txn, sitters_paid(order.account_id, order.candidate, order.subjects, now))

        return _settled_by(build)

    def open_orders_before(self, moment: datetime) -> list[Order]:
        """Open orders created before `moment` (GSI1, sharded): for the reconcile job."""
        return _queued(keys.open_orders_pk, moment)

    def refunds_pending(self, moment: datetime) -> list[Order]:
        """Late payments whose refund the provider has not confirmed yet (R-PAY-5)."""
        return _queued(keys.refunds_pk, moment)


def _queued(queue: OrderQueue, before: datetime) -> list[Order]:
    found: list[Order] = []
    for shard in range(keys.ORDER_QUEUE_SHARDS):
        for item in OrderItem.by_group.query(queue(shard), OrderItem.gsi1sk < iso(before)):
            if isinstance(item, OrderItem):
                found.append(order_from_item(item))
    return found


def _settled_by(build: Callable[[Txn], None]) -> Settlement:
    try:
        run(connection(), build)
    except ConditionsFailed as failed:
        return settlement_of(failed)
    return Settlement.PAID


def settlement_of(failed: ConditionsFailed) -> Settlement:
    """A settlement's transaction that did not commit, by the condition that failed: the order's
    (someone settled it first); else the lock's, for an order read open (closed since: nothing may be
    decided on that read); else a hold's, a slot's or a seat's."""
    if "order" in failed.labels:
        return Settlement.ALREADY
    return Settlement.ORDER_MOVED if "lock" in failed.labels else Settlement.HOLDS_CHANGED


def _claim_number(txn: Txn, order: Order) -> None:
    if order.number is not None:
        claim = OrderNumberItem(keys.order_number_pk(order.number), keys.ORDERNO_SK, order_id=order.order_id)
        txn.put("number", claim, OrderNumberItem.pk.does_not_exist())


def _unlock(txn: Txn, order: Order) -> None:
    lock = OpenOrderItem(keys.account_pk(order.account_id), keys.OPENORDER_SK)
    txn.delete("lock", lock, OpenOrderItem.order_id == order.order_id)


def mark_order(
    txn: Txn, order: Order, status: OrderStatus, trade_no: str, now: datetime, late: LateOutcome | None
) -> None:
    actions: list[Action] = [
        OrderItem.status.set(status.value),
        OrderItem.paid_at.set(iso(now)),
        OrderItem.provider_trade_no.set(trade_no),
    ]
    if late is LateOutcome.REFUND_PENDING:  # from the open-orders queue to the refunds queue
        pk, sk = _queue_keys(order, keys.refunds_pk)
        actions += [OrderItem.gsi1pk.set(pk), OrderItem.gsi1sk.set(sk)]
    else:
        actions += [OrderItem.gsi1pk.remove(), OrderItem.gsi1sk.remove()]
    if late is not None:
        actions.append(OrderItem.late.set(late.value))
    settleable = OrderItem.status.is_in(*SETTLEABLE)
    txn.update("order", OrderItem(keys.order_pk(order.order_id), keys.ORDER_SK), actions, settleable)
    if order.status is OrderStatus.OPEN:
        _unlock(txn, order)
    after = replace(order, status=status, paid_at=now, provider_trade_no=trade_no, late=late or order.late)
    txn.put("entry", entry_item(after))  # the order's condition decides; the copy follows it
    if order.status.value in SETTLEABLE:
        # R-OPS-1: it leaves the status it was read in. Read open, the lock's condition (it exists
        # exactly while the order is open) holds only if it still is; read closed, it cannot be open.
        figures.order_moved(txn, order, status)
        if status is OrderStatus.PAID:
            figures.seats_paid(txn, order.account_id, order.subjects)


def _paid_actions() -> list[Action]:
    return [
        SubjectItem.status.set(SubjectStatus.PAID.value),
        SubjectItem.expires.remove(),  # never collected by TTL once paid
        SubjectItem.gsi2pk.remove(),
        SubjectItem.gsi2sk.remove(),
    ]


def registration_paid(txn: Txn, account_id: str) -> None:
    """The registration must still exist, and its version moves so no stale deletion goes through.

    With a paid subject it is never deleted (R-BIND-4); the expiry job takes it out of its queue
    the next time it comes due.
    """
    touch_registration(txn, account_id)
