"""Health, and the test controls that exist only when the stage sets TEST_MODE=1."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from chalice.app import Blueprint, Response

from chalicelib.api.errors import contract_shaped, handles_errors, json_response
from chalicelib.api.requests import BODY_TYPES, current_request, json_body, query_param
from chalicelib.bootstrap import CLOCK, LOCAL_OUTBOX, services
from chalicelib.config import settings
from chalicelib.domain.accounts import normalize_login
from chalicelib.domain.clock import iso
from chalicelib.domain.errors import Busy, IdentityKeyUnavailable, InvalidRequest, NotFound
from chalicelib.jobs.admission import run_admission
from chalicelib.jobs.expiry import run_expiry
from chalicelib.jobs.messages import run_reminders, run_sending
from chalicelib.jobs.payments import run_reconcile
from chalicelib.jobs.waitlist import run_offers
from chalicelib.logs import logger
from chalicelib.services.qualification import identity_keys_match

bp = Blueprint(__name__)
MAX_ADVANCE_SECONDS = 400 * 24 * 3600


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


def _require_test_mode() -> None:
    if not settings().test_mode:
        raise NotFound()


JOBS: dict[str, Callable[[], dict[str, int]]] = {
    "admit": run_admission,
    "expire": run_expiry,
    "reconcile": run_reconcile,
    "remind": run_reminders,
    "send": run_sending,
    "offer": run_offers,
}


@bp.route("/_test/jobs/{name}", methods=["POST"], content_types=BODY_TYPES)
@handles_errors
def run_job(name: str) -> Response:
    _require_test_mode()
    job = JOBS.get(name)
    if job is None:
        raise InvalidRequest("name", f"不是已有的任务（{'、'.join(JOBS)}）")
    return json_response(job())


@bp.route("/_test/clock", methods=["POST"], content_types=BODY_TYPES)
@handles_errors
def advance_clock() -> Response:
    _require_test_mode()
    request = bp.current_request
    assert request is not None
    seconds = json_body(request).get("advance_seconds")
    if isinstance(seconds, bool) or not isinstance(seconds, int | float) or not 0 <= seconds <= MAX_ADVANCE_SECONDS:
        raise InvalidRequest("advance_seconds", "应为 0 到 34560000 之间的秒数")
    return json_response({"now": iso(CLOCK.advance(seconds))})


@bp.route("/_test/outbox", methods=["GET"])
@handles_errors
def outbox() -> Response:
    """Every message sent to `to`, oldest first; what waits to be sent is sent first, as the
    sending job would (the stream handler does it on AWS; this one read must not race it)."""
    _require_test_mode()
    to = query_param(current_request(bp), "to")
    if not to:
        raise InvalidRequest("to", "应为登录名（手机号或电子邮箱）")
    run_sending()
    return json_response(
        [
            {
                "to": d.message.to,
                "kind": d.message.kind.value,
                "subject": d.message.subject,
                "body": d.message.body,
                "code": d.message.code,
                "sent_at": iso(d.sent_at),
            }
            for d in LOCAL_OUTBOX.to(normalize_login(to))
        ]
    )
