"""The province administrator (R-OPS-1, R-OPS-2): the overview, the changes and their log."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from chalice.app import Blueprint, Request, Response

from chalicelib.api.accounts import signed_in
from chalicelib.api.errors import handles_errors, json_response
from chalicelib.api.requests import BODY_TYPES, current_request, json_body, path_id
from chalicelib.bootstrap import services
from chalicelib.domain import administration as adm
from chalicelib.domain.accounts import Account
from chalicelib.domain.catalog import Window
from chalicelib.domain.clock import iso, parse_iso
from chalicelib.domain.errors import InvalidRequest
from chalicelib.services import administration as admin

bp = Blueprint(__name__)


def _request() -> Request:
    return current_request(bp)


def province_admin() -> Account:
    """The signed-in province administrator, refused (403) before the body is read."""
    account = signed_in()
    admin.require_province(account)
    return account


@bp.route("/admin/overview", methods=["GET"])
@handles_errors
def overview() -> Response:
    return json_response(render_overview(admin.overview(services().administration, signed_in())))


@bp.route("/admin/windows/{school_id}", methods=["PUT"], content_types=BODY_TYPES)
@handles_errors
def put_window(school_id: str) -> Response:
    account = province_admin()
    school_id = path_id(school_id, "学校")
    body = json_body(_request())
    opens_at, closes_at = _moment(body, "opens_at"), _moment(body, "closes_at")
    window = admin.change_window(services().administration, account, school_id, opens_at, closes_at)
    return json_response(render_window(window))


@bp.route("/admin/seats/{campus_id}/{subject}", methods=["PUT"], content_types=BODY_TYPES)
@handles_errors
def put_seats(campus_id: str, subject: str) -> Response:
    account = province_admin()
    campus_id, subject = path_id(campus_id, "校区"), path_id(subject, "口试科目")
    capacity = json_body(_request()).get("capacity")
    line = admin.change_capacity(services().administration, account, campus_id, subject, capacity)
    return json_response(render_seat_line(line))


@bp.route("/admin/notices/{school_id}", methods=["PUT"], content_types=BODY_TYPES)
@handles_errors
def put_notice(school_id: str) -> Response:
    """`school_id` is a school's id, or "province" for the province's own notice."""
    account = province_admin()
    target = path_id(school_id, "学校")
    notice = json_body(_request()).get("notice")
    text = admin.change_notice(services().administration, account, target, notice)
    return json_response({"target": target, "notice": text})


@bp.route("/admin/changes", methods=["GET"])
@handles_errors
def list_changes() -> Response:
    found = admin.changes(services().administration, signed_in())
    return json_response([render_change(change) for change in found])


def _moment(body: dict[str, Any], name: str) -> datetime:
    value = body.get(name)
    if not isinstance(value, str) or len(value) > 40:
        raise InvalidRequest(name, "应为带时区的 ISO 8601 时间，如 2026-03-01T09:00:00+08:00")
    try:
        return parse_iso(value)
    except ValueError:
        raise InvalidRequest(name, "应为带时区的 ISO 8601 时间，如 2026-03-01T09:00:00+08:00") from None


def render_overview(found: adm.Overview) -> dict[str, Any]:
    return {
        "registrations": {
            "saved": found.saved,
            "per_hour": [{"hour": iso(hour), "saved": count} for hour, count in found.saved_per_hour],
        },
        "seats": [render_seat_line(line) for line in found.seats],
        "orders": {
            "open": found.orders.open,
            "paid": found.orders.paid,
            "closed": found.orders.closed,
            "refunded": found.orders.refunded,
            "paid_amount": found.orders.paid_amount,
        },
        "reviews_pending": [{"school_id": school, "count": count} for school, count in found.reviews_pending],
        "late_payments": found.late_payments,
        "windows": [render_school_window(window) for window in found.windows],
    }


def render_seat_line(line: adm.SeatLine) -> dict[str, Any]:
    return {
        "campus_id": line.campus_id,
        "subject": line.subject,
        "capacity": line.capacity,
        "taken": line.taken,
        "live_holds": line.live_holds,
        "waiting": line.waiting,
        "campus_name": line.campus_name,
        "school_id": line.school_id,
    }


def render_school_window(window: adm.SchoolWindow) -> dict[str, Any]:
    return {
        "school_id": window.school_id,
        "school_name": window.school_name,
        "opens_at": iso(window.opens_at),
        "closes_at": iso(window.closes_at),
        "open_now": window.open_now,
    }


def render_window(window: Window) -> dict[str, Any]:
    return {"school_id": window.school_id, "opens_at": iso(window.opens_at), "closes_at": iso(window.closes_at)}


def render_change(change: adm.Change) -> dict[str, Any]:
    return {"at": iso(change.at), "by": change.by, "what": change.what, "before": change.before, "after": change.after}
