"""The offer step of the waiting list (R-WAIT-2): when a pending seat appears on the table's
stream, and every minute for whatever is still pending."""

from __future__ import annotations

from typing import Any

from chalice.app import Blueprint, DynamoDBEvent, Rate

from chalicelib.bootstrap import services
from chalicelib.jobs.expiry import STREAM_ARN
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


@bp.on_dynamodb_record(stream_arn=STREAM_ARN, batch_size=10, starting_position="TRIM_HORIZON")
def offer_returned_seats(event: DynamoDBEvent) -> None:
    offer_new([r.new_image for r in event if r.new_image and not r.old_image])
