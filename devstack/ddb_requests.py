"""Counting the requests the service sends to DynamoDB, with a botocore event hook.

Every HTTP request (retries included) fires `before-send`; the count is kept per thread too, so a
benchmark can tell what each grab cost while thousands run at once.
"""

from __future__ import annotations

import threading
from collections import Counter
from typing import Any

from chalicelib.storage.models import TableItem
from chalicelib.storage.tables import connection


class RequestCount:
    def __init__(self) -> None:
        self.by_operation: Counter[str] = Counter()
        self.refusals: Counter[str] = Counter()  # error codes, and each cancelled item's reason
        self._lock = threading.Lock()
        self._local = threading.local()

    @property
    def total(self) -> int:
        with self._lock:
            return sum(self.by_operation.values())

    def reset(self) -> None:
        with self._lock:
            self.by_operation.clear()
            self.refusals.clear()

    def this_thread(self) -> int:
        return int(getattr(self._local, "count", 0))

    def reset_this_thread(self) -> None:
        self._local.count = 0

    def _seen(self, event_name: str = "", **_: Any) -> None:
        operation = event_name.rsplit(".", 1)[-1]
        with self._lock:
            self.by_operation[operation] += 1
        self._local.count = self.this_thread() + 1

    def _answered(self, parsed: dict[str, Any] | None = None, **_: Any) -> None:
        error = (parsed or {}).get("Error", {}).get("Code")
        if not error:
            return
        reasons = [r.get("Code") for r in (parsed or {}).get("CancellationReasons", None) or []]
        with self._lock:
            self.refusals[error] += 1
            self.refusals.update(f"item:{r}" for r in reasons if r and r != "None")


def service_clients() -> list[Any]:
    """The botocore clients the service talks to DynamoDB with: the models' and the transactions'."""
    clients = {id(c): c for c in (TableItem._get_connection().connection.client, connection().client)}
    return list(clients.values())


def count_requests() -> RequestCount:
    counter = RequestCount()
    for client in service_clients():
        client.meta.events.register("before-send.dynamodb", counter._seen)
        client.meta.events.register("after-call.dynamodb", counter._answered)
    return counter
