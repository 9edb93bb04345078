"""Accounts (R-ACC-1, R-ACC-2, R-ACC-5): registering, signing in and out, captchas, throttling, tokens.

Part of the HTTP contract: tests/e2e/contract.py holds the shared helpers and the registry that
tests/e2e/test_contract_zz_registry.py checks.
"""

from __future__ import annotations

import pytest
from chalice.test import Client

from tests import factories
from tests.e2e.contract import (
    DECIDE,
    REMOVE,
    ZHANG,
    advance,
    expect,
    ok,
    parse_time,
    server_now,
)
from tests.e2e.http import (
    STUDENT_PASSWORD,
    call,
    captcha,
    create_account,
    credentials,
    identity,
    log_in,
    new_login,
)

pytestmark = pytest.mark.usefixtures("contract")


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
