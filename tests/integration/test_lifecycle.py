"""The registration lifecycle's state machine (tests/lifecycle.py, decision 0032) under CI's budget:
20 examples of up to 30 steps on DynamoDB Local (about 35 s), the same examples every time
(derandomized, no example database): a smoke test of every step and invariant. `make soak` runs it
with fresh seeds for 10,000 steps."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, settings
from hypothesis.stateful import run_state_machine_as_test

from devstack.payments_local import install_sandbox
from tests import factories
from tests.lifecycle import Lab, MovableClock, lifecycle_in

pytestmark = pytest.mark.dynamodb_local

CI_BUDGET = settings(
    max_examples=20,
    stateful_step_count=30,
    derandomize=True,
    database=None,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)


@pytest.fixture
def lab(dynamodb_local_endpoint: str, monkeypatch: pytest.MonkeyPatch) -> Lab:
    """The machine makes a table per example on DynamoDB Local; the payment sandbox's keys go in
    the environment, as the local stack's do."""
    monkeypatch.setenv("AWS_ENDPOINT_URL_DYNAMODB", dynamodb_local_endpoint)
    clock = MovableClock(factories.NOW)
    driver, payment_settings = install_sandbox(clock, "https://sandbox.invalid")
    for name, value in payment_settings.items():
        monkeypatch.setenv(name, value)
    return Lab(driver, clock)


def test_r_oral_4_r_bind_2_r_pay_5_the_lifecycle_keeps_seats_bindings_and_money_straight(lab: Lab) -> None:
    """Grabs, removals, expiry at pay_by (the job and TTL's stream path), the waiting list, orders
    paid once, twice or found late, refunds, reconcile and capacity changes, in any order: after
    every step each seat counter shard counts its holds and pending seats within its capacity, one
    subject per level, a candidate bound once, money in = paid fees + refunds, and every payment
    told is paid, re-reserved or refunded."""
    run_state_machine_as_test(lifecycle_in(lab), settings=CI_BUDGET)
    assert lab.steps >= 20 * 10, f"only {lab.steps} steps ran"
