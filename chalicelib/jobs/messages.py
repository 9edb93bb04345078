"""Messages (R-NOTE-1): the stream handler that sends each new one at once, the sending job that
tries again what is still waiting, and the reminder job."""

from __future__ import annotations

from typing import Any

from chalice.app import Blueprint, DynamoDBEvent, Rate

from chalicelib.bootstrap import services
from chalicelib.jobs.expiry import STREAM_ARN
from chalicelib.logs import logger
from chalicelib.metrics import count
from chalicelib.services import messages
from chalicelib.storage.keys import outbox_pk, value_of

bp = Blueprint(__name__)
SEND_EVERY_MINUTES = 1
REMIND_EVERY_MINUTES = 15


def run_sending() -> dict[str, int]:
    report = messages.send_due(services().messaging).as_dict()
    if report["failed"] or report["abandoned"]:
        logger().warning("messages not sent", extra=report)
    count("MessagesSent", report["sent"])
    count("MessagesFailed", report["failed"])
    count("MessagesAbandoned", report["abandoned"])
    return report


def run_reminders() -> dict[str, int]:
    built = services()
    report = messages.remind_unpaid(built.messaging, built.registration.registrations, built.accounts.accounts)
    count("PayReminders", report.reminded)
    return report.as_dict()


def send_new(images: list[dict[str, Any]]) -> dict[str, int]:
    """New outbox items from the table's stream (DynamoDB JSON images): sent now."""
    outcomes = [
        messages.deliver(services().messaging, value_of(image["pk"]["S"], outbox_pk))
        for image in images
        if image.get("kind", {}).get("S") == "outbox" and image.get("state", {}).get("S") == "pending"
    ]
    report = {outcome: outcomes.count(outcome) for outcome in set(outcomes)}
    count("MessagesSent", report.get("sent", 0))
    return report


@bp.schedule(Rate(SEND_EVERY_MINUTES, unit=Rate.MINUTES))
def send_messages(event: Any) -> dict[str, int]:  # noqa: ARG001 (the schedule's event says nothing)
    return run_sending()


@bp.schedule(Rate(REMIND_EVERY_MINUTES, unit=Rate.MINUTES))
def remind_unpaid(event: Any) -> dict[str, int]:  # noqa: ARG001
    return run_reminders()


# Small batches: each send may wait on a relay for seconds, and a batch must end well within the
# function's timeout (province/package.py), or its messages are sent again once their lease ends.
@bp.on_dynamodb_record(stream_arn=STREAM_ARN, batch_size=10, starting_position="TRIM_HORIZON")
def send_new_messages(event: DynamoDBEvent) -> None:
    send_new([r.new_image for r in event if r.new_image and not r.old_image])
