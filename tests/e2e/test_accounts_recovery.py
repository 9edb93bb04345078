"""Students keep control of their account (R-ACC-3, R-ACC-4) and are told what matters (R-NOTE-1),
over HTTP, with the messages read back from the local stack's outbox (`GET /_test/outbox`)."""

from __future__ import annotations

import re
from typing import Any

from chalice.test import Client

from tests.e2e.http import (
    STUDENT_PASSWORD,
    assert_error,
    call,
    captcha,
    create_account,
    credentials,
    log_in,
    new_login,
    new_student,
    staff,
)
from tests.e2e.test_http_contract import DAY, DECIDE, NJU_STAFF, WANG, ZHANG, decide, ok, pending_review
from tests.e2e.test_payments import holding, order, pay, restore_clock  # noqa: F401 (the fixture)

NEW_PASSWORD = "Qiuzhi2026xin"
JOB = "POST /_test/jobs/{name}"
OUTBOX = "GET /_test/outbox"
CHANGE = "PUT /me/login"


def outbox(client: Client, to: str, kind: str | None = None) -> list[dict[str, Any]]:
    messages = ok(call(client, "GET", f"/_test/outbox?to={to}"), OUTBOX)
    return [m for m in messages if kind is None or m["kind"] == kind]


def ask_reset(client: Client, login: str) -> Any:
    return call(client, "POST", "/password-resets", {"login": login, **captcha(client)})


def reset_code(client: Client, login: str) -> str:
    reply = ask_reset(client, login)
    assert (reply.status, reply.body) == (202, {}), reply.text
    return str(outbox(client, login, "password_reset")[-1]["code"])


def confirm(client: Client, login: str, code: str, password: str = NEW_PASSWORD) -> Any:
    return call(client, "POST", "/password-resets/confirm", {"login": login, "code": code, "new_password": password})


def sign_in(client: Client, login: str, password: str) -> Any:
    return call(client, "POST", "/sessions", credentials(client, login, password))


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
    reply = confirm(client, login, code)
    assert reply.status == 204, reply.text
    assert_error(call(client, "GET", "/me", token=token), 401, "UNAUTHENTICATED")
    assert_error(sign_in(client, login, STUDENT_PASSWORD), 401, "BAD_CREDENTIALS")
    assert log_in(client, login, NEW_PASSWORD)
    assert_error(confirm(client, login, code, "Another2026pw"), 400, "INVALID_CODE")  # it worked once


def test_r_acc_3_the_answer_never_tells_whether_the_login_exists(client: Client) -> None:
    """R-ACC-3: a reset for an unknown login answers 202 {} as for a known one, and sends nothing;
    its "code" is refused like a wrong one."""
    known, unknown = new_login(), new_login()
    create_account(client, known)
    answers = [ask_reset(client, login) for login in (known, unknown, "13800138000", "not a login")]
    assert [(a.status, a.body) for a in answers] == [(202, {})] * 4, [a.text for a in answers]
    assert len(outbox(client, known, "password_reset")) == 1
    assert outbox(client, unknown) == []
    assert_error(confirm(client, unknown, "123456"), 400, "INVALID_CODE")


def test_r_acc_3_five_wrong_tries_then_the_code_is_spent_and_429(client: Client) -> None:
    """R-ACC-3: 5 wrong tries are allowed; after them 429 with Retry-After, and the right code is dead."""
    login = new_login()
    create_account(client, login)
    code = reset_code(client, login)
    wrong = f"{(int(code) + 1) % 1_000_000:06d}"
    for _ in range(5):
        assert_error(confirm(client, login, wrong), 400, "INVALID_CODE")
    refused = confirm(client, login, code)
    assert_error(refused, 429, "TOO_MANY_ATTEMPTS")
    assert int(refused.header("Retry-After") or 0) > 0
    call(client, "POST", "/_test/clock", {"advance_seconds": 16 * 60})  # the throttle's window has passed
    assert_error(confirm(client, login, code), 400, "INVALID_CODE")  # but the code is spent
    assert log_in(client, login)


def test_r_acc_3_a_code_lives_ten_minutes_and_a_weak_password_is_refused(client: Client) -> None:
    """R-ACC-3, R-ACC-5: a code 10 minutes old is refused; a weak new password is 400 WEAK_PASSWORD."""
    login = new_login()
    create_account(client, login)
    code = reset_code(client, login)
    assert_error(confirm(client, login, code, "short1"), 400, "WEAK_PASSWORD")
    assert_error(confirm(client, login, code, login), 400, "WEAK_PASSWORD")
    call(client, "POST", "/_test/clock", {"advance_seconds": 10 * 60 + 1})
    assert_error(confirm(client, login, code), 400, "INVALID_CODE")
    fresh = reset_code(client, login)
    assert confirm(client, login, fresh).status == 204


