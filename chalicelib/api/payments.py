"""Orders, provider notifications and late payments for staff (R-PAY)."""

from __future__ import annotations

from typing import Any

from chalice.app import Blueprint, Request, Response

from chalicelib.api import render
from chalicelib.api.accounts import signed_in
from chalicelib.api.errors import busy_retry_after, handles_errors, json_response, overloaded
from chalicelib.api.requests import (
    BODY_TYPES,
    current_request,
    json_body,
    optional_text,
    path_id,
    pdf_response,
    require_pdf_accepted,
)
from chalicelib.bootstrap import services
from chalicelib.domain.errors import Busy
from chalicelib.domain.orders import Order
from chalicelib.logs import logger
from chalicelib.metrics import count
from chalicelib.receipts.pdf import receipt_pdf
from chalicelib.services import payments, receipts
from chalicelib.services.accounts import require_staff, require_student

bp = Blueprint(__name__)


def _request() -> Request:
    return current_request(bp)


def order_json(order: Order) -> dict[str, Any]:
    catalog = services().registration.catalogs.catalog()
    return {
        "order_id": order.order_id,
        "number": order.number,
        "status": order.status.value,
        "provider": order.provider,
        "bank": order.bank,
        "amount": order.amount,
        "subjects": [render.chosen_subject(s, catalog) for s in order.subjects],
        "pay_url": order.pay_url,
        "created_at": render.optional_iso(order.created_at),
        "expires_at": render.optional_iso(order.expires_at),
        "paid_at": render.optional_iso(order.paid_at),
        "late": order.late.value if order.late else None,
    }


@bp.route("/orders", methods=["POST"], content_types=BODY_TYPES)
@handles_errors
def place_order() -> Response:
    account = signed_in()
    require_student(account)
    body = json_body(_request())
    order = payments.place_order(services().payments, account, body.get("provider"), optional_text(body, "bank", 16))
    count("OrdersPlaced", provider=order.provider)
    return json_response(order_json(order), 201)


@bp.route("/orders", methods=["GET"])
@handles_errors
def list_orders() -> Response:
    """R-PAY-6: every order of the account, newest first, paid ones too."""
    account = signed_in()
    require_student(account)
    orders = payments.orders_of(services().payments, account)
    return json_response([order_json(order) for order in orders])


@bp.route("/orders/{order_id}/receipt", methods=["GET"])
@handles_errors
def receipt(order_id: str) -> Response:
    """R-PAY-6 缴费凭证 of a paid order, as a PDF."""
    account = signed_in()
    require_pdf_accepted(_request())
    ctx = services().payments
    catalog = services().registration.catalogs.catalog()
    found = receipts.receipt_of(ctx, account, path_id(order_id, "订单"), catalog)
    return pdf_response(receipt_pdf(found), f"receipt-{found.number}.pdf")


@bp.route("/orders/{order_id}", methods=["GET"])
@handles_errors
def get_order(order_id: str) -> Response:
    account = signed_in()
    return json_response(order_json(payments.order_of(services().payments, account, path_id(order_id, "订单"))))


@bp.route("/orders/{order_id}/refresh", methods=["POST"], content_types=BODY_TYPES)
@handles_errors
def refresh_order(order_id: str) -> Response:
    ctx = services().payments
    order = payments.order_of(ctx, signed_in(), path_id(order_id, "订单"))
    return json_response(order_json(payments.refresh_order(ctx, order)))


def _notify(provider_name: str) -> Response:
    request = _request()
    raw = request.raw_body or b""
    body = raw if isinstance(raw, bytes) else raw.encode()
    content_type = request.headers.get("content-type", "")
    try:
        ack = payments.handle_notification(services().payments, provider_name, body, content_type)
    except Exception as error:
        # The provider reads anything but its success reply as "deliver again later": nothing is lost.
        # Busy: the payment could not be recorded yet (R-PAY-5, an order that kept moving under it).
        text: dict[str, str | list[str]] = {"Content-Type": "text/plain; charset=utf-8"}
        if isinstance(error, Busy) or overloaded(error):
            logger().warning("database overloaded", extra={"provider": provider_name, "error": type(error).__name__})
            count("PaymentNotifications", provider=provider_name, outcome="busy")
            return Response(body="fail", status_code=503, headers={**text, "Retry-After": busy_retry_after()})
        logger().exception("notification not handled", extra={"provider": provider_name})
        count("PaymentNotifications", provider=provider_name, outcome="not_handled")
        return Response(body="fail", status_code=500, headers=text)
    count("PaymentNotifications", provider=provider_name, outcome="answered")
    return Response(body=ack.body, status_code=200, headers={"Content-Type": ack.content_type})


@bp.route("/payments/alipay/notify", methods=["POST"], content_types=BODY_TYPES)
def alipay_notify() -> Response:
    return _notify("alipay")


@bp.route("/payments/bank/notify", methods=["POST"], content_types=BODY_TYPES)
def bank_notify() -> Response:
    return _notify("bank")


@bp.route("/staff/late-payments", methods=["GET"])
@handles_errors
def late_payments() -> Response:
    school_id = require_staff(signed_in())
    found = payments.late_payments(services().payments, school_id)
    return json_response(
        [
            {
                "order_id": late.order_id,
                "number": late.number,
                "candidate": {"name": late.candidate_name, "id_number": late.candidate_id},
                "amount": late.amount,
                "outcome": late.outcome.value,
                "recorded_at": render.optional_iso(late.recorded_at),
            }
            for late in found
        ]
    )
