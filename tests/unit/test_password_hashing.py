"""argon2 parameters per stage and rehash on login (R-ACC-2, decision 0018), on the fakes; the
conditional write on moto and DynamoDB Local is in tests/integration/test_password_rehash.py."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import replace

import pytest

from chalicelib.bootstrap import UnsafeSetting, build_services
from chalicelib.config import ARGON2_MIN_MEMORY_KIB, ARGON2_MIN_TIME_COST, settings, weak_password_hashing
from chalicelib.domain.clock import FixedClock
from chalicelib.domain.errors import BadCredentials
from chalicelib.logs import logger
from chalicelib.services import accounts as svc
from chalicelib.services.accounts import AccountsContext
from chalicelib.services.security import Argon2Passwords, hash_parameters
from tests.e2e.logs import Lines
from tests.factories import NOW
from tests.fakes import fake_contexts

PASSWORD = "Cet2026pass"
LOGIN = "student@example.com"
OLD = Argon2Passwords(memory_kib=1024, time_cost=1)
NEW = Argon2Passwords(memory_kib=2048, time_cost=2)


@pytest.fixture
def service_log() -> Iterator[Lines]:
    lines = Lines()
    logger().addHandler(lines)
    yield lines
    logger().removeHandler(lines)


def registered_with_old_parameters() -> AccountsContext:
    ctx = replace(fake_contexts(FixedClock(NOW)).accounts, passwords=OLD)
    captcha = svc.issue_captcha(ctx)
    svc.register(ctx, LOGIN, PASSWORD, captcha.captcha_id, captcha.answer)
    return replace(ctx, passwords=NEW)  # the stage's parameters changed since


def log_in(ctx: AccountsContext, password: str = PASSWORD) -> str:
    captcha = svc.issue_captcha(ctx)
    return svc.log_in(ctx, LOGIN, password, captcha.captcha_id, captcha.answer, "10.0.0.1").token


def stored_hash(ctx: AccountsContext) -> str:
    account = ctx.accounts.by_login(LOGIN)
    assert account is not None
    return account.password_hash


# Rehash on login
def test_r_acc_2_a_hash_made_with_old_parameters_is_replaced_after_login() -> None:
    """R-ACC-2: the first successful login after the parameters changed stores a hash with the
    current ones; the password still signs in after, and no later login rehashes it again."""
    ctx = registered_with_old_parameters()
    assert hash_parameters(stored_hash(ctx)) == "argon2id m=1024 t=1 p=1"
    log_in(ctx)
    rehashed = stored_hash(ctx)
    assert hash_parameters(rehashed) == "argon2id m=2048 t=2 p=1"
    assert NEW.verify(rehashed, PASSWORD)
    log_in(ctx)
    assert stored_hash(ctx) == rehashed


def test_r_acc_2_a_failed_login_never_rehashes() -> None:
    """R-ACC-2: only a password just proven is hashed again; a wrong one changes nothing."""
    ctx = registered_with_old_parameters()
    before = stored_hash(ctx)
    with pytest.raises(BadCredentials):
        log_in(ctx, "Wrong2026pass")
    assert stored_hash(ctx) == before


def test_r_acc_2_a_hash_with_the_current_parameters_is_left_alone() -> None:
    """R-ACC-2: no needless write: a hash already made with the current parameters stays."""
    ctx = replace(registered_with_old_parameters(), passwords=OLD)
    before = stored_hash(ctx)
    log_in(ctx)
    assert stored_hash(ctx) == before


def test_r_acc_2_the_rehash_log_line_names_parameters_and_no_personal_data(service_log: Lines) -> None:
    """R-ACC-2 and the logging rule: the line says which parameters, never the login, the
    password, the hash (salt or digest), the account or the session's token."""
    ctx = registered_with_old_parameters()
    old_hash = stored_hash(ctx)
    token = log_in(ctx)
    (line,) = [json.loads(text) for text in service_log.lines if "rehashed" in text]
    assert line["message"] == "password rehashed"
    assert (line["from"], line["to"]) == ("argon2id m=1024 t=1 p=1", "argon2id m=2048 t=2 p=1")
    account = ctx.accounts.by_login(LOGIN)
    assert account is not None
    secrets = (LOGIN, PASSWORD, token, account.account_id, *old_hash.split("$")[-2:], *stored_hash(ctx).split("$")[-2:])
    for text in service_log.lines:
        for secret in secrets:
            assert secret not in text


# Parameters per stage
def test_r_acc_2_the_default_parameters_are_owasps_minimum_or_above() -> None:
    """R-ACC-2: whatever the environment leaves unset is at or above m=19 MiB, t=2."""
    assert (ARGON2_MIN_MEMORY_KIB, ARGON2_MIN_TIME_COST) == (19 * 1024, 2)
    defaults = replace(settings(), argon2_memory_kib=ARGON2_MIN_MEMORY_KIB, argon2_time_cost=ARGON2_MIN_TIME_COST)
    assert weak_password_hashing(defaults) is None


@pytest.mark.parametrize(
    ("memory_kib", "time_cost", "named"),
    [
        (ARGON2_MIN_MEMORY_KIB - 1, ARGON2_MIN_TIME_COST, "ARGON2_MEMORY_KIB=19455"),
        (ARGON2_MIN_MEMORY_KIB, ARGON2_MIN_TIME_COST - 1, "ARGON2_TIME_COST=1"),
    ],
)
def test_r_acc_2_a_lambda_below_owasps_minimum_refuses_to_start(
    monkeypatch: pytest.MonkeyPatch, service_log: Lines, memory_kib: int, time_cost: int, named: str
) -> None:
    """R-ACC-2: a deployed stage set weaker than OWASP's argon2id minimum stops at start with an
    error naming the setting, rather than storing weak hashes."""
    monkeypatch.setenv("AWS_LAMBDA_FUNCTION_NAME", "cet-registration-zhejiang-api")
    monkeypatch.setenv("PUBLIC_API_URL", "https://cet.zj.example.gov.cn/api")
    monkeypatch.setenv("ARGON2_MEMORY_KIB", str(memory_kib))
    monkeypatch.setenv("ARGON2_TIME_COST", str(time_cost))
    with pytest.raises(UnsafeSetting, match=named):
        build_services(settings())
    (said,) = [json.loads(text) for text in service_log.lines]
    assert said["level"] == "ERROR"
    assert named in said["message"]


def test_r_acc_2_the_tests_and_the_local_stack_may_hash_cheaply() -> None:
    """R-ACC-2: off Lambda the parameters are the caller's (tests set m=1 MiB, t=1 explicitly)."""
    config = settings()
    assert (config.on_lambda, config.argon2_memory_kib, config.argon2_time_cost) == (False, 1024, 1)
    assert weak_password_hashing(config) is not None
    assert build_services(config).accounts.passwords.parameters == "argon2id m=1024 t=1 p=1"
