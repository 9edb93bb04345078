"""One JSON line per request (request id, method, route template, status, latency, cold start):
what an operator reads in CloudWatch. Never a query string, a path's values, a body or a header,
so never an ID number, a token, a password or a login."""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable
from typing import Any

from chalice.app import Blueprint, Response

from chalicelib.logs import logger

bp = Blueprint(__name__)
_served = {"count": 0}


@bp.middleware("http")
def access_log(event: Any, get_response: Callable[[Any], Response]) -> Response:
    started = time.perf_counter()
    status = 500  # unless a response comes back
    try:
        response = get_response(event)
        status = response.status_code
    finally:
        _log(event, status, started)
    return response


def _log(event: Any, status: int, started: float) -> None:
    context = event.context or {}
    _served["count"] += 1
    logger().info(
        "request",
        extra={
            "request_id": context.get("requestId") or uuid.uuid4().hex,
            "method": event.method,
            "route": context.get("resourcePath") or "?",
            "status": status,
            "latency_ms": round((time.perf_counter() - started) * 1000, 1),
            "cold_start": _served["count"] == 1,
        },
    )