def test_r_acc_3_reset_requests_need_a_captcha_and_are_throttled(client: Client) -> None:
    """R-ACC-3: a wrong captcha is 400 INVALID_CAPTCHA; many requests for one login end in 429."""
    login = new_login()
    create_account(client, login)
    bad = call(client, "POST", "/password-resets", {"login": login, "captcha_id": "x", "captcha_answer": "y"})
    assert_error(bad, 400, "INVALID_CAPTCHA")
    assert_error(call(client, "POST", "/password-resets", {"login": login}), 400, "INVALID_REQUEST", "captcha_id")
    answers = [ask_reset(client, login).status for _ in range(6)]
    assert answers == [202] * 5 + [429], answers


def change_code(client: Client, token: str, new: str) -> str:
    reply = call(client, "POST", "/me/login-codes", {"new_login": new}, token)
    assert (reply.status, reply.body) == (202, {}), reply.text
    return str(outbox(client, new, "login_change")[-1]["code"])


def change(client: Client, token: str, new: str, code: str, password: str = STUDENT_PASSWORD) -> Any:
    return call(client, "PUT", "/me/login", {"new_login": new, "code": code, "password": password}, token)


def test_r_acc_4_a_new_login_with_the_password_and_a_code_sent_to_it(client: Client) -> None:
    """R-ACC-4: the code goes to the new address; the login changes; the old one signs nobody in."""
    old, new = new_login(), "13912345678"
    token = new_student(client, old)
    code = change_code(client, token, new)
    assert outbox(client, old, "login_change") == []
    assert_error(change(client, token, new, code, "WrongPassword1"), 401, "BAD_CREDENTIALS")
    assert_error(change(client, token, new, f"{(int(code) + 1) % 1_000_000:06d}"), 400, "INVALID_CODE")
    assert_error(change(client, token, "13912345679", code), 400, "INVALID_CODE")  # a code is for its address
    assert ok(change(client, token, new, code), CHANGE) == {"login": new}
    assert ok(call(client, "GET", "/me", token=token), "GET /me")["login"] == new
    assert_error(sign_in(client, old, STUDENT_PASSWORD), 401, "BAD_CREDENTIALS")
    assert log_in(client, new)
    assert_error(change(client, token, new, code), 400, "INVALID_CODE")  # used


def test_r_acc_4_the_old_login_stays_unusable_by_anyone_else_for_30_days(client: Client) -> None:
    """R-ACC-4: nobody may register or be sent a code for a login given up less than 30 days ago."""
    old, new = new_login(), new_login()
    token = new_student(client, old)
    assert ok(change(client, token, new, change_code(client, token, new)), CHANGE)["login"] == new
    reply = call(client, "POST", "/accounts", credentials(client, old, STUDENT_PASSWORD))
    assert_error(reply, 409, "LOGIN_TAKEN")
    other = new_student(client)
    assert_error(call(client, "POST", "/me/login-codes", {"new_login": old}, other), 409, "LOGIN_TAKEN")
    assert_error(call(client, "POST", "/me/login-codes", {"new_login": new}, other), 409, "LOGIN_TAKEN")
    assert_error(call(client, "POST", "/me/login-codes", {"new_login": "nobody"}, other), 400, "INVALID_LOGIN")
    call(client, "POST", "/_test/clock", {"advance_seconds": 31 * DAY})
    assert create_account(client, old)


def test_r_note_1_a_decided_review_is_told_to_the_student_once(client: Client) -> None:
    """R-NOTE-1: staff's decision on a CET6 review goes to the student's login, once."""
    token, review_id = pending_review(client)
    me = ok(call(client, "GET", "/me", token=token), "GET /me")
    login = me["login"]
    ok(decide(client, staff(client, NJU_STAFF), review_id, {"approve": False, "note": "成绩单姓名不符"}), DECIDE)
    (told,) = outbox(client, login, "review_decided")
    assert "不通过" in told["body"], told
    assert "成绩单姓名不符" in told["body"], told
    assert told["code"] is None
    assert len(outbox(client, login, "review_decided")) == 1  # read again: not sent twice


def test_r_note_1_one_reminder_six_hours_before_the_earliest_pay_by_never_for_paid(client: Client) -> None:
    """R-NOTE-1: unpaid subjects 6 hours from their pay_by get one reminder, in Beijing time; a
    second run sends none; a student who paid gets none."""
    unpaid, paid = holding(client, WANG, oral=False), holding(client, ZHANG, oral=False)
    assert pay(client, order(client, paid.token)["order_id"]).status == 200
    assert ok(call(client, "POST", "/_test/jobs/remind"), JOB)["reminded"] == 0  # 24 hours away
    call(client, "POST", "/_test/clock", {"advance_seconds": 18 * 3600 + 60})
    first = ok(call(client, "POST", "/_test/jobs/remind"), JOB)
    second = ok(call(client, "POST", "/_test/jobs/remind"), JOB)
    assert (first["reminded"], second["reminded"], second["already_reminded"]) == (1, 0, 1), (first, second)
    (reminder,) = outbox(client, unpaid.login, "pay_reminder")
    assert "北京时间" in reminder["body"], reminder
    assert reminder["code"] is None, reminder
    assert outbox(client, paid.login, "pay_reminder") == []
