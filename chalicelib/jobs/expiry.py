"""The expiry job (every few minutes), and what the table's stream does with a removed hold."""

from __future__ import annotations

import os
from typing import Any

from chalice.app import Blueprint, Rate

from chalicelib.bootstrap import services
from chalicelib.logs import logger
from chalicelib.metrics import count
from chalicelib.services import expiry

bp = Blueprint(__name__)
EXPIRY_EVERY_MINUTES = 5

# Chalice wants the stream's ARN when the decorator runs. The deploy sets TABLE_STREAM_ARN (the
# table template's ProvinceTableStreamArn output); reading one variable opens nothing.
STREAM_ARN = os.environ.get("TABLE_STREAM_ARN", "arn:aws:dynamodb:us-east-1:000000000000:table/unset/stream/unset")


def run_expiry() -> dict[str, int]:
    built = services()
    report = expiry.expire(built.registration.registrations, built.registration.clock.now()).as_dict()
    if any(report.values()):
        logger().info("expiry job", extra=report)
    count("ExpiredSubjects", report["expired_subjects"])
    count("DeletedRegistrations", report["deleted_registrations"])
    return report


@bp.schedule(Rate(EXPIRY_EVERY_MINUTES, unit=Rate.MINUTES))
def expire_unpaid(event: Any) -> dict[str, int]:  # noqa: ARG001 (the schedule's event says nothing)
    return run_expiry()


def handle_removed(old_images: list[dict[str, Any]]) -> int:
    """Removed items from the table's stream (their old images): the seats of unpaid holds go back.
    The stream's seat reader calls it (chalicelib/jobs/waitlist.py: seats_from_stream)."""
    built = services()
    released = expiry.release_removed_holds(
        built.registration.registrations, old_images, built.registration.clock.now()
    )
    if released:
        logger().info("seats released after TTL deletion", extra={"released": released})
    count("SeatsReleasedFromStream", released)
    return released
