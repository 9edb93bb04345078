"""Exam rooms and admission tickets (R-ROOM-1, R-ROOM-2, R-ROOM-3, R-TICKET-1, R-TICKET-2): the
plan as anyone sees it, a student's tickets, their PDFs and the key a gate checks them with. The
staff's rooms and sheets and the administrator's view are in tests/e2e/test_contract_rooms.py.

Part of the HTTP contract: tests/e2e/contract.py holds the shared helpers and the registry that
tests/e2e/test_contract_zz_registry.py checks.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import io
from datetime import datetime, timedelta
from typing import Any

import pytest
from chalice.test import Client
from pypdf import PdfReader

from chalicelib.bootstrap import CLOCK, reset_services, services
from chalicelib.domain.ticket_document import TicketQrRefused
from chalicelib.services.province import load_province
from chalicelib.tickets.signing import new_private_key, public_key_of, verify_ticket_qr
from devstack.ddb_requests import count_requests
from tests import factories
from tests.e2e import test_payments as payments
from tests.e2e.contract import JOB, LI, NJU_STAFF, PASSPORT, QIAN, SUN, WANG, ZHANG, expect, ok, parse_time, until
from tests.e2e.http import Reply, agreed_student, call, staff

pytestmark = pytest.mark.usefixtures("contract")

ROOM_PLAN = "GET /room-plan"
TICKETS = "GET /tickets"
TICKET_PDF = "GET /tickets/{subject}/pdf"
PUBLIC_KEY = "GET /tickets/public-key"
PDF = {"Accept": "application/pdf"}
EXAM = factories.EXAM
CET4_AT = factories.EXAM_AT["CET4"]  # 140 minutes (factories.sitting_catalog)
CET4_ENDS = CET4_AT + timedelta(minutes=140)
ROOM_PLAN_KEYS = {"state", "plan_at", "tickets_open_at", "seed_sha256", "seed", "seated", "rooms"}
TICKET_KEYS = {
    "subject", "subject_name", "ticket_number", "site_code", "campus_id", "campus_name", "room", "room_name", "seat",
    "separate_room", "exam_at", "ends_at", "printable", "qr",
}  # fmt: skip
ORDINARY = (LI, QIAN, PASSPORT)  # NJU-GL's ordinary CET4 room; ZHANG sits apart (R-ROOM-3)


def with_sitting() -> None:
    """The test province again, with its December 2099 sitting (factories.sitting_province): the
    seed is drawn by this load; ZHANG has a separate room and 40 extra minutes on the roll."""
    load_province(services().loading, factories.sitting_province(capacity=3), CLOCK.now())
    reset_services()  # every cached catalog sees the sitting


def paid(client: Client, entry: Any) -> payments.Student:
    """A student who registered `entry` and paid CET4 (the payment writes the subject's sitter)."""
    student = payments.holding(client, entry, oral=False)
    assert payments.pay(client, payments.order(client, student.token)["order_id"]).status == 200
    return student


def plan(client: Client) -> dict[str, int]:
    report: dict[str, int] = ok(call(client, "POST", "/_test/jobs/plan"), JOB)
    return report


def seated(client: Client) -> dict[str, payments.Student]:
    """The sitting loaded; ZHANG, LI, QIAN, PASSPORT (NJU-GL) and WANG (SEU-SP) paid CET4, SUN chose
    it unpaid; the plan drawn after `plan_at`; each student signed in again (by roll name)."""
    with_sitting()
    students = {entry.name: paid(client, entry) for entry in (ZHANG, *ORDINARY, WANG)}
    students[SUN.name] = payments.holding(client, SUN, oral=False)
    until(EXAM.plan_at + timedelta(minutes=5))
    assert plan(client) == {"run": 1, "groups": 16, "seated": 5, "failed": 0}  # 4 sites × 4 written subjects
    for student in students.values():
        student.again()
    return students


def tickets_of(client: Client, student: payments.Student) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = ok(call(client, "GET", "/tickets", token=student.token), TICKETS)
    assert all(set(ticket) == TICKET_KEYS for ticket in found), found
    return found


def ticket_pdf(client: Client, token: str | None, subject: str = "CET4", **headers: str) -> Reply:
    return call(client, "GET", f"/tickets/{subject}/pdf", token=token, headers={**PDF, **headers})


def pdf_text(reply: Reply) -> str:
    assert reply.header("Content-Type") == "application/pdf", reply.headers
    assert reply.data.startswith(b"%PDF-")
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(reply.data)).pages)


