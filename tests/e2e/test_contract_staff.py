"""School staff (R-REV-3 rule 2): their review list and decisions, and who may call which routes.

Part of the HTTP contract: tests/e2e/contract.py holds the shared helpers and the registry that
tests/e2e/test_contract_zz_registry.py checks.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytest
from chalice.test import Client

from chalicelib.bootstrap import CLOCK, services
from chalicelib.domain.accounts import Role
from chalicelib.domain.province import StaffMember
from chalicelib.services.province import load_province
from tests import factories
from tests.e2e.contract import (
    DECIDE,
    NJU_STAFF,
    REMOVE,
    SEU_STAFF,
    STAFF_REVIEW_KEYS,
    ZHANG,
    assert_masked,
    chosen,
    codes,
    current_review,
    decide,
    expect,
    ok,
    outbox,
    parse_time,
    pending_review,
    remove,
    staff_list,
    subject_options,
)
from tests.e2e.http import (
    call,
    captcha,
    identity,
    log_in,
    registered,
    staff,
)

pytestmark = pytest.mark.usefixtures("contract")


def test_r_rev_3_rule_2_staff_list_only_their_own_schools_reviews(client: Client) -> None:
    """R-REV-3 rule 2: school staff see the reviews of their own school only, pending by default."""
    _, review_id = pending_review(client)
    nju, seu = staff(client, NJU_STAFF), staff(client, SEU_STAFF)
    me = ok(call(client, "GET", "/me", token=nju), "GET /me")
    assert (me["role"], me["school_id"], me["registration"], me["cet6_review"]) == ("staff", "NJU", None, None), me
    listed = staff_list(client, nju)
    assert [r["review_id"] for r in listed] == [review_id], listed
    assert set(listed[0]) == STAFF_REVIEW_KEYS, listed[0]
    assert (listed[0]["status"], listed[0]["ticket_number"]) == ("pending", factories.TICKET_PENDING)
    assert listed[0]["candidate"]["name"] == ZHANG.name
    assert_masked(listed[0]["candidate"]["id_number"], ZHANG.id_number)
    assert staff_list(client, nju, "?status=pending") == listed
    assert staff_list(client, seu) == []
    assert staff_list(client, nju, "?status=approved") == []
    assert staff_list(client, nju, "?status=rejected") == []
    for status in ("bogus", "PENDING", "all"):
        reply = call(client, "GET", f"/staff/cet6-reviews?status={status}", token=nju)
        expect(reply, "GET /staff/cet6-reviews", 400, "INVALID_REQUEST", "status")


def test_r_rev_3_rule_2_staff_approve_makes_cet6_qualified_and_decide_only_once(client: Client) -> None:
    """R-REV-3 rule 2: staff approve → CET6 qualified; decided again → 409; another school's staff → 403."""
    student, review_id = pending_review(client)
    registered(client, ZHANG, student)
    assert subject_options(client, student)["CET6"]["qualified"] is False
    nju, seu = staff(client, NJU_STAFF), staff(client, SEU_STAFF)
    expect(decide(client, seu, review_id, {"approve": True}), DECIDE, 403, "FORBIDDEN")
    decided = ok(decide(client, nju, review_id, {"approve": True, "note": "核对无误"}), DECIDE)
    assert set(decided) == STAFF_REVIEW_KEYS, decided
    assert (decided["status"], decided["note"]) == ("approved", "核对无误")
    assert parse_time(decided["decided_at"]) >= parse_time(decided["submitted_at"])
    cet6 = subject_options(client, student)["CET6"]
    assert (cet6["qualified"], cet6["reason"]) == (True, None), cet6
    current = current_review(client, student)
    assert (current["status"], current["note"]) == ("approved", "核对无误")
    expect(decide(client, nju, review_id, {"approve": False}), DECIDE, 409, "REVIEW_NOT_PENDING")
    expect(decide(client, seu, review_id, {"approve": True}), DECIDE, 403, "FORBIDDEN")
    assert staff_list(client, nju) == []
    assert [r["review_id"] for r in staff_list(client, nju, "?status=approved")] == [review_id]
    assert codes(chosen(client, student, "CET6")) == ["CET6"]


def test_r_rev_3_rule_2_staff_see_the_cet4_record_beside_the_candidate_masked(client: Client) -> None:
    """R-REV-3 rule 2, decision 0013: staff weigh a review against the CET4 score record its ticket
    names (name, score, year, masked ID number: never a whole one), pending and decided alike."""
    _, review_id = pending_review(client)
    nju = staff(client, NJU_STAFF)
    [listed] = staff_list(client, nju)
    record = listed["cet4_record"]
    assert set(record) == {"ticket_number", "name", "id_number", "score", "year"}, record
    scored = next(r for r in factories.scores() if r.ticket_number == factories.TICKET_PENDING)
    assert (record["ticket_number"], record["name"], record["score"], record["year"]) == (
        scored.ticket_number, scored.name, scored.score, scored.year,
    )  # fmt: skip
    assert_masked(record["id_number"], scored.id_number)
    assert record["id_number"] != listed["candidate"]["id_number"], "rule 2: the ID numbers differ"
    decided = ok(decide(client, nju, review_id, {"approve": False, "note": "证件不符"}), DECIDE)
    assert decided["cet4_record"] == record
    [rejected] = staff_list(client, nju, "?status=rejected")
    assert (rejected["review_id"], rejected["status"], rejected["cet4_record"]) == (review_id, "rejected", record)
    assert staff_list(client, nju) == []


