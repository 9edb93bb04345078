"""Going live (architecture notes; issue 25, decision 0026): a stage refuses to start in test mode
unless it is the local stack. Test mode hands out captcha answers; the local stack's test controls
move the clock and pay through the sandbox."""

from __future__ import annotations

import logging

import pytest

from chalicelib import bootstrap
from chalicelib.config import settings
from chalicelib.logs import logger

LAMBDA = {"AWS_LAMBDA_FUNCTION_NAME": "cet-registration-zhejiang-api", "PUBLIC_API_URL": "https://cet.example.cn/api"}


class Lines(logging.Handler):
    def __init__(self) -> None:
        super().__init__()
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(record.getMessage())


def start(monkeypatch: pytest.MonkeyPatch, env: dict[str, str]) -> list[str]:
    """Build the services from `env` as a cold start does; the log lines it wrote."""
    for name in ("TEST_MODE", "STACK", "AWS_LAMBDA_FUNCTION_NAME", "PUBLIC_API_URL"):
        monkeypatch.delenv(name, raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    lines = Lines()
    logger().addHandler(lines)
    try:
        bootstrap.build_services(settings())
    except bootstrap.UnsafeSetting:
        lines.lines.append("raised UnsafeSetting")
    finally:
        logger().removeHandler(lines)
    return lines.lines


@pytest.mark.parametrize(
    "env",
    [
        {"TEST_MODE": "1"},  # a stage that is not the local stack
        {"TEST_MODE": "1", "STACK": "local", **LAMBDA},  # on Lambda nothing is the local stack
        {"TEST_MODE": "1", **LAMBDA},
    ],
    ids=["off-lambda-without-stack-local", "lambda-saying-stack-local", "lambda"],
)
def test_going_live_a_stage_refuses_to_start_in_test_mode_unless_it_is_the_local_stack(
    monkeypatch: pytest.MonkeyPatch, env: dict[str, str]
) -> None:
    *logged, outcome = start(monkeypatch, env)
    assert outcome == "raised UnsafeSetting"
    (line,) = logged  # one line, in words an operator can act on, and no setting's value
    assert "TEST_MODE=1" in line
    assert "local stack" in line
    assert "https://" not in line


@pytest.mark.parametrize("env", [{"TEST_MODE": "1", "STACK": "local"}, {"TEST_MODE": "0"}, {}, {"STACK": "local"}])
def test_going_live_the_local_stack_may_run_in_test_mode_and_any_stage_without_it(
    monkeypatch: pytest.MonkeyPatch, env: dict[str, str], moto_table: None
) -> None:
    assert "raised UnsafeSetting" not in start(monkeypatch, env)


def test_going_live_the_payment_sandbox_cannot_be_plugged_in_on_lambda(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWS_LAMBDA_FUNCTION_NAME", "cet-registration-zhejiang-api")
    with pytest.raises(bootstrap.UnsafeSetting):
        bootstrap.plug_payment_sandbox(object(), object())  # type: ignore[arg-type]