def pdf_dated(reply: Reply) -> datetime | None:
    """The PDF's creation date: fixed, so the same document is the same file."""
    metadata = PdfReader(io.BytesIO(reply.data)).metadata
    return metadata.creation_date if metadata else None


def ticket_number(room: str, seat: str, site: str = "320101") -> str:
    """R-TICKET-1: site, year's last 2 digits, sitting (2: December), CET4's ticket code (1), room, seat."""
    return f"{site}{EXAM.year % 100:02d}{EXAM.sitting.value}1{room}{seat}"


def account_id(client: Client, student: payments.Student) -> str:
    return str(ok(call(client, "GET", "/me", token=student.token), "GET /me")["account_id"])


def test_r_room_2_the_seeds_digest_is_public_before_the_plan_and_the_seed_orders_its_seats(client: Client) -> None:
    """R-ROOM-2: the digest before, the seed once drawn; within a site, subject and kind of room the
    candidates sit in ascending hex HMAC-SHA256 (key: the seed, message: the account id). R-ROOM-1:
    nothing before `plan_at`; a second run moves no seat. 404 while the province has no sitting."""
    expect(call(client, "GET", "/room-plan"), ROOM_PLAN, 404, "NOT_FOUND")
    with_sitting()
    before = ok(call(client, "GET", "/room-plan"), ROOM_PLAN)
    assert set(before) == ROOM_PLAN_KEYS
    assert (before["state"], before["seed"], before["seated"], before["rooms"]) == ("upcoming", None, 0, 0)
    assert (parse_time(before["plan_at"]), parse_time(before["tickets_open_at"])) == (
        EXAM.plan_at,
        EXAM.tickets_open_at,
    )
    students = {entry.name: paid(client, entry) for entry in (ZHANG, *ORDINARY)}
    assert plan(client) == {"run": 0, "groups": 0, "seated": 0, "failed": 0}  # before plan_at
    until(EXAM.plan_at + timedelta(minutes=5))
    assert plan(client) == {"run": 1, "groups": 16, "seated": 4, "failed": 0}

    drawn = ok(call(client, "GET", "/room-plan"), ROOM_PLAN)
    assert (drawn["state"], drawn["seated"], drawn["rooms"]) == ("drawn", 4, 2)
    assert hashlib.sha256(drawn["seed"].encode("utf-8")).hexdigest() == before["seed_sha256"] == drawn["seed_sha256"]
    until(EXAM.tickets_open_at)
    seats = {}
    for name, student in students.items():
        student.again()
        (ticket,) = tickets_of(client, student)
        seats[name] = (ticket["room"], ticket["seat"])
    key = drawn["seed"].encode("utf-8")
    ids = {entry.name: account_id(client, students[entry.name]) for entry in ORDINARY}
    in_order = sorted(ids, key=lambda name: hmac.new(key, ids[name].encode("utf-8"), hashlib.sha256).hexdigest())
    assert [seats[name] for name in in_order] == [("001", "01"), ("001", "02"), ("001", "03")]
    assert seats[ZHANG.name] == ("002", "01")  # R-ROOM-3: separate rooms after the ordinary ones

    assert plan(client) == {
        "run": 2,
        "groups": 16,
        "seated": 0,
        "failed": 0,
    }  # R-ROOM-1: a seat once given never changes
    assert ok(call(client, "GET", "/room-plan"), ROOM_PLAN)["seed"] == drawn["seed"]
    assert [(t["room"], t["seat"]) for t in tickets_of(client, students[ZHANG.name])] == [("002", "01")]


