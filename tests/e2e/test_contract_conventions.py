"""Health, the test controls, unknown routes and methods, request bodies (api.md, Conventions).

Part of the HTTP contract: tests/e2e/contract.py holds the shared helpers and the registry that
tests/e2e/test_contract_zz_registry.py checks.
"""

from __future__ import annotations

import json
import os
from datetime import timedelta
from typing import Any

import boto3
import pytest
from chalice.test import Client

from chalicelib.bootstrap import CLOCK
from tests import factories
from tests.e2e.contract import (
    DAY,
    advance,
    expect,
    ok,
    server_now,
)
from tests.e2e.http import (
    STUDENT_PASSWORD,
    Reply,
    agreed_student,
    assert_error,
    call,
    credentials,
    new_login,
    registered,
)

pytestmark = pytest.mark.usefixtures("contract")


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
