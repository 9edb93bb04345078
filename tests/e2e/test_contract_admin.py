"""The province administrator (R-OPS-1, R-OPS-2).

Part of the HTTP contract: tests/e2e/contract.py holds the shared helpers and the registry that
tests/e2e/test_contract_zz_registry.py checks.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import pytest
from chalice.test import Client

from tests import factories
from tests.e2e.contract import (
    CHANGES,
    DAY,
    DECIDE,
    JOB,
    LI,
    NJU_STAFF,
    PASSPORT,
    PAY,
    QIAN,
    REFRESH,
    SUN,
    WAITLIST,
    ZHANG,
    advance,
    changes,
    choose,
    chosen,
    colour,
    decide,
    expect,
    fill_nju_gl,
    holding,
    join,
    ok,
    parse_time,
    pending_review,
    place,
    sandbox_pay,
    save,
    server_now,
    statuses,
)
from tests.e2e.http import (
    Reply,
    agreed_student,
    call,
    log_in,
    province_admin,
    registered,
    staff,
)

pytestmark = pytest.mark.usefixtures("contract")


OVERVIEW = "GET /admin/overview"
WINDOW = "PUT /admin/windows/{school_id}"
SEATS = "PUT /admin/seats/{campus_id}/{subject}"
NOTICE = "PUT /admin/notices/{school_id}"
OVERVIEW_KEYS = {"registrations", "seats", "orders", "reviews_pending", "late_payments", "windows"}
SEAT_LINE_KEYS = {"campus_id", "subject", "capacity", "taken", "live_holds", "waiting", "campus_name", "school_id"}
WINDOW_KEYS = {"school_id", "school_name", "opens_at", "closes_at", "open_now"}


def overview(client: Client, token: str) -> dict[str, Any]:
    body = dict(ok(call(client, "GET", "/admin/overview", token=token), OVERVIEW))
    assert set(body) == OVERVIEW_KEYS, body
    assert all(set(line) == SEAT_LINE_KEYS for line in body["seats"]), body["seats"]
    assert all(set(window) == WINDOW_KEYS for window in body["windows"]), body["windows"]
    per_hour = body["registrations"]["per_hour"]
    assert sum(h["saved"] for h in per_hour) == body["registrations"]["saved"], body["registrations"]
    assert [parse_time(h["hour"]) for h in per_hour] == sorted(parse_time(h["hour"]) for h in per_hour)
    return body


def seat_line(body: dict[str, Any], campus_id: str = "NJU-GL", subject: str = "CET-SET4") -> dict[str, Any]:
    return dict(next(line for line in body["seats"] if (line["campus_id"], line["subject"]) == (campus_id, subject)))


def windows_of(body: dict[str, Any]) -> list[tuple[str, str, str, str, bool]]:
    return [(w["school_id"], w["school_name"], w["opens_at"], w["closes_at"], w["open_now"]) for w in body["windows"]]


def pending_per_school(body: dict[str, Any]) -> dict[str, int]:
    return {row["school_id"]: row["count"] for row in body["reviews_pending"]}


def set_capacity(
    client: Client, token: str, capacity: object, campus: str = "NJU-GL", subject: str = "CET-SET4"
) -> Reply:
    return call(client, "PUT", f"/admin/seats/{campus}/{subject}", {"capacity": capacity}, token)


def set_window(client: Client, token: str, school_id: str, opens_at: datetime, closes_at: datetime) -> Reply:
    body = {"opens_at": opens_at.isoformat(), "closes_at": closes_at.isoformat()}
    return call(client, "PUT", f"/admin/windows/{school_id}", body, token)


def test_r_ops_1_the_overview_counts_registrations_seats_orders_reviews_and_late_payments(client: Client) -> None:
    """R-OPS-1: saved and per hour, seats (capacity, taken = paid + live holds, waiting), orders by
    status with the paid amount, pending reviews per school, late payments: each follows what happens."""
    admin = province_admin(client)
    empty = overview(client, admin)
    assert empty["registrations"] == {"saved": 0, "per_hour": []}
    assert empty["orders"] == {"open": 0, "paid": 0, "closed": 0, "refunded": 0, "paid_amount": 0}
    assert {(line["campus_id"], line["subject"]) for line in empty["seats"]} == {
        ("NJU-GL", "CET-SET4"), ("NJU-GL", "CET-SET6"), ("NJU-XL", "CET-SET4"), ("SEU-SP", "CET-SET4"),
    }  # fmt: skip
    assert seat_line(empty) == {**seat_line(empty), "capacity": 3, "taken": 0, "live_holds": 0, "waiting": 0}
    assert {(line["campus_id"], line["campus_name"], line["school_id"]) for line in empty["seats"]} == {
        ("NJU-GL", "鼓楼校区", "NJU"), ("NJU-XL", "仙林校区", "NJU"), ("SEU-SP", "四牌楼校区", "SEU"),
    }  # fmt: skip
    long_ago, far_ahead = factories.LONG_AGO.isoformat(), factories.FAR_AHEAD.isoformat()
    assert windows_of(empty) == [
        ("NJU", "南京大学", long_ago, far_ahead, True),
        ("OLD", "已截止学院", long_ago, (factories.LONG_AGO + timedelta(days=30)).isoformat(), False),
        ("SEU", "东南大学", long_ago, far_ahead, True),
    ]  # every school's window from the catalog, open now or not by the service's clock
    assert pending_per_school(empty) == {"NJU": 0, "SEU": 0, "OLD": 0}
    assert empty["late_payments"] == 0

    _, review_id = pending_review(client)
    paid_login, paid_token = holding(client, LI)
    ok(sandbox_pay(client, place(client, paid_token)["order_id"]), PAY)
    late_login, late_token = holding(client, QIAN)
    late_order = place(client, late_token)["order_id"]
    hour = server_now(client).replace(minute=0, second=0, microsecond=0)
    now = overview(client, admin)
    assert now["registrations"] == {"saved": 2, "per_hour": [{"hour": hour.isoformat(), "saved": 2}]}
    assert now["orders"] == {"open": 1, "paid": 1, "closed": 0, "refunded": 0, "paid_amount": 8000}
    assert (seat_line(now)["taken"], seat_line(now)["live_holds"]) == (2, 1)  # LI paid, QIAN holds
    assert pending_per_school(now)["NJU"] == 1

    decided = decide(client, staff(client, NJU_STAFF), review_id, {"approve": False, "note": "不符"})
    ok(decided, DECIDE)
    ok(sandbox_pay(client, late_order, "deliveries=0"), PAY)  # paid in time, the notification lost
    advance(client, DAY + 60)
    ok(call(client, "POST", "/_test/jobs/expire"), JOB)  # QIAN's holds go, then the registration
    admin = province_admin(client)  # a day later: signed in again
    gone = overview(client, admin)
    assert gone["registrations"]["saved"] == 1, gone["registrations"]  # LI's, paid, stays
    assert (seat_line(gone)["taken"], seat_line(gone)["live_holds"]) == (1, 0)
    assert ok(call(client, "POST", "/_test/jobs/reconcile"), JOB)["paid"] == 1  # re-reserved (R-PAY-5)
    last = overview(client, admin)
    assert last["orders"] == {"open": 0, "paid": 2, "closed": 0, "refunded": 0, "paid_amount": 16000}
    assert last["late_payments"] == 1
    assert pending_per_school(last)["NJU"] == 0
    assert (seat_line(last)["taken"], seat_line(last)["live_holds"]) == (2, 0)
    assert last["registrations"]["saved"] == 2, last["registrations"]  # saved again for the late payment
    assert len(last["registrations"]["per_hour"]) == 2
    assert statuses(client, log_in(client, late_login)) == [("CET4", "paid"), ("CET-SET4", "paid")]
    assert statuses(client, log_in(client, paid_login)) == [("CET4", "paid"), ("CET-SET4", "paid")]


def test_r_ops_1_an_order_closed_unpaid_is_counted_closed(client: Client) -> None:
    """R-OPS-1: orders by status: an order past its deadline is closed, open no more."""
    login, token = holding(client)
    order_id = place(client, token)["order_id"]
    assert overview(client, province_admin(client))["orders"]["open"] == 1
    advance(client, DAY + 60)
    ok(call(client, "POST", f"/orders/{order_id}/refresh", token=log_in(client, login)), REFRESH)
    ok(call(client, "POST", "/_test/jobs/expire"), JOB)
    closed = overview(client, province_admin(client))
    assert closed["orders"] == {"open": 0, "paid": 0, "closed": 1, "refunded": 0, "paid_amount": 0}
    assert closed["registrations"] == {"saved": 0, "per_hour": []}  # deleted by the job (R-BIND-4)


def test_r_ops_1_r_ops_2_only_the_province_administrator_401_and_403_for_students_and_staff(client: Client) -> None:
    """R-OPS-1, R-OPS-2: every admin route is 401 without a session and 403 FORBIDDEN for a student
    and for school staff; nothing they send is changed or recorded."""
    student, school = agreed_student(client), staff(client, NJU_STAFF)
    window = {"opens_at": "2026-03-01T09:00:00+08:00", "closes_at": "2026-03-10T17:00:00+08:00"}
    for token in (None, "not-a-token"):
        expect(call(client, "GET", "/admin/overview", token=token), OVERVIEW, 401, "UNAUTHENTICATED")
        expect(call(client, "PUT", "/admin/windows/NJU", window, token), WINDOW, 401, "UNAUTHENTICATED")
        expect(set_capacity(client, token, 1), SEATS, 401, "UNAUTHENTICATED")  # type: ignore[arg-type]
        expect(call(client, "PUT", "/admin/notices/province", {"notice": "x"}, token), NOTICE, 401, "UNAUTHENTICATED")
        expect(call(client, "GET", "/admin/changes", token=token), CHANGES, 401, "UNAUTHENTICATED")
    for token in (student, school):
        expect(call(client, "GET", "/admin/overview", token=token), OVERVIEW, 403, "FORBIDDEN")
        expect(call(client, "PUT", "/admin/windows/NJU", window, token), WINDOW, 403, "FORBIDDEN")
        expect(set_capacity(client, token, 1), SEATS, 403, "FORBIDDEN")
        expect(call(client, "PUT", "/admin/notices/province", {"notice": "x"}, token), NOTICE, 403, "FORBIDDEN")
        expect(call(client, "GET", "/admin/changes", token=token), CHANGES, 403, "FORBIDDEN")
    admin = province_admin(client)
    assert changes(client, admin) == []
    assert seat_line(overview(client, admin))["capacity"] == 3


def test_r_ops_2_a_capacity_never_goes_below_the_seats_taken_409_and_each_change_is_recorded(client: Client) -> None:
    """R-OPS-2: a capacity below the seats taken is 409 CAPACITY_BELOW_TAKEN and changes nothing; at or
    above it the shards are re-split, the campus list follows at once, and the log says who and when."""
    admin = province_admin(client)
    fill_nju_gl(client)
    expect(set_capacity(client, admin, 2), SEATS, 409, "CAPACITY_BELOW_TAKEN")
    expect(set_capacity(client, admin, 0), SEATS, 409, "CAPACITY_BELOW_TAKEN")
    same = ok(set_capacity(client, admin, 3), SEATS)
    assert same == {"campus_id": "NJU-GL", "subject": "CET-SET4", "capacity": 3, "taken": 3, "live_holds": 3,
                    "waiting": 0, "campus_name": "鼓楼校区", "school_id": "NJU"}  # fmt: skip
    before = server_now(client)
    assert ok(set_capacity(client, admin, 9), SEATS)["capacity"] == 9
    grabber = registered(client, SUN)
    chosen(client, grabber, "CET4")
    assert colour(client, grabber, "NJU-GL") == "green"  # 6 of 9 left: the catalog cache followed the change
    chosen(client, grabber, "CET-SET4", "NJU-GL")
    assert ok(set_capacity(client, admin, 4), SEATS)["taken"] == 4
    assert colour(client, grabber, "NJU-GL") == "none"
    assert seat_line(overview(client, admin)) == {**same, "capacity": 4, "taken": 4, "live_holds": 4}
    log = changes(client, admin)
    assert [(c["what"], c["before"], c["after"]) for c in log] == [
        ("seats/NJU-GL/CET-SET4", {"capacity": 9}, {"capacity": 4}),
        ("seats/NJU-GL/CET-SET4", {"capacity": 3}, {"capacity": 9}),
        ("seats/NJU-GL/CET-SET4", {"capacity": 3}, {"capacity": 3}),
    ]
    assert {c["by"] for c in log} == {factories.ADMIN_LOGIN}
    assert before - timedelta(seconds=1) <= parse_time(log[1]["at"]) <= server_now(client)


def test_r_ops_2_a_raised_capacity_offers_its_new_seats_to_students_waiting_first(client: Client) -> None:
    """R-OPS-2 with R-WAIT-2: seats a raise frees while students wait are held for the list (a grab is
    still refused) and offered to the first student waiting by the offer step."""
    admin = province_admin(client)
    fill_nju_gl(client)
    first, grabber = registered(client, PASSPORT), registered(client, SUN)
    for token in (first, grabber):
        chosen(client, token, "CET4")
    ok(join(client, first), WAITLIST, 201)
    assert seat_line(overview(client, admin))["waiting"] == 1
    raised = ok(set_capacity(client, admin, 4), SEATS)
    assert (raised["capacity"], raised["taken"], raised["waiting"]) == (4, 4, 1)
    expect(choose(client, grabber, "CET-SET4", "NJU-GL"), "POST /registration/subjects", 409, "CAMPUS_FULL")
    assert ok(call(client, "POST", "/_test/jobs/offer"), JOB)["offered"] == 1
    oral = next(s for s in ok(call(client, "GET", "/registration", token=first), "GET /registration")["subjects"]
                if s["code"] == "CET-SET4")  # fmt: skip
    assert (oral["campus_id"], oral["status"], oral["offered"]) == ("NJU-GL", "unpaid", True)
    line = seat_line(overview(client, admin))
    assert (line["capacity"], line["taken"], line["live_holds"], line["waiting"]) == (4, 4, 4, 0)


def test_r_ops_2_bad_inputs_are_400_and_unknown_schools_campuses_subjects_404(client: Client) -> None:
    """R-OPS-2: each bad input is 400 with its code and field, an unknown target 404; none is recorded."""
    admin = province_admin(client)
    opens, closes = factories.NOW, factories.NOW + timedelta(days=3)
    expect(set_window(client, admin, "NJU", closes, opens), WINDOW, 400, "INVALID_WINDOW")
    expect(set_window(client, admin, "NJU", opens, opens), WINDOW, 400, "INVALID_WINDOW")
    for body, field in (({}, "opens_at"), ({"opens_at": opens.isoformat()}, "closes_at"),
                        ({"opens_at": "明天", "closes_at": closes.isoformat()}, "opens_at"),
                        ({"opens_at": "2026-03-01T09:00:00", "closes_at": closes.isoformat()}, "opens_at"),
                        ({"opens_at": opens.isoformat(), "closes_at": 20260301}, "closes_at")):  # fmt: skip
        expect(call(client, "PUT", "/admin/windows/NJU", body, admin), WINDOW, 400, "INVALID_REQUEST", field)
    expect(call(client, "PUT", "/admin/windows/NJU", raw="[1]", token=admin), WINDOW, 400, "INVALID_REQUEST", "body")
    expect(set_window(client, admin, "NOPE", opens, closes), WINDOW, 404, "NOT_FOUND")
    for capacity in ("5", -1, 100_001, True, None, 2.5):
        expect(set_capacity(client, admin, capacity), SEATS, 400, "INVALID_REQUEST", "capacity")
    for campus, subject in (("NOPE", "CET-SET4"), ("NJU-GL", "CET4"), ("NJU-XL", "CET-SET6"), ("NJU-GL", "X" * 65)):
        expect(set_capacity(client, admin, 5, campus, subject), SEATS, 404, "NOT_FOUND")
    for notice in (5, None, "通" * 2001):
        reply = call(client, "PUT", "/admin/notices/NJU", {"notice": notice}, admin)
        expect(reply, NOTICE, 400, "INVALID_REQUEST", "notice")
    expect(call(client, "PUT", "/admin/notices/NOPE", {"notice": "x"}, admin), NOTICE, 404, "NOT_FOUND")
    assert changes(client, admin) == []


def test_r_ops_2_window_and_notice_changes_reach_students_and_closing_mid_flow_is_recorded(client: Client) -> None:
    """R-OPS-2: closing a school's window while its students register is allowed and recorded (open_now
    true before, false after); students see the new window and notices at once in this Lambda."""
    admin = province_admin(client)
    student = agreed_student(client)
    now = server_now(client)
    window = ok(set_window(client, admin, "NJU", factories.LONG_AGO, now - timedelta(hours=1)), WINDOW)
    assert window == {"school_id": "NJU", "opens_at": factories.LONG_AGO.isoformat(),
                      "closes_at": (now - timedelta(hours=1)).isoformat()}  # fmt: skip
    expect(save(client, student, ZHANG), "POST /registration", 403, "REGISTRATION_CLOSED")
    closed = ("NJU", "南京大学", window["opens_at"], window["closes_at"], False)
    assert windows_of(overview(client, admin))[0] == closed  # the overview follows the change at once
    [closing] = changes(client, admin)
    assert closing["what"] == "window/NJU"
    assert (closing["before"]["open_now"], closing["after"]["open_now"]) == (True, False)
    assert closing["after"]["windows"] == [{"opens_at": window["opens_at"], "closes_at": window["closes_at"]}]
    reopened = ok(set_window(client, admin, "NJU", now - timedelta(hours=1), factories.FAR_AHEAD), WINDOW)
    opened = ("NJU", "南京大学", reopened["opens_at"], reopened["closes_at"], True)
    assert windows_of(overview(client, admin))[0] == opened
    ok(save(client, student, ZHANG), "POST /registration", 201)
    notice = ok(call(client, "PUT", "/admin/notices/NJU", {"notice": "南京大学新须知"}, admin), NOTICE)
    assert notice == {"target": "NJU", "notice": "南京大学新须知"}
    ok(call(client, "PUT", "/admin/notices/province", {"notice": "示例省新通告"}, admin), NOTICE)
    notices = ok(call(client, "GET", "/notices"), "GET /notices")
    assert notices["province"]["notice"] == "示例省新通告"
    assert {s["id"]: s["notice"] for s in notices["schools"]}["NJU"] == "南京大学新须知"
    assert [c["what"] for c in changes(client, admin)] == ["notice/province", "notice/NJU", "window/NJU", "window/NJU"]
    assert changes(client, admin)[0]["before"] == {"notice": "示例省通告：请在 24 小时内缴费。"}
