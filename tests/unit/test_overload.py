"""Overload is an answer (api.md conventions, issue 9): what the database says under load never
ends in a 500, and never in an AttributeError of our own."""

from __future__ import annotations

from typing import Any

import pytest
from botocore.exceptions import ClientError, ReadTimeoutError
from pynamodb.exceptions import CancellationReason, TransactWriteError, VerboseClientError

from chalicelib.api.errors import overloaded
from chalicelib.storage import transactions
from chalicelib.storage.transactions import Txn, run


class Answering:
    """A connection whose every transaction fails with `error`; counts the tries."""

    def __init__(self, error: Exception) -> None:
        self.error = error
        self.tries = 0

    def transact_write_items(self, **_: Any) -> None:
        self.tries += 1
        raise self.error


def client_error(code: str, reasons: list[dict[str, str]] | None = None) -> ClientError:
    response: dict[str, Any] = {"Error": {"Code": code, "Message": "-"}, "ResponseMetadata": {"HTTPStatusCode": 400}}
    if reasons is not None:
        response["CancellationReasons"] = reasons
    return ClientError(response, "TransactWriteItems")  # type: ignore[arg-type]


def nothing(_: Txn) -> None:
    return None


def test_api_a_read_timeout_under_overload_is_busy_not_an_attribute_error(monkeypatch: pytest.MonkeyPatch) -> None:
    """Reproduces the AttributeError of issue 9: a transaction that timed out carries a cause whose
    `response` is None; PynamoDB's `cause_response_code` then raises. Ours reads it safely."""
    monkeypatch.setattr(transactions.time, "sleep", lambda _: None)
    timed_out = TransactWriteError("Failed to write transaction items", ReadTimeoutError(endpoint_url="http://db"))
    with pytest.raises(AttributeError):
        _ = timed_out.cause_response_code  # PynamoDB's own property, as run() used to call it
    connection = Answering(timed_out)
    with pytest.raises(TransactWriteError) as raised:
        run(connection, nothing)  # type: ignore[arg-type]
    assert connection.tries == 1  # not ours to retry: botocore already did
    assert overloaded(raised.value)


def test_api_a_conflict_is_tried_three_times_then_busy(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(transactions.time, "sleep", lambda _: None)
    cancelled = VerboseClientError(
        {"Error": {"Code": "TransactionCanceledException", "Message": "-"}},
        "TransactWriteItems",
        cancellation_reasons=[None, CancellationReason(code="TransactionConflict")],
    )
    connection = Answering(TransactWriteError("cancelled", cancelled))
    with pytest.raises(TransactWriteError) as raised:
        run(connection, nothing)  # type: ignore[arg-type]
    assert connection.tries == transactions.MAX_ATTEMPTS == 3
    assert overloaded(raised.value)


@pytest.mark.parametrize(
    "code",
    ["ProvisionedThroughputExceededException", "ThrottlingException", "RequestLimitExceeded", "InternalServerError"],
)
def test_api_throttling_and_internal_errors_are_overload(code: str) -> None:
    assert overloaded(TransactWriteError("-", client_error(code)))


def test_api_a_refusal_of_the_database_that_is_not_overload_stays_what_it_is() -> None:
    assert not overloaded(TransactWriteError("-", client_error("ValidationException")))
    assert not overloaded(AttributeError("a bug is a bug"))