def test_r_rev_3_rule_2_staff_decision_bad_input_or_unknown_review(client: Client) -> None:
    """R-REV-3 rule 2: a decision is {approve: bool, note: at most 500 characters}; an unknown review is 404."""
    _, review_id = pending_review(client)
    nju = staff(client, NJU_STAFF)
    cases: list[tuple[Any, str]] = [
        ({}, "approve"),
        ({"approve": "yes"}, "approve"),
        ({"approve": 1}, "approve"),
        ({"approve": True, "note": 5}, "note"),
        ({"approve": True, "note": "理" * 501}, "note"),
        ([True], "body"),
    ]
    for body, field in cases:
        expect(decide(client, nju, review_id, body), DECIDE, 400, "INVALID_REQUEST", field)
    reply = call(client, "POST", f"/staff/cet6-reviews/{review_id}/decision", raw="approve=true", token=nju)
    expect(reply, DECIDE, 400, "INVALID_REQUEST", "body")
    expect(decide(client, nju, "no-such-review", {"approve": True}), DECIDE, 404, "NOT_FOUND")
    assert ok(decide(client, nju, review_id, {"approve": True, "note": "理" * 500}), DECIDE)["status"] == "approved"


def test_api_students_calling_staff_routes_is_403_forbidden(client: Client) -> None:
    """api.md, Conventions: 403 FORBIDDEN for the wrong role: staff routes are for school staff only."""
    student, review_id = pending_review(client)
    expect(call(client, "GET", "/staff/cet6-reviews", token=student), "GET /staff/cet6-reviews", 403, "FORBIDDEN")
    expect(decide(client, student, review_id, {"approve": True}), DECIDE, 403, "FORBIDDEN")
    assert current_review(client, student)["status"] == "pending", "a student decided their own review"


def test_api_staff_calling_student_routes_is_403_forbidden(client: Client) -> None:
    """api.md, Conventions: 403 FORBIDDEN for the wrong role: staff cannot look up, be reviewed or register."""
    t = staff(client, NJU_STAFF)
    who = {**identity(ZHANG), "confirm": True}
    review = {**who, "ticket_number": factories.TICKET_APPROVE}
    expect(call(client, "POST", "/qualification", identity(ZHANG), t), "POST /qualification", 403, "FORBIDDEN")
    expect(call(client, "POST", "/cet6-reviews", review, t), "POST /cet6-reviews", 403, "FORBIDDEN")
    expect(call(client, "GET", "/cet6-reviews/current", token=t), "GET /cet6-reviews/current", 403, "FORBIDDEN")
    expect(call(client, "PUT", "/cet6-reviews/current", review, t), "PUT /cet6-reviews/current", 403, "FORBIDDEN")
    reply = call(client, "DELETE", "/cet6-reviews/current", token=t)
    expect(reply, "DELETE /cet6-reviews/current", 403, "FORBIDDEN")
    expect(call(client, "POST", "/registration", who, t), "POST /registration", 403, "FORBIDDEN")
    expect(call(client, "GET", "/registration", token=t), "GET /registration", 403, "FORBIDDEN")
    expect(call(client, "GET", "/subjects", token=t), "GET /subjects", 403, "FORBIDDEN")
    reply = call(client, "GET", "/oral-campuses?subject=CET-SET4", token=t)
    expect(reply, "GET /oral-campuses", 403, "FORBIDDEN")
    reply = call(client, "POST", "/registration/subjects", {"subject": "CET4"}, t)
    expect(reply, "POST /registration/subjects", 403, "FORBIDDEN")
    expect(remove(client, t, "CET4"), REMOVE, 403, "FORBIDDEN")


def test_r_ops_3_the_mailed_activation_code_works_as_its_message_says(client: Client) -> None:
    """R-OPS-3, R-ACC-3: a staff member loaded without a password reads the activation message,
    asks 忘记密码 for a code anyway (the probe's path), and the mailed 10-digit code still sets the
    password at `POST /password-resets/confirm`; the login works with it."""
    login = "new-teacher@nju.edu.cn"
    data = factories.province()
    with_teacher = replace(data, staff=(*data.staff, StaffMember(login, Role.STAFF, "NJU")))
    load_province(services().loading, with_teacher, CLOCK.now())
    (message,) = outbox(client, login, "staff_activation")
    assert "“忘记密码”页面，点“已有验证码或激活码”" in message["body"], message
    asked = call(client, "POST", "/password-resets", {"login": login, **captcha(client)})
    ok(asked, "POST /password-resets", 202)
    assert len(outbox(client, login, "password_reset")) == 1  # a new code, which leaves the mailed one working
    body = {"login": login, "code": message["code"], "new_password": "Nanjing2026js"}
    ok(call(client, "POST", "/password-resets/confirm", body), "POST /password-resets/confirm", 204)
    assert log_in(client, login, "Nanjing2026js")
