"""Issue 25's small probe findings, over HTTP on moto: each test fails on the code before its fix."""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import parse_qsl

import pytest
from chalice.test import Client

from chalicelib.bootstrap import CLOCK, reset_services
from chalicelib.bootstrap import test_gateway as plugged_gateway  # not named test_*: pytest would collect it
from chalicelib.logs import logger
from devstack.ddb_requests import count_requests
from tests import factories
from tests.e2e import test_payments as payments
from tests.e2e.contract import expect
from tests.e2e.http import (
    Reply,
    agreed_student,
    assert_error,
    call,
    captcha,
    create_account,
    credentials,
    identity,
    new_login,
    registered,
    staff,
)
from tests.e2e.logs import Lines

pytestmark = pytest.mark.usefixtures("contract")  # its expect(...) calls count in the registry

FORM = {"Content-Type": "application/x-www-form-urlencoded"}
ZHANG, LI = factories.ZHANG, factories.LI


@pytest.fixture
def service_log() -> Any:
    lines = Lines()
    logger().addHandler(lines)
    yield lines
    logger().removeHandler(lines)


# --- R-PAY-2: Alipay notices for another merchant -------------------------------------------------


def test_r_pay_2_an_alipay_notice_for_another_seller_id_answers_fail_and_settles_nothing(
    client: Client, service_log: Lines
) -> None:
    """Alipay's notification documentation: check out_trade_no, total_amount, seller_id and app_id.
    A notice Alipay signed for another merchant of the same app (or with no seller_id) is `fail`,
    logged as a security event that names neither seller nor buyer; the province's own notice pays."""
    student = payments.holding(client)
    placed = payments.order(client, student.token)
    assert payments.pay(client, placed["order_id"], deliveries=0).status == 200  # paid at Alipay, not yet told
    sandbox: Any = plugged_gateway().sandbox  # type: ignore[union-attr]
    genuine, _ = sandbox.notification(placed["number"], CLOCK.now())
    fields = dict(parse_qsl(genuine.decode("ascii"), keep_blank_values=True))
    other = {**fields, "seller_id": "2088999999999999", "buyer_logon_id": "zha***@example.com"}
    missing = {key: value for key, value in fields.items() if key != "seller_id"}
    for forged in (other, missing):
        body, _ = sandbox.alipay_signed(forged)
        reply = call(client, "POST", "/payments/alipay/notify", raw=body, headers=FORM)
        assert (reply.status, reply.text) == (200, "fail")
    assert payments.statuses(client, student.token) == [("CET4", "unpaid"), ("CET-SET4", "unpaid")]
    events = [json.loads(line) for line in service_log.lines if '"security_event"' in line]
    assert [(e["provider"], e["detail"]) for e in events] == [
        ("alipay", "not our seller_id"),
        ("alipay", "missing seller_id"),
    ]
    assert not any("2088999999999999" in line or "zha***" in line for line in service_log.lines)

    reply = call(client, "POST", "/payments/alipay/notify", raw=genuine, headers=FORM)
    assert (reply.status, reply.text) == (200, "success")
    assert payments.statuses(client, student.token) == [("CET4", "paid"), ("CET-SET4", "paid")]


# --- R-REV-3 / R-REV-4: a resubmitted review keeps to the account's candidate -----------------------


def rejected_review_for_zhang(client: Client) -> str:
    """An account not yet bound whose review for ZHANG (rule 2, pending) NJU's staff rejected: its token."""
    token = agreed_student(client)
    body = {**identity(ZHANG), "ticket_number": factories.TICKET_PENDING, "confirm": True}
    review = call(client, "POST", "/cet6-reviews", body, token).body
    assert review["status"] == "pending", review
    decision = {"approve": False, "note": "不符"}
    nju = staff(client, "staff@nju.edu.cn")
    reply = call(client, "POST", f"/staff/cet6-reviews/{review['review_id']}/decision", decision, nju)
    assert reply.status == 200, reply.text
    return token


RESUBMIT = "PUT /cet6-reviews/current"


def resubmit(client: Client, token: str, ticket: str) -> Any:
    return call(client, "PUT", "/cet6-reviews/current", {"ticket_number": ticket, "confirm": True}, token)


def review_status(client: Client, token: str) -> str:
    return str(call(client, "GET", "/cet6-reviews/current", token=token).body["status"])


def test_r_rev_4_a_rejected_review_is_not_resubmitted_after_binding_to_another_candidate(client: Client) -> None:
    """api.md: an account bound to a candidate files a CET6 review only for that candidate, and a
    resubmission (PUT, no identity in its body) is held to the same: 403 IDENTITY_MISMATCH."""
    token = registered(client, LI, rejected_review_for_zhang(client))
    for ticket in (factories.TICKET_PENDING, factories.TICKET_APPROVE):
        expect(resubmit(client, token, ticket), RESUBMIT, 403, "IDENTITY_MISMATCH")
    assert review_status(client, token) == "rejected"

    own = registered(client, ZHANG, rejected_review_for_zhang(client))  # bound to the review's candidate
    reply = resubmit(client, own, factories.TICKET_APPROVE)
    assert (reply.status, reply.body["status"]) == (200, "approved"), reply.text


