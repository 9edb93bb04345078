"""Health, the contract's 404 for any other path, and its shape for the framework's errors.

The test controls (`/_test/…`) are not here: devstack/test_mode.py, never in the Lambda package."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from chalice.app import Blueprint, Response

from chalicelib.api.errors import contract_shaped, handles_errors, json_response
from chalicelib.api.requests import BODY_TYPES, current_request, query_param
from chalicelib.bootstrap import services
from chalicelib.domain.errors import Busy, IdentityKeyUnavailable, InvalidRequest, NotFound
from chalicelib.logs import logger
from chalicelib.services.qualification import identity_keys_match

bp = Blueprint(__name__)


@bp.middleware("http")
def framework_errors(event: Any, get_response: Callable[[Any], Response]) -> Response:
    return contract_shaped(get_response(event))


@bp.route("/{proxy+}", methods=["GET", "POST", "PUT", "DELETE"], content_types=BODY_TYPES)
@handles_errors
def no_such_route() -> Response:
    """Any other path: the contract's 404, not the gateway's 403 "Missing Authentication Token"."""
    raise NotFound("没有这个地址。")


@bp.route("/health", methods=["GET"])
@handles_errors
def health() -> Response:
    """`?deep=1` also reads the table: 503 BUSY when it cannot, and 503 IDENTITY_KEY_UNAVAILABLE
    when the identity key does not match the table's mark (every lookup would answer that), so a
    load balancer or an alarm can tell."""
    deep = query_param(current_request(bp), "deep")
    if deep not in (None, "1"):
        raise InvalidRequest("deep", "只能是 1")
    if deep and not services().province.reachable():
        logger().error("deep health check: the table did not answer")
        raise Busy("数据暂时无法访问，请稍后再试。")
    if deep and not identity_keys_match(services().registration):
        logger().error("deep health check: the identity key does not match the table's mark")
        raise IdentityKeyUnavailable()
    return json_response({"status": "ok"})
