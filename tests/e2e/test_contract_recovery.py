"""Password resets, login changes, records and messages (R-ACC-3, R-ACC-4, R-PAY-6, R-NOTE-1).

Part of the HTTP contract: tests/e2e/contract.py holds the shared helpers and the registry that
tests/e2e/test_contract_zz_registry.py checks.
"""

from __future__ import annotations

import re

import pytest
from chalice.test import Client

from tests.e2e import test_payments as payments
from tests.e2e.contract import (
    DAY,
    DECIDE,
    JOB,
    LI,
    NJU_STAFF,
    OUTBOX,
    WANG,
    ZHANG,
    advance,
    decide,
    expect,
    ok,
    outbox,
    pending_review,
)
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
    staff,
)

pytestmark = pytest.mark.usefixtures("contract")


RESET = "POST /password-resets"
RESET_CONFIRM = "POST /password-resets/confirm"
LOGIN_CODES = "POST /me/login-codes"
CHANGE_LOGIN = "PUT /me/login"
ORDERS = "GET /orders"
RECEIPT = "GET /orders/{order_id}/receipt"
NEW_PASSWORD = "Qiuzhi2026xin"
PDF = {"Accept": "application/pdf"}


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
    """R-ACC-3: 5 wrong tries are allowed, each answer saying how many are left (for an unknown
    login too: it tells nothing); then 429 with Retry-After, and the right code is dead."""
    login = new_login()
    create_account(client, login)
    code = reset_code(client, login)
    for left in (4, 3, 2, 1):
        refused = expect(confirm_reset(client, login, other_code(code)), RESET_CONFIRM, 400, "INVALID_CODE")
        assert f"最多还可再试 {left} 次" in refused["message"], refused
        unknown = expect(confirm_reset(client, f"x{login}", code), RESET_CONFIRM, 400, "INVALID_CODE")
        assert unknown["message"] == refused["message"]
    last = expect(confirm_reset(client, login, other_code(code)), RESET_CONFIRM, 400, "INVALID_CODE")
    assert "输错次数已用完" in last["message"], last
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
