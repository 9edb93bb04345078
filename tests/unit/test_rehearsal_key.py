"""R-ACC-2 on a staging stack (decision 0038): the holder of the stack's rehearsal key answers its
captchas, each still single-use and short-lived; without the key nothing changes."""

from __future__ import annotations

import dataclasses
from typing import Any

import pytest

from chalicelib.config import settings
from chalicelib.domain.accounts import REHEARSAL_ANSWER_LENGTH, rehearsal_answer
from chalicelib.domain.clock import FixedClock
from chalicelib.domain.errors import InvalidCaptcha
from chalicelib.protection import rehearsal
from chalicelib.services import accounts as svc
from chalicelib.services.accounts import AccountsContext
from tests.fakes import fake_contexts

KEY = b"k" * 48


@pytest.fixture
def staging(clock: FixedClock) -> AccountsContext:
    return dataclasses.replace(fake_contexts(clock).accounts, rehearsal_key=lambda: KEY)


def test_r_acc_2_the_rehearsal_key_answers_a_staging_stacks_captcha_once(staging: AccountsContext) -> None:
    captcha = svc.issue_captcha(staging)
    svc.redeem_captcha(staging, captcha.captcha_id, rehearsal_answer(KEY, captcha.captcha_id))
    with pytest.raises(InvalidCaptcha):  # single use, like any captcha
        svc.redeem_captcha(staging, captcha.captcha_id, rehearsal_answer(KEY, captcha.captcha_id))


def test_r_acc_2_a_rehearsal_answer_is_for_its_own_captcha_only(staging: AccountsContext) -> None:
    first, second = svc.issue_captcha(staging), svc.issue_captcha(staging)
    with pytest.raises(InvalidCaptcha):
        svc.redeem_captcha(staging, second.captcha_id, rehearsal_answer(KEY, first.captcha_id))


def test_r_acc_2_a_rehearsal_answer_under_another_key_is_wrong(staging: AccountsContext) -> None:
    captcha = svc.issue_captcha(staging)
    with pytest.raises(InvalidCaptcha):
        svc.redeem_captcha(staging, captcha.captcha_id, rehearsal_answer(b"x" * 48, captcha.captcha_id))


def test_r_acc_2_any_answer_of_the_rehearsals_length_is_refused_in_words(staging: AccountsContext) -> None:
    """Not a 500: a 32-character answer in Chinese (or any non-ASCII text) is a wrong answer."""
    captcha = svc.issue_captcha(staging)
    with pytest.raises(InvalidCaptcha):
        svc.redeem_captcha(staging, captcha.captcha_id, "验" * REHEARSAL_ANSWER_LENGTH)


def test_r_acc_2_a_rehearsal_answer_is_short_lived(staging: AccountsContext, clock: FixedClock) -> None:
    captcha = svc.issue_captcha(staging)
    clock.advance(staging.captcha_seconds)
    with pytest.raises(InvalidCaptcha):
        svc.redeem_captcha(staging, captcha.captcha_id, rehearsal_answer(KEY, captcha.captcha_id))


def test_r_acc_2_without_a_rehearsal_key_the_rehearsal_answer_is_wrong(clock: FixedClock) -> None:
    ctx = fake_contexts(clock).accounts  # every stack but a staging one
    captcha = svc.issue_captcha(ctx)
    with pytest.raises(InvalidCaptcha):
        svc.redeem_captcha(ctx, captcha.captcha_id, rehearsal_answer(KEY, captcha.captcha_id))


def test_r_acc_2_a_student_still_answers_a_staging_stacks_captcha_by_reading_it(staging: AccountsContext) -> None:
    captcha = svc.issue_captcha(staging)
    svc.redeem_captcha(staging, captcha.captcha_id, captcha.answer)


def test_r_acc_2_a_students_answer_never_asks_for_the_rehearsal_key(clock: FixedClock) -> None:
    asked: list[int] = []

    def key() -> bytes:
        asked.append(1)
        return KEY

    ctx = dataclasses.replace(fake_contexts(clock).accounts, rehearsal_key=key)
    captcha = svc.issue_captcha(ctx)
    svc.redeem_captcha(ctx, captcha.captcha_id, captcha.answer)
    assert asked == []
    assert len(captcha.answer) < REHEARSAL_ANSWER_LENGTH


# Where the key comes from ----------------------------------------------------------------------


def test_r_acc_2_no_stack_has_a_rehearsal_key_unless_given_one(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("REHEARSAL_SECRET_NAME", "REHEARSAL_KEY", "AWS_LAMBDA_FUNCTION_NAME"):
        monkeypatch.delenv(name, raising=False)
    assert rehearsal.rehearsal_key_reader(settings())() is None


def test_r_acc_2_a_plain_rehearsal_key_is_the_local_stacks_only(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("REHEARSAL_SECRET_NAME", raising=False)
    monkeypatch.setenv("REHEARSAL_KEY", KEY.decode())
    monkeypatch.delenv("AWS_LAMBDA_FUNCTION_NAME", raising=False)
    assert rehearsal.rehearsal_key_reader(settings())() == KEY
    monkeypatch.setenv("AWS_LAMBDA_FUNCTION_NAME", "cet-registration-x-api")  # a Lambda takes the secret only
    assert rehearsal.rehearsal_key_reader(settings())() is None


def test_r_acc_2_a_short_rehearsal_key_answers_nothing(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("REHEARSAL_SECRET_NAME", raising=False)
    monkeypatch.delenv("AWS_LAMBDA_FUNCTION_NAME", raising=False)
    monkeypatch.setenv("REHEARSAL_KEY", "short")
    assert rehearsal.rehearsal_key_reader(settings())() is None


def test_r_acc_2_the_stages_rehearsal_key_is_read_from_its_secret(monkeypatch: pytest.MonkeyPatch) -> None:
    reads: list[str] = []

    def secret(name: str, *_: Any, **__: Any) -> dict[str, str]:
        reads.append(name)
        return {"value": KEY.decode()}

    monkeypatch.setattr(rehearsal, "json_secret", secret)
    monkeypatch.setenv("REHEARSAL_SECRET_NAME", "cet-registration-x-staging/rehearsal")
    assert rehearsal.rehearsal_key_reader(settings())() == KEY
    assert reads == ["cet-registration-x-staging/rehearsal"]


def test_r_acc_2_an_unreadable_rehearsal_key_answers_nothing_and_is_not_asked_for_on_every_captcha(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    reads: list[str] = []

    def unreadable(name: str, *_: Any, **__: Any) -> None:
        reads.append(name)

    monkeypatch.setattr(rehearsal, "json_secret", unreadable)
    key = rehearsal.SecretKey("cet-registration-x-staging/rehearsal")
    assert key() is None
    assert key() is None
    assert len(reads) == 1
