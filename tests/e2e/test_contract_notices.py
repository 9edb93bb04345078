"""The account's owner is told of every change to it (R-NOTE-2): `password_changed`,
`login_changed` and `queue_admitted`, through the outbox as the other messages (R-NOTE-1).

Part of the HTTP contract: tests/e2e/contract.py holds the shared helpers and the registry that
tests/e2e/test_contract_zz_registry.py checks.
"""

from __future__ import annotations

import secrets
from datetime import datetime

import pytest
from chalice.test import Client

from chalicelib.bootstrap import CLOCK
from chalicelib.domain.clock import beijing_text
from chalicelib.domain.waiting_room import ORDER_GRACE
from tests.e2e.contract import JOIN, ZHANG, admit, join_queue, ok, outbox, queue_place, until
from tests.e2e.http import STUDENT_PASSWORD, agreed_student, call, captcha, log_in, new_login, new_student, registered
from tests.e2e.test_contract_waiting_room import with_opening

pytestmark = pytest.mark.usefixtures("contract")

RESET_CONFIRM = "POST /password-resets/confirm"
CHANGE_LOGIN = "PUT /me/login"
NEW_PASSWORD = "Qiuzhi2026xin"


def test_r_note_2_a_password_reset_or_change_tells_the_login_once(client: Client) -> None:
    """After `POST /password-resets/confirm` (账户设置's 修改密码 is the same path) the login gets one
    `password_changed`, with the time, and neither the code nor the password."""
    login = new_login()
    new_student(client, login)
    ok(call(client, "POST", "/password-resets", {"login": login, **captcha(client)}), "POST /password-resets", 202)
    code = str(outbox(client, login, "password_reset")[-1]["code"])
    assert outbox(client, login, "password_changed") == []
    body = {"login": login, "code": code, "new_password": NEW_PASSWORD}
    ok(call(client, "POST", "/password-resets/confirm", body), RESET_CONFIRM, 204)
    call(client, "POST", "/password-resets/confirm", body)  # sent again: the code is used, nothing more
    (message,) = outbox(client, login, "password_changed")
    assert message["code"] is None
    assert f"密码已于 {beijing_text(CLOCK.now())}（北京时间）重新设置" in message["body"], message
    assert code not in message["body"], message
    assert NEW_PASSWORD not in message["body"], message
    assert "密码已重新设置" in message["subject"], message
    assert log_in(client, login, NEW_PASSWORD)


def test_r_note_2_a_login_change_tells_the_old_address_and_the_new(client: Client) -> None:
    """After `PUT /me/login` one `login_changed` goes to the old login and one to the new, naming
    both masked and never the code."""
    old, new = new_login(), f"137{secrets.randbelow(10**8):08d}"  # a number no other test uses
    token = new_student(client, old)
    ok(call(client, "POST", "/me/login-codes", {"new_login": new}, token), "POST /me/login-codes", 202)
    code = str(outbox(client, new, "login_change")[-1]["code"])
    body = {"new_login": new, "code": code, "password": STUDENT_PASSWORD}
    assert ok(call(client, "PUT", "/me/login", body, token), CHANGE_LOGIN)["login"] == new
    (to_old,) = outbox(client, old, "login_changed")
    (to_new,) = outbox(client, new, "login_changed")
    masked_old = f"{old[:2]}***@{old.split('@')[1]}"
    for message in (to_old, to_new):
        assert f"由 {masked_old} 更换为 137****{new[-4:]}" in message["body"], message
        assert message["code"] is None, message
        assert code not in message["body"], message
        assert new not in message["body"], message
    assert to_old["body"] == to_new["body"]


def test_r_note_2_an_admission_tells_the_login_with_the_time_it_lasts(client: Client) -> None:
    """When the admission job admits a place, its login gets one `queue_admitted` naming the
    opening and `admitted_until` in 北京时间; the job run again sends nothing more."""
    opening = with_opening(rate=1, pass_minutes=15)
    until(opening.queue_opens_at)
    login = new_login()
    token = registered(client, ZHANG, agreed_student(client, login))
    ok(join_queue(client, token), JOIN, 201)
    until(opening.opens_at + ORDER_GRACE)
    assert outbox(client, login, "queue_admitted") == []
    admit(client)
    admit(client)
    place = queue_place(client, token)
    assert place["state"] == "admitted"
    (message,) = outbox(client, login, "queue_admitted")
    lasts = beijing_text(datetime.fromisoformat(place["admitted_until"]))
    assert f"“{opening.name}”的排队已轮到您：请在 {lasts}（北京时间）前" in message["body"], message
    assert message["code"] is None
