"""Putting a long stream of items (the province's loader, R-OPS-3): BatchWriteItem requests of
25 items from a pool of threads, unprocessed items tried again with backoff.

The items are serialized as they come and handed to the writers through a short queue, so
memory stays flat however many rows the stream has. Puts are idempotent: a stream written again
after a stop leaves the same items.
"""

from __future__ import annotations

import queue
import random
import threading
import time
from collections.abc import Callable, Iterable
from typing import Any

from botocore.exceptions import ClientError

from chalicelib.storage.models import TableItem
from chalicelib.storage.tables import connection

BATCH = 25  # the most BatchWriteItem takes
WRITERS = 8
QUEUED_PER_WRITER = 4
ATTEMPTS = 12
FIRST_BACKOFF = 0.05
LAST_BACKOFF = 5.0
THROTTLED = {"ProvisionedThroughputExceededException", "ThrottlingException", "RequestLimitExceeded"}

Request = dict[str, Any]


class ItemsNotWritten(RuntimeError):
    """Items the table kept refusing (throttled) after every try."""


def put_requests(items: Iterable[TableItem]) -> Iterable[Request]:
    for item in items:
        yield {"PutRequest": {"Item": item.serialize()}}


def write_all(requests: Iterable[Request], written: Callable[[int], None] | None = None, writers: int = WRITERS) -> int:
    """Send every request, 25 a BatchWriteItem, from `writers` threads; how many were written.
    `written` is told the running total after each request (from the writers' threads)."""
    client = connection().client
    table = TableItem.Meta.table_name
    work: queue.Queue[list[Request] | None] = queue.Queue(maxsize=writers * QUEUED_PER_WRITER)
    stop = threading.Event()
    failures: list[BaseException] = []
    lock = threading.Lock()
    total = [0]

    def writer() -> None:
        while (batch := work.get()) is not None:
            if stop.is_set():
                continue  # drained, not sent: the caller is stopping
            try:
                _send(client, table, batch)
            except BaseException as error:  # handed to the caller's thread
                failures.append(error)
                stop.set()
                continue
            with lock:
                total[0] += len(batch)
                done = total[0]
            if written is not None:
                written(done)

    pool = [threading.Thread(target=writer, name=f"batch-writer-{n}", daemon=True) for n in range(writers)]
    for thread in pool:
        thread.start()
    try:
        batch: list[Request] = []
        for request in requests:
            batch.append(request)
            if len(batch) == BATCH:
                work.put(batch)
                batch = []
                if stop.is_set():
                    break
        if batch and not stop.is_set():
            work.put(batch)
    except BaseException:
        stop.set()  # Ctrl-C or a bad item: what is queued is dropped, what is in flight completes
        raise
    finally:
        for _ in pool:
            work.put(None)
        for thread in pool:
            thread.join()
    if failures:
        raise failures[0]
    return total[0]


def _send(client: Any, table: str, batch: list[Request]) -> None:
    pending = batch
    backoff = FIRST_BACKOFF
    for _ in range(ATTEMPTS):
        try:
            answer = client.batch_write_item(RequestItems={table: pending})
        except ClientError as error:
            if error.response.get("Error", {}).get("Code") not in THROTTLED:
                raise
        else:
            pending = answer.get("UnprocessedItems", {}).get(table, [])
            if not pending:
                return
        time.sleep(backoff * random.uniform(0.5, 1.5))  # noqa: S311 (jitter, not a secret)
        backoff = min(backoff * 2, LAST_BACKOFF)
    raise ItemsNotWritten(f"{len(pending)} items still unprocessed after {ATTEMPTS} tries")
