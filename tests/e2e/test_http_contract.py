"""The HTTP contract (api.md, docs/openapi.yaml), over HTTP, route by route and rule by rule.

Every (route, status, code) of `x-error-codes` in docs/openapi.yaml is triggered here at least once
through `expect(...)`; `test_zz_every_documented_error_is_exercised` (last in this file) fails when
one is missing. Every reply also passes the checks of `tests.e2e.http.call`: no 5xx, and no whole
ID number anywhere in any body.
"""

from __future__ import annotations

import ast
import hashlib
import hmac
import json
import os
import re
from dataclasses import replace
from datetime import datetime, timedelta
from functools import cache
from pathlib import Path
from typing import Any

import boto3
import botocore.session
import pynamodb.connection.base
import pytest
from chalice.test import Client

from chalicelib.bootstrap import CLOCK, reset_services, services
from chalicelib.bootstrap import test_gateway as plugged_gateway  # not named test_*: pytest would collect it
from chalicelib.domain.identity import IdType, gb11643_check_digit
from chalicelib.domain.openings import ORDER_GRACE, Opening
from chalicelib.domain.registration import Registration
from chalicelib.domain.roll import RollRow
from chalicelib.services.ports import SeatGrab
from chalicelib.services.province import load_province
from chalicelib.storage import codec
from chalicelib.storage.models import CatalogPartItem, RollItem, SubjectItem, TableItem
from chalicelib.storage.transactions import MAX_ATTEMPTS
from devstack.ddb_requests import count_requests
from tests import factories
from tests.ddb_faults import INTERNAL, THROTTLED, conflict, database_answers
from tests.e2e import test_payments as payments
from tests.e2e.http import (
    STUDENT_PASSWORD,
    Reply,
    agreed_student,
    assert_error,
    call,
    captcha,
    create_account,
    credentials,
    identity,
    log_in,
    new_login,
    new_student,
    province_admin,
    registered,
    staff,
)
from tests.spec import spec

HTTP_METHODS = {"get", "put", "post", "delete", "patch", "head", "options", "trace"}
# The routes with a path parameter, as docs/openapi.yaml names them.
REMOVE = "DELETE /registration/subjects/{code}"
DECIDE = "POST /staff/cet6-reviews/{review_id}/decision"
ORDER = "GET /orders/{order_id}"
REFRESH = "POST /orders/{order_id}/refresh"
PAY = "POST /_test/gateway/{order_id}/pay"
UPCOMING = "GET /oral-campuses/upcoming"
NJU_STAFF = "staff@nju.edu.cn"
SEU_STAFF = "staff@seu.edu.cn"
DAY = 24 * 3600
ZHANG, LI, WANG, ZHAO = factories.ZHANG, factories.LI, factories.WANG, factories.ZHAO
QIAN, SUN, PASSPORT = factories.QIAN, factories.SUN, factories.PASSPORT
NOT_ON_ROLL = factories.resident_id(555, birth="20030303")  # a well-formed resident ID nobody holds
BAD_CHECK_DIGIT = ZHANG.id_number[:17] + ("0" if ZHANG.id_number[17] != "0" else "1")  # R-QUAL-4

REGISTRATION_KEYS = {"candidate", "saved_at", "expires_at", "subjects", "amount_due"}
CANDIDATE_KEYS = {"id_type", "id_number", "name", "school_id", "school", "campus_id", "campus", "student_no"}
SUBJECT_KEYS = {"code", "name", "kind", "level", "campus_id", "campus", "fee", "status", "pay_by", "offered"}
REVIEW_KEYS = {"review_id", "status", "ticket_number", "submitted_at", "decided_at", "note"}
STAFF_REVIEW_KEYS = REVIEW_KEYS | {"candidate", "cet4_record"}
ORDER_KEYS = {
    "order_id", "status", "provider", "bank", "amount", "subjects", "pay_url", "created_at", "expires_at", "paid_at",
    "late", "number",
}  # fmt: skip
LATE_PAYMENT_KEYS = {"order_id", "candidate", "amount", "outcome", "recorded_at"}
FORM = {"Content-Type": "application/x-www-form-urlencoded"}


# The registry: what the tests exercised, checked by the last test of this file.

COVERED: set[tuple[str, str, int, str]] = set()
SUCCEEDED: set[tuple[str, str, int]] = set()
RAN: set[str] = set()


@cache
def documented_errors() -> frozenset[tuple[str, str, int, str]]:
    """(METHOD, path, status, code) for every code of every operation's x-error-codes."""
    found = set()
    for path, item in spec()["paths"].items():
        for method, operation in item.items():
            if method in HTTP_METHODS:
                for status, codes in (operation.get("x-error-codes") or {}).items():
                    found |= {(method.upper(), path, int(status), code) for code in codes}
    return frozenset(found)


def covers(method: str, path: str, status: int, code: str) -> None:
    """Record that a test triggers this documented error of this route."""
    triple = (method, path, status, code)
    assert triple in documented_errors(), f"{method} {path} {status} {code} is not in docs/openapi.yaml x-error-codes"
    COVERED.add(triple)


def expect(reply: Reply, route: str, status: int, code: str, field: str | None = None) -> dict[str, Any]:
    """`route` ("METHOD /path/{template}") answered this documented error, in the contract's shape."""
    method, path = route.split(" ", 1)
    covers(method, path, status, code)
    return assert_error(reply, status, code, field)


def ok(reply: Reply, route: str, status: int = 200) -> Any:
    """`route` succeeded with this status: its JSON body (a 204 has none)."""
    method, path = route.split(" ", 1)
    SUCCEEDED.add((method, path, status))
    assert reply.status == status, f"{route}: expected {status}, got {reply.status}: {reply.text}"
    if status == 204:
        assert reply.text == "", f"{route}: a 204 carries no body, got {reply.text!r}"
    return reply.body


@cache
def _shared_botocore_session() -> botocore.session.Session:
    return botocore.session.get_session()


