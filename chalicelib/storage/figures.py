"""The overview's counters (R-OPS-1, decision 0023): each is changed inside the transaction that
makes what it counts, so it is exact and never counted twice (a transaction commits once; a retried
attempt whose conditions now fail writes nothing, counters included).

Counters live in 16 figure shards, `FIGURES#<n>`, n = CRC32 of the account % 16, so the herd of an
opening spreads over 16 partitions and no item is hot. A shard's items, by sort key:

- `SAVED#<Beijing hour>`: registrations saved in that hour and still there (bind +1, deletion -1);
- `ORDERS#<status>`: orders in that status (each change of status: -1 from, +1 to); `ORDERS#paid`
  also carries `amount`, the fen of the orders now paid;
- `PAID#<campus>#<subject>`: seats held by paid oral subjects (a paid subject never goes);
- `REVIEWS#<school>`: CET6 reviews pending (filed or modified pending +1, decided -1);
- `LATE`: late payments recorded (R-PAY-5), one per order.

Every write also adds 1 to the item's `version`, so `python -m province recount` (storage/recount.py,
decision 0027) can tell a counter nothing touched while it counted from one that moved.

The overview reads them with one query per shard: 16 queries whatever the number of students.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from datetime import datetime

from pynamodb.expressions.update import Action

from chalicelib.domain.administration import Figures, OrderFigures
from chalicelib.domain.clock import parse_iso
from chalicelib.domain.orders import Order, OrderStatus
from chalicelib.domain.registration import ChosenSubject
from chalicelib.storage import keys_ops
from chalicelib.storage.models import FigureItem
from chalicelib.storage.transactions import Txn


def _add(txn: Txn, label: str, account_id: str, sk: str, delta: int, amount: int | None = None) -> None:
    actions: list[Action] = [
        FigureItem.kind.set(FigureItem),
        FigureItem.value.add(delta),
        FigureItem.version.add(1),  # every write moves it: a recount's evidence (decision 0027)
    ]
    if amount:
        actions.append(FigureItem.amount.add(amount))
    txn.update(f"figure:{label}", FigureItem(keys_ops.figure_pk(keys_ops.figure_shard(account_id)), sk), actions)


def registration_saved(txn: Txn, account_id: str, saved_at: datetime, delta: int) -> None:
    """+1 in the bind's transaction, -1 in the deletion's (R-BIND-4): the hour it was saved in."""
    _add(txn, "saved", account_id, keys_ops.saved_sk(saved_at), delta)


def order_placed(txn: Txn, order: Order) -> None:
    _add(txn, "order:open", order.account_id, keys_ops.orders_sk(OrderStatus.OPEN), 1)


def order_moved(txn: Txn, order: Order, to: OrderStatus) -> None:
    """The order leaves the status it was read in for `to`: the transaction's own conditions make
    sure it was in that status when it commits (storage/orders.py)."""
    _add(txn, "order:from", order.account_id, keys_ops.orders_sk(order.status), -1)
    amount = order.amount if to is OrderStatus.PAID else None
    _add(txn, "order:to", order.account_id, keys_ops.orders_sk(to), 1, amount)


def seats_paid(txn: Txn, account_id: str, holds: Iterable[ChosenSubject]) -> None:
    """The oral holds an order pays: their seats are paid seats from now on (R-PAY-3)."""
    paid = Counter((hold.campus_id, hold.code) for hold in holds if hold.campus_id is not None)
    for (campus_id, subject), count in paid.items():
        _add(txn, f"paid:{campus_id}:{subject}", account_id, keys_ops.paid_sk(campus_id, subject), count)


def review_pending(txn: Txn, account_id: str, school_id: str, delta: int) -> None:
    _add(txn, "reviews", account_id, keys_ops.reviews_sk(school_id), delta)


def late_payment(txn: Txn, account_id: str) -> None:
    _add(txn, "late", account_id, keys_ops.LATE_SK, 1)


def read_figures() -> Figures:
    """Every counter, each summed over the shards: one query per shard."""
    saved: Counter[datetime] = Counter()
    orders: Counter[str] = Counter()
    paid_seats: Counter[tuple[str, str]] = Counter()
    reviews: Counter[str] = Counter()
    late = paid_amount = 0
    for shard in range(keys_ops.FIGURE_SHARDS):
        for item in FigureItem.query(keys_ops.figure_pk(shard)):
            what, rest = keys_ops.figure_of(item.sk)
            count = int(item.value or 0)
            if what == keys_ops.Figure.SAVED:
                saved[parse_iso(rest)] += count
            elif what == keys_ops.Figure.ORDERS:
                orders[rest] += count
                paid_amount += int(item.amount or 0)
            elif what == keys_ops.Figure.PAID:
                paid_seats[keys_ops.campus_subject_of(rest)] += count
            elif what == keys_ops.Figure.REVIEWS:
                reviews[rest] += count
            elif what == keys_ops.Figure.LATE:
                late += count
    return Figures(
        saved_per_hour={hour: n for hour, n in sorted(saved.items()) if n},
        orders=OrderFigures(
            open=orders[OrderStatus.OPEN.value],
            paid=orders[OrderStatus.PAID.value],
            closed=orders[OrderStatus.CLOSED.value],
            refunded=orders[OrderStatus.REFUNDED.value],
            paid_amount=paid_amount,
        ),
        paid_seats=dict(paid_seats),
        reviews_pending=dict(reviews),
        late_payments=late,
    )