def test_r_rev_4_an_unbound_account_resubmits_only_for_the_candidate_it_looked_up_last(client: Client) -> None:
    token = rejected_review_for_zhang(client)
    assert call(client, "POST", "/qualification", identity(LI), token).status == 200
    expect(resubmit(client, token, factories.TICKET_PENDING), RESUBMIT, 403, "IDENTITY_MISMATCH")
    assert review_status(client, token) == "rejected"
    assert call(client, "POST", "/qualification", identity(ZHANG), token).status == 200
    reply = resubmit(client, token, factories.TICKET_PENDING)
    assert (reply.status, reply.body["status"]) == (200, "pending"), reply.text


# --- R-ACC-5: Chinese common passwords (decision 0025) -----------------------------------------------

CHINESE_COMMON = ("woaini1314", "qq123456", "5201314a", "a123456789", "zhang123")


def code_sent(client: Client, login: str, kind: str) -> str:
    messages = call(client, "GET", f"/_test/outbox?to={login}").body
    return str([m for m in messages if m["kind"] == kind][-1]["code"])


def set_password(client: Client, login: str, code: str, password: str) -> Any:
    body = {"login": login, "code": code, "new_password": password}
    return call(client, "POST", "/password-resets/confirm", body)


def test_r_acc_5_chinese_common_passwords_are_400_weak_password_at_registration_reset_and_activation(
    client: Client,
) -> None:
    for password in CHINESE_COMMON:
        reply = call(client, "POST", "/accounts", credentials(client, new_login(), password))
        assert "常用密码" in assert_error(reply, 400, "WEAK_PASSWORD")["message"], password

    login = new_login()
    create_account(client, login)
    asked = call(client, "POST", "/password-resets", {"login": login, **captcha(client)})
    assert asked.status == 202, asked.text
    code = code_sent(client, login, "password_reset")
    for password in CHINESE_COMMON:
        assert_error(set_password(client, login, code, password), 400, "WEAK_PASSWORD")

    # R-OPS-3: a staff member sets the first password with the activation code, at the reset's confirm
    activation = code_sent(client, "staff@seu.edu.cn", "staff_activation")
    for password in CHINESE_COMMON:
        assert_error(set_password(client, "staff@seu.edu.cn", activation, password), 400, "WEAK_PASSWORD")
    assert set_password(client, "staff@seu.edu.cn", activation, "Jiangsu2026seu").status == 204


# --- decision 0013: a wrong identity key shows in the deep health check -----------------------------

WRONG_KEY = {"current": "local", "vlocal": "another-key-under-the-same-version-as-the-table-00"}
ROTATED_AWAY = {"current": "2", "v2": "a-newer-key-while-the-table-still-holds-version-1"}


@pytest.mark.parametrize("ring", [WRONG_KEY, ROTATED_AWAY], ids=["wrong key", "rotated key"])
def test_deep_health_is_503_identity_key_unavailable_when_the_key_does_not_match_the_tables_mark(
    client: Client, monkeypatch: pytest.MonkeyPatch, service_log: Lines, ring: dict[str, str]
) -> None:
    """While every lookup answers 503 IDENTITY_KEY_UNAVAILABLE, so does GET /health?deep=1: a probe
    or an alarm sees it. Two table reads (the table, the mark), the ring cached; no key in the answer or log."""
    assert call(client, "GET", "/health?deep=1").status == 200
    monkeypatch.setenv("IDENTITY_KEYS", json.dumps(ring))
    reset_services()  # the stage restarts with these keys
    token = agreed_student(client)
    assert_error(call(client, "POST", "/qualification", identity(ZHANG), token), 503, "IDENTITY_KEY_UNAVAILABLE")
    requests = count_requests()
    sick = client.http.request("GET", "/health?deep=1", headers={}, body=b"")  # call() refuses every 5xx
    assert requests.total <= 2, requests.by_operation
    text = sick.body.decode("utf-8")
    expect(
        Reply(sick.status_code, json.loads(text), dict(sick.headers), text),
        "GET /health",
        503,
        "IDENTITY_KEY_UNAVAILABLE",
    )
    secrets = [value for name, value in ring.items() if name.startswith("v")]
    assert not any(secret in sick.body.decode() for secret in secrets)
    assert not any(secret in line for secret in secrets for line in service_log.lines)
    assert call(client, "GET", "/health").status == 200  # the shallow check is the process only

    monkeypatch.delenv("IDENTITY_KEYS")
    reset_services()  # the right keys again
    assert call(client, "GET", "/health?deep=1").status == 200
