"""Exam rooms as schools and the province see them (R-TICKET-3, R-ROOM-1, R-ROOM-3): the staff's
rooms and each room's sign-in sheet (考场签到表), the administrator's plan per site. The plan and
the students' tickets are in tests/e2e/test_contract_tickets.py, whose helpers these tests share.

Part of the HTTP contract: tests/e2e/contract.py holds the shared helpers and the registry that
tests/e2e/test_contract_zz_registry.py checks.
"""

from __future__ import annotations

import hashlib
from datetime import timedelta
from typing import Any

import pytest
from chalice.test import Client

from tests import factories
from tests.e2e.contract import LI, NJU_STAFF, PASSPORT, QIAN, SEU_STAFF, ZHANG, expect, ok, until
from tests.e2e.http import Reply, agreed_student, call, province_admin, staff
from tests.e2e.test_contract_tickets import (
    EXAM,
    ORDINARY,
    paid,
    pdf_dated,
    pdf_text,
    plan,
    seated,
    tickets_of,
    with_sitting,
)

pytestmark = pytest.mark.usefixtures("contract")

ROOMS = "GET /staff/rooms"
SHEET = "GET /staff/rooms/{campus_id}/{subject}/{room}/sheet"
ADMIN_PLAN = "GET /admin/room-plan"
PDF = {"Accept": "application/pdf"}
SITE_KEYS = {"campus_id", "site_code", "subject", "seated", "rooms", "partial_rooms"}


def rooms(client: Client, token: str, query: str = "") -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = ok(call(client, "GET", f"/staff/rooms{query}", token=token), ROOMS)
    return found


def sheet(client: Client, token: str | None, path: str = "NJU-GL/CET4/001", **headers: str) -> Reply:
    return call(client, "GET", f"/staff/rooms/{path}/sheet", token=token, headers={**PDF, **headers})


def admin_plan(client: Client, token: str) -> dict[str, Any]:
    found: dict[str, Any] = ok(call(client, "GET", "/admin/room-plan", token=token), ADMIN_PLAN)
    assert set(found) == {"state", "seated", "rooms", "sites"}, found
    assert all(set(site) == SITE_KEYS for site in found["sites"]), found
    return found


def test_r_ticket_3_staff_see_the_rooms_of_their_own_schools_sites_only(client: Client) -> None:
    """R-TICKET-3, R-ROOM-3: each room of the school's sites, its name where the school gave one and
    how many sit there, ordinary rooms first; `?subject=` narrows it (400 for a code that cannot be)."""
    with_sitting()
    assert rooms(client, staff(client, NJU_STAFF)) == []  # nothing before the plan
    seated(client)
    nju, seu = staff(client, NJU_STAFF), staff(client, SEU_STAFF)
    gulou = {"campus_id": "NJU-GL", "campus_name": "鼓楼校区", "site_code": "320101", "subject": "CET4"}
    expected = [
        {**gulou, "room": "001", "room_name": "教学楼A101", "seated": 3, "separate_room": False},
        {**gulou, "room": "002", "room_name": "教学楼A102", "seated": 1, "separate_room": True},
    ]
    assert rooms(client, nju) == expected
    assert rooms(client, nju, "?subject=CET4") == expected
    assert rooms(client, nju, "?subject=CET6") == []
    sipailou = {
        "campus_id": "SEU-SP",
        "campus_name": "四牌楼校区",
        "site_code": "320201",
        "subject": "CET4",
        "room": "001",
        "room_name": None,
    }
    assert rooms(client, seu) == [{**sipailou, "seated": 1, "separate_room": False}]
    for query in ("?subject=", "?subject=cet4", "?subject=CET4%3B"):
        expect(call(client, "GET", f"/staff/rooms{query}", token=nju), ROOMS, 400, "INVALID_REQUEST", "subject")
    expect(call(client, "GET", "/staff/rooms"), ROOMS, 401, "UNAUTHENTICATED")
    student = agreed_student(client)
    expect(call(client, "GET", "/staff/rooms", token=student), ROOMS, 403, "FORBIDDEN")


