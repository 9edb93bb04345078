"""Rehash on login against a password set at the same moment (R-ACC-2, R-ACC-3, decision 0018):
the conditional write on moto and DynamoDB Local alike, in a fixed interleaving; real threads on
DynamoDB Local only."""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Callable
from dataclasses import replace

import pytest

from chalicelib.bootstrap import Services, build_services
from chalicelib.config import Settings
from chalicelib.domain.accounts import Account
from chalicelib.domain.clock import FixedClock
from chalicelib.domain.errors import BadCredentials
from chalicelib.domain.messages import Message, MessageKind
from chalicelib.domain.recovery import CODE_LIFETIME, CodePurpose, OneTimeCode
from chalicelib.services import accounts as svc
from chalicelib.services.accounts import AccountsContext
from chalicelib.services.recovery import code_digest
from chalicelib.services.security import Argon2Passwords, hash_parameters
from tests import factories
from tests.race import all_at_once

NOW = factories.NOW
LOGIN = "student1@example.edu.cn"
OLD_PASSWORD = "Cet2026pass"
NEW_PASSWORD = "Reset2026pass"
OLD = Argon2Passwords(memory_kib=1024, time_cost=1)
NEW = Argon2Passwords(memory_kib=2048, time_cost=2)


class HashingHook(Argon2Passwords):
    """The current parameters, calling `before_hash` when the login's new hash is being made:
    after the password was verified, before the conditional write."""

    def __init__(self, before_hash: Callable[[], None]) -> None:
        super().__init__(memory_kib=2048, time_cost=2)
        self.before_hash = before_hash

    def hash(self, password: str) -> str:
        self.before_hash()
        return super().hash(password)


def with_old_hash(built: Services) -> Account:
    account = Account("acc1", LOGIN, OLD.hash(OLD_PASSWORD), created_at=NOW)
    built.accounts.accounts.create(account)
    return account


def reset_code(built: Services, account: Account, code: str = "111111") -> OneTimeCode:
    """A password-reset code for the account, as R-ACC-3 issues it."""
    purpose = CodePurpose.PASSWORD_RESET
    digest = code_digest(factories.IDENTITY_KEYS, account.account_id, purpose, code)
    issued = OneTimeCode(account.account_id, purpose, digest, NOW + CODE_LIFETIME)
    message = Message(f"reset#{account.account_id}#1", LOGIN, MessageKind.PASSWORD_RESET, (code, "10"), NOW, code)
    built.recovery.codes.issue(issued, message)
    return issued


def log_in(ctx: AccountsContext, password: str) -> str:
    captcha = svc.issue_captcha(ctx)
    return svc.log_in(ctx, LOGIN, password, captcha.captcha_id, captcha.answer, "10.0.0.1").token


def stored_hash(built: Services) -> str:
    account = built.accounts.accounts.get("acc1")
    assert account is not None
    return account.password_hash


@pytest.fixture
def built(table: Settings) -> Services:
    return build_services(table, FixedClock(NOW))


def test_r_acc_2_the_rehash_is_stored_only_over_the_hash_that_was_verified(built: Services) -> None:
    """R-ACC-2: the write names the hash it replaces; over any other it stores nothing."""
    account = with_old_hash(built)
    store = built.accounts.accounts
    assert store.replace_password_hash("acc1", "not-the-stored-hash", NEW.hash(OLD_PASSWORD)) is False
    assert stored_hash(built) == account.password_hash
    assert store.replace_password_hash("nobody", account.password_hash, NEW.hash(OLD_PASSWORD)) is False
    assert built.accounts.accounts.get("nobody") is None
    assert store.replace_password_hash("acc1", account.password_hash, NEW.hash(OLD_PASSWORD)) is True
    assert hash_parameters(stored_hash(built)) == "argon2id m=2048 t=2 p=1"


def test_r_acc_2_a_login_rehashes_on_the_real_table_and_still_signs_in(built: Services) -> None:
    """R-ACC-2: after the parameters changed, a login replaces the old hash; both the stored hash
    and the next login work with the same password."""
    with_old_hash(built)
    ctx = replace(built.accounts, passwords=NEW)
    log_in(ctx, OLD_PASSWORD)
    assert hash_parameters(stored_hash(built)) == "argon2id m=2048 t=2 p=1"
    assert log_in(ctx, OLD_PASSWORD)


def test_r_acc_3_a_password_reset_between_verify_and_rehash_wins(built: Services) -> None:
    """R-ACC-2 with R-ACC-3, in a fixed interleaving (no concurrency claimed): the login verified
    the old password, then the password is reset, then the login's rehash comes: it is not stored,
    the new password signs in and the old one no longer does."""
    account = with_old_hash(built)
    code = reset_code(built, account)

    def reset_now() -> None:
        built.recovery.codes.reset_password(code, NEW.hash(NEW_PASSWORD))

    log_in(replace(built.accounts, passwords=HashingHook(reset_now)), OLD_PASSWORD)
    assert NEW.verify(stored_hash(built), NEW_PASSWORD)
    assert not NEW.verify(stored_hash(built), OLD_PASSWORD)
    ctx = replace(built.accounts, passwords=NEW)
    assert log_in(ctx, NEW_PASSWORD)
    with pytest.raises(BadCredentials):
        log_in(ctx, OLD_PASSWORD)


@pytest.mark.dynamodb_local
def test_r_acc_3_logins_racing_a_password_reset_never_bring_the_old_password_back(local_table: Settings) -> None:
    """R-ACC-2 with R-ACC-3, real threads on DynamoDB Local: ten logins with the old password and
    one password reset, released together once every login has verified; five rehashes race the
    reset, five are held until it has committed (DynamoDB Local may take seconds for it). Whatever
    the order, the reset wins: the stored hash is the new password's and the old one is refused."""
    built = build_services(local_table, FixedClock(NOW))
    account = with_old_hash(built)
    code = reset_code(built, account)
    verified = threading.Barrier(11)
    reset_done = threading.Event()
    held = iter([True] * 5 + [False] * 5)
    take_turn = threading.Lock()

    def after_verifying() -> None:
        with take_turn:
            wait_for_reset = next(held)
        verified.wait(timeout=30)
        if wait_for_reset:
            reset_done.wait(timeout=30)

    ctx = replace(built.accounts, passwords=HashingHook(after_verifying))

    def login() -> str:
        log_in(ctx, OLD_PASSWORD)
        return "signed in"

    def reset() -> str:
        verified.wait(timeout=30)
        built.recovery.codes.reset_password(code, NEW.hash(NEW_PASSWORD))
        reset_done.set()
        return "reset"

    outcomes = Counter(str(result) for result in all_at_once([login] * 10 + [reset]))
    assert outcomes == {"signed in": 10, "reset": 1}, outcomes
    assert NEW.verify(stored_hash(built), NEW_PASSWORD)
    assert not NEW.verify(stored_hash(built), OLD_PASSWORD)
