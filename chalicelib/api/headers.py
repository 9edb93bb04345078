"""Headers every answer carries (api.md, "Changed shapes"): set once here, for every route, every
error and the framework's own 404/405/415 answers, so no view can forget them."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from chalice.app import Blueprint, Response

bp = Blueprint(__name__)

NOSNIFF = {"X-Content-Type-Options": "nosniff"}
NO_STORE = {"Cache-Control": "no-store"}
# Answers carrying a token, a captcha's image or a reset's outcome: no cache, shared or private,
# keeps them. By prefix, so /password-resets/confirm and any later sibling are covered too.
NO_STORE_PREFIXES = ("/sessions", "/password-resets", "/captchas")


def security_headers(path: str) -> dict[str, str]:
    return {**NOSNIFF, **NO_STORE} if path.startswith(NO_STORE_PREFIXES) else dict(NOSNIFF)


@bp.middleware("http")
def add_security_headers(event: Any, get_response: Callable[[Any], Response]) -> Response:
    response = get_response(event)
    response.headers.update(security_headers(str(getattr(event, "path", "") or "")))
    return response
