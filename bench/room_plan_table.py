"""The room plan job on DynamoDB Local against plain batch writes of the same items (issue 20).

On one DynamoDB Local (bench/local.py), two fresh tables, each given the same world: `subjects` paid written
subjects over `sites` sites, each a paid subject item and its sitter, written as payments would
have (tests/room_plan_world.py). After a smaller round of the same, thrown away (DynamoDB Local's
JIT would slow whichever path runs first), then, in this order:

- the plan: `run_plan` on the first table, the whole job (begin the run, then for each site and
  subject: read its sitters and seats strongly consistent, 25 seats a conditional transaction from
  8 writers, record its summary; finish the run), timed on the wall clock;
- the baseline: every item the plan wrote read back from the first table (the seat items and the
  paid subject items now carrying their tickets: the items with a ticket number), then put whole
  into the second table with plain boto3 `batch_write_item`, 25 items a request from as many
  threads as the plan's writers (storage/room_plan.py WRITERS), timed on the wall clock. The items
  are read and encoded before the clock starts (JSON, 25 to a string, decoded by the thread that
  sends them), so the baseline is the table's and botocore's time alone. Its subject puts replace
  the world's paid subject items, as the plan's updates do; its seat puts make new items, as the
  plan's do.

The tables are the service's (docs/data-model.md) without its stream and TTL. Of the tables
with a stream, DynamoDB Local writes fast only into the first one written to: into any other,
8 to 10 times slower (measured, the same 4,000 items: 1,300 to 2,000 items/s put into the first,
150 to 270 into the second; 1,900 to 2,900 into both without streams), which DynamoDB's streams
do not do to its writes. Its TTL passes take the table's write lock (decision 0011).

Both rates are in seats a second; the ratio is the plan's over the baseline's. A seat is two
items in both: the plan's transaction of 25 seats is 50 items, the baseline's request 12.5 seats.
"""

from __future__ import annotations

import json
import os
import random
import time
import uuid
from collections import defaultdict
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, replace
from datetime import timedelta
from typing import Any, TypeVar

import boto3
from botocore.config import Config

from chalicelib.config import Settings, settings
from chalicelib.domain.clock import FixedClock
from chalicelib.domain.room_plan import GivenSeat, GroupRef, Sitter
from chalicelib.domain.rooms import Seat
from chalicelib.services.room_plan import RoomPlanContext, run_plan
from chalicelib.storage.room_plan import WRITERS, DynamoRoomPlan
from chalicelib.storage.tables import bind_table, drop_table, table_definition
from tests import room_plan_world as world

BATCH = 25  # the most BatchWriteItem takes
# A first round at this size, thrown away: DynamoDB Local's JIT otherwise makes whichever of the
# two paths runs first the slower (measured: a cold first 2,000 seats given at 240 seats/s, the
# next 2,000 at 540).
WARM_UP_SUBJECTS = 2000
NOW = world.PLAN_AT + timedelta(hours=1)
SETTLED = world.PLAN_AT - timedelta(days=2)

T = TypeVar("T")


@dataclass(frozen=True)
class TableFigure:
    subjects: int
    sites: int
    world_seconds: float  # writing the world into both tables
    seated: int
    plan_seconds: float
    plan_parts: dict[str, float]  # seconds in each store call of the plan, summed
    baseline_items: int
    baseline_seconds: float

    @property
    def plan_rate(self) -> float:
        return self.seated / self.plan_seconds

    @property
    def baseline_rate(self) -> float:
        return self.baseline_items / 2 / self.baseline_seconds

    @property
    def ratio(self) -> float:
        return self.plan_rate / self.baseline_rate


class TimedRoomPlan(DynamoRoomPlan):
    """The plan's store, with the wall time of each call it makes summed by call."""

    def __init__(self) -> None:
        self.seconds: defaultdict[str, float] = defaultdict(float)

    def _timed(self, name: str, call: Callable[[], T]) -> T:
        started = time.perf_counter()
        try:
            return call()
        finally:
            self.seconds[name] += time.perf_counter() - started

    def sitters(self, group: GroupRef) -> list[Sitter]:
        return self._timed("sitters", lambda: super(TimedRoomPlan, self).sitters(group))

    def seats(self, campus_id: str, subject: str, room: int | None = None) -> list[GivenSeat]:
        return self._timed("seats", lambda: super(TimedRoomPlan, self).seats(campus_id, subject, room))

    def give(self, seats: Sequence[GivenSeat]) -> None:
        self._timed("give", lambda: super(TimedRoomPlan, self).give(seats))

    def record_group(self, group: GroupRef, school_id: str, run: int, seats: Sequence[Seat]) -> None:
        self._timed("record", lambda: super(TimedRoomPlan, self).record_group(group, school_id, run, seats))


