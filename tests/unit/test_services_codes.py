"""R-ACC-6: codes sent to an address, with fakes: ASCII mobile logins, keyed code hashes, limits
per address and per client as well as per account, a login change ending the other sessions."""

from __future__ import annotations

import hashlib
import re
from datetime import timedelta

import pytest

from chalicelib.domain.accounts import Account, Role, normalize_login
from chalicelib.domain.clock import FixedClock
from chalicelib.domain.errors import InvalidCode, InvalidLogin
from chalicelib.domain.messages import Message
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
    stored = world.db.codes[(account.account_id, CodePurpose.PASSWORD_RESET.value)]
    assert stored.expires_at == clock.now() + timedelta(hours=24)
    ctx = RecoveryContext(world.accounts, FakeRecovery(world.db), factories.IDENTITY_KEYS)
    recovery.confirm_password_reset(ctx, "new-staff@nju.edu.cn", message.code, NEW_PASSWORD, CLIENT)
    with pytest.raises(InvalidCode):
        recovery.confirm_password_reset(ctx, "new-staff@nju.edu.cn", message.code, NEW_PASSWORD, CLIENT)
