"""R-ACC-6: codes sent to an address, with fakes: ASCII mobile logins, keyed code hashes, limits
per address and per client as well as per account, a login change ending the other sessions."""

from __future__ import annotations

import hashlib
import re
from datetime import timedelta

import pytest

from chalicelib.domain.accounts import Account, Role, normalize_login
from chalicelib.domain.clock import FixedClock
from chalicelib.domain.errors import (
    BadCredentials,
    InvalidCode,
    InvalidLogin,
    LoginTaken,
    TooManyAttempts,
    Unauthenticated,
)
from chalicelib.domain.messages import Message, MessageKind
from chalicelib.domain.province import StaffMember
from chalicelib.domain.recovery import CODE_LIFETIME, CodePurpose, OneTimeCode
from chalicelib.protection.keys import ring_from_secret
from chalicelib.services import accounts as accounts_svc
from chalicelib.services import recovery
from chalicelib.services.recovery import RecoveryContext
from chalicelib.services.staff_activation import activate_staff
from tests import factories
from tests.factories import NOW
from tests.fake_recovery import FakeRecovery
from tests.fakes import FakeAccounts, FakeActivations, FakeContexts

FULL_WIDTH_SEVEN = "\uff17"
ARABIC_INDIC_SEVEN = "\u0667"
EMAIL = "student@example.com"
MOBILE = "13952044797"
PASSWORD = "Cet2026pass"
NEW_PASSWORD = "Qiuzhi2026xin"
CLIENT = "10.0.0.1"


@pytest.mark.parametrize(
    "raw",
    [
        "1395204479" + FULL_WIDTH_SEVEN,
        "1395204479" + ARABIC_INDIC_SEVEN,
        "\uff11\uff13\uff19\uff15\uff12\uff10\uff14\uff14\uff17\uff19\uff17",  # all full-width
        "1395204479\u09ed",  # Bengali seven
        "+86 1395204479" + FULL_WIDTH_SEVEN,
    ],
)
def test_r_acc_6_a_mobile_login_is_ascii_digits_only(raw: str) -> None:
    """Other scripts' digits are refused, never read as another login (fails on the old code: `\\d`)."""
    assert normalize_login("13952044797") == "13952044797"
    with pytest.raises(InvalidLogin):
        normalize_login(raw)


@pytest.mark.parametrize(
    "raw", ["li" + FULL_WIDTH_SEVEN + "@example.com", "li@example\uff0ecom", "l\u0131@example.com"]
)
def test_r_acc_6_an_email_login_is_ascii_only(raw: str) -> None:
    with pytest.raises(InvalidLogin):
        normalize_login(raw)


# Codes kept only as a keyed hash


@pytest.fixture
def codes(world: FakeContexts) -> RecoveryContext:
    return RecoveryContext(world.accounts, FakeRecovery(world.db), factories.IDENTITY_KEYS)


def student(ctx: RecoveryContext, login: str = EMAIL) -> Account:
    captcha = accounts_svc.issue_captcha(ctx.accounts)
    accounts_svc.register(ctx.accounts, login, PASSWORD, captcha.captcha_id, captcha.answer)
    account = ctx.accounts.accounts.by_login(login)
    assert account is not None
    return account


def log_in(ctx: RecoveryContext, login: str = EMAIL) -> str:
    captcha = accounts_svc.issue_captcha(ctx.accounts)
    return accounts_svc.log_in(ctx.accounts, login, PASSWORD, captcha.captcha_id, captcha.answer, CLIENT).token


def ask_reset(ctx: RecoveryContext, login: str, client: str = CLIENT) -> None:
    captcha = accounts_svc.issue_captcha(ctx.accounts)
    recovery.request_password_reset(ctx, login, captcha.captcha_id, captcha.answer, client)


def sent(world: FakeContexts, to: str) -> list[Message]:
    return [m for m in world.db.outbox.values() if m.to == to]


def test_r_acc_6_a_code_is_kept_as_an_hmac_under_the_province_key(codes: RecoveryContext, world: FakeContexts) -> None:
    """The stored digest is `<key version>:<HMAC-SHA256>`: not the old SHA-256 of
    `account:purpose:code`, not what another key makes, and the code still works (fails on the old
    code: a bare SHA-256)."""
    account = student(codes)
    ask_reset(codes, EMAIL)
    (message,) = sent(world, EMAIL)
    assert message.code is not None
    stored = world.db.codes[(account.account_id, CodePurpose.PASSWORD_RESET.value)]
    text = f"{account.account_id}:reset:{message.code}"
    assert stored.code_digest != hashlib.sha256(text.encode()).hexdigest()
    assert stored.code_digest.startswith(f"{factories.RING.current}:")
    other_ring = ring_from_secret({"current": "local", "vlocal": "another-province-key-another-province-key"})
    assert other_ring.code_digest(text) != stored.code_digest
    recovery.confirm_password_reset(codes, EMAIL, message.code, NEW_PASSWORD, CLIENT)


