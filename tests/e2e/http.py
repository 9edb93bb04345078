"""The end-to-end tests' HTTP helpers: the test kit's (testkit/cet_testkit/http.py), checking every
reply against the test province's whole ID numbers, and the test province's staff and administrator.
"""

from __future__ import annotations

from chalice.test import Client

from cet_testkit.http import (
    STUDENT_PASSWORD,
    Reply,
    agree,
    agreed_student,
    assert_error,
    call,
    captcha,
    create_account,
    credentials,
    identity,
    log_in,
    never_shown,
    new_login,
    new_student,
    registered,
)
from tests import factories

__all__ = [
    "STUDENT_PASSWORD",
    "WHOLE_ID_NUMBERS",
    "Reply",
    "agree",
    "agreed_student",
    "assert_error",
    "call",
    "captcha",
    "create_account",
    "credentials",
    "identity",
    "log_in",
    "new_login",
    "new_student",
    "province_admin",
    "registered",
    "staff",
]

# Every whole ID number the test province knows: none may ever appear in a response body.
WHOLE_ID_NUMBERS = factories.WHOLE_ID_NUMBERS
never_shown(WHOLE_ID_NUMBERS)


def staff(client: Client, login: str) -> str:
    """A staff member of the test province, signed in: their token."""
    return log_in(client, login, factories.STAFF_PASSWORD)


def province_admin(client: Client) -> str:
    """The province's administrator (role province, R-OPS-1), created on first use, signed in."""
    from chalicelib.bootstrap import services

    accounts = services().accounts
    if accounts.accounts.by_login(factories.ADMIN_LOGIN) is None:
        accounts.accounts.create(factories.province_admin(accounts.passwords.hash(factories.ADMIN_PASSWORD)))
    return log_in(client, factories.ADMIN_LOGIN, factories.ADMIN_PASSWORD)
