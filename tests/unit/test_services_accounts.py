"""Captchas, accounts, sessions and throttling on the in-memory fakes (R-ACC-1, R-ACC-2, R-QUAL-1)."""

from __future__ import annotations

import base64
from datetime import timedelta

import pytest

from chalicelib.domain.accounts import Account, Role
from chalicelib.domain.clock import FixedClock
from chalicelib.domain.errors import (
    BadCredentials,
    Forbidden,
    InvalidCaptcha,
    InvalidLogin,
    LoginTaken,
    TooManyAttempts,
    Unauthenticated,
    WeakPassword,
)
from chalicelib.services import accounts as svc
from chalicelib.services.accounts import AccountsContext
from tests import factories
from tests.factories import NOW
from tests.fakes import TINY_PNG, fake_contexts

PASSWORD = "Cet2026pass"
EMAIL = "student@example.com"
MOBILE = "13800138000"
WRONG_ANSWER = "0000"  # "0" is not in the captcha alphabet


@pytest.fixture
def ctx(clock: FixedClock) -> AccountsContext:
    return fake_contexts(clock).accounts


def register(ctx: AccountsContext, login: str = EMAIL, password: str = PASSWORD) -> str:
    captcha = svc.issue_captcha(ctx)
    return svc.register(ctx, login, password, captcha.captcha_id, captcha.answer)


def log_in(ctx: AccountsContext, login: str = EMAIL, password: str = PASSWORD, client: str = "10.0.0.1") -> str:
    captcha = svc.issue_captcha(ctx)
    return svc.log_in(ctx, login, password, captcha.captcha_id, captcha.answer, client).token


def account_of(ctx: AccountsContext, login: str) -> Account:
    account = ctx.accounts.by_login(login)
    assert account is not None
    return account


# Captchas (R-ACC-1, R-ACC-2)
def test_r_acc_1_captcha_is_a_png_data_url() -> None:
    ctx = fake_contexts(FixedClock(NOW)).accounts
    captcha = svc.issue_captcha(ctx)
    prefix = "data:image/png;base64,"
    assert captcha.image_data_url.startswith(prefix)
    assert base64.b64decode(captcha.image_data_url[len(prefix) :]) == TINY_PNG
    assert len(captcha.answer) == 4


def test_r_acc_2_captcha_stores_only_a_digest_of_the_answer(ctx: AccountsContext) -> None:
    captcha = svc.issue_captcha(ctx)
    stored = ctx.captchas.take(captcha.captcha_id)
    assert stored is not None
    assert captcha.answer not in stored.answer_digest


def test_r_acc_2_captcha_is_single_use(ctx: AccountsContext) -> None:
    captcha = svc.issue_captcha(ctx)
    svc.redeem_captcha(ctx, captcha.captcha_id, captcha.answer)
    with pytest.raises(InvalidCaptcha):
        svc.redeem_captcha(ctx, captcha.captcha_id, captcha.answer)


def test_r_acc_2_captcha_answer_ignores_case_and_spaces(ctx: AccountsContext) -> None:
    captcha = svc.issue_captcha(ctx)
    svc.redeem_captcha(ctx, captcha.captcha_id, f" {captcha.answer.lower()} ")


def test_r_acc_2_wrong_captcha_answer_consumes_the_captcha(ctx: AccountsContext) -> None:
    captcha = svc.issue_captcha(ctx)
    with pytest.raises(InvalidCaptcha):
        svc.redeem_captcha(ctx, captcha.captcha_id, WRONG_ANSWER)
    with pytest.raises(InvalidCaptcha):
        svc.redeem_captcha(ctx, captcha.captcha_id, captcha.answer)


def test_r_acc_2_captcha_is_short_lived(ctx: AccountsContext, clock: FixedClock) -> None:
    fresh = svc.issue_captcha(ctx)
    stale = svc.issue_captcha(ctx)
    clock.advance(ctx.captcha_seconds - 1)
    svc.redeem_captcha(ctx, fresh.captcha_id, fresh.answer)
    clock.advance(1)
    with pytest.raises(InvalidCaptcha):
        svc.redeem_captcha(ctx, stale.captcha_id, stale.answer)


def test_r_acc_2_unknown_captcha_is_invalid(ctx: AccountsContext) -> None:
    with pytest.raises(InvalidCaptcha):
        svc.redeem_captcha(ctx, "no-such-captcha", "ABCD")


# Registering (R-ACC-1, R-ACC-2)
def test_r_acc_1_register_stores_a_student_account_with_a_hashed_password(ctx: AccountsContext) -> None:
    account_id = register(ctx, "Student@Example.com")
    account = account_of(ctx, EMAIL)
    assert account.account_id == account_id
    assert account.role is Role.STUDENT
    assert account.created_at == NOW
    assert account.agreement_accepted_at is None
    assert PASSWORD not in account.password_hash
    assert account.password_hash.startswith("$argon2id$")