def test_r_acc_3_the_reset_code_has_six_digits_and_the_message_says_it_lives_10_minutes(
    codes: RecoveryContext, world: FakeContexts
) -> None:
    student(codes)
    ask_reset(codes, EMAIL)
    (message,) = sent(world, EMAIL)
    assert message.code is not None
    assert re.fullmatch(r"[0-9]{6}", message.code), message.code
    assert f"验证码为 {message.code}，10 分钟内有效，仅可使用一次" in message.body, message.body


def test_r_acc_6_a_code_kept_in_the_old_form_no_longer_works(codes: RecoveryContext, world: FakeContexts) -> None:
    """Decision 0024: a code stored as the old plain SHA-256 before the change stops verifying."""
    account = student(codes)
    text = f"{account.account_id}:reset:123456"
    old = OneTimeCode(
        account.account_id, CodePurpose.PASSWORD_RESET, hashlib.sha256(text.encode()).hexdigest(), NOW + CODE_LIFETIME
    )
    world.db.codes[(account.account_id, CodePurpose.PASSWORD_RESET.value)] = old
    with pytest.raises(InvalidCode):
        recovery.confirm_password_reset(codes, EMAIL, "123456", NEW_PASSWORD, CLIENT)


def test_r_acc_6_an_activation_code_has_ten_digits_and_lives_a_day(world: FakeContexts, clock: FixedClock) -> None:
    """R-OPS-3 with R-ACC-6: longer and shorter-lived than the 6-digit code of 72 hours it was
    (fails on the old code); the message says so in Chinese; the code sets the password once."""
    staff = (StaffMember("new-staff@nju.edu.cn", Role.STAFF, "NJU"),)
    accounts = FakeAccounts(world.db)
    activate_staff(accounts, FakeActivations(world.db), staff, "load-2", clock.now(), factories.RING)
    (message,) = sent(world, "new-staff@nju.edu.cn")
    assert message.code is not None
    assert re.fullmatch(r"[0-9]{10}", message.code), message.code
    assert f"激活码为 {message.code}，24 小时内有效" in message.body, message.body
    account = accounts.by_login("new-staff@nju.edu.cn")
    assert account is not None
    stored = world.db.codes[(account.account_id, CodePurpose.ACTIVATION.value)]
    assert stored.expires_at == clock.now() + timedelta(hours=24)
    ctx = RecoveryContext(world.accounts, FakeRecovery(world.db), factories.IDENTITY_KEYS)
    recovery.confirm_password_reset(ctx, "new-staff@nju.edu.cn", message.code, NEW_PASSWORD, CLIENT)
    with pytest.raises(InvalidCode):
        recovery.confirm_password_reset(ctx, "new-staff@nju.edu.cn", message.code, NEW_PASSWORD, CLIENT)


def test_r_ops_3_the_mailed_activation_code_works_after_a_reset_code_was_asked_for(
    world: FakeContexts, clock: FixedClock
) -> None:
    """R-OPS-3, R-ACC-3: a staff member who asks 忘记密码 for a code first still sets the password
    with the mailed activation code (fails on the old code: the new reset code replaced it); the
    reset code is then dead too, and a reset code that set the password kills the activation code."""
    staff = (StaffMember("new-staff@nju.edu.cn", Role.STAFF, "NJU"), StaffMember("other@nju.edu.cn", Role.STAFF, "NJU"))
    activate_staff(FakeAccounts(world.db), FakeActivations(world.db), staff, "load-2", clock.now(), factories.RING)
    ctx = RecoveryContext(world.accounts, FakeRecovery(world.db), factories.IDENTITY_KEYS)
    (activation,) = sent(world, "new-staff@nju.edu.cn")
    ask_reset(ctx, "new-staff@nju.edu.cn")
    reset = sent(world, "new-staff@nju.edu.cn")[-1]
    assert activation.code is not None
    assert reset.code is not None
    assert reset.kind is MessageKind.PASSWORD_RESET
    recovery.confirm_password_reset(ctx, "new-staff@nju.edu.cn", activation.code, NEW_PASSWORD, CLIENT)
    with pytest.raises(InvalidCode):
        recovery.confirm_password_reset(ctx, "new-staff@nju.edu.cn", reset.code, "Another2026pw", CLIENT)
    (other_activation,) = sent(world, "other@nju.edu.cn")
    ask_reset(ctx, "other@nju.edu.cn")
    other_reset = sent(world, "other@nju.edu.cn")[-1].code
    assert other_reset is not None
    assert other_activation.code is not None
    recovery.confirm_password_reset(ctx, "other@nju.edu.cn", other_reset, NEW_PASSWORD, CLIENT)
    with pytest.raises(InvalidCode):
        recovery.confirm_password_reset(ctx, "other@nju.edu.cn", other_activation.code, "Another2026pw", CLIENT)