def test_r_ticket_2_tickets_from_tickets_open_at_with_a_qr_code_the_provinces_public_key_verifies(
    client: Client,
) -> None:
    """R-TICKET-2, R-TICKET-1, R-ROOM-3: the bound registration's seated subjects from
    `tickets_open_at` (409 before); the 15-digit number, the room's name, the end with the extra
    minutes; the QR text verifies offline with GET /tickets/public-key's key, and with no other."""
    students = seated(client)
    zhang = students[ZHANG.name]
    expect(call(client, "GET", "/tickets", token=zhang.token), TICKETS, 409, "TICKETS_NOT_OPEN")
    until(EXAM.tickets_open_at - timedelta(seconds=1))
    expect(call(client, "GET", "/tickets", token=zhang.again()), TICKETS, 409, "TICKETS_NOT_OPEN")
    until(EXAM.tickets_open_at)
    zhang.again()

    (ticket,) = tickets_of(client, zhang)
    assert {k: v for k, v in ticket.items() if k not in ("qr", "exam_at", "ends_at")} == {
        "subject": "CET4",
        "subject_name": "英语四级",
        "ticket_number": ticket_number("002", "01"),
        "site_code": "320101",
        "campus_id": "NJU-GL",
        "campus_name": "鼓楼校区",
        "room": "002",
        "room_name": "教学楼A102",
        "seat": "01",
        "separate_room": True,
        "printable": True,
    }
    assert (parse_time(ticket["exam_at"]), parse_time(ticket["ends_at"])) == (
        CET4_AT,
        CET4_ENDS + timedelta(minutes=40),
    )
    li = students[LI.name].again()
    (other,) = ok(call(client, "GET", "/tickets", token=li), TICKETS)
    assert (other["room"], other["room_name"], other["separate_room"]) == ("001", "教学楼A101", False)
    assert parse_time(other["ends_at"]) == CET4_ENDS

    key = ok(call(client, "GET", "/tickets/public-key"), PUBLIC_KEY)
    assert (key["alg"], key["keys"][0]["key_id"]) == ("Ed25519", key["key_id"])
    public = base64.b64decode(key["public_key"])
    fields = verify_ticket_qr(ticket["qr"], {key["key_id"]: public})
    assert (fields["ticket_number"], fields["name"], fields["subject"], fields["room"], fields["seat"]) == (
        ticket["ticket_number"],
        ZHANG.name,
        "CET4",
        "002",
        "01",
    )
    assert (fields["exam_at"], fields["ends_at"]) == (ticket["exam_at"], ticket["ends_at"])
    assert fields["masked_id"] == factories.entry(ZHANG).masked_id
    with pytest.raises(TicketQrRefused):  # a key that is not the province's proves nothing
        verify_ticket_qr(ticket["qr"], {key["key_id"]: public_key_of(new_private_key())})

    assert ok(call(client, "GET", "/tickets", token=students[SUN.name].again()), TICKETS) == []  # unpaid
    assert ok(call(client, "GET", "/tickets", token=agreed_student(client)), TICKETS) == []  # no registration
    expect(call(client, "GET", "/tickets"), TICKETS, 401, "UNAUTHENTICATED")
    expect(call(client, "GET", "/tickets", token=staff(client, NJU_STAFF)), TICKETS, 403, "FORBIDDEN")


def test_r_ticket_2_get_tickets_reads_the_session_and_the_account_partition_only(client: Client) -> None:
    """R-TICKET-2 at the opening minute: GET /tickets is two requests to DynamoDB (the session, one
    query of the account's partition, where the plan wrote each seat), as GET /me."""
    students = seated(client)
    until(EXAM.tickets_open_at)
    zhang = students[ZHANG.name].again()
    ok(call(client, "GET", "/tickets", token=zhang), TICKETS)  # the catalog is cached, as in a warm Lambda
    requests = count_requests()
    (ticket,) = ok(call(client, "GET", "/tickets", token=zhang), TICKETS)
    assert dict(requests.by_operation) == {"GetItem": 1, "Query": 1}
    assert ticket["ticket_number"] == ticket_number("002", "01")


