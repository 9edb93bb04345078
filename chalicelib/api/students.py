"""Qualification, the CET6 review, the registration and its subjects, notices."""

from __future__ import annotations

from chalice.app import Blueprint, Request, Response

from chalicelib.api import render
from chalicelib.api.accounts import signed_in, signed_in_file
from chalicelib.api.errors import handles_errors, json_response
from chalicelib.api.requests import BODY_TYPES, confirmed, current_request, json_body, optional_text, query_param, text
from chalicelib.bootstrap import services
from chalicelib.domain.accounts import Account
from chalicelib.domain.catalog import Campus
from chalicelib.domain.clock import iso
from chalicelib.domain.errors import DomainError
from chalicelib.domain.registration import Registration
from chalicelib.metrics import count
from chalicelib.services import qualification as q
from chalicelib.services import registration as reg
from chalicelib.services.accounts import require_student

bp = Blueprint(__name__)


def _request() -> Request:
    return current_request(bp)


def student() -> Account:
    account = signed_in()
    require_student(account)
    return account


def _registration_response(registration: Registration, status: int = 200) -> Response:
    ctx = services().registration
    return json_response(render.registration(registration, ctx.catalogs.catalog(), ctx.clock.now()), status)


@bp.route("/qualification", methods=["POST"], content_types=BODY_TYPES)
@handles_errors
def look_up_qualification() -> Response:
    account = student()
    body = json_body(_request())
    ctx = services().registration
    found = q.look_up(ctx, account, body.get("id_type"), text(body, "id_number", 32), text(body, "name", 64))
    return json_response(
        {
            "candidate": render.candidate(found.candidate, ctx.catalogs.catalog()),
            "qualified_subjects": list(found.qualified_subjects),
            "cet6_review": render.review(found.review),
            "cet6_review_offered": found.review_offered,
        }
    )


@bp.route("/cet6-reviews", methods=["POST"], content_types=BODY_TYPES)
@handles_errors
def submit_review() -> Response:
    account = student()
    body = json_body(_request())
    id_number, name = text(body, "id_number", 32), text(body, "name", 64)
    ticket = text(body, "ticket_number", 32)
    confirmed(body)
    review = q.submit_review(services().registration, account, body.get("id_type"), id_number, name, ticket)
    return json_response(render.review(review), 201)


@bp.route("/cet6-reviews/current", methods=["GET"])
@handles_errors
def current_review() -> Response:
    return json_response(render.review(q.current_review(services().registration, student())))


@bp.route("/cet6-reviews/current", methods=["PUT"], content_types=BODY_TYPES)
@handles_errors
def modify_review() -> Response:
    account = student()
    body = json_body(_request())
    ticket = text(body, "ticket_number", 32)
    confirmed(body)
    return json_response(render.review(q.modify_review(services().registration, account, ticket)))


@bp.route("/cet6-reviews/current", methods=["DELETE"], content_types=BODY_TYPES)
@handles_errors
def delete_review() -> Response:
    q.delete_review(services().registration, student())
    return Response(body="", status_code=204)


@bp.route("/registration", methods=["POST"], content_types=BODY_TYPES)
@handles_errors
def save_registration() -> Response:
    account = student()
    body = json_body(_request())
    id_number, name = text(body, "id_number", 32), text(body, "name", 64)
    confirmed(body)
    saved = reg.save_registration(services().registration, account, body.get("id_type"), id_number, name)
    count("RegistrationsSaved")
    return _registration_response(saved, 201)


@bp.route("/registration", methods=["GET"])
@handles_errors
def get_registration() -> Response:
    return _registration_response(reg.current_registration(services().registration, student()))


@bp.route("/subjects", methods=["GET"])
@handles_errors
def list_subjects() -> Response:
    """The province's subjects for the bound candidate: `qualified`/`reason` (R-WRIT-1), `exam_at`
    (R-DATE-1), and `needs_written` (R-ORAL-4): on an oral subject, the code of the English written
    subject of its level while it is not among the chosen subjects (the same check that answers
    403 WRITTEN_REQUIRED on choosing), else null; always null on a written subject."""
    options = reg.subject_options(services().registration, student())
    return json_response(
        [
            {
                "code": o.subject.code,
                "name": o.subject.name,
                "kind": o.subject.kind.value,
                "level": o.subject.level,
                "fee": o.subject.fee,
                "qualified": o.qualified,
                "reason": o.reason or None,
                "exam_at": render.optional_iso(o.subject.exam_at),  # R-DATE-1
                "needs_written": o.needs_written,  # R-ORAL-4
            }
            for o in options
        ]
    )


@bp.route("/oral-campuses", methods=["GET"])
@handles_errors
def list_oral_campuses() -> Response:
    campuses = reg.oral_campuses(services().registration, student(), query_param(_request(), "subject"))
    return json_response(
        [{**_campus(c.campus, c.school_name), "remaining": c.remaining.value, "notice": c.notice} for c in campuses]
    )


def _campus(campus: Campus, school: str) -> dict[str, str]:
    return {"campus_id": campus.id, "name": campus.name, "school_id": campus.school_id, "school": school}


@bp.route("/oral-campuses/upcoming", methods=["GET"])
@handles_errors
def list_upcoming_oral_campuses() -> Response:
    """R-DATE-1: campuses that open later, with their opening time."""
    upcoming = reg.upcoming_oral_campuses(services().registration, student(), query_param(_request(), "subject"))
    return json_response([{**_campus(u.campus, u.school_name), "opens_at": iso(u.opens_at)} for u in upcoming])


@bp.route("/registration/subjects", methods=["POST"], content_types=BODY_TYPES)
@handles_errors
def choose_subject() -> Response:
    account, file = signed_in_file()  # the grab reads the account's partition once, here
    require_student(account)
    body = json_body(_request())
    code = text(body, "subject", 32)
    campus_id = optional_text(body, "campus_id", 64)
    try:
        chosen = reg.choose_subject(services().registration, account, code, campus_id, file)
    except DomainError as refused:
        if campus_id:
            count("SeatGrabs", outcome=refused.code)
        raise
    if campus_id:
        count("SeatGrabs", outcome="held")
    return _registration_response(chosen, 201)


@bp.route("/registration/subjects/{code}", methods=["DELETE"], content_types=BODY_TYPES)
@handles_errors
def remove_subject(code: str) -> Response:
    return _registration_response(reg.remove_subject(services().registration, student(), code))


@bp.route("/notices", methods=["GET"])
@handles_errors
def notices() -> Response:
    catalog = services().registration.catalogs.catalog()
    province = catalog.province
    return json_response(
        {
            "province": {"code": province.code, "name": province.name, "notice": province.notice},
            "schools": [
                {"id": s.id, "name": s.name, "notice": s.notice, "allow_external_oral": s.allow_external_oral}
                for s in catalog.schools.values()
            ],
        }
    )