# Limits per address and per client, besides per account


def ask_login_code(ctx: RecoveryContext, account: Account, new: str, client: str = CLIENT) -> None:
    recovery.request_login_code(ctx, account, new, client)


def test_r_acc_6_three_accounts_send_at_most_five_codes_to_one_address(
    codes: RecoveryContext, world: FakeContexts
) -> None:
    """The probe: three accounts asked 15 login-change codes for one number nobody uses. Five
    reach it, the rest are 429 with the window's Retry-After (fails on the old code: 15 sent)."""
    askers = [student(codes, f"asker{n}@example.com") for n in range(3)]
    refused = []
    for account in askers:
        for _ in range(5):
            try:
                ask_login_code(codes, account, MOBILE, client=f"10.0.1.{len(refused)}")
            except TooManyAttempts as error:
                refused.append(error.retry_after)
    assert len(sent(world, MOBILE)) == 5
    assert len(refused) == 10
    assert all(0 < seconds <= 15 * 60 + 1 for seconds in refused), refused


def test_r_acc_6_the_address_limit_is_shared_by_resets_and_login_changes_known_login_or_not(
    codes: RecoveryContext, world: FakeContexts
) -> None:
    """An address given five login-change codes is refused a sixth code of any kind; an unknown
    login and a known one answer a reset alike (R-ACC-3)."""
    asker = student(codes, "asker@example.com")
    for _ in range(5):
        ask_login_code(codes, asker, MOBILE)
    with pytest.raises(TooManyAttempts):
        ask_reset(codes, MOBILE)
    student(codes, EMAIL)
    for login in (EMAIL, "nobody@example.com"):
        for _ in range(5):
            ask_reset(codes, login)
        with pytest.raises(TooManyAttempts):
            ask_reset(codes, login)
    assert len(sent(world, EMAIL)) == 5
    assert sent(world, "nobody@example.com") == []


def test_r_acc_6_a_taken_login_asked_for_is_not_counted_against_its_owner(
    codes: RecoveryContext, world: FakeContexts
) -> None:
    """Login-change codes refused as LOGIN_TAKEN send nothing and leave the owner's resets alone."""
    student(codes, EMAIL)
    for n in range(3):
        asker = student(codes, f"asker{n}@example.com")
        for _ in range(5):
            with pytest.raises(LoginTaken):
                ask_login_code(codes, asker, EMAIL, client=f"10.0.2.{n}")
    ask_reset(codes, EMAIL)
    assert len(sent(world, EMAIL)) == 1


def test_r_acc_6_codes_are_limited_per_client_across_addresses_and_kinds(
    codes: RecoveryContext, world: FakeContexts
) -> None:
    """One client asks codes for 200 different addresses: the next code it asks for, of any kind,
    is 429; another client is not held back (fails on the old code for login changes)."""
    for n in range(recovery.CODES_PER_CLIENT):
        ask_reset(codes, f"someone{n}@example.com", client="10.9.9.9")
    asker = student(codes, "asker@example.com")
    with pytest.raises(TooManyAttempts):
        ask_login_code(codes, asker, MOBILE, client="10.9.9.9")
    with pytest.raises(TooManyAttempts):
        ask_reset(codes, "someone-else@example.com", client="10.9.9.9")
    ask_login_code(codes, asker, MOBILE, client="10.9.9.10")
    assert len(sent(world, MOBILE)) == 1


# A login change ends the other sessions


