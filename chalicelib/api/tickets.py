"""Exam rooms and admission tickets (R-ROOM-1..3, R-TICKET-1..3): the plan, the student's tickets
and their PDFs, the gate's public key, the staff's rooms and sign-in sheets, the province's plan."""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

from chalice.app import Blueprint, Request, Response

from chalicelib.api.accounts import signed_in, signed_in_file
from chalicelib.api.errors import handles_errors, json_response
from chalicelib.api.requests import current_request, path_id, pdf_response, query_param, require_pdf_accepted
from chalicelib.bootstrap import services
from chalicelib.domain.clock import iso
from chalicelib.domain.errors import InvalidRequest, NotFound
from chalicelib.domain.room_plan import GroupSummary
from chalicelib.domain.rooms import room_size
from chalicelib.metrics import count
from chalicelib.services import administration as admin
from chalicelib.services import tickets
from chalicelib.services.accounts import require_staff, require_student
from chalicelib.tickets.pdf import render_sign_in_sheet, render_ticket

bp = Blueprint(__name__)
SUBJECT_CODE = re.compile(r"[A-Z0-9-]{2,16}")
ROOM = re.compile(r"[0-9]{3}")


def _request() -> Request:
    return current_request(bp)


@bp.route("/room-plan", methods=["GET"])
@handles_errors
def room_plan() -> Response:
    """R-ROOM-2: the sitting's plan, its seed's digest before it is drawn and the seed after; 404
    where the province's data declares no sitting (api.md has no state for that)."""
    state = tickets.plan_state(services().registration.catalogs, services().room_plan.store)
    if state is None:
        raise NotFound("本省尚未公布考试安排。")
    sitting = state.sitting
    return json_response(
        {
            "state": "drawn" if state.drawn else "upcoming",
            "plan_at": iso(sitting.plan_at),
            "tickets_open_at": iso(sitting.tickets_open_at),
            "seed_sha256": sitting.seed_sha256,
            "seed": state.seed,
            "seated": state.seated,
            "rooms": state.rooms,
        }
    )


@bp.route("/tickets", methods=["GET"])
@handles_errors
def list_tickets() -> Response:
    """R-TICKET-2: the session and the account's partition, two requests (as GET /me)."""
    account, file = signed_in_file()
    require_student(account)
    built = services()
    now = built.registration.clock.now()
    found = tickets.tickets_of(built.registration.catalogs.catalog(), file, now)
    signer = built.ticket_keys.ring().signer if found else None
    return json_response(
        [_ticket_json(ticket, signer.sign(ticket.document) if signer else "", now) for ticket in found]
    )


@bp.route("/tickets/{subject}/pdf", methods=["GET"])
@handles_errors
def ticket_pdf(subject: str) -> Response:
    """R-TICKET-2 准考证 as a PDF: the same file each time (its date is `tickets_open_at`, the
    signature deterministic), so its ETag holds and If-None-Match gets 304."""
    account, file = signed_in_file()
    require_student(account)
    request = _request()
    require_pdf_accepted(request)
    built = services()
    catalog = built.registration.catalogs.catalog()
    code = subject if SUBJECT_CODE.fullmatch(subject) else ""  # no such subject: NO_TICKET
    ticket = tickets.printable_ticket(catalog, file, code, built.registration.clock.now())
    qr = built.ticket_keys.ring().signer.sign(ticket.document)
    count("TicketPdf")
    body = render_ticket(ticket.document, qr, ticket.issued_at)
    return pdf_response(body, f"ticket-{ticket.document.ticket_number}.pdf", request)


@bp.route("/tickets/public-key", methods=["GET"])
@handles_errors
def public_key() -> Response:
    """The key a gate checks a ticket's QR code with, offline (R-TICKET-2, decision 0028)."""
    return json_response(services().ticket_keys.ring().public_key_document())


@bp.route("/staff/rooms", methods=["GET"])
@handles_errors
def staff_rooms() -> Response:
    """R-TICKET-3: the rooms of the staff's own school's sites."""
    school_id = require_staff(signed_in())
    subject = query_param(_request(), "subject")
    summaries = tickets.school_rooms(
        services().room_plan.store, school_id, None if subject is None else _subject(subject)
    )
    catalog = services().registration.catalogs.catalog()
    rows: list[dict[str, Any]] = []
    for summary in summaries:
        campus = catalog.campuses.get(summary.group.campus_id)
        for room in summary.rooms:
            code = f"{room.room:03d}"
            rows.append(
                {
                    "campus_id": summary.group.campus_id,
                    "campus_name": campus.name if campus else summary.group.campus_id,
                    "site_code": summary.group.site_code,
                    "subject": summary.group.subject,
                    "room": code,
                    "room_name": campus.room_name(code) if campus else None,
                    "seated": room.seated,
                    "separate_room": room.separate_room,
                }
            )
    return json_response(rows)


@bp.route("/staff/rooms/{campus_id}/{subject}/{room}/sheet", methods=["GET"])
@handles_errors
def sign_in_sheet(campus_id: str, subject: str, room: str) -> Response:
    """R-TICKET-3 考场签到表 of one of the school's rooms, as a PDF."""
    school_id = require_staff(signed_in())
    request = _request()
    require_pdf_accepted(request)
    if not ROOM.fullmatch(room) or room == "000" or not SUBJECT_CODE.fullmatch(subject):
        raise NotFound("没有这个考场。")
    built = services()
    catalog = built.registration.catalogs.catalog()
    found = tickets.sign_in_sheet(
        catalog, built.room_plan.store, school_id, path_id(campus_id, "考场"), subject, int(room)
    )
    sheet = found.sheet
    body = render_sign_in_sheet(sheet, found.printed_at)
    return pdf_response(body, f"sheet-{sheet.site_code}-{subject}-{room}.pdf", request)


@bp.route("/admin/room-plan", methods=["GET"])
@handles_errors
def admin_room_plan() -> Response:
    """R-TICKET-3: the plan per site, for the province's administrator."""
    admin.require_province(signed_in())
    state = tickets.plan_state(services().registration.catalogs, services().room_plan.store, per_site=True)
    if state is None:
        return json_response({"state": "none", "seated": 0, "rooms": 0, "sites": []})
    return json_response(
        {
            "state": "drawn" if state.drawn else "upcoming",
            "seated": state.seated,
            "rooms": state.rooms,
            "sites": [_site_json(summary) for summary in state.summaries],
        }
    )


def _site_json(summary: GroupSummary) -> dict[str, Any]:
    return {
        "campus_id": summary.group.campus_id,
        "site_code": summary.group.site_code,
        "subject": summary.group.subject,
        "seated": summary.seated,
        "rooms": len(summary.rooms),
        "partial_rooms": sum(1 for room in summary.rooms if room.seated < room_size(room.separate_room)),
    }


def _subject(value: str) -> str:
    if not SUBJECT_CODE.fullmatch(value):
        raise InvalidRequest("subject", "科目代码不正确")
    return value


def _ticket_json(ticket: tickets.Ticket, qr: str, now: datetime) -> dict[str, Any]:
    document = ticket.document
    return {
        "subject": document.subject,
        "subject_name": document.subject_name,
        "ticket_number": document.ticket_number,
        "site_code": document.site_code,
        "campus_id": ticket.campus_id,
        "campus_name": document.campus_name,
        "room": document.room,
        "room_name": document.room_name,
        "seat": document.seat,
        "separate_room": document.separate_room,
        "exam_at": iso(document.exam_at),
        "ends_at": iso(document.ends_at),
        "printable": now < document.ends_at,  # R-TICKET-2: printed until its exam ends (the server's clock)
        "qr": qr,
    }
