"""A forgotten password and a new login (R-ACC-3, R-ACC-4): one-time codes sent to the address.

Nothing here tells whether a login exists: a reset asked for an unknown login answers like any
other, and a code for it is "wrong" like any wrong code. Wrong codes are counted per login and
per client, like failed logins (R-ACC-2); codes asked for, per address and per client as well as
per account, each count a conditional update (R-ACC-6).
"""

from __future__ import annotations

import secrets
import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from chalicelib.domain.accounts import Account, check_password_policy, normalize_login
from chalicelib.domain.errors import BadCredentials, InvalidCode, InvalidLogin, LoginTaken, TooManyAttempts
from chalicelib.domain.identity import CodeKeys
from chalicelib.domain.messages import Message, MessageKind, login_changed, password_changed
from chalicelib.domain.recovery import (
    ACTIVATION_DIGITS,
    CODE_LIFETIME,
    WRONG_TRIES_ALLOWED,
    CodePurpose,
    OneTimeCode,
    code_minutes,
    new_code,
)
from chalicelib.services.accounts import MAX_FAILURES_PER_CLIENT, AccountsContext, check_throttle, redeem_captcha
from chalicelib.services.security import digest

CODES_PER_LOGIN = 5  # codes asked for by one account in a throttle window
# What a 429 tells the student: a code request or a wrong code is not a failed login.
CODES_SENT = "验证码发送过于频繁"
WRONG_CODES = "验证码错误次数过多"
CODES_PER_ADDRESS = 5  # codes sent to one address in a throttle window, whichever account asked (R-ACC-6)
CODES_PER_CLIENT = MAX_FAILURES_PER_CLIENT  # a campus network puts thousands behind one address


@dataclass(frozen=True)
class RecoveryContext:
    accounts: AccountsContext
    codes: RecoveryStore
    keys: CodeKeys  # the province's code key (R-ACC-6, decision 0024)


def code_digest(keys: CodeKeys, account_id: str, purpose: CodePurpose, code: str, version: str | None = None) -> str:
    """Bound to the account and the purpose, so a code is good for nothing else, and keyed
    (R-ACC-6): a copy of the table cannot be tried against the 10^6 codes without the key.
    Under the current key, or `version`'s: a stored code's own (`<version>:...`)."""
    keyed = keys.code_digest(f"{account_id}:{purpose.value}:{code}", version)
    if keyed is None:
        raise InvalidCode()  # made under a key the province no longer has
    return keyed


def _matches(keys: CodeKeys, stored: OneTimeCode, code: str) -> bool:
    """A code kept before codes were keyed (a plain SHA-256, no version) never matches: such codes
    lived minutes (days for staff), and a new one is a request away (decision 0024)."""
    version, keyed, _ = stored.code_digest.partition(":")
    if not keyed:
        return False
    typed = code_digest(keys, stored.account_id, stored.purpose, code, version)
    return secrets.compare_digest(stored.code_digest, typed)


def _to_address(address: str) -> str:
    return f"codes-to#{address}"


def _from_client(client: str) -> str:
    return f"codes-from#{client}"


def _count(accounts: AccountsContext, keys: dict[str, int], window_ends: datetime, now: datetime) -> None:
    """R-ACC-6: one more code under each limit, each by one conditional update, so requests sent
    at once never pass a limit between them (a read first is only for a quick 429)."""
    for key, limit in keys.items():
        if not accounts.throttle.take(key, window_ends, limit):
            raise TooManyAttempts(int((window_ends - now).total_seconds()) + 1, CODES_SENT)


def _login_or_raw(login: str) -> str:
    try:
        return normalize_login(login)
    except InvalidLogin:
        return login.strip().lower()  # no such account: treated like any unknown login


def _send_code(ctx: RecoveryContext, account: Account, purpose: CodePurpose, to: str) -> None:
    now = ctx.accounts.clock.now()
    code = new_code()
    kind = MessageKind.PASSWORD_RESET if purpose is CodePurpose.PASSWORD_RESET else MessageKind.LOGIN_CHANGE
    message = Message(
        f"{purpose.value}#{account.account_id}#{uuid.uuid4().hex}", to, kind, (code, code_minutes()), now, code
    )
    digest_ = code_digest(ctx.keys, account.account_id, purpose, code)
    target = to if purpose is CodePurpose.LOGIN_CHANGE else None
    # Sent by the stream handler, not here: how long a send takes must not tell that the login exists.
    ctx.codes.issue(OneTimeCode(account.account_id, purpose, digest_, now + CODE_LIFETIME, target), message)


