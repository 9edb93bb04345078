"""The expiry job (every few minutes) and the stream handler behind TTL deletions."""

from __future__ import annotations

import os
from typing import Any

from chalice.app import Blueprint, DynamoDBEvent, Rate

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
    built = services()
    released = expiry.release_removed_holds(
        built.registration.registrations, old_images, built.registration.clock.now()
    )
    if released:
        logger().info("seats released after TTL deletion", extra={"released": released})
    count("SeatsReleasedFromStream", released)
    return released


@bp.on_dynamodb_record(stream_arn=STREAM_ARN, batch_size=100, starting_position="TRIM_HORIZON")
def release_ttl_deleted_holds(event: DynamoDBEvent) -> None:
    # A removal is an old image without a new one: AWS says REMOVE (with a userIdentity for TTL),
    # DynamoDB Local's TTL deletions say neither. Any removal of an unpaid hold is handled: the
    # release proof makes a second release of the same seat a no-op.
    handle_removed([r.old_image for r in event if r.old_image and not r.new_image])
