"""The waiting list for full campuses (R-WAIT-1..2).

Part of the HTTP contract: tests/e2e/contract.py holds the shared helpers and the registry that
tests/e2e/test_contract_zz_registry.py checks.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from chalice.test import Client

from tests.e2e.contract import (
    JOB,
    NJU_STAFF,
    PASSPORT,
    PAY,
    REMOVE,
    SUN,
    WAITLIST,
    WANG,
    advance,
    choose,
    chosen,
    colour,
    expect,
    fill_nju_gl,
    join,
    ok,
    outbox,
    parse_time,
    place,
    remove,
    sandbox_pay,
    server_now,
    statuses,
)
from tests.e2e.http import (
    agreed_student,
    call,
    new_login,
    registered,
    staff,
)

pytestmark = pytest.mark.usefixtures("contract")


MY_WAITLIST = "GET /waitlist"
LEAVE = "DELETE /waitlist/{subject}"
WAITLIST_KEYS = {"subject", "campus_id", "campus", "position", "joined_at"}


def my_waitlist(client: Client, token: str) -> list[dict[str, Any]]:
    return list(ok(call(client, "GET", "/waitlist", token=token), MY_WAITLIST))


def test_r_wait_1_a_full_campus_is_joined_201_in_order_and_left_204(client: Client) -> None:
    """R-WAIT-1: a campus showing none is joined (201 with the place); one list per oral level (409
    WAITLIST_EXISTS); beside a free seat 409 CAMPUS_NOT_FULL; with the level held 409 LEVEL_TAKEN."""
    first, second = registered(client, PASSPORT), registered(client, SUN)
    for token in (first, second):
        chosen(client, token, "CET4")
    expect(join(client, first), WAITLIST, 409, "CAMPUS_NOT_FULL")
    holders = fill_nju_gl(client)
    assert colour(client, first, "NJU-GL") == "none"
    expect(join(client, holders[0]), WAITLIST, 409, "LEVEL_TAKEN")
    before = server_now(client)
    body = ok(join(client, first), WAITLIST, 201)
    assert set(body) == WAITLIST_KEYS
    assert (body["subject"], body["campus_id"], body["position"]) == ("CET-SET4", "NJU-GL", 1)
    assert before <= parse_time(body["joined_at"]) <= server_now(client)  # the service clock runs on
    advance(client, 1)
    assert ok(join(client, second), WAITLIST, 201)["position"] == 2
    expect(join(client, first), WAITLIST, 409, "WAITLIST_EXISTS")
    assert [(e["subject"], e["position"]) for e in my_waitlist(client, second)] == [("CET-SET4", 2)]
    ok(call(client, "DELETE", "/waitlist/CET-SET4", token=first), LEAVE, 204)
    assert my_waitlist(client, first) == []
    assert [e["position"] for e in my_waitlist(client, second)] == [1]
    expect(call(client, "DELETE", "/waitlist/CET-SET4", token=first), LEAVE, 404, "NOT_FOUND")
    expect(call(client, "DELETE", "/waitlist/CET4", token=first), LEAVE, 400, "INVALID_REQUEST", "subject")
    expect(call(client, "DELETE", "/waitlist/NOPE", token=first), LEAVE, 400, "INVALID_REQUEST", "subject")


def test_r_wait_1_joining_makes_the_checks_of_choosing_403_400_404(client: Client) -> None:
    """R-WAIT-1 with R-ORAL-1/2/4: whoever could not choose the campus cannot wait for it either."""
    fill_nju_gl(client)
    zhang_again = registered(client, PASSPORT)
    expect(join(client, zhang_again), WAITLIST, 403, "WRITTEN_REQUIRED")
    chosen(client, zhang_again, "CET4")
    expect(join(client, zhang_again, "CET-SET6"), WAITLIST, 403, "NOT_QUALIFIED")
    expect(join(client, zhang_again, campus_id="NJU-XL"), WAITLIST, 403, "CAMPUS_NOT_OPEN")
    wang = registered(client, WANG)
    chosen(client, wang, "CET4")
    expect(join(client, wang), WAITLIST, 403, "EXTERNAL_NOT_ALLOWED")
    for body, field in (({"subject": "CET4", "campus_id": "NJU-GL"}, "subject"), ({"subject": "CET-SET4"}, "campus_id"),
                        ({"subject": "CET-SET4", "campus_id": "NOPE"}, "campus_id"),
                        ({"subject": "CET-SET4", "campus_id": "OLD-1"}, "campus_id")):  # fmt: skip
        expect(call(client, "POST", "/waitlist", body, zhang_again), WAITLIST, 400, "INVALID_REQUEST", field)
    expect(join(client, agreed_student(client)), WAITLIST, 404, "NOT_FOUND")
    t = staff(client, NJU_STAFF)
    expect(join(client, t), WAITLIST, 403, "FORBIDDEN")
    expect(call(client, "GET", "/waitlist", token=t), MY_WAITLIST, 403, "FORBIDDEN")
    expect(call(client, "DELETE", "/waitlist/CET-SET4", token=t), LEAVE, 403, "FORBIDDEN")
    for token in (None, "not-a-token"):
        expect(join(client, token), WAITLIST, 401, "UNAUTHENTICATED")  # type: ignore[arg-type]
        expect(call(client, "GET", "/waitlist", token=token), MY_WAITLIST, 401, "UNAUTHENTICATED")
        expect(call(client, "DELETE", "/waitlist/CET-SET4", token=token), LEAVE, 401, "UNAUTHENTICATED")


def test_r_wait_2_a_returned_seat_is_offered_in_order_as_an_unpaid_subject_never_grabbed(client: Client) -> None:
    """R-WAIT-2: a seat that comes back while students wait stays none on the list and is refused to a
    grab; the offer step holds it for the first on the list as an unpaid subject due 2 hours later,
    tells them (seat_offered), and the existing payment flow pays it."""
    holders = fill_nju_gl(client)
    login = new_login()
    first = registered(client, PASSPORT, agreed_student(client, login))
    grabber = registered(client, SUN)
    for token in (first, grabber):
        chosen(client, token, "CET4")
    ok(join(client, first), WAITLIST, 201)
    ok(remove(client, holders[1], "CET-SET4"), REMOVE)
    assert colour(client, grabber, "NJU-GL") == "none"
    expect(choose(client, grabber, "CET-SET4", "NJU-GL"), "POST /registration/subjects", 409, "CAMPUS_FULL")

    before = server_now(client)
    report = ok(call(client, "POST", "/_test/jobs/offer"), JOB)
    assert report == {"offered": 1, "skipped": 0, "given_back": 0, "left_pending": 0}
    after = server_now(client)
    offered = ok(call(client, "GET", "/registration", token=first), "GET /registration")
    oral = next(s for s in offered["subjects"] if s["code"] == "CET-SET4")
    assert (oral["campus_id"], oral["status"], oral["offered"]) == ("NJU-GL", "unpaid", True)
    assert before + timedelta(hours=2) <= parse_time(oral["pay_by"]) <= after + timedelta(hours=2)
    assert my_waitlist(client, first) == []
    [message] = outbox(client, login, "seat_offered")
    assert "鼓楼校区" in message["body"]
    assert message["code"] is None
    assert ok(call(client, "POST", "/_test/jobs/offer"), JOB)["offered"] == 0  # offered once

    order = place(client, first)
    assert order["amount"] == 8000
    ok(sandbox_pay(client, order["order_id"]), PAY)
    assert statuses(client, first) == [("CET4", "paid"), ("CET-SET4", "paid")]