def request_password_reset(ctx: RecoveryContext, login: str, captcha_id: str, answer: str, client: str) -> None:
    """R-ACC-3: a code to the login's address, if there is such a login; the same answer if not."""
    accounts = ctx.accounts
    normalized = _login_or_raw(login)
    now = accounts.clock.now()
    # R-ACC-6: per client, then per address (a request the client's limit refuses takes none of the
    # address's); the address is counted whether or not it is a login
    keys = {_from_client(client): CODES_PER_CLIENT, _to_address(normalized): CODES_PER_ADDRESS}
    window_ends = check_throttle(accounts, keys, now, CODES_SENT)
    redeem_captcha(accounts, captcha_id, answer)  # first: nobody fills an address's count without captchas
    _count(accounts, keys, window_ends, now)
    account = accounts.accounts.by_login(normalized)
    if account is not None:
        _send_code(ctx, account, CodePurpose.PASSWORD_RESET, account.login)
    else:  # the same reads and the same write as for an account: the answer's time tells nothing
        decoy = code_digest(ctx.keys, normalized, CodePurpose.PASSWORD_RESET, new_code())
        ctx.codes.decoy(decoy, accounts.clock.now())


def _matching_code(
    ctx: RecoveryContext, account: Account | None, purposes: tuple[CodePurpose, ...], code: str
) -> OneTimeCode:
    """Each try is counted before the code is compared, in one conditional write: requests sent at
    once cannot get more than 5 tries at a code between them (R-ACC-3). The first of `purposes`
    the account has a live code of is the one tried."""
    if account is None:
        raise InvalidCode()
    now = ctx.accounts.clock.now()
    tries = (ctx.codes.take_try(account.account_id, purpose, now) for purpose in purposes)
    tried = next((t for t in tries if t is not None), None)
    if tried is None:
        raise InvalidCode()
    if not _matches(ctx.keys, tried, code.strip()):
        raise InvalidCode()
    return tried


def _reset_purposes(code: str) -> tuple[CodePurpose, ...]:
    """A staff member's 10-digit activation code (R-OPS-3), kept apart from reset codes; one kept
    before it was (as a reset code) is still found."""
    if len(code.strip()) == ACTIVATION_DIGITS:
        return (CodePurpose.ACTIVATION, CodePurpose.PASSWORD_RESET)
    return (CodePurpose.PASSWORD_RESET,)


def confirm_password_reset(ctx: RecoveryContext, login: str, code: str, new_password: str, client: str) -> None:
    """R-ACC-3: the code works once, within 10 minutes, for 5 wrong tries; every session ends."""
    accounts = ctx.accounts
    normalized = _login_or_raw(login)
    check_password_policy(new_password, normalized)
    keys = {f"reset-code#{normalized}": WRONG_TRIES_ALLOWED, f"code-client#{client}": MAX_FAILURES_PER_CLIENT}
    now = accounts.clock.now()
    window_ends = check_throttle(accounts, keys, now, WRONG_CODES)
    account = accounts.accounts.by_login(normalized)
    try:
        stored = _matching_code(ctx, account, _reset_purposes(code), code)
    except InvalidCode:
        failures = [accounts.throttle.add_failure(key, window_ends) for key in keys]
        raise InvalidCode(max(0, WRONG_TRIES_ALLOWED - failures[0])) from None  # the login's tries left
    # R-NOTE-2: written with the code's one use, so one message per change, whatever is retried
    notice = password_changed(f"password_changed#{stored.account_id}#{uuid.uuid4().hex}", normalized, now)
    ctx.codes.reset_password(stored, accounts.passwords.hash(new_password), notice)


