"""One sandbox playing Alipay and the bank, and the two providers pointed at it."""

from __future__ import annotations

import pytest

from chalicelib.domain.clock import FixedClock
from chalicelib.payments.alipay import AlipayProvider
from chalicelib.payments.bank import BankGatewayProvider
from devstack.payment_sandbox import PaymentSandbox
from tests.unit.payments.world import (
    ALIPAY_GATEWAY,
    APP_ID,
    BANK_GATEWAY,
    BANK_KEY,
    MERCHANT,
    NOW,
    SELLER_ID,
    Keys,
    new_keys,
    new_sandbox,
)


@pytest.fixture(scope="session")
def keys() -> Keys:
    """RSA 2048 generation is slow-ish: once per run."""
    return new_keys()


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(NOW)


@pytest.fixture
def sandbox(keys: Keys, clock: FixedClock) -> PaymentSandbox:
    return new_sandbox(keys, clock)


@pytest.fixture
def alipay(keys: Keys, sandbox: PaymentSandbox, clock: FixedClock) -> AlipayProvider:
    return AlipayProvider(
        APP_ID,
        keys.app_private,
        sandbox.alipay_public_key_pem,
        ALIPAY_GATEWAY,
        sandbox.transport,
        clock=clock,
        seller_id=SELLER_ID,
    )


@pytest.fixture
def bank(sandbox: PaymentSandbox, clock: FixedClock) -> BankGatewayProvider:
    return BankGatewayProvider(MERCHANT, BANK_KEY, BANK_GATEWAY, sandbox.transport, clock=clock)