def test_r_acc_1_register_with_an_invalid_login(ctx: AccountsContext) -> None:
    with pytest.raises(InvalidLogin) as raised:
        register(ctx, "not-a-login")
    assert raised.value.code == "INVALID_LOGIN"


def test_r_acc_2_register_with_a_weak_password(ctx: AccountsContext) -> None:
    with pytest.raises(WeakPassword) as raised:
        register(ctx, EMAIL, "password")
    assert raised.value.code == "WEAK_PASSWORD"
    assert ctx.accounts.by_login(EMAIL) is None


def test_r_acc_1_register_needs_the_captcha(ctx: AccountsContext) -> None:
    captcha = svc.issue_captcha(ctx)
    with pytest.raises(InvalidCaptcha):
        svc.register(ctx, EMAIL, PASSWORD, captcha.captcha_id, WRONG_ANSWER)
    assert ctx.accounts.by_login(EMAIL) is None


def test_r_acc_1_login_taken(ctx: AccountsContext) -> None:
    register(ctx)
    with pytest.raises(LoginTaken) as raised:
        register(ctx)
    assert raised.value.code == "LOGIN_TAKEN"


def test_r_acc_1_email_login_is_case_insensitive(ctx: AccountsContext) -> None:
    register(ctx, "student@example.com")
    with pytest.raises(LoginTaken):
        register(ctx, "STUDENT@Example.COM")


def test_r_acc_1_mobile_with_and_without_plus86_is_one_login(ctx: AccountsContext) -> None:
    register(ctx, MOBILE)
    with pytest.raises(LoginTaken):
        register(ctx, f"+86{MOBILE}")


# Logging in (R-ACC-2)
def test_r_acc_2_log_in_issues_a_session(ctx: AccountsContext) -> None:
    account_id = register(ctx)
    captcha = svc.issue_captcha(ctx)
    session = svc.log_in(ctx, EMAIL, PASSWORD, captcha.captcha_id, captcha.answer, "10.0.0.1")
    assert session.expires_at == NOW + timedelta(seconds=ctx.session_seconds)
    assert svc.authenticate(ctx, session.token).account_id == account_id
    assert ctx.sessions.get(session.token) is None  # only the digest is stored


def test_r_acc_1_log_in_with_the_email_in_another_case(ctx: AccountsContext) -> None:
    register(ctx)
    assert svc.authenticate(ctx, log_in(ctx, " Student@EXAMPLE.com ")).login == EMAIL


def test_r_acc_1_log_in_with_a_mobile(ctx: AccountsContext) -> None:
    register(ctx, MOBILE)
    assert svc.authenticate(ctx, log_in(ctx, MOBILE)).login == MOBILE


def test_r_acc_1_log_in_with_the_plus86_form_used_to_register(ctx: AccountsContext) -> None:
    """BUG (chalicelib/services/accounts.py log_in): the login is only stripped and lower-cased,
    not passed through normalize_login, so "+8613800138000" (accepted by register, stored as
    "13800138000") never matches its account: BAD_CREDENTIALS with the right password."""
    register(ctx, f"+86{MOBILE}")
    try:
        token: str | None = log_in(ctx, f"+86{MOBILE}")
    except BadCredentials:
        token = None
    assert token is not None, "BUG: log_in refuses the +86 form of a mobile that register accepted"
    assert svc.authenticate(ctx, token).login == MOBILE


def test_r_acc_2_wrong_password_is_bad_credentials(ctx: AccountsContext) -> None:
    register(ctx)
    with pytest.raises(BadCredentials) as raised:
        log_in(ctx, password="Wrong2026pass")
    assert raised.value.code == "BAD_CREDENTIALS"


def test_r_acc_2_unknown_login_is_the_same_bad_credentials(ctx: AccountsContext) -> None:
    with pytest.raises(BadCredentials):
        log_in(ctx, "nobody@example.com")


def test_r_acc_2_log_in_needs_the_captcha(ctx: AccountsContext) -> None:
    register(ctx)
    with pytest.raises(InvalidCaptcha):
        svc.log_in(ctx, EMAIL, PASSWORD, "no-such-captcha", "ABCD", "10.0.0.1")


def fail_logins(ctx: AccountsContext, times: int, login: str = EMAIL, client: str = "10.0.0.1") -> None:
    for _ in range(times):
        with pytest.raises(BadCredentials):
            log_in(ctx, login, "Wrong2026pass", client)


def test_r_acc_2_five_failures_throttle_the_login(ctx: AccountsContext) -> None:
    register(ctx)
    fail_logins(ctx, svc.MAX_FAILURES_PER_LOGIN)
    with pytest.raises(TooManyAttempts) as raised:
        log_in(ctx)  # even the right password
    assert 0 < raised.value.retry_after <= svc.THROTTLE_WINDOW.total_seconds() + 1
    assert raised.value.code == "TOO_MANY_ATTEMPTS"