def request_login_code(ctx: RecoveryContext, account: Account, new_login: str, client: str) -> None:
    """R-ACC-4: a code to the new address, which no account may have. R-ACC-6: limited per
    account and per client (every request: no testing of logins unmetered) and per address (every
    code sent to it, whichever account asked)."""
    accounts = ctx.accounts
    normalized = normalize_login(new_login)
    now = accounts.clock.now()
    asking = {f"login-code#{account.account_id}": CODES_PER_LOGIN, _from_client(client): CODES_PER_CLIENT}
    address = {_to_address(normalized): CODES_PER_ADDRESS}
    window_ends = check_throttle(accounts, asking | address, now, CODES_SENT)
    _count(accounts, asking, window_ends, now)
    if normalized == account.login or ctx.codes.login_in_use(normalized, now, account.account_id):
        raise LoginTaken()
    _count(accounts, address, window_ends, now)  # only what is sent to it: a taken login is not flooded
    _send_code(ctx, account, CodePurpose.LOGIN_CHANGE, normalized)


def change_login(ctx: RecoveryContext, account: Account, new_login: str, code: str, password: str, token: str) -> str:
    """R-ACC-4: with the current password and the code sent to the new address; the old login
    stops working at once and nobody else may take it for 30 days. R-ACC-6: the session that made
    the change (`token`) stays signed in, every other session of the account ends."""
    accounts = ctx.accounts
    normalized = normalize_login(new_login)
    now = accounts.clock.now()
    key = f"login-change#{account.account_id}"
    window_ends = check_throttle(accounts, {key: WRONG_TRIES_ALLOWED}, now, WRONG_CODES)
    try:
        if not accounts.passwords.verify(account.password_hash, password):
            raise BadCredentials()
        stored = _matching_code(ctx, account, (CodePurpose.LOGIN_CHANGE,), code)
        if stored.target != normalized:
            raise InvalidCode()
    except BadCredentials:
        accounts.throttle.add_failure(key, window_ends)
        raise
    except InvalidCode:
        failures = accounts.throttle.add_failure(key, window_ends)
        raise InvalidCode(max(0, WRONG_TRIES_ALLOWED - failures)) from None
    generation = account.session_generation
    # R-NOTE-2: to the old address and the new, written with the change; the account's generation
    # the change starts names the event (a change is made once at each generation)
    event = f"login_changed#{account.account_id}#{generation + 1}"
    notices = tuple(
        login_changed(f"{event}#{which}", to, account.login, normalized, now)
        for which, to in (("old", account.login), ("new", normalized))
    )
    ctx.codes.change_login(stored, account.login, now, digest(token), generation, notices)
    return normalized


class RecoveryStore(Protocol):
    """One-time codes and what they allow (R-ACC-3, R-ACC-4)."""

    def issue(self, code: OneTimeCode, message: Message) -> None:
        """Keep the code (replacing the account's earlier one of its purpose) and, in the same
        write, the message that carries it."""

    def take_try(self, account_id: str, purpose: CodePurpose, now: datetime) -> OneTimeCode | None:
        """Count one try against the account's code and return it, if it is alive and has tries
        left (5 in all); None otherwise."""

    def decoy(self, key: str, now: datetime) -> None:
        """For a login with no account: the reads and the write a code would cost, and nothing usable."""

    def reset_password(self, code: OneTimeCode, password_hash: str, notice: Message | None = None) -> None:
        """Use the code: set the password and revoke every session, and keep `notice` in the
        outbox, in one write (R-NOTE-2); the account's other code that sets a password (reset or
        activation) goes too. InvalidCode if it was used."""

    def change_login(
        self,
        code: OneTimeCode,
        old_login: str,
        now: datetime,
        keep: str,
        generation: int,
        notices: tuple[Message, ...] = (),
    ) -> None:
        """Use the code: the account's login becomes `code.target`, the old login is retired
        (it signs nobody in, and nobody else takes it for 30 days); the account's sessions of
        `generation` end, but the one whose token digest is `keep` (R-ACC-6); `notices` go to
        the outbox in the same write (R-NOTE-2). LoginTaken, InvalidCode; Unauthenticated when
        that session is gone."""

    def login_in_use(self, login: str, now: datetime, asking: str) -> bool:
        """True while an account has the login, or another account than `asking` gave it up
        less than 30 days ago."""
