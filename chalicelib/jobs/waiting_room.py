"""The admission job of the waiting room (R-QUEUE-2..4), every minute."""

from __future__ import annotations

from typing import Any

from chalice.app import Blueprint, Rate

from chalicelib.bootstrap import services
from chalicelib.logs import logger
from chalicelib.metrics import count
from chalicelib.services import waiting_room_admission

bp = Blueprint(__name__)
ADMIT_EVERY_MINUTES = 1


def run_admission() -> dict[str, int]:
    report = waiting_room_admission.run_admission(services().waiting_room).as_dict()
    if report["ordered"] or report["placed"] or report["admitted"]:
        logger().info("admission job", extra=report)
    count("QueueOrdered", report["ordered"])
    count("QueuePlaced", report["placed"])
    count("QueueAdmitted", report["admitted"])
    return report


@bp.schedule(Rate(ADMIT_EVERY_MINUTES, unit=Rate.MINUTES))
def admit_queued(event: Any) -> dict[str, int]:  # noqa: ARG001 (the schedule's event says nothing)
    return run_admission()