def test_r_ticket_3_staff_print_a_rooms_sign_in_sheet_of_their_own_sites_only(client: Client) -> None:
    """R-TICKET-3 考场签到表: seat, ticket number, name and masked ID in seat order, the same file
    each time (ETag, 304); 403 for another school's site, 404 for a room that does not exist."""
    students = seated(client)
    until(EXAM.tickets_open_at)
    order = []
    for entry in ORDINARY:
        students[entry.name].again()
        (ticket,) = tickets_of(client, students[entry.name])
        order.append((ticket["seat"], ticket["ticket_number"], entry))
    nju = staff(client, NJU_STAFF)

    first = sheet(client, nju)
    ok(first, SHEET)
    text = pdf_text(first)
    for expected in ("考场签到表", "鼓楼校区", "320101", "教学楼A101", "英语四级", "应到 3 人"):
        assert expected in text, (expected, text)
    in_seats = sorted(order, key=lambda found: found[0])
    for at in (lambda found: text.index(found[1]), lambda found: text.index(found[2].name)):
        places = [at(found) for found in in_seats]
        assert places == sorted(places), text  # ticket numbers and names in seat order
    for *_, entry in order:
        assert factories.entry(entry).masked_id in text
        assert entry.id_number not in text
    assert ZHANG.name not in text  # she sits in the separate room
    assert first.header("Content-Disposition") == 'attachment; filename="sheet-320101-CET4-001.pdf"'
    assert pdf_dated(first) == EXAM.plan_at
    assert sheet(client, nju).data == first.data
    etag = first.header("ETag")
    assert etag == f'"{hashlib.sha256(first.data).hexdigest()}"'
    ok(sheet(client, nju, **{"If-None-Match": str(etag)}), SHEET, 304)
    separate = pdf_text(sheet(client, nju, "NJU-GL/CET4/002"))
    assert ZHANG.name in separate
    assert "延长40分钟" in separate
    assert "单独考场" in separate

    expect(sheet(client, nju, "SEU-SP/CET4/001"), SHEET, 403, "FORBIDDEN")  # another school's site
    ok(sheet(client, staff(client, SEU_STAFF), "SEU-SP/CET4/001"), SHEET)
    for path in ("NJU-GL/CET4/003", "NJU-GL/CET4/000", "NJU-GL/CET4/1", "NJU-GL/CET6/001", "NJU-XL/CET4/001"):
        expect(sheet(client, nju, path), SHEET, 404, "NOT_FOUND")
    for path in ("NO-SUCH/CET4/001", "NJU-GL/cet4/001", "NJU-GL/NOSUCH/001", "NJU-GL/CET4/%D9%A1%D9%A2%D9%A3"):
        expect(sheet(client, nju, path), SHEET, 404, "NOT_FOUND")
    refused = call(client, "GET", "/staff/rooms/NJU-GL/CET4/001/sheet", token=nju, headers={"Accept": "text/html"})
    expect(refused, SHEET, 406, "NOT_ACCEPTABLE")
    expect(sheet(client, None), SHEET, 401, "UNAUTHENTICATED")
    expect(sheet(client, students[LI.name].again()), SHEET, 403, "FORBIDDEN")  # a student


def test_r_ticket_3_the_administrator_sees_the_plan_per_site(client: Client) -> None:
    """R-TICKET-3, R-ROOM-1: the province's administrator sees, per site and subject, the seats
    given, the rooms and those partly filled (at most one per kind of room); nobody else does."""
    admin = province_admin(client)
    assert admin_plan(client, admin) == {"state": "none", "seated": 0, "rooms": 0, "sites": []}
    with_sitting()
    assert admin_plan(client, admin) == {"state": "upcoming", "seated": 0, "rooms": 0, "sites": []}
    for entry in (ZHANG, LI, QIAN, PASSPORT):
        paid(client, entry)
    until(EXAM.plan_at + timedelta(minutes=5))
    assert plan(client)["seated"] == 4
    admin = province_admin(client)

    found = admin_plan(client, admin)
    assert (found["state"], found["seated"], found["rooms"]) == ("drawn", 4, 2)
    sites = {(site["campus_id"], site["subject"]): site for site in found["sites"]}
    assert len(sites) == 8  # every site and written subject it holds, seated or not
    assert sites[("NJU-GL", "CET4")] == {
        "campus_id": "NJU-GL",
        "site_code": "320101",
        "subject": "CET4",
        "seated": 4,
        "rooms": 2,
        "partial_rooms": 2,  # one ordinary room of 3, one separate room of 1
    }
    assert {(key, site["seated"], site["rooms"]) for key, site in sites.items() if key != ("NJU-GL", "CET4")} == {
        (key, 0, 0) for key in sites if key != ("NJU-GL", "CET4")
    }
    expect(call(client, "GET", "/admin/room-plan"), ADMIN_PLAN, 401, "UNAUTHENTICATED")
    expect(call(client, "GET", "/admin/room-plan", token=staff(client, NJU_STAFF)), ADMIN_PLAN, 403, "FORBIDDEN")
    student = agreed_student(client)
    expect(call(client, "GET", "/admin/room-plan", token=student), ADMIN_PLAN, 403, "FORBIDDEN")
