"""The test controls of api.md (`/_test/…`): the local stack's and the tests', never a real stage's.

Not in the Lambda package (province/package.py ships `app.py` and `chalicelib/` only) and not
registered by `app.py`: `devstack/serve.py` and the tests add them to the app with `register`.
Even there they answer 404 unless TEST_MODE=1, which only the local stack may set
(chalicelib/bootstrap.py refuses it anywhere else; decision 0026).
"""

from __future__ import annotations

import re
from collections.abc import Callable

from chalice.app import Blueprint, Chalice, Request, Response

from chalicelib.api.errors import handles_errors, json_response
from chalicelib.api.requests import BODY_TYPES, current_request, json_body, path_id, query_param
from chalicelib.bootstrap import CLOCK, LOCAL_OUTBOX, services, test_gateway
from chalicelib.config import settings
from chalicelib.domain.accounts import normalize_login
from chalicelib.domain.clock import iso
from chalicelib.domain.errors import InvalidRequest, NotFound, PaymentRefused
from chalicelib.jobs.expiry import run_expiry
from chalicelib.jobs.messages import run_reminders, run_sending
from chalicelib.jobs.payments import run_reconcile
from chalicelib.jobs.room_plan import run_plan
from chalicelib.jobs.waiting_room import run_admission
from chalicelib.jobs.waitlist import run_offers
from chalicelib.payments.base import GatewayRefused

bp = Blueprint(__name__)
PREFIX = "/_test/"
MAX_ADVANCE_SECONDS = 400 * 24 * 3600
MAX_DELIVERIES = 20


def register(app: Chalice) -> Chalice:
    """Add the test controls to `app`, once."""
    if not any(path.startswith(PREFIX) for path in app.routes):
        app.register_blueprint(bp)
    return app


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
    "plan": run_plan,
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
    seconds = json_body(current_request(bp)).get("advance_seconds")
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
    JOBS["send"]()
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


def _deliveries(request: Request) -> tuple[int, bool]:
    raw = query_param(request, "deliveries") or "1"
    if not re.fullmatch(r"[0-9]{1,2}", raw) or int(raw) > MAX_DELIVERIES:
        raise InvalidRequest("deliveries", f"应为 0 到 {MAX_DELIVERIES} 的整数")
    parallel = query_param(request, "parallel") or "false"
    if parallel not in ("true", "false"):
        raise InvalidRequest("parallel", "应为 true 或 false")
    return int(raw), parallel == "true"


@bp.route("/_test/gateway/{order_id}/pay", methods=["POST"], content_types=BODY_TYPES)
@handles_errors
def sandbox_pay(order_id: str) -> Response:
    gateway = test_gateway()
    if not settings().test_mode or gateway is None:
        raise NotFound()
    deliveries, parallel = _deliveries(current_request(bp))
    order = services().payments.orders.get(path_id(order_id, "订单"))
    if order is None:
        raise NotFound("没有这笔订单。")
    try:
        acknowledgements = gateway.pay(order, deliveries, parallel)
    except GatewayRefused as refused:
        raise PaymentRefused(f"支付平台拒绝了这笔支付：{refused}") from None
    return json_response({"order_id": order_id, "acknowledgements": acknowledgements})
