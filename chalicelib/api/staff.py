"""School staff: CET6 reviews of their own school, pending or decided, each beside the CET4 score
record its ticket names (R-REV-3 rule 2)."""

from __future__ import annotations

from chalice.app import Blueprint, Request, Response

from chalicelib.api import render
from chalicelib.api.accounts import signed_in
from chalicelib.api.errors import handles_errors, json_response
from chalicelib.api.requests import BODY_TYPES, current_request, flag, json_body, path_id, query_param
from chalicelib.bootstrap import services
from chalicelib.domain.errors import InvalidRequest
from chalicelib.domain.reviews import ReviewStatus
from chalicelib.services import qualification as q
from chalicelib.services.accounts import require_staff

bp = Blueprint(__name__)
MAX_NOTE = 500


def _request() -> Request:
    return current_request(bp)


@bp.route("/staff/cet6-reviews", methods=["GET"])
@handles_errors
def list_reviews() -> Response:
    school_id = require_staff(signed_in())
    raw = query_param(_request(), "status")
    if raw is None:  # absent: pending; present, even empty, it must be a status (api.md: INVALID_REQUEST)
        raw = ReviewStatus.PENDING.value
    try:
        status = ReviewStatus(raw)
    except ValueError:
        raise InvalidRequest("status", "应为 pending、approved 或 rejected") from None
    cases = q.review_cases(services().registration, school_id, status)
    return json_response([render.staff_review(c.review, c.record) for c in cases])


@bp.route("/staff/cet6-reviews/{review_id}/decision", methods=["POST"], content_types=BODY_TYPES)
@handles_errors
def decide(review_id: str) -> Response:
    school_id = require_staff(signed_in())
    body = json_body(_request())
    approve = flag(body, "approve")
    note = body.get("note", "")
    if not isinstance(note, str) or len(note) > MAX_NOTE:
        raise InvalidRequest("note", "应为 500 字以内的文字")
    review_id = path_id(review_id, "复核申请")
    student = services().accounts.accounts.get(review_id)  # a review's id is its account's (decision 0007)
    tell = student.login if student else None
    decided = q.decide_case(services().registration, school_id, review_id, approve, note, tell)
    return json_response(render.staff_review(decided.review, decided.record))