@contextmanager
def fresh_table(name: str) -> Iterator[Settings]:
    """A table of its own on the endpoint the environment names, without stream or TTL (see the
    module); dropped after."""
    table = replace(settings(), table_name=f"{name}-{uuid.uuid4().hex[:8]}")
    client = plain_client(table)
    definition = table_definition(table.table_name)
    del definition["StreamSpecification"]
    client.create_table(**definition)
    client.get_waiter("table_exists").wait(TableName=table.table_name)
    bind_table(table)
    try:
        yield table
    finally:
        drop_table(table)


def plain_client(table: Settings) -> Any:
    return boto3.client(
        "dynamodb",
        region_name=table.region,
        endpoint_url=table.dynamodb_endpoint,
        config=Config(max_pool_connections=WRITERS),
    )


def plan_items(table: Settings) -> tuple[list[str], int]:
    """Every item the plan wrote, whole (seats and ticketed paid subjects: those with a ticket
    number), as PutRequests 25 a JSON string; and how many items."""
    pages = (
        plain_client(table)
        .get_paginator("scan")
        .paginate(TableName=table.table_name, FilterExpression="attribute_exists(ticket_number)")
    )
    batches: list[str] = []
    batch: list[dict[str, Any]] = []
    items = 0
    for page in pages:
        for item in page["Items"]:
            items += 1
            batch.append({"PutRequest": {"Item": item}})
            if len(batch) == BATCH:
                batches.append(json.dumps(batch))
                batch = []
    if batch:
        batches.append(json.dumps(batch))
    return batches, items


def batch_write(table: Settings, batches: list[str]) -> float:
    """Seconds to put every batch with `batch_write_item` from WRITERS threads."""
    client = plain_client(table)

    def send(encoded: str) -> None:
        pending = json.loads(encoded)
        while pending:
            answer = client.batch_write_item(RequestItems={table.table_name: pending})
            pending = answer.get("UnprocessedItems", {}).get(table.table_name, [])
            if pending:
                time.sleep(0.05)

    started = time.perf_counter()
    with ThreadPoolExecutor(max_workers=WRITERS) as pool:
        list(pool.map(send, batches))
    return time.perf_counter() - started


def measure_on_table(subjects: int, sites: int, fresh: Callable[[str], Settings]) -> TableFigure:
    """The plan and the baseline, each on a `fresh` table."""
    paid = world.sitters(subjects, sites, SETTLED, random.Random(2026))
    plan_table, baseline_table = fresh("bench-plan"), fresh("bench-batch-write")
    started = time.perf_counter()
    for table in (baseline_table, plan_table):
        bind_table(table)
        world.write(paid)
    world_seconds = time.perf_counter() - started
    store = TimedRoomPlan()
    ctx = RoomPlanContext(store=store, catalog=world.WorldCatalog(sites), clock=FixedClock(NOW))
    started = time.perf_counter()
    report = run_plan(ctx)
    plan_seconds = time.perf_counter() - started
    assert report.seated == subjects, (report.seated, subjects)  # every paid subject seated once
    batches, items = plan_items(plan_table)
    assert items == 2 * subjects, (items, subjects)  # a seat and a ticketed subject each
    baseline_seconds = batch_write(baseline_table, batches)
    return TableFigure(
        subjects, sites, world_seconds, report.seated, plan_seconds, dict(store.seconds), items, baseline_seconds
    )


def measure_warm(subjects: int, sites: int) -> TableFigure:
    """`measure_on_table` on the DynamoDB Local at $AWS_ENDPOINT_URL_DYNAMODB, after a smaller
    round of the same at one site; every table dropped at the end."""
    os.environ.update({"AWS_ACCESS_KEY_ID": "bench", "AWS_SECRET_ACCESS_KEY": "bench"})
    os.environ.setdefault("AWS_DEFAULT_REGION", "us-east-1")
    with ExitStack() as tables:

        def fresh(name: str) -> Settings:
            return tables.enter_context(fresh_table(name))

        measure_on_table(WARM_UP_SUBJECTS, 1, fresh)
        return measure_on_table(subjects, sites, fresh)


def details(figure: TableFigure) -> list[str]:
    parts = ", ".join(f"{name} {seconds:.1f} s" for name, seconds in sorted(figure.plan_parts.items()))
    rest = figure.plan_seconds - sum(figure.plan_parts.values())
    return [
        f"  table: {figure.subjects} paid written subjects over {figure.sites} sites ({figure.sites * 2} groups), "
        f"written into both tables in {figure.world_seconds:.1f} s",
        f"  plan        : {figure.plan_rate:8.1f} seats/s  {figure.seated} seats in {figure.plan_seconds:.1f} s "
        f"({parts}, the rest {rest:.1f} s)",
        f"  batch-write : {figure.baseline_rate:8.1f} seats/s  {figure.baseline_items} items "
        f"({figure.baseline_items // 2} seats) in {figure.baseline_seconds:.1f} s, {WRITERS} threads",
    ]
