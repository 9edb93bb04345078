"""Captchas, accounts, sessions and login throttling (R-ACC-1, R-ACC-2)."""

from __future__ import annotations

import base64
import secrets
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from chalicelib.domain.accounts import (
    REHEARSAL_ANSWER_LENGTH,
    Account,
    Captcha,
    Role,
    Session,
    check_password_policy,
    normalize_login,
    rehearsal_answer,
)
from chalicelib.domain.clock import Clock
from chalicelib.domain.errors import (
    BadCredentials,
    Forbidden,
    InvalidCaptcha,
    InvalidLogin,
    TooManyAttempts,
    Unauthenticated,
)
from chalicelib.domain.registration import AccountFile
from chalicelib.logs import logger
from chalicelib.services.accounts_ports import (
    AccountFiles,
    AccountStore,
    CaptchaPainter,
    CaptchaStore,
    SessionStore,
    ThrottleStore,
)
from chalicelib.services.security import (
    Argon2Passwords,
    digest,
    hash_parameters,
    new_token,
    random_captcha_text,
)

THROTTLE_WINDOW = timedelta(minutes=15)
MAX_FAILURES_PER_LOGIN = 5
# A campus network puts thousands of students behind one address at the opening minute.
MAX_FAILURES_PER_CLIENT = 200


@dataclass(frozen=True)
class IssuedCaptcha:
    captcha_id: str
    image_data_url: str
    answer: str


@dataclass(frozen=True)
class IssuedSession:
    token: str
    expires_at: datetime


@dataclass(frozen=True)
class AccountsContext:
    accounts: AccountStore
    sessions: SessionStore
    captchas: CaptchaStore
    throttle: ThrottleStore
    passwords: Argon2Passwords
    painter: CaptchaPainter
    clock: Clock
    captcha_seconds: int
    session_seconds: int
    # A staging stack's rehearsal key (decision 0038), None on every other stack: whoever holds it
    # answers the stack's captchas, each still single-use and short-lived.
    rehearsal_key: Callable[[], bytes | None] = field(default=lambda: None)


def issue_captcha(ctx: AccountsContext) -> IssuedCaptcha:
    text = random_captcha_text()
    captcha_id = secrets.token_urlsafe(16)
    expires_at = ctx.clock.now() + timedelta(seconds=ctx.captcha_seconds)
    ctx.captchas.save(Captcha(captcha_id, digest(text), expires_at))
    image = base64.b64encode(ctx.painter.paint(text)).decode()
    return IssuedCaptcha(captcha_id, f"data:image/png;base64,{image}", text)


def redeem_captcha(ctx: AccountsContext, captcha_id: str, answer: str) -> None:
    """R-ACC-2: single use (taken even when wrong) and short-lived."""
    captcha = ctx.captchas.take(captcha_id)
    if captcha is None or ctx.clock.now() >= captcha.expires_at:
        raise InvalidCaptcha()
    if _rehearsal_answered(ctx, captcha_id, answer.strip()):
        return
    if not secrets.compare_digest(captcha.answer_digest, digest(answer.strip().upper())):
        raise InvalidCaptcha()


def _rehearsal_answered(ctx: AccountsContext, captcha_id: str, answer: str) -> bool:
    """The rehearsal's answer on a staging stack (decision 0038); never asked for a student's."""
    if len(answer) != REHEARSAL_ANSWER_LENGTH:
        return False
    key = ctx.rehearsal_key()
    return key is not None and secrets.compare_digest(answer.encode(), rehearsal_answer(key, captcha_id).encode())


def register(ctx: AccountsContext, login: str, password: str, captcha_id: str, answer: str) -> str:
    normalized = normalize_login(login)
    check_password_policy(password, normalized)
    redeem_captcha(ctx, captcha_id, answer)
    account = Account(
        account_id=uuid.uuid4().hex,
        login=normalized,
        password_hash=ctx.passwords.hash(password),
        created_at=ctx.clock.now(),
    )
    ctx.accounts.create(account)
    return account.account_id


def _window_ends(now: datetime) -> datetime:
    window = int(THROTTLE_WINDOW.total_seconds())
    start = int(now.timestamp()) // window * window
    return datetime.fromtimestamp(start + window, tz=now.tzinfo)


