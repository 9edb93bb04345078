"""Make DynamoDB answer with an error, through a botocore hook that answers a call before it is
sent (so moto never runs it): throttling, transaction conflicts, internal errors."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from botocore.awsrequest import AWSResponse

from devstack.ddb_requests import service_clients

THROTTLED = ("ProvisionedThroughputExceededException", None)
INTERNAL = ("InternalServerError", None)


def conflict(items: int) -> tuple[str, list[dict[str, str]]]:
    """A transaction cancelled because another one was changing its items."""
    return "TransactionCanceledException", [{"Code": "TransactionConflict"}] * items


def throttled_items(items: int) -> tuple[str, list[dict[str, str]]]:
    """A transaction cancelled because its items' partition took more than it can."""
    return "TransactionCanceledException", [{"Code": "ThrottlingError"}] * items


@contextmanager
def database_answers(
    operation: str, fault: tuple[str, list[dict[str, str]] | None], times: int | None = None
) -> Iterator[list[str]]:
    """Every `operation` call (the first `times` of them, if given) is answered with `fault` before
    it reaches the database (or moto); yields the calls that were."""
    code, reasons = fault
    answered: list[str] = []
    status = 500 if code == "InternalServerError" else 400

    def answer(**_: Any) -> tuple[AWSResponse, dict[str, Any]] | None:
        if times is not None and len(answered) >= times:
            return None  # sent as usual
        answered.append(operation)
        parsed: dict[str, Any] = {
            "Error": {"Code": code, "Message": "fault"},
            "ResponseMetadata": {"HTTPStatusCode": status, "HTTPHeaders": {}},
        }
        if reasons is not None:
            parsed["CancellationReasons"] = reasons
        return AWSResponse("https://dynamodb.invalid", status, {}, None), parsed

    event = f"before-call.dynamodb.{operation}"
    clients = service_clients()
    for client in clients:
        client.meta.events.register_first(event, answer, unique_id=f"fault-{operation}")
    try:
        yield answered
    finally:
        for client in clients:
            client.meta.events.unregister(event, unique_id=f"fault-{operation}")