def test_r_acc_6_a_login_change_ends_every_other_session_and_keeps_the_one_that_made_it(
    codes: RecoveryContext, world: FakeContexts
) -> None:
    """Two sessions (a phone, a shared computer); the change made on the phone signs the other
    out and the phone stays in (fails on the old code: the other session stayed signed in)."""
    student(codes, EMAIL)
    phone, other = log_in(codes), log_in(codes)
    account = accounts_svc.authenticate(codes.accounts, phone)
    ask_login_code(codes, account, MOBILE)
    code = sent(world, MOBILE)[-1].code
    assert code is not None
    assert recovery.change_login(codes, account, MOBILE, code, PASSWORD, phone) == MOBILE
    assert accounts_svc.authenticate(codes.accounts, phone).login == MOBILE
    with pytest.raises(Unauthenticated):
        accounts_svc.authenticate(codes.accounts, other)
    assert log_in(codes, MOBILE)  # a new session works as before


def login_change_asked(codes: RecoveryContext, world: FakeContexts) -> tuple[Account, str, str]:
    """A signed-in student asked for a code to change its login to MOBILE: its account, session and code."""
    student(codes, EMAIL)
    token = log_in(codes)
    account = accounts_svc.authenticate(codes.accounts, token)
    ask_login_code(codes, account, MOBILE)
    code = sent(world, MOBILE)[-1].code
    assert code is not None
    return account, token, code


def next_code(code: str) -> str:
    """A wrong code: the one after the code sent."""
    return f"{(int(code) + 1) % 1_000_000:06d}"


def test_r_acc_4_a_wrong_login_change_code_says_the_tries_left(codes: RecoveryContext, world: FakeContexts) -> None:
    """R-ACC-3/4: each wrong code says how many tries are left, the last that none are."""
    account, token, code = login_change_asked(codes, world)
    wrong = next_code(code)
    said, told = [], []
    for _ in range(5):
        with pytest.raises(InvalidCode) as refused:
            recovery.change_login(codes, account, MOBILE, wrong, PASSWORD, token)
        said.append(refused.value.tries_left)
        told.append(str(refused.value))
    assert said == [4, 3, 2, 1, 0]
    assert "最多还可再试 4 次" in told[0]
    assert "最多还可再试 1 次" in told[3]
    assert "输错次数已用完" in told[4]


def log_in_with(ctx: RecoveryContext, password: str) -> str:
    captcha = accounts_svc.issue_captcha(ctx.accounts)
    return accounts_svc.log_in(ctx.accounts, EMAIL, password, captcha.captcha_id, captcha.answer, "10.0.0.9").token


def test_r_acc_3_the_new_password_set_with_the_code_logs_in_and_the_old_one_no_longer_does(
    codes: RecoveryContext, world: FakeContexts
) -> None:
    student(codes)
    ask_reset(codes, EMAIL)
    (message,) = sent(world, EMAIL)
    assert message.code is not None
    recovery.confirm_password_reset(codes, EMAIL, message.code, NEW_PASSWORD, CLIENT)
    assert log_in_with(codes, NEW_PASSWORD)
    with pytest.raises(BadCredentials):
        log_in_with(codes, PASSWORD)


def test_r_acc_3_five_wrong_reset_codes_say_the_tries_left_then_the_right_one_is_refused_too(
    codes: RecoveryContext, world: FakeContexts
) -> None:
    """R-ACC-3: 5 wrong tries; after them, the code that was sent no longer sets a password."""
    student(codes)
    ask_reset(codes, EMAIL)
    (message,) = sent(world, EMAIL)
    assert message.code is not None
    wrong = next_code(message.code)
    said = []
    for _ in range(5):
        with pytest.raises(InvalidCode) as refused:
            recovery.confirm_password_reset(codes, EMAIL, wrong, NEW_PASSWORD, CLIENT)
        said.append(refused.value.tries_left)
    assert said == [4, 3, 2, 1, 0]
    with pytest.raises((InvalidCode, TooManyAttempts)):
        recovery.confirm_password_reset(codes, EMAIL, message.code, NEW_PASSWORD, CLIENT)
    assert log_in_with(codes, PASSWORD)


def test_r_acc_4_after_five_wrong_login_change_codes_the_right_one_is_refused_too(
    codes: RecoveryContext, world: FakeContexts
) -> None:
    account, token, code = login_change_asked(codes, world)
    wrong = next_code(code)
    for _ in range(5):
        with pytest.raises(InvalidCode):
            recovery.change_login(codes, account, MOBILE, wrong, PASSWORD, token)
    with pytest.raises((InvalidCode, TooManyAttempts)):
        recovery.change_login(codes, account, MOBILE, code, PASSWORD, token)
    assert accounts_svc.authenticate(codes.accounts, token).login == EMAIL
