"""R-ACC-6 over HTTP: codes sent to an address (reset, login change) and the logins they go to.

Part of the HTTP contract: its `expect(...)` calls count in the registry (tests/e2e/contract.py).
"""

from __future__ import annotations

import hashlib
from datetime import datetime
from typing import Any

import pytest
from chalice.test import Client

from chalicelib.bootstrap import CLOCK
from chalicelib.services.accounts import THROTTLE_WINDOW
from chalicelib.storage.keys import account_pk
from chalicelib.storage.models import CodeItem
from tests import factories
from tests.e2e.contract import expect
from tests.e2e.http import (
    STUDENT_PASSWORD,
    Reply,
    call,
    captcha,
    create_account,
    credentials,
    log_in,
    new_login,
    new_student,
)

pytestmark = pytest.mark.usefixtures("contract")

MOBILE = "13952044797"
FULL_WIDTH_SEVEN, ARABIC_INDIC_SEVEN = "\uff17", "\u0667"


@pytest.fixture(autouse=True)
def _clock_back(monkeypatch: pytest.MonkeyPatch) -> None:
    """The service clock is process-wide: put it back after each test."""
    monkeypatch.setattr(CLOCK, "_offset", CLOCK._offset)


def at_a_window_start(client: Client) -> None:
    """Move the service clock to just after a 15-minute throttle window begins (R-ACC-2), so the
    counts of one test never straddle two windows."""
    now = datetime.fromisoformat(call(client, "POST", "/_test/clock", {"advance_seconds": 0}).body["now"])
    window = int(THROTTLE_WINDOW.total_seconds())
    ahead = window - int(now.timestamp()) % window + 1
    assert call(client, "POST", "/_test/clock", {"advance_seconds": ahead}).status == 200


def outbox(client: Client, to: str, kind: str | None = None) -> list[dict[str, Any]]:
    reply = call(client, "GET", f"/_test/outbox?to={to}")
    assert reply.status == 200, reply.text
    return [m for m in reply.body if kind is None or m["kind"] == kind]


def ask_reset(client: Client, login: str) -> Reply:
    return call(client, "POST", "/password-resets", {"login": login, **captcha(client)})


def test_r_acc_6_a_mobile_login_in_other_scripts_digits_is_refused_never_a_new_account(client: Client) -> None:
    """`1395204479７` and `1395204479٧` are 400 INVALID_LOGIN, at registration, login and a login
    change; only the ASCII number is an account (fails on the old code: three accounts)."""
    create_account(client, MOBILE)
    for other in (MOBILE[:-1] + FULL_WIDTH_SEVEN, MOBILE[:-1] + ARABIC_INDIC_SEVEN):
        reply = call(client, "POST", "/accounts", credentials(client, other, STUDENT_PASSWORD))
        expect(reply, "POST /accounts", 400, "INVALID_LOGIN")
        token = log_in(client, MOBILE)
        reply = call(client, "POST", "/me/login-codes", {"new_login": other}, token)
        expect(reply, "POST /me/login-codes", 400, "INVALID_LOGIN")
        # a reset says nothing either way (R-ACC-3), and nothing reaches the real number's owner
        assert ask_reset(client, other).status == 202
    assert outbox(client, MOBILE, "password_reset") == []


def test_r_acc_6_a_code_item_copied_from_the_table_cannot_be_matched_without_the_key(client: Client) -> None:
    """The probe's attack: every one of the 10^6 six-digit codes hashed as the old code stored them
    (SHA-256 of `account:purpose:code`) finds nothing in a copied code item; only the province's
    key makes its digest (fails on the old code: the brute force recovers the code)."""
    login = new_login()
    account_id = create_account(client, login)
    assert ask_reset(client, login).status == 202
    (message,) = outbox(client, login, "password_reset")
    copied = CodeItem.get(account_pk(account_id), "CODE#reset").code_digest
    prefix = f"{account_id}:reset:".encode()
    found = [n for n in range(10**6) if hashlib.sha256(prefix + b"%06d" % n).hexdigest() == copied]
    assert found == []
    assert copied == factories.RING.code_digest(f"{account_id}:reset:{message['code']}")


def test_r_acc_6_codes_to_one_address_are_limited_whatever_the_number_of_accounts(client: Client) -> None:
    """The probe: three accounts sent 15 login-change codes to one unused number in seconds. Now
    five reach it; then 429 TOO_MANY_ATTEMPTS with Retry-After, for a reset to it too (fails on the
    old code: the limit was per account)."""
    tokens = [new_student(client) for _ in range(3)]
    at_a_window_start(client)
    answers = [
        call(client, "POST", "/me/login-codes", {"new_login": MOBILE}, token) for token in tokens for _ in range(5)
    ]
    assert [a.status for a in answers] == [202] * 5 + [429] * 10, [a.text for a in answers]
    for refused in answers[5:]:
        expect(refused, "POST /me/login-codes", 429, "TOO_MANY_ATTEMPTS")
        assert 0 < int(refused.header("Retry-After") or 0) <= 15 * 60 + 1
        assert "验证码发送过于频繁" in refused.body["message"], "a code request is not a failed login"
    assert len(outbox(client, MOBILE, "login_change")) == 5
    expect(ask_reset(client, MOBILE), "POST /password-resets", 429, "TOO_MANY_ATTEMPTS")


def test_r_acc_6_a_login_change_signs_out_every_other_session(client: Client) -> None:
    """R-ACC-6: after `PUT /me/login` the session that made it goes on and every other one is 401
    (fails on the old code: the other session stayed signed in); the new login signs in."""
    old, new = new_login(), new_login()
    token = new_student(client, old)
    other = log_in(client, old)
    assert call(client, "POST", "/me/login-codes", {"new_login": new}, token).status == 202
    code = outbox(client, new, "login_change")[-1]["code"]
    changed = call(client, "PUT", "/me/login", {"new_login": new, "code": code, "password": STUDENT_PASSWORD}, token)
    assert (changed.status, changed.body) == (200, {"login": new}), changed.text
    assert call(client, "GET", "/me", token=token).body["login"] == new
    expect(call(client, "GET", "/me", token=other), "GET /me", 401, "UNAUTHENTICATED")
    assert call(client, "GET", "/me", token=log_in(client, new)).status == 200
