"""The reconcile job: open orders older than a few minutes are asked about (R-PAY-3, R-PAY-5)."""

from __future__ import annotations

from typing import Any

from chalice.app import Blueprint, Rate

from chalicelib.bootstrap import services
from chalicelib.logs import logger
from chalicelib.metrics import count
from chalicelib.services import payments

bp = Blueprint(__name__)
RECONCILE_EVERY_MINUTES = 5


def run_reconcile() -> dict[str, int]:
    report = payments.reconcile(services().payments).as_dict()
    if report["checked"]:
        logger().info("reconcile job", extra=report)
    for name, value in report.items():
        count(f"Reconcile{name.title().replace('_', '')}", value)
    return report


@bp.schedule(Rate(RECONCILE_EVERY_MINUTES, unit=Rate.MINUTES))
def reconcile_orders(event: Any) -> dict[str, int]:  # noqa: ARG001 (the schedule's event says nothing)
    return run_reconcile()
