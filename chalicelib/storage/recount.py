"""The recount's reads and writes (R-OPS-1, decision 0027, data-model pattern 51).

The counters: one strongly consistent query per figure shard. The items: a strongly consistent
parallel scan (`Segment`/`TotalSegments`) of the five kinds that are counted, keys and the few
attributes the counters depend on only. A correction: one UpdateItem `ADD value, amount, version,
recounts` on the condition that `recounts` is the one read.
"""

from __future__ import annotations

import json
import random
import threading
import time
from collections import Counter
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from pynamodb.exceptions import UpdateError
from pynamodb.expressions.condition import Condition
from pynamodb.expressions.update import Action

from chalicelib.domain.clock import parse_iso
from chalicelib.domain.orders import OrderStatus
from chalicelib.domain.recount import Counted, CounterKey, Difference, Reading
from chalicelib.domain.registration import SubjectStatus
from chalicelib.domain.reviews import ReviewStatus
from chalicelib.storage import keys, keys_ops
from chalicelib.storage.models import (
    FigureItem,
    LatePaymentItem,
    OrderItem,
    RegistrationItem,
    ReviewItem,
    SubjectItem,
    TableItem,
)
from chalicelib.storage.transactions import error_code

SEGMENTS = 8
COUNTED = (RegistrationItem, OrderItem, SubjectItem, ReviewItem, LatePaymentItem)
ATTRIBUTES = ["pk", "sk", "kind", "account_id", "saved_at", "status", "subjects", "campus_id", "code", "school_id"]
CORRECTION_ATTEMPTS = 5  # a correction meeting a transaction in flight on its counter tries again
BUSY_CODES = ("TransactionConflictException", "InternalServerError", "ThrottlingException")


def counter_of(item: dict[str, Any]) -> tuple[str, int, int] | None:
    """The counter (sort key) a raw item adds to, with how much (count, fen); None if it counts
    for none. The same rules as the writes of storage/figures.py."""

    def text(name: str) -> str | None:
        value = item.get(name)
        return str(value["S"]) if value and "S" in value else None

    kind, status = text("kind"), text("status")
    if kind == "registration" and text("saved_at"):
        return keys_ops.saved_sk(parse_iso(str(text("saved_at")))), 1, 0
    if kind == "order" and text("sk") == keys.ORDER_SK and status:  # not the account's copies (pattern 26)
        paid = status == OrderStatus.PAID.value
        amount = sum(int(hold["fee"]) for hold in json.loads(text("subjects") or "[]")) if paid else 0
        return keys_ops.orders_sk(OrderStatus(status)), 1, amount
    if kind == "subject" and status == SubjectStatus.PAID.value and text("campus_id") and text("code"):
        return keys_ops.paid_sk(str(text("campus_id")), str(text("code"))), 1, 0
    if kind == "review" and status == ReviewStatus.PENDING.value and text("school_id"):
        return keys_ops.reviews_sk(str(text("school_id"))), 1, 0
    if kind == "late_payment":
        return keys_ops.LATE_SK, 1, 0
    return None


class DynamoRecount:
    def __init__(self, segments: int = SEGMENTS) -> None:
        self.segments = segments

    def counters(self) -> dict[CounterKey, Reading]:
        found: dict[CounterKey, Reading] = {}
        for shard in range(keys_ops.FIGURE_SHARDS):
            for item in FigureItem.query(keys_ops.figure_pk(shard), consistent_read=True):
                if isinstance(item, FigureItem):
                    found[CounterKey(shard, item.sk)] = Reading(
                        value=int(item.value or 0),
                        amount=int(item.amount or 0),
                        version=int(item.version) if item.version is not None else None,
                        recounts=int(item.recounts or 0),
                    )
        return found

    def count(self, told: Callable[[int], None]) -> dict[CounterKey, Counted]:
        lock = threading.Lock()
        scanned = [0]

        def scanned_more(n: int) -> None:
            with lock:
                scanned[0] += n
                told(scanned[0])

        with ThreadPoolExecutor(max_workers=self.segments) as pool:
            parts = list(pool.map(lambda n: _segment(n, self.segments, scanned_more), range(self.segments)))
        values: Counter[CounterKey] = Counter()
        amounts: Counter[CounterKey] = Counter()
        for part_values, part_amounts in parts:
            values.update(part_values)
            amounts.update(part_amounts)
        return {key: Counted(values[key], amounts[key]) for key in values}

    def correct(self, difference: Difference) -> bool:
        key = difference.key
        actions: list[Action] = [
            FigureItem.kind.set(FigureItem),
            FigureItem.value.add(difference.value_delta),
            FigureItem.version.add(1),
            FigureItem.recounts.add(1),
        ]
        if difference.amount_delta:
            actions.append(FigureItem.amount.add(difference.amount_delta))
        seen = difference.kept.recounts
        unchanged: Condition = (
            FigureItem.recounts.does_not_exist() | (FigureItem.recounts == 0)
            if seen == 0
            else FigureItem.recounts == seen
        )
        for attempt in range(CORRECTION_ATTEMPTS):
            try:
                FigureItem(keys_ops.figure_pk(key.shard), key.sk).update(actions=actions, condition=unchanged)
                return True
            except UpdateError as error:
                code = error_code(error)
                if code == "ConditionalCheckFailedException":
                    return False
                if code not in BUSY_CODES:
                    raise
            time.sleep(random.uniform(0, 0.05 * 2**attempt))  # noqa: S311 (jitter)
        return False  # never got through: counted again in the next round


def _segment(
    segment: int, total: int, scanned_more: Callable[[int], None]
) -> tuple[Counter[CounterKey], Counter[CounterKey]]:
    connection = TableItem._get_connection()
    values: Counter[CounterKey] = Counter()
    amounts: Counter[CounterKey] = Counter()
    start: dict[str, Any] | None = None
    while True:
        page = connection.scan(
            filter_condition=TableItem.kind.is_in(*COUNTED),
            attributes_to_get=ATTRIBUTES,
            segment=segment,
            total_segments=total,
            exclusive_start_key=start,  # type: ignore[arg-type]
            consistent_read=True,
        )
        for item in page.get("Items", []):
            found = counter_of(item)
            account = item.get("account_id", {}).get("S")
            if found is None or not account:
                continue
            sk, count, amount = found
            key = CounterKey(keys_ops.figure_shard(account), sk)
            values[key] += count
            amounts[key] += amount
        scanned_more(int(page.get("ScannedCount", 0)))
        start = page.get("LastEvaluatedKey")
        if not start:
            return values, amounts
