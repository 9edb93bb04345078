"""R-NOTE-2: the account's owner is told of every change to it, with fakes: a password reset (or a
change in 账户设置, the same path) to the login, a login change to the old address and the new,
an admission from the waiting room to the login with the time it lasts. Once per event, and no
code or password in what is said."""

from __future__ import annotations

from datetime import timedelta

import pytest

from chalicelib.domain.accounts import Account
from chalicelib.domain.clock import FixedClock
from chalicelib.domain.errors import InvalidCode
from chalicelib.domain.messages import Message, MessageKind, masked_login
from chalicelib.domain.waiting_room import ORDER_GRACE
from chalicelib.services import accounts as accounts_svc
from chalicelib.services import recovery, waiting_room, waiting_room_admission
from chalicelib.services.recovery import RecoveryContext
from tests import factories
from tests.factories import NOW
from tests.fake_recovery import FakeRecovery
from tests.fakes import FakeContexts
from tests.unit.test_services_waiting_room import OPENING, context, registered

EMAIL = "student@example.com"
MOBILE = "13952044797"
PASSWORD = "Cet2026pass"
NEW_PASSWORD = "Qiuzhi2026xin"
CLIENT = "10.0.0.1"


@pytest.fixture
def codes(world: FakeContexts) -> RecoveryContext:
    return RecoveryContext(world.accounts, FakeRecovery(world.db), factories.IDENTITY_KEYS)


def student(ctx: RecoveryContext, login: str = EMAIL) -> Account:
    captcha = accounts_svc.issue_captcha(ctx.accounts)
    accounts_svc.register(ctx.accounts, login, PASSWORD, captcha.captcha_id, captcha.answer)
    account = ctx.accounts.accounts.by_login(login)
    assert account is not None
    return account


def sent(world: FakeContexts, kind: MessageKind) -> list[Message]:
    return [m for m in world.db.outbox.values() if m.kind is kind]


def reset_code(ctx: RecoveryContext, world: FakeContexts, login: str = EMAIL) -> str:
    captcha = accounts_svc.issue_captcha(ctx.accounts)
    recovery.request_password_reset(ctx, login, captcha.captcha_id, captcha.answer, CLIENT)
    code = [m for m in sent(world, MessageKind.PASSWORD_RESET) if m.to == login][-1].code
    assert code is not None
    return code


def test_r_note_2_a_password_reset_tells_the_login_once(codes: RecoveryContext, world: FakeContexts) -> None:
    """A wrong code changes nothing and tells nobody; the right one sends one `password_changed`
    to the login, in Chinese, with the time and neither the code nor the password."""
    student(codes)
    code = reset_code(codes, world)
    wrong = f"{(int(code) + 1) % 1_000_000:06d}"
    with pytest.raises(InvalidCode):
        recovery.confirm_password_reset(codes, EMAIL, wrong, NEW_PASSWORD, CLIENT)
    assert sent(world, MessageKind.PASSWORD_CHANGED) == []
    recovery.confirm_password_reset(codes, EMAIL, code, NEW_PASSWORD, CLIENT)
    with pytest.raises(InvalidCode):  # the same request again: the code is used, nothing more is sent
        recovery.confirm_password_reset(codes, EMAIL, code, NEW_PASSWORD, CLIENT)
    (message,) = sent(world, MessageKind.PASSWORD_CHANGED)
    assert message.to == EMAIL
    assert message.code is None
    assert "密码已于 2098年9月1日 10:00（北京时间）重新设置" in message.body, message.body
    assert "忘记密码" in message.body
    assert code not in message.body
    assert NEW_PASSWORD not in message.body
    assert message.subject.startswith("密码已重新设置")


def test_r_note_2_a_login_change_tells_the_old_address_and_the_new(codes: RecoveryContext, world: FakeContexts) -> None:
    """One `login_changed` to each address, naming both logins masked, never the code; two
    changes are two events."""
    student(codes)
    captcha = accounts_svc.issue_captcha(codes.accounts)
    token = accounts_svc.log_in(codes.accounts, EMAIL, PASSWORD, captcha.captcha_id, captcha.answer, CLIENT).token
    account = accounts_svc.authenticate(codes.accounts, token)
    recovery.request_login_code(codes, account, MOBILE, CLIENT)
    code = sent(world, MessageKind.LOGIN_CHANGE)[-1].code
    assert code is not None
    recovery.change_login(codes, account, MOBILE, code, PASSWORD, token)
    told = sent(world, MessageKind.LOGIN_CHANGED)
    assert sorted(m.to for m in told) == sorted([EMAIL, MOBILE])
    for message in told:
        assert message.code is None
        assert "由 st***@example.com 更换为 139****4797" in message.body, message.body
        assert code not in message.body
        assert MOBILE not in message.body
        assert EMAIL not in message.body
    assert len({m.event_id for m in told}) == 2
    account = accounts_svc.authenticate(codes.accounts, token)
    recovery.request_login_code(codes, account, "new@example.com", CLIENT)
    back = sent(world, MessageKind.LOGIN_CHANGE)[-1].code
    assert back is not None
    recovery.change_login(codes, account, "new@example.com", back, PASSWORD, token)
    assert sorted(m.to for m in sent(world, MessageKind.LOGIN_CHANGED)) == sorted(
        [EMAIL, MOBILE, MOBILE, "new@example.com"]
    )


def test_r_note_2_an_admission_tells_the_login_once_with_the_time_it_lasts() -> None:
    """Two students queued, the rate admits both in the first minute: each gets one
    `queue_admitted` naming the opening and `admitted_until` in 北京时间; the job run again sends
    nothing more."""
    clock = FixedClock(NOW)
    ctx = context(clock)
    students = [Account(f"acc{n}", f"s{n}@example.cn", "-") for n in range(2)]
    for n, account in enumerate(students):
        ctx.accounts.create(account)
        registered(ctx, account, n)
        waiting_room.join(ctx, account, OPENING.id)
    clock._now = OPENING.opens_at + ORDER_GRACE
    assert waiting_room_admission.run_admission(ctx).admitted == 2
    waiting_room_admission.run_admission(ctx)
    db = ctx.accounts.db  # type: ignore[attr-defined]
    told = [m for m in db.outbox.values() if m.kind is MessageKind.QUEUE_ADMITTED]
    assert sorted(m.to for m in told) == ["s0@example.cn", "s1@example.cn"]
    until = clock.now() + timedelta(minutes=OPENING.pass_minutes)
    assert until.minute == 10  # 11:00:40 + 10 minutes, written to the minute
    for message in told:
        assert message.params == (OPENING.name, "2098年9月1日 11:10"), message.params
        assert f"“{OPENING.name}”的排队已轮到您：请在 2098年9月1日 11:10（北京时间）前" in message.body


@pytest.mark.parametrize(
    ("login", "named"),
    [
        ("13952044797", "139****4797"),
        ("lixiaoming@example.com", "li***@example.com"),
        ("liming@example.com", "li***@example.com"),
        ("limin@example.com", "li***@example.com"),
        ("abcd@example.com", "a***@example.com"),
        ("ab@example.com", "a***@example.com"),
        ("a@example.com", "a***@example.com"),
    ],
)
def test_r_note_2_a_login_named_to_another_address_is_masked_never_whole(login: str, named: str) -> None:
    """R-NOTE-2: the login-change notice names both logins enough to recognise them: a mobile by its
    first three and last four digits, an e-mail by at most two letters, never a short name whole."""
    assert masked_login(login) == named