@pytest.fixture(autouse=True)
def _track(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> None:
    """Note which tests ran, and put the service clock back after each test (it is process-wide).

    Speed only: each PynamoDB model opens its own botocore session, which parses the service JSON
    again (about 0.1 s, a dozen times per test); here they share one, so the file stays fast.
    """
    RAN.add(request.node.originalname)
    monkeypatch.setattr(CLOCK, "_offset", CLOCK._offset)
    monkeypatch.setattr(pynamodb.connection.base, "get_session", _shared_botocore_session)


# Small helpers


def advance(client: Client, seconds: float) -> datetime:
    body = ok(call(client, "POST", "/_test/clock", {"advance_seconds": seconds}), "POST /_test/clock")
    return parse_time(body["now"])


def server_now(client: Client) -> datetime:
    return advance(client, 0)


def parse_time(text: str) -> datetime:
    moment = datetime.fromisoformat(text)
    assert moment.utcoffset() == timedelta(hours=8), f"{text}: not Asia/Shanghai (+08:00)"
    return moment


def choose(client: Client, token: str, subject: str, campus_id: str | None = None) -> Reply:
    body = {"subject": subject} if campus_id is None else {"subject": subject, "campus_id": campus_id}
    return call(client, "POST", "/registration/subjects", body, token)


def chosen(client: Client, token: str, subject: str, campus_id: str | None = None) -> dict[str, Any]:
    return ok(choose(client, token, subject, campus_id), "POST /registration/subjects", 201)


def remove(client: Client, token: str, code: str) -> Reply:
    return call(client, "DELETE", f"/registration/subjects/{code}", token=token)


def codes(registration: dict[str, Any]) -> list[str]:
    return [s["code"] for s in registration["subjects"]]


def oral_campuses(client: Client, token: str, subject: str = "CET-SET4") -> list[dict[str, Any]]:
    return ok(call(client, "GET", f"/oral-campuses?subject={subject}", token=token), "GET /oral-campuses")


def colour(client: Client, token: str, campus_id: str) -> str | None:
    return next((c["remaining"] for c in oral_campuses(client, token) if c["campus_id"] == campus_id), None)


def subject_options(client: Client, token: str) -> dict[str, dict[str, Any]]:
    return {o["code"]: o for o in ok(call(client, "GET", "/subjects", token=token), "GET /subjects")}


def save(client: Client, token: str, entry: RollRow, **changes: Any) -> Reply:
    return call(client, "POST", "/registration", {**identity(entry), "confirm": True, **changes}, token)


def look_up(client: Client, token: str, entry: RollRow) -> dict[str, Any]:
    return ok(call(client, "POST", "/qualification", identity(entry), token), "POST /qualification")


def submit_review(client: Client, token: str, entry: RollRow, ticket: str, **changes: Any) -> Reply:
    body = {**identity(entry), "ticket_number": ticket, "confirm": True, **changes}
    return call(client, "POST", "/cet6-reviews", body, token)


def modify_review(client: Client, token: str, ticket: str) -> Reply:
    return call(client, "PUT", "/cet6-reviews/current", {"ticket_number": ticket, "confirm": True}, token)


def current_review(client: Client, token: str) -> dict[str, Any]:
    return ok(call(client, "GET", "/cet6-reviews/current", token=token), "GET /cet6-reviews/current")


def decide(client: Client, token: str, review_id: str, body: Any) -> Reply:
    return call(client, "POST", f"/staff/cet6-reviews/{review_id}/decision", body, token)


def staff_list(client: Client, token: str, query: str = "") -> list[dict[str, Any]]:
    return ok(call(client, "GET", f"/staff/cet6-reviews{query}", token=token), "GET /staff/cet6-reviews")


def pending_review(client: Client) -> tuple[str, str]:
    """An account with a pending review for ZHANG (R-REV-3 rule 2): (student token, review_id)."""
    token = agreed_student(client)
    review = ok(submit_review(client, token, ZHANG, factories.TICKET_PENDING), "POST /cet6-reviews", 201)
    assert review["status"] == "pending", review
    return token, review["review_id"]


def rejected_review(client: Client) -> str:
    """An account whose review for ZHANG school staff rejected: the student's token."""
    token, review_id = pending_review(client)
    decided = ok(decide(client, staff(client, NJU_STAFF), review_id, {"approve": False, "note": "不符"}), DECIDE)
    assert decided["status"] == "rejected", decided
    return token


def mark_paid(owner_account_id: str, code: str) -> None:
    """Write the paid status of one subject where a payment notification would (no order needed)."""
    for item in TableItem.query(codec.account_pk(owner_account_id)):
        if isinstance(item, SubjectItem) and item.code == code:
            item.update(actions=[SubjectItem.status.set("paid")])
            return
    raise AssertionError(f"no {code} held by {owner_account_id}")


def assert_masked(masked: str, whole: str) -> None:
    assert masked != whole, f"{masked}: the whole ID number is shown"
    assert "*" in masked, f"{masked}: not masked"
    assert len(masked) == len(whole), (masked, whole)


def assert_registration(body: Any, entry: RollRow) -> None:
    """The contract's registration: its keys, and a masked snapshot of the roll entry."""
    assert set(body) == REGISTRATION_KEYS, body
    candidate = body["candidate"]
    assert set(candidate) == CANDIDATE_KEYS, candidate
    assert (candidate["name"], candidate["student_no"], candidate["school_id"], candidate["campus_id"]) == (
        entry.name,
        entry.student_no,
        entry.school_id,
        entry.campus_id,
    )
    assert_masked(candidate["id_number"], entry.id_number)
    parse_time(body["saved_at"])
    assert isinstance(body["amount_due"], int)
    for subject in body["subjects"]:
        assert set(subject) == SUBJECT_KEYS, subject
        assert subject["status"] in {"unpaid", "paid"}, subject


# Health and test controls (api.md)


def test_api_health_and_notices_need_no_token(client: Client) -> None:
    """api.md, Health and Student routes: GET /health is {"status": "ok"}; GET /notices is {province, schools}."""
    assert ok(call(client, "GET", "/health"), "GET /health") == {"status": "ok"}
    body = ok(call(client, "GET", "/notices"), "GET /notices")
    assert set(body) == {"province", "schools"}, body
    assert body["province"] == {"code": "32", "name": "示例省", "notice": "示例省通告：请在 24 小时内缴费。"}
    schools = {school["id"]: school for school in body["schools"]}
    assert set(schools) == {"NJU", "SEU", "OLD"}
    assert all(set(s) == {"id", "name", "notice", "allow_external_oral"} for s in schools.values()), schools
    assert (schools["NJU"]["allow_external_oral"], schools["SEU"]["allow_external_oral"]) == (True, False)


def test_deep_health_reads_the_table_and_says_503_when_it_cannot(client: Client) -> None:
    """Going live: GET /health?deep=1 touches the table; a table that does not answer is 503."""
    assert ok(call(client, "GET", "/health?deep=1"), "GET /health?deep=1") == {"status": "ok"}
    boto3.client("dynamodb").delete_table(TableName=os.environ["TABLE_NAME"])
    expect(call(client, "GET", "/health?deep=2"), "GET /health", 400, "INVALID_REQUEST", "deep")
    busy = client.http.request("GET", "/health?deep=1", headers={}, body=b"")  # call() refuses every 5xx
    text = busy.body.decode("utf-8")
    expect(Reply(busy.status_code, json.loads(text), dict(busy.headers), text), "GET /health", 503, "BUSY")
    assert ok(call(client, "GET", "/health"), "GET /health") == {
        "status": "ok"
    }  # the shallow check is the process only


def test_api_test_clock_moves_the_service_clock(client: Client) -> None:
    """api.md, test controls: POST /_test/clock {advance_seconds: N} moves the service clock N seconds forward."""
    before = server_now(client)
    after = advance(client, 3 * 3600)
    assert timedelta(hours=3) <= after - before < timedelta(hours=3, minutes=1), (before, after)
    assert advance(client, 0.5) >= after


def test_api_test_clock_bad_input_is_400_invalid_request(client: Client) -> None:
    """api.md, test controls: advance_seconds is 0–34560000 seconds, in a JSON object."""
    before = server_now(client)
    cases: list[tuple[Any, str | None, str]] = [
        ({"advance_seconds": -1}, None, "advance_seconds"),
        ({"advance_seconds": 34560001}, None, "advance_seconds"),
        ({"advance_seconds": "60"}, None, "advance_seconds"),
        ({"advance_seconds": True}, None, "advance_seconds"),
        ({}, None, "advance_seconds"),
        (None, "advance_seconds=60", "body"),
        (None, "[60]", "body"),
    ]
    for body, raw, field in cases:
        expect(call(client, "POST", "/_test/clock", body, raw=raw), "POST /_test/clock", 400, "INVALID_REQUEST", field)
    assert server_now(client) - before < timedelta(minutes=5), "a refused move moved the clock"


def test_api_test_routes_are_404_not_found_without_test_mode(client: Client, monkeypatch: pytest.MonkeyPatch) -> None:
    """api.md, test controls: only when the stage sets TEST_MODE=1; 404 NOT_FOUND otherwise."""
    before = CLOCK.now()
    for mode in ("0", "", "true", None):
        if mode is None:
            monkeypatch.delenv("TEST_MODE")
        else:
            monkeypatch.setenv("TEST_MODE", mode)
        reply = call(client, "POST", "/_test/clock", {"advance_seconds": DAY})
        expect(reply, "POST /_test/clock", 404, "NOT_FOUND")
    assert CLOCK.now() - before < timedelta(hours=1), "the clock moved although test mode is off"
    monkeypatch.setenv("TEST_MODE", "1")
    assert advance(client, DAY) - before > timedelta(hours=23), "TEST_MODE=1 again: the clock moves"


def test_r_pay_1_the_expiry_job_runs_on_demand_in_test_mode(client: Client, monkeypatch: pytest.MonkeyPatch) -> None:
    """R-PAY-1, R-BIND-4 over HTTP: past pay_by the job deletes subjects and the empty registration;
    the candidate can be bound again. Test controls: unknown job 400, test mode off 404."""
    token = registered(client, factories.ZHANG)
    ok(call(client, "POST", "/registration/subjects", {"subject": "CET4"}, token), "POST /registration/subjects", 201)
    advance(client, DAY + 60)
    report = ok(call(client, "POST", "/_test/jobs/expire"), "POST /_test/jobs/{name}")
    assert report["deleted_registrations"] >= 1
    assert report["expired_subjects"] >= 1
    registered(client, factories.ZHANG)  # both sides of the binding were freed
    expect(call(client, "POST", "/_test/jobs/nothing"), "POST /_test/jobs/{name}", 400, "INVALID_REQUEST", "name")
    monkeypatch.setenv("TEST_MODE", "0")
    expect(call(client, "POST", "/_test/jobs/expire"), "POST /_test/jobs/{name}", 404, "NOT_FOUND")


def test_api_unknown_route_is_404_not_found(client: Client) -> None:
    """api.md, Conventions: every error is {code, message}; 404 NOT_FOUND for what is not there.

    The catch-all `/{proxy+}` is greedy on API Gateway; Chalice's local matcher takes one path
    segment only, so deeper unknown paths are checked through the local stack instead
    (tests/e2e/test_local_stack.py).
    """
    expect(call(client, "GET", "/no-such-route"), "GET /{proxy+}", 404, "NOT_FOUND")
    expect(call(client, "POST", "/registrations"), "POST /{proxy+}", 404, "NOT_FOUND")
    expect(call(client, "PUT", "/x"), "PUT /{proxy+}", 404, "NOT_FOUND")
    expect(call(client, "DELETE", "/y"), "DELETE /{proxy+}", 404, "NOT_FOUND")


def test_api_a_wrong_method_is_405_in_the_contract_shape(client: Client) -> None:
    """api.md, Conventions: every error is {code, message}, the framework's own ones included."""
    reply = call(client, "PUT", "/health")
    assert_error(reply, 405, "METHOD_NOT_ALLOWED")


# Request bodies (api.md, Conventions)


def test_api_body_not_json_array_or_wrong_types_is_400_invalid_request(client: Client) -> None:
    """api.md, Conventions: a body that is not JSON, a JSON array, a missing or mistyped field: 400, field named."""
    cases: list[tuple[str | bytes, str]] = [
        ("not json at all", "body"),
        ('{"login": "a@b.cn",', "body"),
        ("[]", "body"),
        ('["a@b.cn", "Passw0rd2026"]', "body"),
        ("null", "body"),
        ('"a@b.cn"', "body"),
        (b"\xff\xfe\x00", "body"),
        ("{}", "login"),
        ('{"login": 12345678901}', "login"),
        ('{"login": "a@b.cn", "password": ["Passw0rd2026"]}', "password"),
        ('{"login": "a@b.cn", "password": "Passw0rd2026", "captcha_id": null}', "captcha_id"),
        ('{"login": "a@b.cn", "password": "Passw0rd2026", "captcha_id": "x", "captcha_answer": 1}', "captcha_answer"),
        ('{"login": "a@b.cn", "password": "' + "a1" * 65 + '", "captcha_id": "x", "captcha_answer": "y"}', "password"),
    ]
    for raw, field in cases:
        expect(call(client, "POST", "/accounts", raw=raw), "POST /accounts", 400, "INVALID_REQUEST", field)
    json_utf8 = {"Content-Type": "application/json; charset=utf-8"}
    reply = call(client, "POST", "/accounts", raw="[1]", headers=json_utf8)
    expect(reply, "POST /accounts", 400, "INVALID_REQUEST", "body")


def test_api_text_plain_json_body_is_accepted_and_non_json_is_400_not_415(client: Client) -> None:
    """api.md, Conventions: bodies are read as JSON whatever the Content-Type; non-JSON is 400, never 415."""
    plain = {"Content-Type": "text/plain"}
    login = new_login()
    reply = call(client, "POST", "/accounts", credentials(client, login, STUDENT_PASSWORD), headers=plain)
    assert ok(reply, "POST /accounts", 201)["account_id"]
    reply = call(client, "POST", "/sessions", credentials(client, login, STUDENT_PASSWORD), headers=plain)
    token = ok(reply, "POST /sessions", 201)["token"]
    ok(call(client, "POST", "/me/agreement", {"accepted": True}, token, headers=plain), "POST /me/agreement", 204)
    reply = call(client, "POST", "/accounts", raw="login=a@b.cn&password=x", headers=plain)
    expect(reply, "POST /accounts", 400, "INVALID_REQUEST", "body")
    reply = call(client, "POST", "/sessions", raw="<login/>", headers=plain)
    expect(reply, "POST /sessions", 400, "INVALID_REQUEST", "body")
    reply = call(client, "POST", "/me/agreement", raw="accepted", token=token, headers=plain)
    expect(reply, "POST /me/agreement", 400, "INVALID_REQUEST", "body")


def test_api_xml_body_is_400_invalid_request_not_415(client: Client) -> None:
    """api.md, Conventions: a body that is not JSON is 400 INVALID_REQUEST naming the field, whatever its type.

    chalicelib/api/requests.py BODY_TYPES means to spare clients the framework's 415 "in another shape";
    a Content-Type outside that list (application/xml) still gets it.
    """
    reply = call(client, "POST", "/accounts", raw="<login>a@b.cn</login>", headers={"Content-Type": "application/xml"})
    assert reply.status == 400, (
        f"POST /accounts with Content-Type application/xml: api.md wants 400 INVALID_REQUEST (field body), "
        f"got {reply.status} {reply.text}"
    )
    assert_error(reply, 400, "INVALID_REQUEST", "body")


def test_api_a_json_body_nested_too_deep_is_400_invalid_request_not_500(client: Client) -> None:
    """api.md, Conventions: no input ever yields a 500. About 2 KB of brackets once made the JSON
    parser raise RecursionError on every JSON route, unauthenticated ones included."""
    deep = "[" * 1000 + "]" * 1000
    nested = '{"login": ' + '{"a": ' * 5000 + "1" + "}" * 5000 + "}"
    for raw in (deep, nested):
        expect(call(client, "POST", "/accounts", raw=raw), "POST /accounts", 400, "INVALID_REQUEST", "body")
    token = agreed_student(client)
    reply = call(client, "POST", "/qualification", raw=deep, token=token)
    expect(reply, "POST /qualification", 400, "INVALID_REQUEST", "body")


# Accounts (R-ACC)


def test_r_acc_1_register_and_log_in_are_201_with_the_contract_shapes(client: Client) -> None:
    """R-ACC-1: captcha, account, session (e-mail or mainland mobile); then the home page (R-PAY-4)."""
    issued = ok(call(client, "POST", "/captchas"), "POST /captchas", 201)
    assert set(issued) == {"captcha_id", "image", "answer"}, issued
    assert issued["image"].startswith("data:image/png;base64,"), issued["image"][:40]
    login = "  NewStudent@Example.EDU.cn "
    body = {
        "login": login,
        "password": STUDENT_PASSWORD,
        "captcha_id": issued["captcha_id"],
        "captcha_answer": issued["answer"].lower(),
    }
    created = ok(call(client, "POST", "/accounts", body), "POST /accounts", 201)
    assert set(created) == {"account_id"}, created
    session = ok(call(client, "POST", "/sessions", credentials(client, login, STUDENT_PASSWORD)), "POST /sessions", 201)
    assert set(session) == {"token", "expires_at"}, session
    assert parse_time(session["expires_at"]) > server_now(client)
    me = ok(call(client, "GET", "/me", token=session["token"]), "GET /me")
    assert me == {
        "account_id": created["account_id"],
        "login": "newstudent@example.edu.cn",
        "role": "student",
        "school_id": None,
        "agreement_accepted": False,
        "registration": None,
        "cet6_review": None,
        "open_order_id": None,
        "window": None,  # R-DATE-1: no candidate looked up yet
    }
    create_account(client, "+86 139-1234-5678")
    assert ok(call(client, "GET", "/me", token=log_in(client, "13912345678")), "GET /me")["login"] == "13912345678"


def test_r_acc_1_bad_login_is_400_invalid_login(client: Client) -> None:
    """R-ACC-1: an account is an e-mail address or a mainland mobile number."""
    for login in ("not-a-login", "12345678901", "zhang@", "+1 415 555 0100", "张三@大学", "a@b.c"):
        reply = call(client, "POST", "/accounts", credentials(client, login, STUDENT_PASSWORD))
        expect(reply, "POST /accounts", 400, "INVALID_LOGIN")


def test_r_acc_2_weak_password_is_400_weak_password(client: Client) -> None:
    """R-ACC-2 (decided): 8–64 characters with a letter and a digit, and not the login itself."""
    for password in ("Ab1", "onlyletters", "1234567890", "x1" * 33):
        reply = call(client, "POST", "/accounts", credentials(client, "weak@example.edu.cn", password))
        expect(reply, "POST /accounts", 400, "WEAK_PASSWORD")
    for login, password in (("13912345678", "13912345678"), ("abc12345@qq.com", "ABC12345@QQ.COM")):
        reply = call(client, "POST", "/accounts", credentials(client, login, password))
        expect(reply, "POST /accounts", 400, "WEAK_PASSWORD")


def test_r_acc_5_common_repeated_or_blank_passwords_are_400_weak_password_saying_why(client: Client) -> None:
    """R-ACC-5: not among commonly used passwords, not mostly one repeated character or whitespace."""
    for password, why in (
        ("password1", "常用"),
        ("aaaaaaa1", "同一个字符"),
        ("1111111a", "同一个字符"),
        (" " * 8, "空格"),
    ):
        reply = call(client, "POST", "/accounts", credentials(client, new_login(), password))
        assert why in expect(reply, "POST /accounts", 400, "WEAK_PASSWORD")["message"], password
    reply = call(client, "POST", "/accounts", credentials(client, new_login(), "a1"))
    expect(reply, "POST /accounts", 400, "WEAK_PASSWORD")


def test_r_acc_2_wrong_reused_unknown_or_expired_captcha_is_400_invalid_captcha(client: Client) -> None:
    """R-ACC-1/2: registering needs a captcha; single-use (even when answered wrongly) and short-lived."""
    issued = captcha(client)
    wrong = {
        "login": new_login(),
        "password": STUDENT_PASSWORD,
        "captcha_id": issued["captcha_id"],
        "captcha_answer": issued["captcha_answer"] + "X",
    }
    expect(call(client, "POST", "/accounts", wrong), "POST /accounts", 400, "INVALID_CAPTCHA")
    retried = {**wrong, "captcha_answer": issued["captcha_answer"]}
    expect(call(client, "POST", "/accounts", retried), "POST /accounts", 400, "INVALID_CAPTCHA")
    unknown = {**wrong, "captcha_id": "no-such-captcha"}
    expect(call(client, "POST", "/accounts", unknown), "POST /accounts", 400, "INVALID_CAPTCHA")
    used = credentials(client, new_login(), STUDENT_PASSWORD)
    ok(call(client, "POST", "/accounts", used), "POST /accounts", 201)
    expect(call(client, "POST", "/accounts", {**used, "login": new_login()}), "POST /accounts", 400, "INVALID_CAPTCHA")
    stale = credentials(client, new_login(), STUDENT_PASSWORD)
    advance(client, 301)
    expect(call(client, "POST", "/accounts", stale), "POST /accounts", 400, "INVALID_CAPTCHA")


def test_r_acc_1_login_taken_is_409_login_taken(client: Client) -> None:
    """R-ACC-1: one account per e-mail address (whatever its case) or mobile number (whatever its spelling)."""
    create_account(client, "taken@example.edu.cn")
    for login in ("taken@example.edu.cn", "TAKEN@Example.edu.CN"):
        reply = call(client, "POST", "/accounts", credentials(client, login, "Another2026"))
        expect(reply, "POST /accounts", 409, "LOGIN_TAKEN")
    create_account(client, "13800138000")
    reply = call(client, "POST", "/accounts", credentials(client, "+86 138 0013 8000", "Another2026"))
    expect(reply, "POST /accounts", 409, "LOGIN_TAKEN")


def test_r_acc_1_session_bad_input_or_captcha_is_400(client: Client) -> None:
    """R-ACC-1: logging in takes the same fields, a captcha included."""
    login = new_login()
    create_account(client, login)
    reply = call(client, "POST", "/sessions", {"login": login, **captcha(client)})
    expect(reply, "POST /sessions", 400, "INVALID_REQUEST", "password")
    reply = call(client, "POST", "/sessions", {"login": login, "password": 2026, **captcha(client)})
    expect(reply, "POST /sessions", 400, "INVALID_REQUEST", "password")
    expect(call(client, "POST", "/sessions", raw="[]"), "POST /sessions", 400, "INVALID_REQUEST", "body")
    fields = credentials(client, login, STUDENT_PASSWORD)
    reply = call(client, "POST", "/sessions", {**fields, "captcha_answer": "WRONG!"})
    expect(reply, "POST /sessions", 400, "INVALID_CAPTCHA")
    expect(call(client, "POST", "/sessions", fields), "POST /sessions", 400, "INVALID_CAPTCHA")  # single use


def test_r_acc_1_wrong_password_or_unknown_login_is_401_bad_credentials(client: Client) -> None:
    """R-ACC-1: a wrong password and an unknown login get the same answer."""
    login = new_login()
    create_account(client, login)
    reply = call(client, "POST", "/sessions", credentials(client, login, "Wrong2026pass"))
    body = expect(reply, "POST /sessions", 401, "BAD_CREDENTIALS")
    reply = call(client, "POST", "/sessions", credentials(client, "nobody@example.edu.cn", STUDENT_PASSWORD))
    assert expect(reply, "POST /sessions", 401, "BAD_CREDENTIALS") == body
    reply = call(client, "POST", "/sessions", credentials(client, "not-a-login", STUDENT_PASSWORD))
    expect(reply, "POST /sessions", 401, "BAD_CREDENTIALS")


def test_r_acc_2_five_failed_logins_then_429_with_retry_after(client: Client) -> None:
    """R-ACC-2: repeated failed logins are throttled: 429 TOO_MANY_ATTEMPTS with Retry-After."""
    login = new_login()
    create_account(client, login)
    to_window_end = 900 - int(server_now(client).timestamp()) % 900  # failures count per 15-minute window
    if to_window_end < 120:
        advance(client, to_window_end + 1)
    for _ in range(5):
        reply = call(client, "POST", "/sessions", credentials(client, login, "Wrong2026pass"))
        expect(reply, "POST /sessions", 401, "BAD_CREDENTIALS")
    reply = call(client, "POST", "/sessions", credentials(client, login, STUDENT_PASSWORD))
    expect(reply, "POST /sessions", 429, "TOO_MANY_ATTEMPTS")
    retry_after = reply.header("Retry-After")
    assert retry_after is not None, f"429 without Retry-After: {reply.headers}"
    assert retry_after.isdigit(), retry_after
    assert 1 <= int(retry_after) <= 901, retry_after
    advance(client, int(retry_after))
    log_in(client, login)


def test_r_acc_2_logout_revokes_the_token_and_sessions_expire(client: Client) -> None:
    """R-ACC-2: DELETE /sessions/current is 204 and revokes that token only; a session is short-lived (2 h)."""
    login = new_login()
    create_account(client, login)
    token, other = log_in(client, login), log_in(client, login)
    ok(call(client, "DELETE", "/sessions/current", token=token), "DELETE /sessions/current", 204)
    expect(call(client, "GET", "/me", token=token), "GET /me", 401, "UNAUTHENTICATED")
    expect(call(client, "DELETE", "/sessions/current", token=token), "DELETE /sessions/current", 401, "UNAUTHENTICATED")
    ok(call(client, "GET", "/me", token=other), "GET /me")
    advance(client, 7201)
    expect(call(client, "GET", "/me", token=other), "GET /me", 401, "UNAUTHENTICATED")


def test_api_every_authenticated_route_without_a_valid_token_is_401(client: Client) -> None:
    """api.md, Conventions: 401 UNAUTHENTICATED for a missing, malformed or unknown token."""
    a = {"accepted": True}
    who = {**identity(ZHANG), "confirm": True}
    review = {**who, "ticket_number": factories.TICKET_APPROVE}
    for t in (None, "not-a-token"):
        expect(call(client, "DELETE", "/sessions/current", token=t), "DELETE /sessions/current", 401, "UNAUTHENTICATED")
        expect(call(client, "GET", "/me", token=t), "GET /me", 401, "UNAUTHENTICATED")
        expect(call(client, "POST", "/me/agreement", a, t), "POST /me/agreement", 401, "UNAUTHENTICATED")
        expect(call(client, "POST", "/qualification", who, t), "POST /qualification", 401, "UNAUTHENTICATED")
        expect(call(client, "POST", "/cet6-reviews", review, t), "POST /cet6-reviews", 401, "UNAUTHENTICATED")
        reply = call(client, "GET", "/cet6-reviews/current", token=t)
        expect(reply, "GET /cet6-reviews/current", 401, "UNAUTHENTICATED")
        reply = call(client, "PUT", "/cet6-reviews/current", review, t)
        expect(reply, "PUT /cet6-reviews/current", 401, "UNAUTHENTICATED")
        reply = call(client, "DELETE", "/cet6-reviews/current", token=t)
        expect(reply, "DELETE /cet6-reviews/current", 401, "UNAUTHENTICATED")
        expect(call(client, "POST", "/registration", who, t), "POST /registration", 401, "UNAUTHENTICATED")
        expect(call(client, "GET", "/registration", token=t), "GET /registration", 401, "UNAUTHENTICATED")
        expect(call(client, "GET", "/subjects", token=t), "GET /subjects", 401, "UNAUTHENTICATED")
        reply = call(client, "GET", "/oral-campuses?subject=CET-SET4", token=t)
        expect(reply, "GET /oral-campuses", 401, "UNAUTHENTICATED")
        reply = call(client, "POST", "/registration/subjects", {"subject": "CET4"}, t)
        expect(reply, "POST /registration/subjects", 401, "UNAUTHENTICATED")
        expect(call(client, "DELETE", "/registration/subjects/CET4", token=t), REMOVE, 401, "UNAUTHENTICATED")
        reply = call(client, "GET", "/staff/cet6-reviews", token=t)
        expect(reply, "GET /staff/cet6-reviews", 401, "UNAUTHENTICATED")
        reply = call(client, "POST", "/staff/cet6-reviews/x/decision", {"approve": True}, t)
        expect(reply, DECIDE, 401, "UNAUTHENTICATED")
    for header in ("Basic dXNlcjpwYXNz", "Bearer", "Bearer    ", "token-without-scheme"):
        expect(call(client, "GET", "/me", headers={"Authorization": header}), "GET /me", 401, "UNAUTHENTICATED")


# Agreement and qualification (R-QUAL)


def test_r_qual_1_agreement_is_204_and_comes_first(client: Client) -> None:
    """R-QUAL-1: before anything else the student reads and accepts the agreement (`accepted: true` only)."""
    token = new_student(client)
    reply = call(client, "POST", "/qualification", identity(ZHANG), token)
    expect(reply, "POST /qualification", 403, "AGREEMENT_REQUIRED")
    reply = submit_review(client, token, ZHANG, factories.TICKET_APPROVE)
    expect(reply, "POST /cet6-reviews", 403, "AGREEMENT_REQUIRED")
    expect(save(client, token, ZHANG), "POST /registration", 403, "AGREEMENT_REQUIRED")
    cases: list[tuple[Any, str]] = [
        ({"accepted": False}, "accepted"),
        ({"accepted": "true"}, "accepted"),
        ({}, "accepted"),
        ([True], "body"),
    ]
    for body, field in cases:
        expect(call(client, "POST", "/me/agreement", body, token), "POST /me/agreement", 400, "INVALID_REQUEST", field)
    assert ok(call(client, "GET", "/me", token=token), "GET /me")["agreement_accepted"] is False
    ok(call(client, "POST", "/me/agreement", {"accepted": True}, token), "POST /me/agreement", 204)
    assert ok(call(client, "GET", "/me", token=token), "GET /me")["agreement_accepted"] is True
    look_up(client, token, ZHANG)


def test_r_qual_3_lookup_is_200_with_roll_data_and_a_masked_id(client: Client) -> None:
    """R-QUAL-3: the roll data and the qualified subjects; the ID number is masked (api.md)."""
    token = agreed_student(client)
    body = look_up(client, token, ZHANG)
    assert set(body) == {"candidate", "qualified_subjects", "cet6_review", "cet6_review_offered"}, body
    candidate = body["candidate"]
    assert set(candidate) == CANDIDATE_KEYS, candidate
    assert candidate["id_number"] == ZHANG.id_number[:4] + "*" * 10 + ZHANG.id_number[-4:], candidate
    assert (candidate["school"], candidate["campus"], candidate["student_no"]) == ("南京大学", "鼓楼校区", "S000001")
    assert (body["qualified_subjects"], body["cet6_review"], body["cet6_review_offered"]) == (
        ["CET4", "CJT4"],
        None,
        True,
    )
    passport = {**identity(PASSPORT), "id_number": " e12345678 "}
    body = ok(call(client, "POST", "/qualification", passport, token), "POST /qualification")
    assert_masked(body["candidate"]["id_number"], PASSPORT.id_number)


def test_r_qual_2_military_officer_id_is_400_unsupported_id_type(client: Client) -> None:
    """R-QUAL-2: 军官证 is not supported: a clear error, not a silent miss."""
    token = agreed_student(client)
    officer = {"id_type": "military_officer", "id_number": "军字第123456号", "name": "张三"}
    expect(call(client, "POST", "/qualification", officer, token), "POST /qualification", 400, "UNSUPPORTED_ID_TYPE")
    reply = submit_review(client, token, ZHANG, factories.TICKET_APPROVE, **officer)
    expect(reply, "POST /cet6-reviews", 400, "UNSUPPORTED_ID_TYPE")
    reply = save(client, token, ZHANG, **officer)
    expect(reply, "POST /registration", 400, "UNSUPPORTED_ID_TYPE")


def test_r_qual_4_bad_check_digit_or_shape_is_400_invalid_id_number(client: Client) -> None:
    """R-QUAL-4: a resident ID's GB 11643 check digit, the other documents' shape, before any lookup."""
    token = agreed_student(client)
    assert gb11643_check_digit(BAD_CHECK_DIGIT[:17]) != BAD_CHECK_DIGIT[17]
    bad = {**identity(ZHANG), "id_number": BAD_CHECK_DIGIT}
    expect(call(client, "POST", "/qualification", bad, token), "POST /qualification", 400, "INVALID_ID_NUMBER")
    for kind, number in (("resident_id", "32010220050101001"), ("passport", "E-1234"), ("hk_macao_permit", "X1234")):
        body = {"id_type": kind, "id_number": number, "name": "张三"}
        expect(call(client, "POST", "/qualification", body, token), "POST /qualification", 400, "INVALID_ID_NUMBER")
    reply = submit_review(client, token, ZHANG, factories.TICKET_APPROVE, id_number=BAD_CHECK_DIGIT)
    expect(reply, "POST /cet6-reviews", 400, "INVALID_ID_NUMBER")
    expect(save(client, token, ZHANG, id_number=BAD_CHECK_DIGIT), "POST /registration", 400, "INVALID_ID_NUMBER")


def test_r_qual_2_missing_mistyped_or_unknown_field_is_400_invalid_request(client: Client) -> None:
    """R-QUAL-2: ID type, ID number and name are required; an unknown value names its field (api.md)."""
    token = agreed_student(client)
    cases: list[tuple[dict[str, Any], str]] = [
        ({"id_type": "driving_licence"}, "id_type"),
        ({"id_type": 1}, "id_type"),
        ({"id_type": None}, "id_type"),
        ({"id_number": 320102}, "id_number"),
        ({"id_number": "  "}, "id_number"),
        ({"id_number": "3" * 33}, "id_number"),
        ({"name": None}, "name"),
        ({"name": "张" * 65}, "name"),
    ]
    for change, field in cases:
        body = {**identity(ZHANG), **change}
        reply = call(client, "POST", "/qualification", body, token)
        expect(reply, "POST /qualification", 400, "INVALID_REQUEST", field)
    reply = call(client, "POST", "/qualification", raw="[]", token=token)
    expect(reply, "POST /qualification", 400, "INVALID_REQUEST", "body")


def test_r_qual_3_unknown_candidate_is_404_candidate_not_found(client: Client) -> None:
    """R-QUAL-3: the lookup matches the school roll on document, ID number and name."""
    token = agreed_student(client)
    for who in (
        {**identity(ZHANG), "id_number": NOT_ON_ROLL},
        {**identity(ZHANG), "name": "张三丰"},
        {**identity(ZHANG), "id_type": "hk_macao_permit", "id_number": "H12345678"},
    ):
        expect(call(client, "POST", "/qualification", who, token), "POST /qualification", 404, "CANDIDATE_NOT_FOUND")
    reply = submit_review(client, token, ZHANG, factories.TICKET_APPROVE, id_number=NOT_ON_ROLL)
    expect(reply, "POST /cet6-reviews", 404, "CANDIDATE_NOT_FOUND")
    expect(save(client, token, ZHANG, name="张三丰"), "POST /registration", 404, "CANDIDATE_NOT_FOUND")


def test_r_qual_3_whole_id_numbers_never_leave_the_service(client: Client) -> None:
    """R-QUAL-3 / api.md: `candidate` never carries a whole ID number, in any response (see also http.call)."""
    token = registered(client, ZHANG)
    ok(submit_review(client, token, ZHANG, factories.TICKET_PENDING), "POST /cet6-reviews", 201)
    chosen(client, token, "CET4")
    nju = staff(client, NJU_STAFF)
    other = registered(client, PASSPORT)
    replies = [
        call(client, "POST", "/qualification", identity(ZHANG), token),
        call(client, "GET", "/registration", token=token),
        call(client, "GET", "/me", token=token),
        call(client, "GET", "/cet6-reviews/current", token=token),
        call(client, "GET", "/staff/cet6-reviews", token=nju),
        call(client, "GET", "/registration", token=other),
        call(client, "POST", "/qualification", identity(PASSPORT), other),
    ]
    for reply in replies:
        assert reply.status == 200, reply.text
        assert ZHANG.id_number not in reply.text, reply.text
        assert PASSPORT.id_number not in reply.text, reply.text
    assert_masked(replies[4].body[0]["candidate"]["id_number"], ZHANG.id_number)
    assert_masked(replies[5].body["candidate"]["id_number"], PASSPORT.id_number)


WRONG_KEY = {"current": "local", "vlocal": "another-key-under-the-same-version-as-the-table-00"}
ROTATED_AWAY = {"current": "2", "v2": "a-newer-key-while-the-table-still-holds-version-1"}


@pytest.mark.parametrize("ring", [WRONG_KEY, ROTATED_AWAY], ids=["wrong key", "rotated key"])
def test_identity_keys_that_do_not_match_the_table_are_503_never_not_found(
    client: Client, monkeypatch: pytest.MonkeyPatch, ring: dict[str, str]
) -> None:
    """Decision 0013: a stage whose identity keys do not match the table's digests would look up
    digests that cannot match; it refuses with 503 IDENTITY_KEY_UNAVAILABLE instead of telling a
    student on the roll that they are not on it."""
    token = agreed_student(client)
    monkeypatch.setenv("IDENTITY_KEYS", json.dumps(ring))
    reset_services()  # the stage restarts with these keys
    reply = call(client, "POST", "/qualification", identity(ZHANG), token)
    expect(reply, "POST /qualification", 503, "IDENTITY_KEY_UNAVAILABLE")
    reply = submit_review(client, token, ZHANG, factories.TICKET_APPROVE)
    expect(reply, "POST /cet6-reviews", 503, "IDENTITY_KEY_UNAVAILABLE")
    expect(save(client, token, ZHANG), "POST /registration", 503, "IDENTITY_KEY_UNAVAILABLE")
    sick = client.http.request("GET", "/health?deep=1", headers={}, body=b"")  # more in test_probe_fixes.py
    text = sick.body.decode("utf-8")
    health = Reply(sick.status_code, json.loads(text), dict(sick.headers), text)
    expect(health, "GET /health", 503, "IDENTITY_KEY_UNAVAILABLE")
    monkeypatch.delenv("IDENTITY_KEYS")
    reset_services()  # the right keys again: the same student is found
    ok(call(client, "POST", "/qualification", identity(ZHANG), token), "POST /qualification")


# The CET6 review (R-REV)


def test_r_rev_3_rule_1_ticket_and_id_number_match_is_201_approved_and_locked(client: Client) -> None:
    """R-REV-3 rule 1: ticket + ID number (whatever the name): approved, CET6 qualified at once; R-REV-4: locked."""
    token = registered(client, ZHANG)
    review = ok(submit_review(client, token, ZHANG, factories.TICKET_APPROVE), "POST /cet6-reviews", 201)
    assert set(review) == REVIEW_KEYS, review
    assert (review["status"], review["ticket_number"]) == ("approved", factories.TICKET_APPROVE)
    assert parse_time(review["decided_at"]) >= parse_time(review["submitted_at"])
    assert current_review(client, token) == review
    looked_up = look_up(client, token, ZHANG)
    assert "CET6" in looked_up["qualified_subjects"]
    assert (looked_up["cet6_review"], looked_up["cet6_review_offered"]) == (review, False)
    assert subject_options(client, token)["CET6"]["qualified"] is True
    assert codes(chosen(client, token, "CET6")) == ["CET6"]
    expect(modify_review(client, token, factories.TICKET_PENDING), "PUT /cet6-reviews/current", 409, "REVIEW_LOCKED")
    reply = call(client, "DELETE", "/cet6-reviews/current", token=token)
    expect(reply, "DELETE /cet6-reviews/current", 409, "REVIEW_LOCKED")
    assert current_review(client, token) == review


def test_r_rev_3_rule_2_ticket_and_name_match_is_201_pending_and_locked(client: Client) -> None:
    """R-REV-3 rule 2: ticket + name, another ID number: pending, and a pending review cannot change (R-REV-4)."""
    token, _ = pending_review(client)
    current = current_review(client, token)
    assert set(current) == REVIEW_KEYS, current
    assert (current["status"], current["decided_at"]) == ("pending", None)
    expect(modify_review(client, token, factories.TICKET_APPROVE), "PUT /cet6-reviews/current", 409, "REVIEW_LOCKED")
    reply = call(client, "DELETE", "/cet6-reviews/current", token=token)
    expect(reply, "DELETE /cet6-reviews/current", 409, "REVIEW_LOCKED")
    # R-REV-4: viewable from the qualification page and from the home page.
    looked_up = look_up(client, token, ZHANG)
    assert looked_up["cet6_review"] == current
    assert "CET6" not in looked_up["qualified_subjects"]
    assert ok(call(client, "GET", "/me", token=token), "GET /me")["cet6_review"] == current


def test_r_rev_3_rule_3_no_matching_pass_is_422_review_no_match(client: Client) -> None:
    """R-REV-3 rule 3: no passing record for ticket + ID number or ticket + name: cannot be submitted."""
    token = agreed_student(client)
    for ticket in (factories.TICKET_NOBODY, factories.TICKET_LOW, "999999999999999"):
        expect(submit_review(client, token, ZHANG, ticket), "POST /cet6-reviews", 422, "REVIEW_NO_MATCH")
    expect(call(client, "GET", "/cet6-reviews/current", token=token), "GET /cet6-reviews/current", 404, "NOT_FOUND")


def test_r_rev_2_result_before_2005_is_422_review_before_2005(client: Client) -> None:
    """R-REV-2: results before 2005 go to school staff by hand: a clear message."""
    token = agreed_student(client)
    expect(submit_review(client, token, ZHANG, factories.TICKET_OLD), "POST /cet6-reviews", 422, "REVIEW_BEFORE_2005")


def test_r_rev_1_review_not_offered_is_409_review_not_offered(client: Client) -> None:
    """R-REV-1: offered only when the campus offers CET6, the candidate is not barred and not yet CET6 qualified."""
    token = agreed_student(client)
    for entry in (LI, QIAN, SUN):  # CET6 already qualified; barred; written campus without CET6
        assert look_up(client, token, entry)["cet6_review_offered"] is False, entry.name
        reply = submit_review(client, token, entry, factories.TICKET_APPROVE)
        expect(reply, "POST /cet6-reviews", 409, "REVIEW_NOT_OFFERED")


def test_r_rev_4_a_review_for_another_candidate_is_403_identity_mismatch(client: Client) -> None:
    """api.md: a bound account files a CET6 review only for its candidate; an unbound one only for the
    candidate it last looked up. The probe's case: bound to LI, a pending review for ZHANG landed in
    NJU's staff queue."""
    token = registered(client, LI)
    expect(
        submit_review(client, token, ZHANG, factories.TICKET_PENDING), "POST /cet6-reviews", 403, "IDENTITY_MISMATCH"
    )
    look_up(client, token, ZHANG)  # once bound, another lookup changes nothing
    expect(
        submit_review(client, token, ZHANG, factories.TICKET_PENDING), "POST /cet6-reviews", 403, "IDENTITY_MISMATCH"
    )
    assert staff_list(client, staff(client, NJU_STAFF), "?status=pending") == []
    unbound = agreed_student(client)
    look_up(client, unbound, LI)
    expect(
        submit_review(client, unbound, ZHANG, factories.TICKET_PENDING), "POST /cet6-reviews", 403, "IDENTITY_MISMATCH"
    )
    look_up(client, unbound, ZHANG)
    assert ok(submit_review(client, unbound, ZHANG, factories.TICKET_PENDING), "POST /cet6-reviews", 201)["status"] == (
        "pending"
    )
    # a review filed for ZHANG before binding, resubmitted once bound to WANG (more in test_probe_fixes.py)
    rejected = registered(client, WANG, rejected_review(client))
    reply = modify_review(client, rejected, factories.TICKET_APPROVE)
    expect(reply, "PUT /cet6-reviews/current", 403, "IDENTITY_MISMATCH")


def test_r_rev_4_one_review_per_account_is_409_review_exists(client: Client) -> None:
    """R-REV-4: one account, at most one review."""
    token, _ = pending_review(client)
    expect(submit_review(client, token, ZHANG, factories.TICKET_APPROVE), "POST /cet6-reviews", 409, "REVIEW_EXISTS")


def test_r_rev_2_review_bad_input_is_400_invalid_request(client: Client) -> None:
    """R-REV-2: a 15-digit admission-ticket number, and the student confirms."""
    token = agreed_student(client)
    cases: list[tuple[dict[str, Any], str]] = [
        ({"ticket_number": "12345"}, "ticket_number"),
        ({"ticket_number": "32001216100000A"}, "ticket_number"),
        ({"ticket_number": 320012161000001}, "ticket_number"),
        ({"confirm": False}, "confirm"),
        ({"confirm": "true"}, "confirm"),
        ({"confirm": None}, "confirm"),
        ({"name": ""}, "name"),
        ({"id_type": "student_card"}, "id_type"),
    ]
    for change, field in cases:
        reply = submit_review(client, token, ZHANG, factories.TICKET_APPROVE, **change)
        expect(reply, "POST /cet6-reviews", 400, "INVALID_REQUEST", field)
    reply = call(client, "POST", "/cet6-reviews", raw="[]", token=token)
    expect(reply, "POST /cet6-reviews", 400, "INVALID_REQUEST", "body")
    expect(call(client, "GET", "/cet6-reviews/current", token=token), "GET /cet6-reviews/current", 404, "NOT_FOUND")


def test_r_rev_4_no_review_yet_is_404_not_found(client: Client) -> None:
    """R-REV-4: a review belongs to the account; without one there is nothing to view, change or cancel."""
    token = agreed_student(client)
    expect(call(client, "GET", "/cet6-reviews/current", token=token), "GET /cet6-reviews/current", 404, "NOT_FOUND")
    expect(modify_review(client, token, factories.TICKET_APPROVE), "PUT /cet6-reviews/current", 404, "NOT_FOUND")
    reply = call(client, "DELETE", "/cet6-reviews/current", token=token)
    expect(reply, "DELETE /cet6-reviews/current", 404, "NOT_FOUND")


def test_r_rev_3_rule_2_rejected_review_is_modified_and_resubmitted(client: Client) -> None:
    """R-REV-3 rule 2: rejected → the student may modify and resubmit; the same rules judge it again."""
    token = rejected_review(client)
    cases: list[tuple[Any, str]] = [
        ({"confirm": True}, "ticket_number"),
        ({"ticket_number": factories.TICKET_APPROVE}, "confirm"),
        ({"ticket_number": "1234", "confirm": True}, "ticket_number"),
        ([], "body"),
    ]
    for body, field in cases:
        reply = call(client, "PUT", "/cet6-reviews/current", body, token)
        expect(reply, "PUT /cet6-reviews/current", 400, "INVALID_REQUEST", field)
    expect(modify_review(client, token, factories.TICKET_NOBODY), "PUT /cet6-reviews/current", 422, "REVIEW_NO_MATCH")
    expect(modify_review(client, token, factories.TICKET_OLD), "PUT /cet6-reviews/current", 422, "REVIEW_BEFORE_2005")
    assert current_review(client, token)["status"] == "rejected"
    again = ok(modify_review(client, token, factories.TICKET_PENDING), "PUT /cet6-reviews/current")
    assert set(again) == REVIEW_KEYS, again
    assert (again["status"], again["decided_at"], again["ticket_number"]) == ("pending", None, factories.TICKET_PENDING)
    assert [r["review_id"] for r in staff_list(client, staff(client, NJU_STAFF))] == [again["review_id"]]
    expect(modify_review(client, token, factories.TICKET_APPROVE), "PUT /cet6-reviews/current", 409, "REVIEW_LOCKED")


def test_r_rev_3_rule_1_rejected_review_resubmitted_with_own_ticket_is_approved(client: Client) -> None:
    """R-REV-3 rules 1 and 2: a rejected review resubmitted with the candidate's own ticket is approved at once."""
    token = rejected_review(client)
    review = ok(modify_review(client, token, factories.TICKET_APPROVE), "PUT /cet6-reviews/current")
    assert review["status"] == "approved", review
    assert "CET6" in look_up(client, token, ZHANG)["qualified_subjects"]


def test_r_rev_3_rule_2_resubmitting_for_a_candidate_gone_from_the_roll_is_404(client: Client) -> None:
    """R-REV-3 rule 2: a resubmission is judged against the roll; a candidate no longer on it: 404."""
    token = rejected_review(client)
    RollItem(
        codec.roll_pk(IdType.RESIDENT_ID, factories.entry(ZHANG).identity.digest), "ROLL"
    ).delete()  # the province reloads its roll
    reply = modify_review(client, token, factories.TICKET_APPROVE)
    expect(reply, "PUT /cet6-reviews/current", 404, "CANDIDATE_NOT_FOUND")


def test_r_rev_3_rule_2_rejected_review_may_be_deleted(client: Client) -> None:
    """R-REV-3 rule 2: rejected → the student may delete the review, and then submit a new one."""
    token = rejected_review(client)
    ok(call(client, "DELETE", "/cet6-reviews/current", token=token), "DELETE /cet6-reviews/current", 204)
    expect(call(client, "GET", "/cet6-reviews/current", token=token), "GET /cet6-reviews/current", 404, "NOT_FOUND")
    assert ok(call(client, "GET", "/me", token=token), "GET /me")["cet6_review"] is None
    review = ok(submit_review(client, token, ZHANG, factories.TICKET_APPROVE), "POST /cet6-reviews", 201)
    assert review["status"] == "approved", review


# School staff (R-REV-3 rule 2)


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


# Saving the registration (R-BIND)


def test_r_bind_1_saving_is_201_with_a_masked_snapshot_of_the_roll(client: Client) -> None:
    """R-BIND-1: save and continue stores the registration; R-BIND-3: a snapshot the roll no longer changes."""
    token = agreed_student(client)
    before = server_now(client)
    saved = ok(save(client, token, ZHANG), "POST /registration", 201)
    assert_registration(saved, ZHANG)
    assert (saved["subjects"], saved["amount_due"]) == ([], 0)
    saved_at = parse_time(saved["saved_at"])
    assert before <= saved_at <= server_now(client)
    assert parse_time(saved["expires_at"]) == saved_at + timedelta(hours=24)  # R-BIND-4: nothing chosen yet
    assert ok(call(client, "GET", "/registration", token=token), "GET /registration") == saved
    assert ok(call(client, "GET", "/me", token=token), "GET /me")["registration"] == saved
    roll = RollItem.get(codec.roll_pk(IdType.RESIDENT_ID, factories.entry(ZHANG).identity.digest), "ROLL")
    roll.update(actions=[RollItem.student_no.set("S999999"), RollItem.campus_id.set("NJU-XL")])
    assert ok(call(client, "GET", "/registration", token=token), "GET /registration") == saved


def test_r_bind_1_unconfirmed_or_bad_input_is_400_invalid_request(client: Client) -> None:
    """R-BIND-1: only after confirming the roll and qualification data is the registration saved."""
    token = agreed_student(client)
    cases: list[tuple[dict[str, Any], str]] = [
        ({"confirm": False}, "confirm"),
        ({"confirm": None}, "confirm"),
        ({"id_type": "id_card"}, "id_type"),
        ({"id_number": None}, "id_number"),
    ]
    for change, field in cases:
        expect(save(client, token, ZHANG, **change), "POST /registration", 400, "INVALID_REQUEST", field)
    reply = call(client, "POST", "/registration", raw="{", token=token)
    expect(reply, "POST /registration", 400, "INVALID_REQUEST", "body")
    expect(call(client, "GET", "/registration", token=token), "GET /registration", 404, "NOT_FOUND")


def test_r_bind_1_outside_the_window_is_403_registration_closed(client: Client) -> None:
    """R-BIND-1: only inside the candidate's online registration window."""
    token = agreed_student(client)
    look_up(client, token, ZHAO)
    expect(save(client, token, ZHAO), "POST /registration", 403, "REGISTRATION_CLOSED")


def test_r_bind_2_one_account_one_candidate_is_409_already_bound(client: Client) -> None:
    """R-BIND-2: one account binds at most one candidate, one candidate binds to at most one account."""
    token = registered(client, ZHANG)
    for entry in (LI, ZHANG):
        expect(save(client, token, entry), "POST /registration", 409, "ACCOUNT_ALREADY_BOUND")
    other = agreed_student(client)
    expect(save(client, other, ZHANG), "POST /registration", 409, "CANDIDATE_ALREADY_BOUND")
    expect(call(client, "GET", "/registration", token=other), "GET /registration", 404, "NOT_FOUND")
    saved = ok(call(client, "GET", "/registration", token=token), "GET /registration")
    assert saved["candidate"]["name"] == ZHANG.name


def test_r_bind_4_empty_registration_goes_after_24_hours_and_frees_both_sides(client: Client) -> None:
    """R-BIND-4: no subject 24 hours after saving: deleted; both sides of the binding are free again."""
    login = new_login()
    token = registered(client, ZHANG, agreed_student(client, login))
    advance(client, DAY + 1)
    token = log_in(client, login)
    expect(call(client, "GET", "/registration", token=token), "GET /registration", 404, "NOT_FOUND")
    expect(call(client, "GET", "/subjects", token=token), "GET /subjects", 404, "NOT_FOUND")
    assert ok(call(client, "GET", "/me", token=token), "GET /me")["registration"] is None
    registered(client, ZHANG)  # the candidate is free
    registered(client, LI, token)  # and so is the account


def test_r_bind_4_stale_registration_changing_during_its_cleanup_is_404_not_found(
    client: Client, monkeypatch: pytest.MonkeyPatch
) -> None:
    """R-BIND-4: clearing a gone registration that changes meanwhile: 404 NOT_FOUND (retry), then it binds."""
    old = registered(client, ZHANG)
    chosen(client, old, "CET4")
    chosen(client, old, "CET-SET4", "NJU-GL")
    advance(client, DAY + 1)
    store = services().registration.registrations
    original = store.delete_registration
    raced: list[str] = []

    def racing_delete(registration: Registration, now: datetime) -> None:
        if not raced:  # meanwhile another request reclaims the expired oral seat (R-PAY-1)
            raced.append(registration.account_id)
            assert store.reclaim_expired_holds(SeatGrab("NJU-GL", "CET-SET4"), now).released == 1
        original(registration, now)

    monkeypatch.setattr(store, "delete_registration", racing_delete)
    token = agreed_student(client)
    reply = save(client, token, ZHANG)
    assert raced, "the gone registration was never cleared"
    expect(reply, "POST /registration", 404, "NOT_FOUND")
    assert ok(save(client, token, ZHANG), "POST /registration", 201)["subjects"] == []


def test_r_bind_1_no_registration_yet_is_404_not_found(client: Client) -> None:
    """R-BIND-1: subjects come after saving the registration; before it, 404 NOT_FOUND."""
    t = agreed_student(client)
    expect(call(client, "GET", "/registration", token=t), "GET /registration", 404, "NOT_FOUND")
    expect(call(client, "GET", "/subjects", token=t), "GET /subjects", 404, "NOT_FOUND")
    reply = call(client, "GET", "/oral-campuses?subject=CET-SET4", token=t)
    expect(reply, "GET /oral-campuses", 404, "NOT_FOUND")
    expect(choose(client, t, "CET4"), "POST /registration/subjects", 404, "NOT_FOUND")
    expect(remove(client, t, "CET4"), REMOVE, 404, "NOT_FOUND")


# Subjects (R-WRIT, R-ORAL) and payment deadlines (R-PAY)


def test_r_writ_1_subject_list_shows_qualification(client: Client) -> None:
    """R-WRIT-1: the province's subjects, each with whether this candidate may take it and why not."""
    token = registered(client, ZHANG)
    options = ok(call(client, "GET", "/subjects", token=token), "GET /subjects")
    assert all(set(o) == {"code", "name", "kind", "level", "fee", "qualified", "reason", "exam_at"} for o in options)
    by_code = {o["code"]: o for o in options}
    assert set(by_code) == {"CET4", "CET6", "CJT4", "CJT6", "CET-SET4", "CET-SET6"}
    assert by_code["CET4"] == {
        "code": "CET4",
        "name": "英语四级",
        "kind": "written",
        "level": 4,
        "fee": 3000,
        "qualified": True,
        "reason": None,
        "exam_at": "2099-12-19T09:00:00+08:00",
    }
    assert (by_code["CET-SET4"]["qualified"], by_code["CET-SET4"]["fee"]) == (True, 5000)
    for code in ("CET6", "CJT6", "CET-SET6"):
        assert by_code[code]["qualified"] is False, by_code[code]
        assert by_code[code]["reason"], by_code[code]


# Dates (R-DATE-1)


def test_r_date_1_subjects_carry_their_exam_time_in_beijing_time_or_null(client: Client) -> None:
    """R-DATE-1: every subject of GET /subjects carries `exam_at` (ISO 8601, +08:00) from the
    province's exam schedule, or null where the province gave none."""
    token = registered(client, ZHANG)
    by_code = subject_options(client, token)
    for code, moment in factories.EXAM_AT.items():
        assert by_code[code]["exam_at"] is not None, by_code[code]
        assert parse_time(by_code[code]["exam_at"]) == moment, by_code[code]
    assert by_code["CET-SET6"]["exam_at"] == "2099-11-22T09:00:00+08:00"
    assert (by_code["CJT4"]["exam_at"], by_code["CJT6"]["exam_at"]) == (None, None)


def window_of(client: Client, token: str) -> Any:
    return ok(call(client, "GET", "/me", token=token), "GET /me")["window"]


def test_r_date_1_me_window_is_null_until_a_candidate_is_looked_up_then_its_schools(client: Client) -> None:
    """R-DATE-1: GET /me carries the school's registration window once a candidate is looked up
    (and after binding), null before; a later lookup of another school's candidate shows that one."""
    token = agreed_student(client)
    assert window_of(client, token) is None
    reply = call(client, "POST", "/qualification", {**identity(ZHANG), "id_number": NOT_ON_ROLL}, token)
    expect(reply, "POST /qualification", 404, "CANDIDATE_NOT_FOUND")
    assert window_of(client, token) is None, "a miss names no school"
    look_up(client, token, ZHANG)
    nju = {"opens_at": "2024-01-01T00:00:00+08:00", "closes_at": "2099-12-31T00:00:00+08:00"}
    assert window_of(client, token) == nju
    for moment in window_of(client, token).values():
        parse_time(moment)
    look_up(client, token, ZHAO)  # OLD's window closed long ago: the last one is shown, dates and all
    assert window_of(client, token) == {
        "opens_at": "2024-01-01T00:00:00+08:00",
        "closes_at": "2024-01-31T00:00:00+08:00",
    }
    ok(save(client, token, ZHANG), "POST /registration", 201)
    assert window_of(client, token) == nju
    other = registered(client, WANG)  # bound, never looked up by this account before saving: its own school
    assert window_of(client, other) == nju  # SEU's window has the same dates in the test province
    assert ok(call(client, "GET", "/me", token=staff(client, NJU_STAFF)), "GET /me")["window"] is None


def upcoming(client: Client, token: str, subject: str = "CET-SET4") -> list[dict[str, Any]]:
    reply = call(client, "GET", f"/oral-campuses/upcoming?subject={subject}", token=token)
    return ok(reply, "GET /oral-campuses/upcoming")


def move_oral_opening(campus_id: str, subject: str, opens_at: datetime) -> None:
    """The province moves a campus's oral opening (as R-OPS-2 allows), and the stage reads it again."""
    campus = factories.catalog(capacity=3).campuses[campus_id]
    oral = tuple(replace(o, opens_at=opens_at) if o.subject == subject else o for o in campus.oral)
    body = json.dumps(codec.campus_to_json(replace(campus, oral=oral)), ensure_ascii=False)
    CatalogPartItem("CATALOG", f"CAMPUS#{campus_id}", body=body).save()
    reset_services()  # no cached catalog of the old opening


def test_r_date_1_upcoming_oral_campuses_until_they_open(client: Client) -> None:
    """R-DATE-1, R-ORAL-1: a campus that opens later is not in the oral list but is listed as
    upcoming with its opening time; once the clock passes it, it moves to the oral list."""
    token = registered(client, ZHANG)
    listed = upcoming(client, token)
    assert listed == [
        {
            "campus_id": "NJU-XL",
            "name": "仙林校区",
            "school_id": "NJU",
            "school": "南京大学",
            "opens_at": "2099-12-30T00:00:00+08:00",
        }
    ]
    assert upcoming(client, token, "CET-SET6") == []  # NJU-XL offers no CET-SET6
    opens_at = (server_now(client) + timedelta(hours=1)).replace(microsecond=0)
    move_oral_opening("NJU-XL", "CET-SET4", opens_at)
    assert [(c["campus_id"], parse_time(c["opens_at"])) for c in upcoming(client, token)] == [("NJU-XL", opens_at)]
    assert "NJU-XL" not in {c["campus_id"] for c in oral_campuses(client, token)}
    advance(client, 3600)
    assert upcoming(client, token) == []
    assert "NJU-XL" in {c["campus_id"] for c in oral_campuses(client, token)}


def test_r_date_1_upcoming_campuses_keep_the_external_rule(client: Client) -> None:
    """R-DATE-1, R-ORAL-2: upcoming campuses are those the student could choose once open: a student
    whose school allows no external oral candidates sees no other school's campus."""
    assert upcoming(client, registered(client, WANG)) == []  # SEU: only its own campus, which is open


def test_r_date_1_upcoming_oral_campuses_errors_as_for_the_oral_list(client: Client) -> None:
    """R-DATE-1: GET /oral-campuses/upcoming answers like GET /oral-campuses: 400 for a bad subject,
    401 without a token, 403 for staff, 404 before the registration is saved."""
    token = registered(client, ZHANG)
    for query in ("", "?subject=", "?subject=CET4", "?subject=NOPE", "?other=CET-SET4"):
        reply = call(client, "GET", f"/oral-campuses/upcoming{query}", token=token)
        expect(reply, UPCOMING, 400, "INVALID_REQUEST", "subject")
    for t in (None, "not-a-token"):
        expect(
            call(client, "GET", "/oral-campuses/upcoming?subject=CET-SET4", token=t), UPCOMING, 401, "UNAUTHENTICATED"
        )
    nju = staff(client, NJU_STAFF)
    expect(call(client, "GET", "/oral-campuses/upcoming?subject=CET-SET4", token=nju), UPCOMING, 403, "FORBIDDEN")
    fresh = agreed_student(client)
    expect(call(client, "GET", "/oral-campuses/upcoming?subject=CET-SET4", token=fresh), UPCOMING, 404, "NOT_FOUND")


def test_r_pay_1_a_chosen_subject_is_201_and_due_24_hours_later(client: Client) -> None:
    """R-PAY-1: every chosen subject must be paid within 24 hours of being chosen: pay_by = chosen + 24 h."""
    token = registered(client, ZHANG)
    advance(client, 3600)  # chosen an hour after saving
    before = server_now(client)
    body = chosen(client, token, "CET4")
    after = server_now(client)
    assert_registration(body, ZHANG)
    [subject] = body["subjects"]
    assert {k: v for k, v in subject.items() if k != "pay_by"} == {
        "code": "CET4",
        "name": "英语四级",
        "kind": "written",
        "level": 4,
        "campus_id": None,
        "campus": None,
        "fee": 3000,
        "status": "unpaid",
        "offered": False,  # R-WAIT-2: chosen, not held from a waiting list
    }
    pay_by = parse_time(subject["pay_by"])
    assert before <= pay_by - timedelta(hours=24) <= after, (before, subject["pay_by"], after)
    assert (body["amount_due"], parse_time(body["expires_at"])) == (3000, pay_by)
    oral = chosen(client, token, "CET-SET4", "NJU-GL")
    assert codes(oral) == ["CET4", "CET-SET4"]
    assert {k: oral["subjects"][1][k] for k in ("kind", "level", "campus_id", "campus", "fee", "status")} == {
        "kind": "oral",
        "level": 4,
        "campus_id": "NJU-GL",
        "campus": "鼓楼校区",
        "fee": 5000,
        "status": "unpaid",
    }
    assert oral["amount_due"] == 8000
    assert ok(call(client, "GET", "/registration", token=token), "GET /registration") == oral


def test_r_pay_1_unpaid_subject_past_pay_by_disappears_at_once(client: Client) -> None:
    """R-PAY-1: an unpaid subject past pay_by is gone from GET /registration at once, no job needed."""
    login = new_login()
    token = registered(client, LI, agreed_student(client, login))
    cet4 = chosen(client, token, "CET4")["subjects"][0]
    advance(client, 12 * 3600)
    token = log_in(client, login)
    both = chosen(client, token, "CET6")
    assert (codes(both), both["amount_due"]) == (["CET4", "CET6"], 6000)
    advance(client, (parse_time(cet4["pay_by"]) - server_now(client)).total_seconds() + 1)
    token = log_in(client, login)
    left = ok(call(client, "GET", "/registration", token=token), "GET /registration")
    assert (codes(left), left["amount_due"]) == (["CET6"], 3000), left
    assert ok(call(client, "GET", "/me", token=token), "GET /me")["registration"] == left
    expect(remove(client, token, "CET4"), REMOVE, 404, "NOT_FOUND")
    again = chosen(client, token, "CET4")  # the level is free again, with a new deadline
    assert codes(again) == ["CET4", "CET6"]
    assert parse_time(again["subjects"][0]["pay_by"]) > parse_time(cet4["pay_by"])


def test_r_writ_1_unqualified_subject_is_403_not_qualified(client: Client) -> None:
    """R-WRIT-1: subjects are picked from the candidate's qualified subjects (an oral one needs its written one's)."""
    token = registered(client, ZHANG)
    for subject, campus in (("CET6", None), ("CJT6", None), ("CET-SET6", "NJU-GL")):
        expect(choose(client, token, subject, campus), "POST /registration/subjects", 403, "NOT_QUALIFIED")


def test_r_writ_2_one_subject_per_level_409_level_taken_and_subject_taken(client: Client) -> None:
    """R-WRIT-2: at most one subject per level (CET4 and CJT4 not both), and a subject only once."""
    token = registered(client, ZHANG)
    chosen(client, token, "CJT4")
    expect(choose(client, token, "CET4"), "POST /registration/subjects", 409, "LEVEL_TAKEN")
    expect(choose(client, token, "CJT4"), "POST /registration/subjects", 409, "SUBJECT_TAKEN")
    assert codes(ok(remove(client, token, "CJT4"), REMOVE)) == []
    chosen(client, token, "CET4")
    chosen(client, token, "CET-SET4", "NJU-GL")
    expect(choose(client, token, "CET-SET4", "NJU-GL"), "POST /registration/subjects", 409, "SUBJECT_TAKEN")
    expect(choose(client, token, "CET4"), "POST /registration/subjects", 409, "SUBJECT_TAKEN")
    expect(choose(client, token, "CJT4"), "POST /registration/subjects", 409, "LEVEL_TAKEN")


def test_r_oral_1_bad_subject_or_campus_is_400_invalid_request(client: Client) -> None:
    """R-ORAL-1 / api.md: a subject of the province; an oral subject at a campus that offers it."""
    token = registered(client, LI)
    chosen(client, token, "CET4")
    chosen(client, token, "CET6")
    cases: list[tuple[Any, str]] = [
        ({}, "subject"),
        ({"subject": 4}, "subject"),
        ({"subject": "XYZ9"}, "subject"),
        ({"subject": "cet4"}, "subject"),
        ({"subject": "CET-SET4"}, "campus_id"),
        ({"subject": "CET-SET4", "campus_id": 7}, "campus_id"),
        ({"subject": "CET-SET4", "campus_id": "NOWHERE"}, "campus_id"),
        ({"subject": "CET-SET6", "campus_id": "SEU-SP"}, "campus_id"),
        (["CET4"], "body"),
    ]
    for body, field in cases:
        reply = call(client, "POST", "/registration/subjects", body, token)
        expect(reply, "POST /registration/subjects", 400, "INVALID_REQUEST", field)


def test_r_oral_1_campus_list_shows_open_campuses_for_an_oral_subject(client: Client) -> None:
    """R-ORAL-1/3: open campuses only, with school, notice and remaining capacity; `subject` is an oral subject."""
    token = registered(client, ZHANG)
    campuses = oral_campuses(client, token)
    assert all(set(c) == {"campus_id", "name", "school_id", "school", "remaining", "notice"} for c in campuses)
    by_id = {c["campus_id"]: c for c in campuses}
    assert "NJU-XL" not in by_id, "NJU-XL opens in 2099 (R-ORAL-1)"
    assert by_id["NJU-GL"] == {
        "campus_id": "NJU-GL",
        "name": "鼓楼校区",
        "school_id": "NJU",
        "school": "南京大学",
        "remaining": "green",
        "notice": "南京大学口试须知：请携带身份证。",
    }
    assert oral_campuses(client, token, "CET-SET6") == [by_id["NJU-GL"]]
    for query in ("", "?subject=", "?subject=CET4", "?subject=NOPE", "?other=CET-SET4"):
        reply = call(client, "GET", f"/oral-campuses{query}", token=token)
        expect(reply, "GET /oral-campuses", 400, "INVALID_REQUEST", "subject")


def test_r_oral_1_campus_not_open_yet_is_403_campus_not_open(client: Client) -> None:
    """R-ORAL-1: some campuses open later than others; choosing one before it opens is refused."""
    token = registered(client, ZHANG)
    chosen(client, token, "CET4")
    expect(choose(client, token, "CET-SET4", "NJU-XL"), "POST /registration/subjects", 403, "CAMPUS_NOT_OPEN")


def test_r_oral_2_external_campus_is_403_external_not_allowed(client: Client) -> None:
    """R-ORAL-2: the written-exam campus does not allow external oral: only that campus is shown and taken."""
    token = registered(client, WANG)
    chosen(client, token, "CET4")
    campuses = oral_campuses(client, token)
    assert [c["campus_id"] for c in campuses] == ["SEU-SP"], campuses
    assert campuses[0]["notice"] == "东南大学考生只能在本校参加口试。"
    expect(choose(client, token, "CET-SET4", "NJU-GL"), "POST /registration/subjects", 403, "EXTERNAL_NOT_ALLOWED")
    assert chosen(client, token, "CET-SET4", "SEU-SP")["subjects"][1]["campus_id"] == "SEU-SP"


def test_r_oral_4_oral_without_its_written_subject_is_403_written_required(client: Client) -> None:
    """R-ORAL-4: CET-SET4 needs CET4 in the same registration; another level-4 written subject is not enough."""
    token = registered(client, ZHANG)
    expect(choose(client, token, "CET-SET4", "NJU-GL"), "POST /registration/subjects", 403, "WRITTEN_REQUIRED")
    chosen(client, token, "CJT4")
    expect(choose(client, token, "CET-SET4", "NJU-GL"), "POST /registration/subjects", 403, "WRITTEN_REQUIRED")


def test_api_overload_is_503_busy_with_retry_after_never_500(client: Client) -> None:
    """api.md conventions at the opening minute (R-ORAL-4): a transaction conflict past the bounded
    retry, a throttled table and an internal error of the database answer 503 BUSY with
    Retry-After, never a 500; the same grab goes through once the database answers again."""
    token = registered(client, ZHANG)
    chosen(client, token, "CET4")
    with database_answers("TransactWriteItems", conflict(3)) as answered:
        reply = choose(client, token, "CET-SET4", "NJU-GL")
    expect(reply, "POST /registration/subjects", 503, "BUSY")
    assert reply.header("Retry-After") in {"1", "2", "3"}
    assert len(answered) == MAX_ATTEMPTS  # the conflict is tried again, a few times only
    with database_answers("Query", THROTTLED):
        reply = call(client, "GET", "/me", token=token)
    expect(reply, "GET /me", 503, "BUSY")
    assert reply.header("Retry-After")
    with database_answers("GetItem", INTERNAL):  # the session
        expect(choose(client, token, "CET-SET4", "NJU-GL"), "POST /registration/subjects", 503, "BUSY")
    assert "CET-SET4" in codes(chosen(client, token, "CET-SET4", "NJU-GL"))


def test_r_pay_4_get_me_reads_the_session_and_the_account_partition_only(client: Client) -> None:
    """R-PAY-4 at the opening minute: GET /me is two requests to DynamoDB (the session, one query of
    the account's partition: account, registration, subjects, review, open order); an oral grab is
    those two and one transaction."""
    token = registered(client, ZHANG)
    chosen(client, token, "CET4")
    ok(call(client, "GET", "/me", token=token), "GET /me")  # the catalog is cached, as in a warm Lambda
    requests = count_requests()
    me = ok(call(client, "GET", "/me", token=token), "GET /me")
    assert requests.total <= 2, requests.by_operation
    assert codes(me["registration"]) == ["CET4"]
    requests.reset()
    chosen(client, token, "CET-SET4", "NJU-GL")
    assert dict(requests.by_operation) == {"GetItem": 1, "Query": 1, "TransactWriteItems": 1}


def emf_counts(output: str, metric: str) -> dict[str, float]:
    """The EMF metric lines of one name in what the service printed, summed by outcome."""
    found: dict[str, float] = {}
    for line in output.splitlines():
        if line.startswith('{"_aws"') and metric in (record := json.loads(line)):
            found[record.get("outcome", "")] = found.get(record.get("outcome", ""), 0) + record[metric][0]
    return found


def test_seat_grabs_are_counted_by_outcome(client: Client, capsys: pytest.CaptureFixture[str]) -> None:
    """Going live: the operator sees seat grabs held and refused (EMF, namespace CET/Registration)."""
    for entry in (ZHANG, LI, QIAN):
        token = registered(client, entry)
        chosen(client, token, "CET4")
        chosen(client, token, "CET-SET4", "NJU-GL")
    late = registered(client, PASSPORT)
    chosen(client, late, "CET4")
    expect(choose(client, late, "CET-SET4", "NJU-GL"), "POST /registration/subjects", 409, "CAMPUS_FULL")
    output = capsys.readouterr().out
    assert emf_counts(output, "SeatGrabs") == {"held": 3, "CAMPUS_FULL": 1}
    assert emf_counts(output, "RegistrationsSaved") == {"": 4}


def test_r_oral_3_capacity_colours_and_campus_full_is_409_campus_full(client: Client) -> None:
    """R-ORAL-3/4: green above half left, yellow half or less, none when full; never beyond the capacity (3)."""
    observer = registered(client, SUN)
    seen = [colour(client, observer, "NJU-GL")]
    tokens = []
    for entry in (ZHANG, LI, QIAN):
        token = registered(client, entry)
        chosen(client, token, "CET4")
        chosen(client, token, "CET-SET4", "NJU-GL")
        tokens.append(token)
        seen.append(colour(client, observer, "NJU-GL"))
    assert seen == ["green", "green", "yellow", "none"], seen
    late = registered(client, PASSPORT)
    chosen(client, late, "CET4")
    expect(choose(client, late, "CET-SET4", "NJU-GL"), "POST /registration/subjects", 409, "CAMPUS_FULL")
    assert codes(ok(remove(client, tokens[1], "CET-SET4"), REMOVE)) == ["CET4"]
    assert colour(client, observer, "NJU-GL") == "yellow"
    chosen(client, late, "CET-SET4", "NJU-GL")
    assert colour(client, observer, "NJU-GL") == "none"


def test_r_pay_1_expired_oral_holds_release_their_seats(client: Client) -> None:
    """R-PAY-1: an unpaid subject past pay_by is deleted and its oral seat released."""
    for entry in (ZHANG, LI, QIAN):
        token = registered(client, entry)
        chosen(client, token, "CET4")
        chosen(client, token, "CET-SET4", "NJU-GL")
    advance(client, DAY + 1)
    late = registered(client, PASSPORT)
    assert colour(client, late, "NJU-GL") == "green"
    chosen(client, late, "CET4")
    assert chosen(client, late, "CET-SET4", "NJU-GL")["amount_due"] == 8000


def test_r_oral_5_removing_a_written_subject_under_its_oral_is_409_oral_depends(client: Client) -> None:
    """R-ORAL-5: removing CET4 while CET-SET4 is held is refused until the oral subject is removed."""
    token = registered(client, ZHANG)
    chosen(client, token, "CET4")
    chosen(client, token, "CET-SET4", "NJU-GL")
    expect(remove(client, token, "CET4"), REMOVE, 409, "ORAL_DEPENDS")
    left = ok(remove(client, token, "CET-SET4"), REMOVE)
    assert_registration(left, ZHANG)
    assert (codes(left), left["amount_due"]) == (["CET4"], 3000)
    left = ok(remove(client, token, "CET4"), REMOVE)
    assert (codes(left), left["amount_due"]) == ([], 0)


def test_r_pay_3_paid_subject_is_409_subject_paid(client: Client) -> None:
    """R-PAY-3: a paid subject can be neither changed nor cancelled; a paid registration no longer expires."""
    token = registered(client, ZHANG)
    chosen(client, token, "CET4")
    mark_paid(str(ok(call(client, "GET", "/me", token=token), "GET /me")["account_id"]), "CET4")
    expect(remove(client, token, "CET4"), REMOVE, 409, "SUBJECT_PAID")
    body = ok(call(client, "GET", "/registration", token=token), "GET /registration")
    assert [(s["code"], s["status"]) for s in body["subjects"]] == [("CET4", "paid")]
    assert (body["expires_at"], body["amount_due"]) == (None, 0)
    expect(choose(client, token, "CJT4"), "POST /registration/subjects", 409, "LEVEL_TAKEN")


def test_r_pay_3_removing_a_subject_not_chosen_is_404_not_found(client: Client) -> None:
    """R-PAY-3: only a chosen, unpaid subject can be removed; a province subject not chosen: 404 NOT_FOUND."""
    token = registered(client, ZHANG)
    chosen(client, token, "CET4")
    expect(remove(client, token, "CJT4"), REMOVE, 404, "NOT_FOUND")
    expect(remove(client, token, "CET-SET4"), REMOVE, 404, "NOT_FOUND")


def test_api_removing_an_unknown_subject_code_is_400_invalid_request(client: Client) -> None:
    """api.md, Conventions ("an unknown field value: 400 INVALID_REQUEST naming the field") and openapi x-error-codes.

    docs/openapi.yaml documents 400 INVALID_REQUEST for DELETE /registration/subjects/{code} (its own description
    admits the implementation answers 404 for any code): chalicelib/domain/registration.py check_removal raises
    NotFound before anything checks that the code is a subject of the province.
    """
    token = registered(client, ZHANG)
    chosen(client, token, "CET4")
    reply = remove(client, token, "NO-SUCH-SUBJECT")
    covers("DELETE", "/registration/subjects/{code}", 400, "INVALID_REQUEST")
    assert reply.status == 400, (
        "DELETE /registration/subjects/NO-SUCH-SUBJECT: docs/openapi.yaml documents 400 INVALID_REQUEST (field code) "
        f"for a code that is no subject of the province; got {reply.status} {reply.text}"
    )
    expect(reply, REMOVE, 400, "INVALID_REQUEST", "code")


# The waiting list for full campuses (R-WAIT-1..2)

WAITLIST = "POST /waitlist"
MY_WAITLIST = "GET /waitlist"
LEAVE = "DELETE /waitlist/{subject}"
WAITLIST_KEYS = {"subject", "campus_id", "campus", "position", "joined_at"}


def join(client: Client, token: str, subject: str = "CET-SET4", campus_id: str = "NJU-GL") -> Reply:
    return call(client, "POST", "/waitlist", {"subject": subject, "campus_id": campus_id}, token)


def my_waitlist(client: Client, token: str) -> list[dict[str, Any]]:
    return list(ok(call(client, "GET", "/waitlist", token=token), MY_WAITLIST))


def fill_nju_gl(client: Client) -> list[str]:
    """ZHANG, LI and QIAN hold NJU-GL's three CET-SET4 seats: their tokens."""
    tokens = []
    for entry in (ZHANG, LI, QIAN):
        token = registered(client, entry)
        chosen(client, token, "CET4")
        chosen(client, token, "CET-SET4", "NJU-GL")
        tokens.append(token)
    return tokens


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


# Orders and payments (R-PAY-1..5), through the local payment sandbox


def holding(client: Client, entry: RollRow = ZHANG) -> tuple[str, str]:
    """A student holding CET4 and CET-SET4 at NJU-GL, both unpaid (8000 fen): (login, token)."""
    login = new_login()
    token = registered(client, entry, agreed_student(client, login))
    chosen(client, token, "CET4")
    chosen(client, token, "CET-SET4", "NJU-GL")
    return login, token


def place(client: Client, token: str, provider: str = "alipay", bank: str | None = None) -> dict[str, Any]:
    body = {"provider": provider} if bank is None else {"provider": provider, "bank": bank}
    return dict(ok(call(client, "POST", "/orders", body, token), "POST /orders", 201))


def sandbox_pay(client: Client, order_id: str, query: str = "deliveries=1") -> Reply:
    return call(client, "POST", f"/_test/gateway/{order_id}/pay?{query}")


def get_order(client: Client, token: str, order_id: str) -> dict[str, Any]:
    body = dict(ok(call(client, "GET", f"/orders/{order_id}", token=token), ORDER))
    assert set(body) == ORDER_KEYS, body
    return body


def statuses(client: Client, token: str) -> list[tuple[str, str]]:
    registration = ok(call(client, "GET", "/registration", token=token), "GET /registration")
    return [(s["code"], s["status"]) for s in registration["subjects"]]


def signed_notification(order_id: str) -> bytes:
    """The provider's genuine, signed notification for the trade as it stands (the sandbox plays the provider)."""
    gateway: Any = plugged_gateway()
    assert gateway is not None, "the client fixture installs the payment sandbox"
    body, _ = gateway.sandbox.notification(order_id, CLOCK.now())
    return bytes(body)


def notify(client: Client, provider: str, body: bytes | str) -> Reply:
    reply = call(client, "POST", f"/payments/{provider}/notify", raw=body, headers=FORM)
    assert (reply.header("Content-Type") or "").startswith("text/plain"), reply.headers
    return reply


def test_r_pay_2_an_order_is_201_for_every_unpaid_subject_and_ends_by_the_first_pay_by(client: Client) -> None:
    """R-PAY-2: one order for the unpaid subjects together, one open order at a time (409 ORDER_OPEN);
    R-PAY-1: the order never outlives the earliest pay_by. GET /orders/{order_id} shows it to its owner."""
    _, token = holding(client)
    before = server_now(client)
    placed = place(client, token)
    assert set(placed) == ORDER_KEYS, placed
    registration = ok(call(client, "GET", "/registration", token=token), "GET /registration")
    assert (placed["status"], placed["provider"], placed["bank"]) == ("open", "alipay", None)
    assert placed["amount"] == registration["amount_due"] == 8000
    assert placed["subjects"] == registration["subjects"]
    assert all(set(subject) == SUBJECT_KEYS for subject in placed["subjects"]), placed["subjects"]
    assert placed["pay_url"].startswith("https://sandbox.invalid/alipay/"), placed["pay_url"]
    assert before <= parse_time(placed["created_at"]) <= server_now(client)
    assert parse_time(placed["expires_at"]) == min(parse_time(s["pay_by"]) for s in registration["subjects"])
    assert (placed["paid_at"], placed["late"]) == (None, None)
    assert get_order(client, token, placed["order_id"]) == placed
    expect(call(client, "POST", "/orders", {"provider": "alipay"}, token), "POST /orders", 409, "ORDER_OPEN")
    reply = call(client, "POST", "/orders", {"provider": "bank", "bank": "ICBC"}, token)
    expect(reply, "POST /orders", 409, "ORDER_OPEN")

    _, other = holding(client, LI)
    by_bank = place(client, other, "bank", "CMB")
    assert (by_bank["provider"], by_bank["bank"], by_bank["amount"]) == ("bank", "CMB", 8000)
    assert by_bank["pay_url"].startswith("https://sandbox.invalid/bank/"), by_bank["pay_url"]


def test_r_pay_2_order_bad_input_is_400_invalid_request(client: Client) -> None:
    """R-PAY-2 / api.md: provider is alipay or bank; the bank gateway needs a bank it supports; a JSON object."""
    _, token = holding(client)
    cases: list[tuple[Any, str]] = [
        ({}, "provider"),
        ({"provider": None}, "provider"),
        ({"provider": "wechat"}, "provider"),
        ({"provider": "ALIPAY"}, "provider"),
        ({"provider": 1}, "provider"),
        ({"provider": ["alipay"]}, "provider"),
        ({"provider": "bank"}, "bank"),
        ({"provider": "bank", "bank": "NOPE"}, "bank"),
        ({"provider": "bank", "bank": "icbc"}, "bank"),
        ({"provider": "bank", "bank": ""}, "bank"),
        ({"provider": "bank", "bank": 7}, "bank"),
        ({"provider": "bank", "bank": "ICBC" * 5}, "bank"),
        (["alipay"], "body"),
    ]
    for body, field in cases:
        expect(call(client, "POST", "/orders", body, token), "POST /orders", 400, "INVALID_REQUEST", field)
    for raw in ("provider=alipay", "{", "null"):
        expect(call(client, "POST", "/orders", raw=raw, token=token), "POST /orders", 400, "INVALID_REQUEST", "body")
    assert place(client, token)["status"] == "open", "a refused order blocked the next one"


def test_r_pay_2_no_registration_is_404_and_nothing_unpaid_is_409_nothing_to_pay(client: Client) -> None:
    """R-PAY-2: an order is for the unpaid subjects of the saved registration: none saved 404, none unpaid 409."""
    token = agreed_student(client)
    expect(call(client, "POST", "/orders", {"provider": "alipay"}, token), "POST /orders", 404, "NOT_FOUND")
    registered(client, ZHANG, token)
    expect(call(client, "POST", "/orders", {"provider": "alipay"}, token), "POST /orders", 409, "NOTHING_TO_PAY")
    chosen(client, token, "CET4")
    placed = place(client, token)
    assert (placed["amount"], [s["code"] for s in placed["subjects"]]) == (3000, ["CET4"])
    ok(sandbox_pay(client, placed["order_id"]), PAY)
    reply = call(client, "POST", "/orders", {"provider": "bank", "bank": "ICBC"}, token)
    expect(reply, "POST /orders", 409, "NOTHING_TO_PAY")


def test_r_pay_2_orders_are_the_owners_only_403_forbidden_and_unknown_404(client: Client) -> None:
    """R-PAY-2/3, api.md Conventions: 403 FORBIDDEN for someone else's order or the wrong role; 404 NOT_FOUND."""
    _, token = holding(client)
    order_id = place(client, token)["order_id"]
    other = registered(client, LI)
    nju = staff(client, NJU_STAFF)
    for intruder in (other, nju):
        expect(call(client, "GET", f"/orders/{order_id}", token=intruder), ORDER, 403, "FORBIDDEN")
        expect(call(client, "POST", f"/orders/{order_id}/refresh", token=intruder), REFRESH, 403, "FORBIDDEN")
    expect(call(client, "POST", "/orders", {"provider": "alipay"}, nju), "POST /orders", 403, "FORBIDDEN")
    expect(call(client, "GET", "/staff/late-payments", token=token), "GET /staff/late-payments", 403, "FORBIDDEN")
    for unknown in ("no-such-order", order_id + "0"):
        expect(call(client, "GET", f"/orders/{unknown}", token=token), ORDER, 404, "NOT_FOUND")
        expect(call(client, "POST", f"/orders/{unknown}/refresh", token=token), REFRESH, 404, "NOT_FOUND")
    assert get_order(client, token, order_id)["status"] == "open"


def test_api_payment_routes_without_a_valid_token_are_401(client: Client) -> None:
    """api.md, Conventions: 401 UNAUTHENTICATED for a missing or unknown token on the order and staff routes."""
    _, token = holding(client)
    order_id = place(client, token)["order_id"]
    for t in (None, "not-a-token"):
        reply = call(client, "POST", "/orders", {"provider": "alipay"}, t)
        expect(reply, "POST /orders", 401, "UNAUTHENTICATED")
        expect(call(client, "GET", f"/orders/{order_id}", token=t), ORDER, 401, "UNAUTHENTICATED")
        expect(call(client, "POST", f"/orders/{order_id}/refresh", token=t), REFRESH, 401, "UNAUTHENTICATED")
        reply = call(client, "GET", "/staff/late-payments", token=t)
        expect(reply, "GET /staff/late-payments", 401, "UNAUTHENTICATED")


def test_r_pay_3_paid_once_however_often_notified_and_shown_on_the_home_page(client: Client) -> None:
    """R-PAY-3: a payment is counted once although its notification comes several times; paid subjects
    can be neither changed nor cancelled; R-PAY-4: the home page shows the paid registration.

    Deliveries one after another: moto undoes a failed transaction by restoring a copy of the whole table, so
    concurrent ones (`parallel=true`) can undo each other here; tests/integration/test_payments_concurrency.py
    checks parallel deliveries on DynamoDB Local.
    """
    _, token = holding(client)
    placed = place(client, token)
    before = server_now(client)
    body = ok(sandbox_pay(client, placed["order_id"], "deliveries=4&parallel=false"), PAY)
    assert body == {"order_id": placed["order_id"], "acknowledgements": ["success"] * 4}, body
    paid = get_order(client, token, placed["order_id"])
    assert (paid["status"], paid["amount"], paid["late"]) == ("paid", 8000, None), paid
    assert before <= parse_time(paid["paid_at"]) <= server_now(client)
    assert statuses(client, token) == [("CET4", "paid"), ("CET-SET4", "paid")]
    home = ok(call(client, "GET", "/me", token=token), "GET /me")["registration"]
    assert (home["amount_due"], home["expires_at"]) == (0, None), home
    assert [s["status"] for s in home["subjects"]] == ["paid", "paid"]
    expect(remove(client, token, "CET-SET4"), REMOVE, 409, "SUBJECT_PAID")
    expect(sandbox_pay(client, placed["order_id"]), PAY, 409, "PAYMENT_REFUSED")  # already paid
    assert ok(call(client, "POST", f"/orders/{placed['order_id']}/refresh", token=token), REFRESH) == paid


def test_r_pay_3_notify_routes_answer_text_and_count_only_a_verified_notification(client: Client) -> None:
    """R-PAY-3 (api.md Payments): POST /payments/{alipay,bank}/notify answer 200 text, `success`/`sent` once
    handled, `fail`/`error` on a bad signature, amount or order, and then nothing changes."""
    _, token = holding(client)
    placed = place(client, token)
    order_id = placed["order_id"]
    assert ok(sandbox_pay(client, order_id, "deliveries=0"), PAY)["acknowledgements"] == []  # the news is lost
    genuine = signed_notification(order_id)
    forged = genuine.replace(b"total_amount=80.00", b"total_amount=0.01")
    assert forged != genuine
    for body in (forged, b"out_trade_no=" + order_id.encode() + b"&trade_status=TRADE_SUCCESS&sign=AAAA", b"", b"\xff"):
        assert ok(notify(client, "alipay", body), "POST /payments/alipay/notify") is None
        assert notify(client, "alipay", body).text == "fail"
    assert notify(client, "bank", genuine).text == "error"  # Alipay's notification at the bank's address
    assert get_order(client, token, order_id)["status"] == "open"
    assert statuses(client, token) == [("CET4", "unpaid"), ("CET-SET4", "unpaid")]
    for _ in range(2):
        reply = notify(client, "alipay", genuine)
        ok(reply, "POST /payments/alipay/notify")
        assert reply.text == "success"
    assert get_order(client, token, order_id)["status"] == "paid"
    assert statuses(client, token) == [("CET4", "paid"), ("CET-SET4", "paid")]

    _, other = holding(client, LI)
    by_bank = place(client, other, "bank", "ABC")["order_id"]
    ok(sandbox_pay(client, by_bank, "deliveries=0"), PAY)
    genuine = signed_notification(by_bank)
    for body in (genuine.replace(b"v_amount=80.00", b"v_amount=0.01"), b"v_oid=x&v_pstatus=20", b""):
        reply = notify(client, "bank", body)
        ok(reply, "POST /payments/bank/notify")
        assert reply.text == "error"
    assert get_order(client, other, by_bank)["status"] == "open"
    reply = notify(client, "bank", genuine)
    ok(reply, "POST /payments/bank/notify")
    assert reply.text == "sent"
    assert statuses(client, other) == [("CET4", "paid"), ("CET-SET4", "paid")]


def test_r_pay_3_a_notification_met_by_an_overloaded_database_is_503_and_delivered_again(client: Client) -> None:
    """R-PAY-3 under overload (api.md conventions): the provider is told 503 `fail` with Retry-After,
    nothing changes, and its next delivery is handled; never a 500, never a lost payment."""
    _, token = holding(client)
    order_id = place(client, token)["order_id"]
    ok(sandbox_pay(client, order_id, "deliveries=0"), PAY)
    genuine = signed_notification(order_id)
    with database_answers("TransactWriteItems", THROTTLED):
        reply = notify(client, "alipay", genuine)
    assert (reply.status, reply.text) == (503, "fail")
    assert reply.header("Retry-After") in {"1", "2", "3"}
    assert get_order(client, token, order_id)["status"] == "open"
    assert notify(client, "alipay", genuine).text == "success"
    assert get_order(client, token, order_id)["status"] == "paid"


def test_r_pay_3_update_finds_a_payment_whose_notification_was_lost(client: Client) -> None:
    """R-PAY-3: the student presses "更新" (POST /orders/{order_id}/refresh) instead of paying again."""
    _, token = holding(client)
    order_id = place(client, token, "bank", "BOC")["order_id"]
    assert ok(call(client, "POST", f"/orders/{order_id}/refresh", token=token), REFRESH)["status"] == "open"
    body = ok(sandbox_pay(client, order_id, "deliveries=0"), PAY)
    assert body == {"order_id": order_id, "acknowledgements": []}, body
    assert get_order(client, token, order_id)["status"] == "open"
    refreshed = ok(call(client, "POST", f"/orders/{order_id}/refresh", token=token), REFRESH)
    assert set(refreshed) == ORDER_KEYS, refreshed
    assert refreshed["status"] == "paid", refreshed
    assert statuses(client, token) == [("CET4", "paid"), ("CET-SET4", "paid")]


def test_r_pay_3_the_reconcile_job_finds_a_lost_notification(client: Client) -> None:
    """R-PAY-3: open orders older than a few minutes are asked about by the reconcile job (test controls)."""
    login, token = holding(client)
    order_id = place(client, token)["order_id"]
    ok(sandbox_pay(client, order_id, "deliveries=0"), PAY)
    assert ok(call(client, "POST", "/_test/jobs/reconcile"), "POST /_test/jobs/{name}")["checked"] == 0
    advance(client, 600)
    report = ok(call(client, "POST", "/_test/jobs/reconcile"), "POST /_test/jobs/{name}")
    assert report == {"checked": 1, "paid": 1, "closed": 0, "refunds_retried": 0, "left_busy": 0}, report
    assert get_order(client, log_in(client, login), order_id)["status"] == "paid"


def test_r_pay_1_an_order_past_its_deadline_is_refused_and_closed(client: Client) -> None:
    """R-PAY-1: past the first pay_by the sandbox refuses the payment (409 PAYMENT_REFUSED), "更新" closes the
    order, and the expired subjects and registration are gone."""
    login, token = holding(client)
    order_id = place(client, token)["order_id"]
    advance(client, DAY + 60)
    expect(sandbox_pay(client, order_id), PAY, 409, "PAYMENT_REFUSED")
    token = log_in(client, login)
    closed = ok(call(client, "POST", f"/orders/{order_id}/refresh", token=token), REFRESH)
    assert (closed["status"], closed["paid_at"]) == ("closed", None), closed
    expect(sandbox_pay(client, order_id), PAY, 409, "PAYMENT_REFUSED")
    expect(call(client, "GET", "/registration", token=token), "GET /registration", 404, "NOT_FOUND")
    expect(call(client, "POST", "/orders", {"provider": "alipay"}, token), "POST /orders", 404, "NOT_FOUND")


def test_api_test_gateway_bad_deliveries_400_unknown_order_or_test_mode_off_404(
    client: Client, monkeypatch: pytest.MonkeyPatch
) -> None:
    """api.md, test controls: deliveries is 0–20 (default 1); an unknown order, or test mode off, is 404."""
    _, token = holding(client)
    order_id = place(client, token)["order_id"]
    for query in (
        "deliveries=21",
        "deliveries=-1",
        "deliveries=1.5",
        "deliveries=two",
        "deliveries=1e1",
    ):
        expect(sandbox_pay(client, order_id, query), PAY, 400, "INVALID_REQUEST", "deliveries")
    expect(sandbox_pay(client, "no-such-order"), PAY, 404, "NOT_FOUND")
    for mode in ("0", ""):
        monkeypatch.setenv("TEST_MODE", mode)
        expect(sandbox_pay(client, order_id), PAY, 404, "NOT_FOUND")
        expect(call(client, "POST", "/_test/jobs/reconcile"), "POST /_test/jobs/{name}", 404, "NOT_FOUND")
    monkeypatch.setenv("TEST_MODE", "1")
    assert get_order(client, token, order_id)["status"] == "open", "a refused call paid the order"
    body = ok(call(client, "POST", f"/_test/gateway/{order_id}/pay"), PAY)
    assert body == {"order_id": order_id, "acknowledgements": ["success"]}, body
    assert get_order(client, token, order_id)["status"] == "paid"


def test_r_pay_5_a_late_payment_takes_its_free_seats_again_and_staff_see_it(client: Client) -> None:
    """R-PAY-5: a payment arriving after its subjects expired keeps the seats if still free (re_reserved);
    every such case is listed for the school's staff (GET /staff/late-payments, own school only, masked)."""
    login, token = holding(client)
    order_id = place(client, token)["order_id"]
    ok(sandbox_pay(client, order_id, "deliveries=0"), PAY)  # paid in time, the notification lost
    advance(client, DAY + 60)
    ok(call(client, "POST", "/_test/jobs/expire"), "POST /_test/jobs/{name}")  # holds deleted, seats released
    nju, seu = staff(client, NJU_STAFF), staff(client, SEU_STAFF)
    assert ok(call(client, "GET", "/staff/late-payments", token=nju), "GET /staff/late-payments") == []
    assert ok(call(client, "POST", "/_test/jobs/reconcile"), "POST /_test/jobs/{name}")["paid"] == 1
    token = log_in(client, login)
    assert statuses(client, token) == [("CET4", "paid"), ("CET-SET4", "paid")]
    order = get_order(client, token, order_id)
    assert (order["status"], order["late"]) == ("paid", "re_reserved"), order
    [late] = ok(call(client, "GET", "/staff/late-payments", token=nju), "GET /staff/late-payments")
    assert set(late) == LATE_PAYMENT_KEYS, late
    assert (late["order_id"], late["amount"], late["outcome"]) == (order_id, 8000, "re_reserved"), late
    assert set(late["candidate"]) == {"name", "id_number"}, late
    assert late["candidate"]["name"] == ZHANG.name
    assert_masked(late["candidate"]["id_number"], ZHANG.id_number)
    assert parse_time(late["recorded_at"]) <= server_now(client)
    assert ok(call(client, "GET", "/staff/late-payments", token=seu), "GET /staff/late-payments") == []


def test_r_pay_5_a_late_payment_whose_seat_is_gone_is_refunded(client: Client) -> None:
    """R-PAY-5: the seat went to others meanwhile: the payment is refunded automatically, and staff see it."""
    login, token = holding(client)
    order_id = place(client, token)["order_id"]
    ok(sandbox_pay(client, order_id, "deliveries=0"), PAY)
    advance(client, DAY + 60)
    ok(call(client, "POST", "/_test/jobs/expire"), "POST /_test/jobs/{name}")
    for entry in (LI, QIAN, SUN):  # capacity 3: every seat goes to someone else
        other = registered(client, entry)
        chosen(client, other, "CET4")
        chosen(client, other, "CET-SET4", "NJU-GL")
    ok(call(client, "POST", "/_test/jobs/reconcile"), "POST /_test/jobs/{name}")
    token = log_in(client, login)
    order = get_order(client, token, order_id)
    assert (order["status"], order["late"]) == ("refunded", "refunded"), order
    expect(call(client, "GET", "/registration", token=token), "GET /registration", 404, "NOT_FOUND")
    late = ok(call(client, "GET", "/staff/late-payments", token=staff(client, NJU_STAFF)), "GET /staff/late-payments")
    assert [(p["order_id"], p["outcome"], p["amount"]) for p in late] == [(order_id, "refunded", 8000)], late


# The registry, checked last


def _expect_calls_in_this_file() -> set[tuple[str, str, int, str]]:
    """Every `expect(reply, "METHOD /path", status, "CODE", ...)` written in this file."""
    tree = ast.parse(Path(__file__).read_text(encoding="utf-8"))
    constants = {  # module-level NAME = "literal", such as REMOVE and DECIDE
        target.id: node.value.value
        for node in tree.body
        if isinstance(node, ast.Assign) and isinstance(node.value, ast.Constant)
        for target in node.targets
        if isinstance(target, ast.Name)
    }

    def literal(arg: ast.expr) -> object:
        if isinstance(arg, ast.Constant):
            return arg.value
        return constants.get(arg.id) if isinstance(arg, ast.Name) else None

    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "expect":
            values = [literal(arg) for arg in node.args[1:4]]
            route, status, code = values if len(values) == 3 else (None, None, None)
            if isinstance(route, str) and isinstance(status, int) and isinstance(code, str):
                method, path = route.split(" ", 1)
                found.add((method, path, status, code))
    return found


def test_api_sandbox_query_parameters_are_checked_not_crashed_on(client: Client) -> None:
    """api.md conventions: no input yields a 500 (unicode digits, huge numbers, unknown flags)."""
    for query, field in (("deliveries=²", "deliveries"), ("deliveries=" + "0" * 5000, "deliveries"),
                         ("deliveries=٣", "deliveries"), ("deliveries=1&parallel=yes", "parallel")):  # fmt: skip
        expect(call(client, "POST", f"/_test/gateway/anything/pay?{query}"), PAY, 400, "INVALID_REQUEST", field)


def test_zz_every_documented_error_is_exercised() -> None:
    """api.md, docs/openapi.yaml: every app.py route, and every (status, code) of its x-error-codes, is exercised."""
    from app import app

    routes = {(method.upper(), path) for path, methods in app.routes.items() for method in methods}
    in_spec = {(m.upper(), p) for p, item in spec()["paths"].items() for m in item if m in HTTP_METHODS}
    assert sorted(routes - in_spec) == [], "app.py routes missing from docs/openapi.yaml"
    documented = documented_errors()
    written = _expect_calls_in_this_file()
    assert sorted(written - documented) == [], "this file expects errors docs/openapi.yaml does not document"
    missing = sorted(documented - written)
    assert missing == [], f"documented errors that no test of this file triggers: {missing}"
    others = {
        name for name in globals() if name.startswith("test_") and name != "test_zz_every_documented_error_is_exercised"
    }
    if others <= RAN:  # the whole file ran (in any order): the registry filled at run time must agree
        not_run = sorted(documented - COVERED)
        assert not_run == [], f"documented errors not exercised at run time: {not_run}"
        succeeded = {(method, path) for method, path, _ in SUCCEEDED}
        only_errors = {(method, path) for method, path in routes if "{proxy+}" in path}  # the catch-all
        assert sorted(routes - succeeded - only_errors) == [], "app.py routes never seen succeeding"


# --- accounts, records, messages (R-ACC-3, R-ACC-4, R-PAY-6, R-NOTE-1) ----------------------------

RESET = "POST /password-resets"
RESET_CONFIRM = "POST /password-resets/confirm"
LOGIN_CODES = "POST /me/login-codes"
CHANGE_LOGIN = "PUT /me/login"
OUTBOX = "GET /_test/outbox"
JOB = "POST /_test/jobs/{name}"
ORDERS = "GET /orders"
RECEIPT = "GET /orders/{order_id}/receipt"
NEW_PASSWORD = "Qiuzhi2026xin"
PDF = {"Accept": "application/pdf"}


def outbox(client: Client, to: str, kind: str | None = None) -> list[dict[str, Any]]:
    messages = ok(call(client, "GET", f"/_test/outbox?to={to}"), OUTBOX)
    return [m for m in messages if kind is None or m["kind"] == kind]


def ask_reset(client: Client, login: str) -> Reply:
    return call(client, "POST", "/password-resets", {"login": login, **captcha(client)})


def reset_code(client: Client, login: str) -> str:
    assert ok(ask_reset(client, login), RESET, 202) == {}
    return str(outbox(client, login, "password_reset")[-1]["code"])


def confirm_reset(client: Client, login: str, code: str, password: str = NEW_PASSWORD) -> Reply:
    return call(client, "POST", "/password-resets/confirm", {"login": login, "code": code, "new_password": password})


def other_code(code: str) -> str:
    return f"{(int(code) + 1) % 1_000_000:06d}"


def test_r_acc_3_a_code_by_message_sets_a_new_password_and_ends_every_session(client: Client) -> None:
    """R-ACC-3: a 6-digit code to the login; the new password works, the old one and every session do not."""
    login = new_login()
    token = new_student(client, login)
    code = reset_code(client, login)
    (message,) = outbox(client, login, "password_reset")
    assert re.fullmatch(r"\d{6}", code), code
    assert code in message["body"], message
    assert "10 分钟" in message["body"], message
    assert "重设密码" in message["subject"], message
    ok(confirm_reset(client, login, code), RESET_CONFIRM, 204)
    expect(call(client, "GET", "/me", token=token), "GET /me", 401, "UNAUTHENTICATED")
    expect(
        call(client, "POST", "/sessions", credentials(client, login, STUDENT_PASSWORD)),
        "POST /sessions",
        401,
        "BAD_CREDENTIALS",
    )
    assert log_in(client, login, NEW_PASSWORD)
    expect(confirm_reset(client, login, code, "Another2026pw"), RESET_CONFIRM, 400, "INVALID_CODE")  # it worked once


def test_r_acc_3_the_answer_never_tells_whether_the_login_exists(client: Client) -> None:
    """R-ACC-3: a reset for an unknown login answers 202 {} as for a known one and sends nothing;
    its "code" is refused like a wrong one."""
    known, unknown = new_login(), new_login()
    create_account(client, known)
    answers = [ask_reset(client, login) for login in (known, unknown, "13800138000", "not a login")]
    assert [(a.status, a.body) for a in answers] == [(202, {})] * 4, [a.text for a in answers]
    assert len(outbox(client, known, "password_reset")) == 1
    assert outbox(client, unknown) == []
    expect(confirm_reset(client, unknown, "123456"), RESET_CONFIRM, 400, "INVALID_CODE")


def test_r_acc_3_five_wrong_tries_then_429_and_the_code_is_spent(client: Client) -> None:
    """R-ACC-3: 5 wrong tries are allowed; then 429 with Retry-After, and the right code is dead."""
    login = new_login()
    create_account(client, login)
    code = reset_code(client, login)
    for _ in range(5):
        expect(confirm_reset(client, login, other_code(code)), RESET_CONFIRM, 400, "INVALID_CODE")
    refused = confirm_reset(client, login, code)
    expect(refused, RESET_CONFIRM, 429, "TOO_MANY_ATTEMPTS")
    assert int(refused.header("Retry-After") or 0) > 0
    advance(client, 16 * 60)  # the throttle's window has passed …
    expect(confirm_reset(client, login, code), RESET_CONFIRM, 400, "INVALID_CODE")  # … the code is still spent
    assert log_in(client, login)


def test_r_acc_3_a_code_lives_ten_minutes_and_the_new_password_keeps_the_policy(client: Client) -> None:
    """R-ACC-3, R-ACC-5: a code 10 minutes old is refused; a weak new password is 400 WEAK_PASSWORD
    (the code stays usable); a missing field is 400 INVALID_REQUEST naming it."""
    login = new_login()
    create_account(client, login)
    code = reset_code(client, login)
    for weak in ("short1", "password1", login):
        expect(confirm_reset(client, login, code, weak), RESET_CONFIRM, 400, "WEAK_PASSWORD")
    missing = call(client, "POST", "/password-resets/confirm", {"login": login, "code": code})
    expect(missing, RESET_CONFIRM, 400, "INVALID_REQUEST", "new_password")
    advance(client, 10 * 60 + 1)
    expect(confirm_reset(client, login, code), RESET_CONFIRM, 400, "INVALID_CODE")
    ok(confirm_reset(client, login, reset_code(client, login)), RESET_CONFIRM, 204)


def test_r_acc_3_reset_requests_need_a_captcha_and_are_throttled(client: Client) -> None:
    """R-ACC-3: a wrong captcha is 400 INVALID_CAPTCHA; the sixth request in 15 minutes for one
    login is 429, whether or not the login exists."""
    unknown, known = new_login(), new_login()
    create_account(client, known)
    for login in (unknown, known):  # the same answers whether or not the login exists
        bad = call(client, "POST", "/password-resets", {"login": login, "captcha_id": "x", "captcha_answer": "y"})
        expect(bad, RESET, 400, "INVALID_CAPTCHA")
        expect(call(client, "POST", "/password-resets", {"login": login}), RESET, 400, "INVALID_REQUEST", "captcha_id")
        for _ in range(5):
            ok(ask_reset(client, login), RESET, 202)
        expect(ask_reset(client, login), RESET, 429, "TOO_MANY_ATTEMPTS")


def change_code(client: Client, token: str, new: str) -> str:
    assert ok(call(client, "POST", "/me/login-codes", {"new_login": new}, token), LOGIN_CODES, 202) == {}
    return str(outbox(client, new, "login_change")[-1]["code"])


def change_login(client: Client, token: str, new: str, code: str, password: str = STUDENT_PASSWORD) -> Reply:
    return call(client, "PUT", "/me/login", {"new_login": new, "code": code, "password": password}, token)


def test_r_acc_4_a_new_login_with_the_password_and_a_code_sent_to_it(client: Client) -> None:
    """R-ACC-4: the code goes to the new address; the login changes; the old one signs nobody in."""
    old, new = new_login(), "13912345678"
    token = new_student(client, old)
    code = change_code(client, token, new)
    assert outbox(client, old, "login_change") == []
    expect(change_login(client, token, new, code, "WrongPassword1"), CHANGE_LOGIN, 401, "BAD_CREDENTIALS")
    expect(change_login(client, token, new, other_code(code)), CHANGE_LOGIN, 400, "INVALID_CODE")
    expect(change_login(client, token, "13912345679", code), CHANGE_LOGIN, 400, "INVALID_CODE")  # for its address
    expect(change_login(client, token, "nobody", code), CHANGE_LOGIN, 400, "INVALID_LOGIN")
    missing = call(client, "PUT", "/me/login", {"new_login": new, "code": code}, token)
    expect(missing, CHANGE_LOGIN, 400, "INVALID_REQUEST", "password")
    expect(change_login(client, None, new, code), CHANGE_LOGIN, 401, "UNAUTHENTICATED")  # type: ignore[arg-type]
    assert ok(change_login(client, token, new, code), CHANGE_LOGIN) == {"login": new}
    assert ok(call(client, "GET", "/me", token=token), "GET /me")["login"] == new
    expect(
        call(client, "POST", "/sessions", credentials(client, old, STUDENT_PASSWORD)),
        "POST /sessions",
        401,
        "BAD_CREDENTIALS",
    )
    assert log_in(client, new)
    expect(change_login(client, token, new, code), CHANGE_LOGIN, 400, "INVALID_CODE")  # used


def test_r_acc_4_wrong_tries_at_a_login_change_are_throttled(client: Client) -> None:
    """R-ACC-4 with R-ACC-2: five wrong passwords or codes at a login change, then 429."""
    token = new_student(client)
    new = new_login()
    code = change_code(client, token, new)
    for _ in range(5):
        expect(change_login(client, token, new, code, "WrongPassword1"), CHANGE_LOGIN, 401, "BAD_CREDENTIALS")
    expect(change_login(client, token, new, code), CHANGE_LOGIN, 429, "TOO_MANY_ATTEMPTS")
    for _ in range(4):
        ok(call(client, "POST", "/me/login-codes", {"new_login": new}, token), LOGIN_CODES, 202)
    expect(call(client, "POST", "/me/login-codes", {"new_login": new}, token), LOGIN_CODES, 429, "TOO_MANY_ATTEMPTS")


def test_r_acc_4_a_login_in_use_or_given_up_less_than_30_days_ago_is_taken(client: Client) -> None:
    """R-ACC-4: nobody may register, or be sent a code for, a login given up less than 30 days ago."""
    old, new = new_login(), new_login()
    token = new_student(client, old)
    assert ok(change_login(client, token, new, change_code(client, token, new)), CHANGE_LOGIN)["login"] == new
    expect(
        call(client, "POST", "/accounts", credentials(client, old, STUDENT_PASSWORD)),
        "POST /accounts",
        409,
        "LOGIN_TAKEN",
    )
    other = new_student(client)
    for taken in (old, new):
        reply = call(client, "POST", "/me/login-codes", {"new_login": taken}, other)
        expect(reply, LOGIN_CODES, 409, "LOGIN_TAKEN")
    expect(call(client, "POST", "/me/login-codes", {"new_login": "nobody"}, other), LOGIN_CODES, 400, "INVALID_LOGIN")
    expect(call(client, "POST", "/me/login-codes", {}, other), LOGIN_CODES, 400, "INVALID_REQUEST", "new_login")
    expect(call(client, "POST", "/me/login-codes", {"new_login": old}), LOGIN_CODES, 401, "UNAUTHENTICATED")
    advance(client, 31 * DAY)
    assert create_account(client, old)


def test_r_acc_4_two_accounts_race_for_one_new_login(client: Client) -> None:
    """R-ACC-4 with R-ACC-1: two accounts hold codes for the same new login; the second to use its
    code gets 409 LOGIN_TAKEN."""
    first, second, new = new_student(client), new_student(client), new_login()
    first_code, second_code = change_code(client, first, new), change_code(client, second, new)
    ok(change_login(client, first, new, first_code), CHANGE_LOGIN)
    expect(change_login(client, second, new, second_code), CHANGE_LOGIN, 409, "LOGIN_TAKEN")


def test_api_the_outbox_test_control(client: Client, monkeypatch: pytest.MonkeyPatch) -> None:
    """api.md, test controls: GET /_test/outbox?to=LOGIN, in test mode only."""
    assert outbox(client, new_login()) == []
    expect(call(client, "GET", "/_test/outbox"), OUTBOX, 400, "INVALID_REQUEST", "to")
    expect(call(client, "GET", "/_test/outbox?to=nobody"), OUTBOX, 400, "INVALID_LOGIN")
    monkeypatch.setenv("TEST_MODE", "0")
    expect(call(client, "GET", "/_test/outbox?to=a@example.cn"), OUTBOX, 404, "NOT_FOUND")


def test_r_note_1_a_decided_review_is_told_to_the_student_once(client: Client) -> None:
    """R-NOTE-1: staff's decision on a CET6 review goes to the student's login, once."""
    token, review_id = pending_review(client)
    login = ok(call(client, "GET", "/me", token=token), "GET /me")["login"]
    ok(decide(client, staff(client, NJU_STAFF), review_id, {"approve": False, "note": "成绩单姓名不符"}), DECIDE)
    (told,) = outbox(client, login, "review_decided")
    assert "不通过" in told["body"], told
    assert "成绩单姓名不符" in told["body"], told
    assert told["code"] is None
    assert len(outbox(client, login, "review_decided")) == 1  # read again: not sent twice


def test_r_note_1_one_reminder_six_hours_before_the_earliest_pay_by_never_for_paid(client: Client) -> None:
    """R-NOTE-1: unpaid subjects 6 hours from their pay_by get one reminder, in Beijing time; a
    second run sends none; a student who paid gets none."""
    unpaid, paid = payments.holding(client, WANG, oral=False), payments.holding(client, ZHANG, oral=False)
    assert payments.pay(client, payments.order(client, paid.token)["order_id"]).status == 200
    assert ok(call(client, "POST", "/_test/jobs/remind"), JOB)["reminded"] == 0  # 24 hours away
    advance(client, 18 * 3600 + 60)
    first = ok(call(client, "POST", "/_test/jobs/remind"), JOB)
    second = ok(call(client, "POST", "/_test/jobs/remind"), JOB)
    assert (first["reminded"], second["reminded"], second["already_reminded"]) == (1, 0, 1), (first, second)
    (reminder,) = outbox(client, unpaid.login, "pay_reminder")
    assert "北京时间" in reminder["body"], reminder
    assert reminder["code"] is None, reminder
    assert outbox(client, paid.login, "pay_reminder") == []
    assert ok(call(client, "POST", "/_test/jobs/send"), JOB) == {"sent": 0, "failed": 0, "abandoned": 0}


def test_r_pay_6_receipts_only_for_the_owner_of_a_paid_order(client: Client) -> None:
    """R-PAY-6: a receipt for a paid order of one's own, as a PDF; the list for students only."""
    student = payments.holding(client, oral=False)
    placed = payments.order(client, student.token)
    path = f"/orders/{placed['order_id']}/receipt"
    expect(call(client, "GET", path, token=student.token, headers=PDF), RECEIPT, 409, "NOT_PAID")
    assert payments.pay(client, placed["order_id"]).status == 200
    other = payments.holding(client, LI, oral=False)
    expect(call(client, "GET", path, token=other.token, headers=PDF), RECEIPT, 403, "FORBIDDEN")
    unknown = call(client, "GET", "/orders/20261127nosuchorder/receipt", token=student.token, headers=PDF)
    expect(unknown, RECEIPT, 404, "NOT_FOUND")
    expect(call(client, "GET", path, headers=PDF), RECEIPT, 401, "UNAUTHENTICATED")
    refused = call(client, "GET", path, token=student.token, headers={"Accept": "application/json"})
    expect(refused, RECEIPT, 406, "NOT_ACCEPTABLE")
    receipt = call(client, "GET", path, token=student.token, headers=PDF)
    ok(receipt, RECEIPT)
    assert receipt.text.startswith("%PDF-")
    (listed,) = ok(call(client, "GET", "/orders", token=student.token), ORDERS)
    assert (listed["order_id"], listed["status"]) == (placed["order_id"], "paid")
    expect(call(client, "GET", "/orders"), ORDERS, 401, "UNAUTHENTICATED")
    expect(call(client, "GET", "/orders", token=staff(client, NJU_STAFF)), ORDERS, 403, "FORBIDDEN")


def test_r_acc_4_only_the_account_that_gave_a_login_up_may_take_it_back_within_30_days(client: Client) -> None:
    """R-ACC-4: the old login stays unusable by anyone *else*: its own account may return to it."""
    old, new = new_login(), new_login()
    token = new_student(client, old)
    ok(change_login(client, token, new, change_code(client, token, new)), CHANGE_LOGIN)
    assert ok(change_login(client, token, old, change_code(client, token, old)), CHANGE_LOGIN) == {"login": old}
    assert log_in(client, old)
    expect(
        call(client, "POST", "/sessions", credentials(client, new, STUDENT_PASSWORD)),
        "POST /sessions",
        401,
        "BAD_CREDENTIALS",
    )


# --- the waiting room (R-QUEUE-1..5) ----------------------------------------------------------------

OPENINGS = "GET /openings"
JOIN = "POST /openings/{opening_id}/entries"
PLACE = "GET /openings/{opening_id}/entries/current"
CHOOSE = "POST /registration/subjects"
OPENING_KEYS = {
    "opening_id", "name", "campuses", "queue_opens_at", "opens_at", "closes_at", "admit_per_minute", "pass_minutes",
    "state", "seed_sha256", "seed", "queued", "admitted",
}  # fmt: skip
ENTRY_KEYS = {
    "opening_id",
    "position",
    "state",
    "joined_at",
    "admitted_at",
    "admitted_until",
    "ahead",
    "estimated_wait_seconds",
}


def with_opening(
    rate: int = 2, pass_minutes: int = 10, campuses: tuple[str, ...] = ("NJU-GL",), extra_students: int = 0
) -> Opening:
    """The test province again (with `extra_students` on the roll, factories.many_students), with
    one opening on NJU-GL: its queue opens in 10 minutes, the opening 20 minutes later, and the
    queue window closes an hour after that (sessions last 2 h)."""
    now = CLOCK.now()
    opening = Opening(
        "GL-OPENING",
        "鼓楼校区口试集中开放",
        now + timedelta(minutes=10),
        now + timedelta(minutes=30),
        now + timedelta(minutes=90),
        campuses,
        rate,
        pass_minutes,
    )
    data = factories.province(capacity=3, extra_students=extra_students)
    data.catalog.openings[opening.id] = opening
    load_province(services().loading, data, now)
    reset_services()  # every cached catalog sees the opening
    return opening


def until(moment: datetime) -> None:
    """The service clock moves to `moment` (never back)."""
    CLOCK.advance(max(0.0, (moment - CLOCK.now()).total_seconds()))


def join_queue(client: Client, token: str, opening_id: str = "GL-OPENING") -> Reply:
    return call(client, "POST", f"/openings/{opening_id}/entries", token=token)


def queue_place(client: Client, token: str, opening_id: str = "GL-OPENING") -> dict[str, Any]:
    body: dict[str, Any] = ok(call(client, "GET", f"/openings/{opening_id}/entries/current", token=token), PLACE)
    assert set(body) == ENTRY_KEYS, body
    return body


def the_opening(client: Client) -> dict[str, Any]:
    (found,) = [o for o in ok(call(client, "GET", "/openings"), OPENINGS) if o["opening_id"] == "GL-OPENING"]
    assert set(found) == OPENING_KEYS, found
    return found


def admit(client: Client) -> dict[str, int]:
    report: dict[str, int] = ok(call(client, "POST", "/_test/jobs/admit"), JOB)
    reset_services()  # GET /openings caches progress for a few seconds per container
    return report


def account_id(client: Client, token: str) -> str:
    return str(ok(call(client, "GET", "/me", token=token), "GET /me")["account_id"])


def test_r_queue_1_openings_are_public_with_their_state_and_counts(client: Client) -> None:
    """R-QUEUE-1/3: upcoming, queueing, admitting, closed by the service clock; the seed's digest
    from the start, the seed itself never before `opens_at`."""
    assert ok(call(client, "GET", "/openings"), OPENINGS) == []
    opening = with_opening()
    found = the_opening(client)
    assert (found["state"], found["seed"], found["queued"], found["admitted"]) == ("upcoming", None, 0, 0)
    assert re.fullmatch(r"[0-9a-f]{64}", found["seed_sha256"])
    assert found["campuses"] == ["NJU-GL"]
    until(opening.queue_opens_at)
    assert (the_opening(client)["state"], the_opening(client)["seed"]) == ("queueing", None)
    until(opening.opens_at)
    revealed = the_opening(client)
    assert revealed["state"] == "admitting"
    assert hashlib.sha256(revealed["seed"].encode()).hexdigest() == found["seed_sha256"]
    until(opening.closes_at)
    assert the_opening(client)["state"] == "closed"


def test_r_queue_2_join_once_201_then_200_the_same_entry_only_inside_the_queue_window(client: Client) -> None:
    """R-QUEUE-2: once each (201, then 200 with the same entry); 409 QUEUE_NOT_OPEN before
    `queue_opens_at` and after `closes_at`, REGISTRATION_REQUIRED without a saved registration
    (amended; more in test_queue_contract.py); 404 for an opening that does not exist."""
    opening = with_opening()
    token, other = registered(client, ZHANG), registered(client, LI)  # R-QUEUE-2: a saved registration
    expect(join_queue(client, token), JOIN, 409, "QUEUE_NOT_OPEN")
    expect(join_queue(client, token, "NO-SUCH-OPENING"), JOIN, 404, "NOT_FOUND")
    expect(join_queue(client, token, "bad id!"), JOIN, 404, "NOT_FOUND")
    expect(call(client, "GET", "/openings/GL-OPENING/entries/current", token=token), PLACE, 404, "NOT_FOUND")
    until(opening.queue_opens_at)
    expect(join_queue(client, agreed_student(client)), JOIN, 409, "REGISTRATION_REQUIRED")
    first = ok(join_queue(client, token), JOIN, 201)
    assert set(first) == ENTRY_KEYS
    assert (first["state"], first["position"], first["ahead"]) == ("waiting", None, None)
    assert ok(join_queue(client, token), JOIN, 200) == first
    assert queue_place(client, token) == first  # R-QUEUE-3: no place before opens_at, arriving early gains nothing
    ok(join_queue(client, other), JOIN, 201)
    admit(client)
    assert the_opening(client)["queued"] == 2
    expect(call(client, "GET", "/openings/NO-SUCH/entries/current", token=token), PLACE, 404, "NOT_FOUND")
    until(opening.closes_at)
    expect(join_queue(client, agreed_student(client)), JOIN, 409, "QUEUE_NOT_OPEN")


def test_r_queue_2_the_queue_is_for_signed_in_students(client: Client) -> None:
    """api.md conventions: no token 401, a staff account 403."""
    with_opening()
    expect(call(client, "POST", "/openings/GL-OPENING/entries"), JOIN, 401, "UNAUTHENTICATED")
    expect(call(client, "GET", "/openings/GL-OPENING/entries/current"), PLACE, 401, "UNAUTHENTICATED")
    teacher = staff(client, NJU_STAFF)
    expect(join_queue(client, teacher), JOIN, 403, "FORBIDDEN")
    expect(call(client, "GET", "/openings/GL-OPENING/entries/current", token=teacher), PLACE, 403, "FORBIDDEN")


def test_r_queue_3_the_pre_opening_order_is_the_hmac_order_anyone_can_check(client: Client) -> None:
    """R-QUEUE-2/3: everyone who joined before `opens_at` is placed in ascending hex
    HMAC-SHA256(seed, account_id); later arrivals behind, in the order they came."""
    opening = with_opening(rate=2, extra_students=7)
    until(opening.queue_opens_at)
    roll = iter(factories.many_students(7))
    early = [registered(client, next(roll)) for _ in range(5)]
    for token in early:
        ok(join_queue(client, token), JOIN, 201)
        CLOCK.advance(60)
    until(opening.opens_at)
    late = [registered(client, next(roll)) for _ in range(2)]
    for token in late:
        ok(join_queue(client, token), JOIN, 201)
        CLOCK.advance(1)
    until(opening.opens_at + ORDER_GRACE)
    report = admit(client)
    assert (report["ordered"], report["placed"], report["admitted"]) == (5, 2, 2)
    seed = the_opening(client)["seed"]
    ids = {token: account_id(client, token) for token in early + late}
    keys = {token: hmac.new(seed.encode(), ids[token].encode(), hashlib.sha256).hexdigest() for token in early}
    expected = sorted(early, key=lambda token: keys[token])
    assert [queue_place(client, token)["position"] for token in expected] == [1, 2, 3, 4, 5]
    assert [queue_place(client, token)["position"] for token in late] == [6, 7]
    shown = the_opening(client)
    assert (shown["queued"], shown["admitted"]) == (7, 2)
    assert admit(client) == {"openings": 1, "ordered": 0, "placed": 0, "admitted": 0, "busy": 0}  # nothing twice


def test_r_queue_4_admitted_at_the_rate_for_pass_minutes_then_lapsed_and_back_at_the_end(client: Client) -> None:
    """R-QUEUE-4: `admit_per_minute` places a minute, each for `pass_minutes`; the wait is
    estimated from the rate; a lapsed student joins again at the back (201)."""
    opening = with_opening(rate=1, pass_minutes=10)
    until(opening.queue_opens_at)
    tokens = [registered(client, entry) for entry in (ZHANG, LI, QIAN)]
    for token in tokens:
        ok(join_queue(client, token), JOIN, 201)
    until(opening.opens_at + ORDER_GRACE)
    admit(client)
    by_place = sorted(tokens, key=lambda token: queue_place(client, token)["position"])
    first, second, third = (queue_place(client, token) for token in by_place)
    assert (first["state"], first["ahead"]) == ("admitted", 0)
    assert datetime.fromisoformat(first["admitted_until"]) - datetime.fromisoformat(first["admitted_at"]) == timedelta(
        minutes=10
    )
    assert (second["state"], second["ahead"], third["ahead"]) == ("waiting", 0, 1)
    assert 0 < second["estimated_wait_seconds"] <= 60 < third["estimated_wait_seconds"] <= 120
    assert ok(join_queue(client, by_place[0]), JOIN, 200)["state"] == "admitted"  # still live: the same entry
    CLOCK.advance(60)
    admit(client)
    assert queue_place(client, by_place[1])["state"] == "admitted"
    assert the_opening(client)["admitted"] == 2
    CLOCK.advance(10 * 60)
    assert queue_place(client, by_place[0])["state"] == "lapsed"
    again = ok(join_queue(client, by_place[0]), JOIN, 201)
    assert (again["state"], again["position"]) == ("waiting", None)
    admit(client)
    assert queue_place(client, by_place[0])["position"] == 4  # behind everyone placed before


def test_r_queue_1_an_oral_choice_inside_the_queue_window_needs_a_live_admission(client: Client) -> None:
    """R-QUEUE-1/5: at a campus of the opening, between `queue_opens_at` and `closes_at`, 403
    NOT_ADMITTED without a live admission; before and after the window, none is needed; an
    admission never bypasses capacity (R-ORAL-3)."""
    opening = with_opening(rate=5, pass_minutes=10)
    before = registered(client, QIAN)
    chosen(client, before, "CET4")
    chosen(client, before, "CET-SET4", "NJU-GL")  # R-QUEUE-5: before the queue opens, no admission
    token = registered(client, ZHANG)
    chosen(client, token, "CET4")
    until(opening.queue_opens_at)
    expect(choose(client, token, "CET-SET4", "NJU-GL"), CHOOSE, 403, "NOT_ADMITTED")
    ok(join_queue(client, token), JOIN, 201)
    until(opening.opens_at + ORDER_GRACE)
    expect(choose(client, token, "CET-SET4", "NJU-GL"), CHOOSE, 403, "NOT_ADMITTED")  # placed, not yet admitted
    admit(client)
    assert queue_place(client, token)["state"] == "admitted"
    chosen(client, token, "CET-SET4", "NJU-GL")
    CLOCK.advance(11 * 60)  # the admission lapsed: the next student of the window needs one
    late = registered(client, LI)
    chosen(client, late, "CET4")
    expect(choose(client, late, "CET-SET4", "NJU-GL"), CHOOSE, 403, "NOT_ADMITTED")
    until(opening.closes_at)
    chosen(client, late, "CET-SET4", "NJU-GL")  # R-QUEUE-5: after the window, none is needed


def test_r_queue_5_an_admission_never_bypasses_capacity(client: Client) -> None:
    """R-QUEUE-5: admitted students still meet CAMPUS_FULL when the campus's seats are gone."""
    opening = with_opening(rate=10, pass_minutes=30)
    until(opening.queue_opens_at)
    tokens = [registered(client, entry) for entry in (ZHANG, LI, QIAN, SUN)]
    for token in tokens:
        chosen(client, token, "CET4")
        ok(join_queue(client, token), JOIN, 201)
    until(opening.opens_at + ORDER_GRACE)
    admit(client)
    for token in tokens[:3]:
        chosen(client, token, "CET-SET4", "NJU-GL")  # capacity 3
    expect(choose(client, tokens[3], "CET-SET4", "NJU-GL"), CHOOSE, 409, "CAMPUS_FULL")


def test_r_queue_1_the_waiting_list_is_no_way_around_the_queue(client: Client) -> None:
    """R-QUEUE-1, R-WAIT-1: inside the queue window, joining a full campus's waiting list asks for
    the same live admission as choosing it (403 NOT_ADMITTED); an admitted student may join."""
    opening = with_opening(rate=4, pass_minutes=30)
    until(opening.queue_opens_at)
    admitted = [registered(client, entry) for entry in (ZHANG, LI, QIAN, SUN)]
    for token in admitted:
        chosen(client, token, "CET4")
        ok(join_queue(client, token), JOIN, 201)
    outsider = registered(client, PASSPORT)
    chosen(client, outsider, "CET4")
    until(opening.opens_at + ORDER_GRACE)
    admit(client)
    for token in admitted[:3]:
        chosen(client, token, "CET-SET4", "NJU-GL")  # capacity 3: the campus is full
    expect(join(client, outsider), WAITLIST, 403, "NOT_ADMITTED")
    ok(join(client, admitted[3]), WAITLIST, 201)


# The province administrator (R-OPS-1, R-OPS-2)

OVERVIEW = "GET /admin/overview"
WINDOW = "PUT /admin/windows/{school_id}"
SEATS = "PUT /admin/seats/{campus_id}/{subject}"
NOTICE = "PUT /admin/notices/{school_id}"
CHANGES = "GET /admin/changes"
OVERVIEW_KEYS = {"registrations", "seats", "orders", "reviews_pending", "late_payments", "windows"}
SEAT_LINE_KEYS = {"campus_id", "subject", "capacity", "taken", "live_holds", "waiting", "campus_name", "school_id"}
WINDOW_KEYS = {"school_id", "school_name", "opens_at", "closes_at", "open_now"}
CHANGE_KEYS = {"at", "by", "what", "before", "after"}


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


def changes(client: Client, token: str) -> list[dict[str, Any]]:
    found = list(ok(call(client, "GET", "/admin/changes", token=token), CHANGES))
    assert all(set(change) == CHANGE_KEYS for change in found), found
    return found


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