def check_throttle(
    ctx: AccountsContext, keys: dict[str, int], now: datetime, what: str = "登录失败次数过多"
) -> datetime:
    window_ends = _window_ends(now)
    for key, limit in keys.items():
        if ctx.throttle.failures(key, window_ends) >= limit:
            raise TooManyAttempts(int((window_ends - now).total_seconds()) + 1, what)
    return window_ends


def log_in(ctx: AccountsContext, login: str, password: str, captcha_id: str, answer: str, client: str) -> IssuedSession:
    """R-ACC-2: failed logins are counted per account and per client and throttled."""
    now = ctx.clock.now()
    try:
        normalized = normalize_login(login)
    except InvalidLogin:
        normalized = login.strip().lower()  # no such account: fails below like a wrong password
    keys = {f"login#{normalized}": MAX_FAILURES_PER_LOGIN, f"client#{client}": MAX_FAILURES_PER_CLIENT}
    window_ends = check_throttle(ctx, keys, now)
    redeem_captcha(ctx, captcha_id, answer)
    account = ctx.accounts.by_login(normalized)
    if account is None or not account.activated:  # a staff account not activated costs the same (R-OPS-3)
        ctx.passwords.spend_time(password)
    if account is None or not ctx.passwords.verify(account.password_hash, password):
        for key in keys:
            ctx.throttle.add_failure(key, window_ends)
        raise BadCredentials()
    if ctx.passwords.needs_rehash(account.password_hash):
        rehash_password(ctx, account, password)
    token = new_token()
    expires_at = now + timedelta(seconds=ctx.session_seconds)
    ctx.sessions.save(Session(digest(token), account.account_id, expires_at, account.session_generation))
    return IssuedSession(token, expires_at)


def rehash_password(ctx: AccountsContext, account: Account, password: str) -> bool:
    """R-ACC-2 (decision 0018): a password just proven, whose hash was made with other parameters,
    is hashed again with the current ones; a password set in the meantime wins. Whether it was.
    Never at the cost of the login: a store that does not answer leaves it for the next login."""
    shown = {"from": hash_parameters(account.password_hash), "to": ctx.passwords.parameters}
    new_hash = ctx.passwords.hash(password)
    try:
        stored = ctx.accounts.replace_password_hash(account.account_id, account.password_hash, new_hash)
    except Exception as error:  # optional work: the login it follows stands
        logger().warning(
            "password not rehashed: the store did not answer", extra={**shown, "error": type(error).__name__}
        )
        return False
    logger().info("password rehashed" if stored else "password set meanwhile: not rehashed", extra=shown)
    return stored


def authenticate(ctx: AccountsContext, token: str | None) -> Account:
    session = _live_session(ctx, token)
    account = ctx.accounts.get(session.account_id)
    return _signed_in(account, session)


def authenticate_file(ctx: AccountsContext, files: AccountFiles, token: str | None) -> tuple[Account, AccountFile]:
    """Like `authenticate`, with the account read along with its partition: the session and one
    query are all a student request reads (GET /me, the oral grab)."""
    session = _live_session(ctx, token)
    file = files.file(session.account_id)
    return _signed_in(file.account, session), file


def _live_session(ctx: AccountsContext, token: str | None) -> Session:
    if not token:
        raise Unauthenticated()
    session = ctx.sessions.get(digest(token))
    if session is None or ctx.clock.now() >= session.expires_at:
        raise Unauthenticated()
    return session


def _signed_in(account: Account | None, session: Session) -> Account:
    if account is None or account.session_generation != session.generation:
        raise Unauthenticated()  # R-ACC-3: a new password revoked the sessions before it
    return account


def log_out(ctx: AccountsContext, token: str) -> None:
    ctx.sessions.revoke(digest(token))


def accept_agreement(ctx: AccountsContext, account: Account) -> None:
    """R-QUAL-1."""
    ctx.accounts.accept_agreement(account.account_id, ctx.clock.now())


def require_staff(account: Account) -> str:
    if account.role is not Role.STAFF or account.school_id is None:
        raise Forbidden("该功能仅限学校负责老师使用。")
    return account.school_id


def require_student(account: Account) -> None:
    if account.role is not Role.STUDENT:
        raise Forbidden("学校负责老师账号不能报名。")