def test_r_ticket_2_the_pdf_prints_until_the_exam_ends_the_same_file_each_time(client: Client) -> None:
    """R-TICKET-2: the ticket as a PDF (name, masked ID, school, subject, time, site, room and its
    name, seat, number, rules) from `tickets_open_at` until the exam ends, extra minutes included;
    byte for byte the same each time, its ETag the file's SHA-256 (304 for If-None-Match)."""
    students = seated(client)
    zhang, li = students[ZHANG.name], students[LI.name]
    expect(ticket_pdf(client, zhang.token), TICKET_PDF, 409, "TICKETS_NOT_OPEN")
    until(EXAM.tickets_open_at)
    zhang.again()

    first = ticket_pdf(client, zhang.token)
    ok(first, TICKET_PDF)
    text = pdf_text(first)
    number = ticket_number("002", "01")
    for expected in (number, ZHANG.name, factories.entry(ZHANG).masked_id, "南京大学", "英语四级", "鼓楼校区"):
        assert expected in text, (expected, text)
    for expected in ("320101", "教学楼A102", "单独考场", "北京时间", "12:00", "40 分钟", "考生须知"):
        assert expected in text, (expected, text)
    assert ZHANG.id_number not in text
    assert first.header("Content-Disposition") == f'attachment; filename="ticket-{number}.pdf"'
    assert pdf_dated(first) == EXAM.tickets_open_at
    assert ticket_pdf(client, zhang.token).data == first.data  # the same file, whenever printed
    etag = first.header("ETag")
    assert etag == f'"{hashlib.sha256(first.data).hexdigest()}"'
    unchanged = ticket_pdf(client, zhang.token, **{"If-None-Match": str(etag)})
    ok(unchanged, TICKET_PDF, 304)
    assert (unchanged.data, unchanged.header("ETag")) == (b"", etag)
    assert ticket_pdf(client, zhang.token, **{"If-None-Match": '"0"'}).status == 200

    for subject in ("CET6", "CET-SET4", "cet4", "NOSUCH", "C"):  # not chosen, oral, malformed, unknown
        expect(ticket_pdf(client, zhang.token, subject), TICKET_PDF, 404, "NO_TICKET")
    expect(ticket_pdf(client, students[SUN.name].again()), TICKET_PDF, 404, "NO_TICKET")  # chosen, never paid
    refused = call(client, "GET", "/tickets/CET4/pdf", token=zhang.token, headers={"Accept": "application/json"})
    expect(refused, TICKET_PDF, 406, "NOT_ACCEPTABLE")
    expect(ticket_pdf(client, None), TICKET_PDF, 401, "UNAUTHENTICATED")
    expect(ticket_pdf(client, staff(client, NJU_STAFF)), TICKET_PDF, 403, "FORBIDDEN")

    until(CET4_ENDS)  # LI's exam has ended; ZHANG's 40 extra minutes go on
    expect(ticket_pdf(client, li.again()), TICKET_PDF, 409, "TICKETS_CLOSED")
    ok(ticket_pdf(client, zhang.again()), TICKET_PDF)
    listed = [ok(call(client, "GET", "/tickets", token=who.again()), TICKETS) for who in (li, zhang)]
    assert [[t["printable"] for t in found] for found in listed] == [[False], [True]], listed  # the list says so
    until(CET4_ENDS + timedelta(minutes=40))
    expect(ticket_pdf(client, zhang.again()), TICKET_PDF, 409, "TICKETS_CLOSED")


def test_r_ticket_2_no_ticket_is_shown_or_printed_without_the_provinces_signing_key(
    client: Client, monkeypatch: pytest.MonkeyPatch
) -> None:
    """R-TICKET-2, decision 0028: a ticket is never shown unsigned; while the key cannot be read,
    the tickets, their PDFs and the public key are 503 TICKET_KEY_UNAVAILABLE."""
    students = seated(client)
    until(EXAM.tickets_open_at)
    zhang = students[ZHANG.name].again()
    with monkeypatch.context() as unreadable:
        unreadable.setattr(services().ticket_keys, "_read", lambda: None)  # the secret cannot be read
        expect(call(client, "GET", "/tickets/public-key"), PUBLIC_KEY, 503, "TICKET_KEY_UNAVAILABLE")
        expect(call(client, "GET", "/tickets", token=zhang), TICKETS, 503, "TICKET_KEY_UNAVAILABLE")
        expect(ticket_pdf(client, zhang), TICKET_PDF, 503, "TICKET_KEY_UNAVAILABLE")
    assert len(ok(call(client, "GET", "/tickets", token=zhang), TICKETS)) == 1
