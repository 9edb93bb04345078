"""The waiting list for full campuses (R-WAIT-1..2)."""

from __future__ import annotations

from typing import Any

from chalice.app import Blueprint, Response

from chalicelib.api.errors import handles_errors, json_response
from chalicelib.api.requests import BODY_TYPES, current_request, json_body, text
from chalicelib.api.students import student
from chalicelib.bootstrap import services
from chalicelib.domain.clock import iso
from chalicelib.domain.waitlist import PlacedEntry
from chalicelib.services import waitlist

bp = Blueprint(__name__)


def _entry(placed: PlacedEntry) -> dict[str, Any]:
    entry = placed.entry
    campus = services().registration.catalogs.catalog().campuses.get(entry.campus_id)
    return {
        "subject": entry.subject,
        "campus_id": entry.campus_id,
        "campus": campus.name if campus else entry.campus_id,
        "position": placed.position,
        "joined_at": iso(entry.joined_at),
    }


@bp.route("/waitlist", methods=["POST"], content_types=BODY_TYPES)
@handles_errors
def join_waitlist() -> Response:
    account = student()
    body = json_body(current_request(bp))
    code, campus_id = text(body, "subject", 32), text(body, "campus_id", 64)
    return json_response(_entry(waitlist.join(services().waitlist, account, code, campus_id)), 201)


@bp.route("/waitlist", methods=["GET"])
@handles_errors
def my_waitlist() -> Response:
    return json_response([_entry(p) for p in waitlist.my_entries(services().waitlist, student())])


@bp.route("/waitlist/{subject}", methods=["DELETE"], content_types=BODY_TYPES)
@handles_errors
def leave_waitlist(subject: str) -> Response:
    waitlist.leave(services().waitlist, student(), subject)
    return Response(body="", status_code=204)
