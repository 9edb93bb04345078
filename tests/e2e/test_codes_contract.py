"""R-ACC-6 over HTTP: codes sent to an address (reset, login change) and the logins they go to.

Kept apart from test_http_contract.py (already long); the routes and their 4xx are the ones that
file registers, so these tests check the contract's shape with `assert_error` alone.
"""

from __future__ import annotations

from typing import Any

from chalice.test import Client

from tests.e2e.http import (
    STUDENT_PASSWORD,
    Reply,
    assert_error,
    call,
    captcha,
    create_account,
    credentials,
    log_in,
)

MOBILE = "13952044797"
FULL_WIDTH_SEVEN, ARABIC_INDIC_SEVEN = "\uff17", "\u0667"


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
        assert_error(
            call(client, "POST", "/accounts", credentials(client, other, STUDENT_PASSWORD)), 400, "INVALID_LOGIN"
        )
        token = log_in(client, MOBILE)
        assert_error(call(client, "POST", "/me/login-codes", {"new_login": other}, token), 400, "INVALID_LOGIN")
        # a reset says nothing either way (R-ACC-3), and nothing reaches the real number's owner
        assert ask_reset(client, other).status == 202
    assert outbox(client, MOBILE, "password_reset") == []