def test_r_acc_2_four_failures_do_not_throttle(ctx: AccountsContext) -> None:
    register(ctx)
    fail_logins(ctx, svc.MAX_FAILURES_PER_LOGIN - 1)
    assert log_in(ctx)


def test_r_acc_2_throttled_login_recovers_after_the_window(ctx: AccountsContext, clock: FixedClock) -> None:
    register(ctx)
    fail_logins(ctx, svc.MAX_FAILURES_PER_LOGIN)
    with pytest.raises(TooManyAttempts) as raised:
        log_in(ctx)
    clock.advance(raised.value.retry_after)
    assert log_in(ctx)


def test_r_acc_2_login_throttle_counts_every_client_and_spelling(ctx: AccountsContext) -> None:
    register(ctx)
    for i in range(svc.MAX_FAILURES_PER_LOGIN):
        fail_logins(ctx, 1, EMAIL.upper() if i % 2 else EMAIL, client=f"10.0.0.{i}")
    with pytest.raises(TooManyAttempts):
        log_in(ctx, client="10.9.9.9")


def test_r_acc_2_login_throttle_leaves_other_logins_alone(ctx: AccountsContext) -> None:
    register(ctx)
    register(ctx, MOBILE)
    fail_logins(ctx, svc.MAX_FAILURES_PER_LOGIN)
    assert log_in(ctx, MOBILE)


def test_r_acc_2_client_is_throttled_across_logins(ctx: AccountsContext) -> None:
    register(ctx)
    for i in range(svc.MAX_FAILURES_PER_CLIENT):
        fail_logins(ctx, 1, f"guess{i}@example.com", client="10.6.6.6")
    with pytest.raises(TooManyAttempts):
        log_in(ctx, client="10.6.6.6")
    assert log_in(ctx, client="10.0.0.2")


# Sessions
@pytest.mark.parametrize("token", [None, "", "garbage", "x" * 43])
def test_r_acc_2_missing_or_unknown_token_is_unauthenticated(ctx: AccountsContext, token: str | None) -> None:
    with pytest.raises(Unauthenticated) as raised:
        svc.authenticate(ctx, token)
    assert raised.value.code == "UNAUTHENTICATED"


def test_r_acc_2_session_expires(ctx: AccountsContext, clock: FixedClock) -> None:
    register(ctx)
    token = log_in(ctx)
    clock.advance(ctx.session_seconds - 1)
    svc.authenticate(ctx, token)
    clock.advance(1)
    with pytest.raises(Unauthenticated):
        svc.authenticate(ctx, token)


def test_r_acc_2_logged_out_session_is_revoked(ctx: AccountsContext) -> None:
    register(ctx)
    token = log_in(ctx)
    other = log_in(ctx)
    svc.log_out(ctx, token)
    with pytest.raises(Unauthenticated):
        svc.authenticate(ctx, token)
    svc.authenticate(ctx, other)


# Agreement and roles
def test_r_qual_1_accept_agreement_records_the_time(ctx: AccountsContext, clock: FixedClock) -> None:
    register(ctx)
    clock.advance(60)
    svc.accept_agreement(ctx, account_of(ctx, EMAIL))
    assert account_of(ctx, EMAIL).agreement_accepted_at == NOW + timedelta(seconds=60)


def test_r_ops_3_a_staff_account_not_yet_activated_opens_with_no_password(ctx: AccountsContext) -> None:
    """R-OPS-3: a staff account loaded without a password lets nobody in, whatever is typed."""
    from chalicelib.domain.province import StaffMember
    from chalicelib.services.staff_activation import new_staff_account

    ctx.accounts.create(new_staff_account(StaffMember("new@nju.edu.cn", Role.STAFF, "NJU"), NOW))
    for typed in ("!", "", "Staff2026pass"):
        with pytest.raises(BadCredentials):
            log_in(ctx, "new@nju.edu.cn", typed)


def test_staff_accounts_of_the_province_can_log_in(ctx: AccountsContext) -> None:
    token = log_in(ctx, "staff@nju.edu.cn", factories.STAFF_PASSWORD)
    staff = svc.authenticate(ctx, token)
    assert staff.role is Role.STAFF
    assert svc.require_staff(staff) == "NJU"


def test_require_staff_refuses_a_student(ctx: AccountsContext) -> None:
    register(ctx)
    with pytest.raises(Forbidden):
        svc.require_staff(account_of(ctx, EMAIL))


def test_require_student_refuses_staff(ctx: AccountsContext) -> None:
    register(ctx)
    svc.require_student(account_of(ctx, EMAIL))
    with pytest.raises(Forbidden):
        svc.require_student(account_of(ctx, "staff@seu.edu.cn"))
