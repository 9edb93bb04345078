"""Transactions that report which of their conditions failed, by label, and retry conflicts."""

from __future__ import annotations

import random
import time
import uuid
from collections.abc import Callable
from typing import Any

from pynamodb.connection import Connection
from pynamodb.exceptions import PynamoDBException, TransactWriteError
from pynamodb.expressions.condition import Condition
from pynamodb.expressions.update import Action
from pynamodb.models import Model
from pynamodb.transactions import TransactWrite

# A conflict with another transaction (or an internal error) is tried again twice, with jitter; past that the herd is
# answered 503 BUSY (api/errors.py) rather than made bigger. A throttled request is botocore's to retry; a
# transaction cancelled for its items' throttling is the caller's (`throttled`: the room plan waits and goes again).
MAX_ATTEMPTS = 3


class ConditionsFailed(Exception):
    def __init__(self, labels: set[str]) -> None:
        self.labels = labels
        super().__init__(", ".join(sorted(labels)))


class Txn:
    """A TransactWrite whose items carry labels in the order DynamoDB reports reasons."""

    def __init__(self, connection: Connection, token: str | None = None) -> None:
        self._write = TransactWrite(connection=connection, client_request_token=token)
        self._labels: dict[str, list[str]] = {"check": [], "delete": [], "put": [], "update": []}

    def check(self, label: str, model: type[Model], pk: str, sk: str, condition: Condition) -> None:
        self._write.condition_check(model, pk, sk, condition=condition)
        self._labels["check"].append(label)

    def delete(self, label: str, item: Model, condition: Condition | None = None) -> None:
        self._write.delete(item, condition=condition)
        self._labels["delete"].append(label)

    def put(self, label: str, item: Model, condition: Condition | None = None) -> None:
        self._write.save(item, condition=condition)
        self._labels["put"].append(label)

    def update(self, label: str, item: Model, actions: list[Action], condition: Condition | None = None) -> None:
        self._write.update(item, actions, condition=condition)
        self._labels["update"].append(label)

    def commit(self) -> None:
        self._write._commit()

    def labels_in_order(self) -> list[str]:
        return [label for group in ("check", "delete", "put", "update") for label in self._labels[group]]


def _reasons(error: TransactWriteError) -> list[str]:
    """The cancellation reason of each item, in order; none at all for an error that is not a
    cancellation (an internal error, a dropped connection, throttling of the whole request)."""
    reasons = getattr(error, "cancellation_reasons", None) or []
    return [str(getattr(reason, "code", None) or "None") for reason in reasons]


def run(connection: Connection, build: Callable[[Txn], Any]) -> None:
    """Build and commit a transaction; conflicts with other transactions are retried with backoff.

    Raises ConditionsFailed naming the labels whose conditions did not hold.
    """
    for attempt in range(MAX_ATTEMPTS):
        # A token per attempt: if botocore resends an attempt whose answer was lost, DynamoDB
        # answers it as done instead of running it again and failing its own conditions.
        txn = Txn(connection, token=uuid.uuid4().hex)
        build(txn)
        try:
            txn.commit()
            return
        except TransactWriteError as error:
            codes = _reasons(error)
            labels = txn.labels_in_order()
            failed = {label for label, code in zip(labels, codes, strict=False) if code == "ConditionalCheckFailed"}
            if failed:
                raise ConditionsFailed(failed) from error
            if not _retryable(error, codes) or attempt == MAX_ATTEMPTS - 1:
                raise
        time.sleep(random.uniform(0, 0.02 * 2**attempt))  # noqa: S311 (jitter, not a secret)


def error_code(error: PynamoDBException) -> str | None:
    """The database's error code, if it answered at all. Not PynamoDB's `cause_response_code`: for
    a cause without an answer (a read timeout under overload) its `response` is None, and that
    property raises AttributeError (the 500s seen under overload, issue 9)."""
    response = getattr(error.cause, "response", None)
    if not isinstance(response, dict):
        return None
    code = response.get("Error", {}).get("Code")
    return str(code) if code else None


def throttled(error: TransactWriteError) -> bool:
    """The transaction, or one of its items, was throttled: more than the table or one partition
    takes (1,000 write units a second). The API answers BUSY; a batch job waits and tries again."""
    return bool({"ThrottlingError", "ProvisionedThroughputExceeded"} & set(_reasons(error))) or error_code(error) in (
        "ThrottlingException",
        "ProvisionedThroughputExceededException",
        "RequestLimitExceeded",
    )


def _retryable(error: TransactWriteError, codes: list[str]) -> bool:
    """A conflict with another transaction, or an internal error (DynamoDB Local's is a lock it
    waited too long for: a conflict by another name): a second try may well go through."""
    return "TransactionConflict" in codes or error_code(error) in (
        "TransactionConflictException",
        "TransactionInProgressException",
        "InternalServerError",
    )
