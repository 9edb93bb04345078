"""Late payments (R-PAY-5): a paid order whose holds went is re-reserved if its slots and seats are
free, else claimed for a refund. Either is one transaction with the payment's record (trade number,
paid_at) and the staff's record of the case, counted (R-OPS-1): nothing is written in part."""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import replace
from datetime import datetime

from pynamodb.expressions.update import Action

from chalicelib.domain.clock import iso, parse_iso
from chalicelib.domain.orders import LateOutcome, LatePayment, Order, OrderStatus, Settlement, late_payment_of
from chalicelib.domain.registration import ChosenSubject, Registration, SubjectStatus
from chalicelib.domain.room_plan import sitters_paid
from chalicelib.storage import figures, keys
from chalicelib.storage.models import LatePaymentItem, OrderItem
from chalicelib.storage.orders import DynamoOrders, mark_order, registration_paid, settlement_of
from chalicelib.storage.registrations import Offered, run_releasing, take_slot_ops
from chalicelib.storage.room_plan import put_sitters
from chalicelib.storage.seats import shards_with_room
from chalicelib.storage.tables import connection
from chalicelib.storage.transactions import ConditionsFailed, Txn, run


class DynamoOrdersWithLatePayments(DynamoOrders):
    """The order store of the payments service: orders (storage/orders.py) and their late payments."""

    def re_reserve(self, order: Order, registration: Registration, trade_no: str, now: datetime) -> Settlement:
        """R-PAY-5: a late payment takes its subjects again if their slots and seats are free: for
        an oral subject, a shard with a seat left (read first), then the next one."""
        paid = {
            hold.hold_id: replace(
                hold, status=SubjectStatus.PAID, chosen_at=now, pay_by=None, hold_id=f"{hold.hold_id}-late"
            )
            for hold in order.subjects
        }
        stale = {hold.hold_id: registration.stale_in_slot(hold.slot, now) for hold in order.subjects}
        shards = {hold.hold_id: _shards_to_take(paid[hold.hold_id], stale[hold.hold_id]) for hold in order.subjects}

        def build(txn: Txn, offered: Offered, attempt: int) -> None:
            mark_order(txn, order, OrderStatus.PAID, trade_no, now, LateOutcome.RE_RESERVED)
            _recorded(txn, order, LateOutcome.RE_RESERVED, now)
            for hold in order.subjects:
                options = shards[hold.hold_id]
                taking = replace(paid[hold.hold_id], shard=options[min(attempt, len(options) - 1)])
                take_slot_ops(txn, order.account_id, taking, stale[hold.hold_id], now, offered)
            registration_paid(txn, order.account_id)
            put_sitters(txn, sitters_paid(order.account_id, registration.candidate, tuple(paid.values()), now))

        attempts = max((len(options) for options in shards.values()), default=1)
        for attempt in range(attempts):
            settled = _settled_releasing(functools.partial(build, attempt=attempt))
            if settled is not Settlement.HOLDS_CHANGED:
                break
        return settled

    def claim_refund(self, order: Order, trade_no: str, now: datetime) -> Settlement:
        """Before asking the provider to refund: one delivery claims it, with the payment's record,
        into the refunds queue (REFUND_CLAIMED); ALREADY if the order is paid or refunded already;
        ORDER_MOVED if it was read open and is closed since."""

        def build(txn: Txn) -> None:
            mark_order(txn, order, OrderStatus.REFUNDED, trade_no, now, LateOutcome.REFUND_PENDING)
            _recorded(txn, order, LateOutcome.REFUND_PENDING, now)

        try:
            run(connection(), build)
        except ConditionsFailed as failed:
            return settlement_of(failed)
        return Settlement.REFUND_CLAIMED

    def set_late_outcome(self, order: Order, outcome: LateOutcome) -> None:
        actions: list[Action] = [OrderItem.late.set(outcome.value)]
        if outcome is not LateOutcome.REFUND_PENDING:  # done: out of the refunds queue
            actions += [OrderItem.gsi1pk.remove(), OrderItem.gsi1sk.remove()]

        def build(txn: Txn) -> None:
            txn.update("order", OrderItem(keys.order_pk(order.order_id), keys.ORDER_SK), actions)
            entry = OrderItem(keys.account_pk(order.account_id), keys.order_entry_sk(order.created_at, order.order_id))
            txn.update("entry", entry, [OrderItem.late.set(outcome.value)], OrderItem.pk.exists())

        try:
            run(connection(), build)
        except ConditionsFailed:  # an order made before entries: the order alone
            OrderItem(keys.order_pk(order.order_id), keys.ORDER_SK).update(actions=actions)

    def record_late(self, late: LatePayment) -> None:
        """The outcome of a refund, over the record its claim wrote. An order claimed before claims
        wrote it has none yet: the first is counted (R-OPS-1), in its own transaction."""
        record = _late_item(late)

        def build(txn: Txn) -> None:
            txn.put("late", record, LatePaymentItem.pk.does_not_exist())
            figures.late_payment(txn, late.account_id)

        try:
            run(connection(), build)
        except ConditionsFailed:
            _late_item(late).save()

    def late_payments(self, school_id: str) -> list[LatePayment]:
        found = [
            LatePayment(
                item.order_id,
                school_id,
                item.account_id,
                item.candidate_name,
                item.candidate_id,
                int(item.amount),
                LateOutcome(item.outcome),
                parse_iso(item.recorded_at),
                item.number,
            )
            for item in LatePaymentItem.query(keys.late_pk(school_id))
            if isinstance(item, LatePaymentItem)
        ]
        return sorted(found, key=lambda late: late.recorded_at, reverse=True)


def _recorded(txn: Txn, order: Order, outcome: LateOutcome, now: datetime) -> None:
    """R-PAY-5: the staff's record, counted, in the transaction that settles the late payment. The
    order's condition lets that happen once per order, so the record needs no condition of its own."""
    txn.put("late", _late_item(late_payment_of(order, outcome, now)))
    figures.late_payment(txn, order.account_id)


def _late_item(late: LatePayment) -> LatePaymentItem:
    return LatePaymentItem(
        keys.late_pk(late.school_id),
        keys.late_sk(late.order_id),
        order_id=late.order_id,
        account_id=late.account_id,
        candidate_name=late.candidate_name,
        candidate_id=late.candidate_id,
        amount=late.amount,
        outcome=late.outcome.value,
        recorded_at=iso(late.recorded_at),
        number=late.number,
    )


def _shards_to_take(paid: ChosenSubject, stale: ChosenSubject | None) -> list[int | None]:
    """The shards a late payment may take its seat in: the expired hold's own at the same campus,
    else those with a seat left; a written subject takes none."""
    if paid.campus_id is None:
        return [None]
    if stale is not None and (stale.campus_id, stale.code) == (paid.campus_id, paid.code):
        return [stale.shard]
    room: list[int | None] = list(shards_with_room(paid.campus_id, paid.code))
    return room or [0]  # none left: the transaction says so


def _settled_releasing(build: Callable[[Txn, Offered], None]) -> Settlement:
    """As a settlement (storage/orders.py), for a transaction that may give back a stale hold's seat: where students
    wait for that seat it goes to their list (R-WAIT-2) rather than refunding the payment."""
    try:
        run_releasing(build)
    except ConditionsFailed as failed:
        return settlement_of(failed)
    return Settlement.PAID
