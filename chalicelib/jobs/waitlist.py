"""The offer step of the waiting list (R-WAIT-2): when a pending seat appears on the table's
stream, and every minute for whatever is still pending; and the stream's one reader for seats."""

from __future__ import annotations

from typing import Any

from chalice.app import Blueprint, DynamoDBEvent, Rate

from chalicelib.bootstrap import services
from chalicelib.jobs.expiry import STREAM_ARN, handle_removed
from chalicelib.logs import logger
from chalicelib.metrics import count
from chalicelib.services import waitlist

bp = Blueprint(__name__)
OFFER_EVERY_MINUTES = 1


def _counted(report: waitlist.OfferReport) -> dict[str, int]:
    figures = report.as_dict()
    if any(figures.values()):
        logger().info("waiting list offers", extra=figures)
    count("SeatsOffered", report.offered)
    count("SeatsGivenBack", report.given_back)
    return figures


def run_offers() -> dict[str, int]:
    return _counted(waitlist.offer_pending(services().waitlist))


def offer_new(images: list[dict[str, Any]]) -> dict[str, int]:
    """New pending seats from the table's stream (DynamoDB JSON images): offered now."""
    return _counted(waitlist.offer_new(services().waitlist, images))


@bp.schedule(Rate(OFFER_EVERY_MINUTES, unit=Rate.MINUTES))
def offer_seats(event: Any) -> dict[str, int]:  # noqa: ARG001 (the schedule's event says nothing)
    return run_offers()


def seats_back(removed: list[dict[str, Any]], added: list[dict[str, Any]]) -> dict[str, int]:
    """A batch of the table's stream for the seats: removed holds give their seats back (R-PAY-1,
    R-ORAL-4: a TTL deletion, or any removal of an unpaid hold), then new pending seats are offered
    (R-WAIT-2). Both may run again on the same records (a failed batch is retried, split): a
    release proof makes a second release of a seat a no-op, and an offer finds the seat gone."""
    released = handle_removed(removed)
    return {"released": released, **offer_new(added)}


# One reader for both: AWS throttles a shard read by more than two, and the other reader sends new
# messages (chalicelib/jobs/messages.py), under a role that alone reads the messaging secret.
@bp.on_dynamodb_record(stream_arn=STREAM_ARN, batch_size=100, starting_position="TRIM_HORIZON")
def seats_from_stream(event: DynamoDBEvent) -> None:
    # A removal is an old image without a new one: AWS says REMOVE (with a userIdentity for TTL),
    # DynamoDB Local's TTL deletions say neither. An insert is a new image without an old one.
    records = list(event)
    seats_back(
        [r.old_image for r in records if r.old_image and not r.new_image],
        [r.new_image for r in records if r.new_image and not r.old_image],
    )
