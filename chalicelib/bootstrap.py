"""The composition root: services built from settings on first use, never at import time; `api/`
and `jobs/` both build from here, and nothing else does."""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import Any, Protocol

from chalicelib.config import Settings, settings
from chalicelib.domain.clock import AdjustableClock, Clock
from chalicelib.domain.orders import Order
from chalicelib.payments.base import Transport
from chalicelib.services.accounts import AccountsContext
from chalicelib.services.payments import PaymentsContext
from chalicelib.services.ports import ProvinceStore
from chalicelib.services.qualification import RegistrationContext
from chalicelib.services.security import Argon2Passwords, ImageCaptchas

# The service clock; only test mode moves it (`POST /_test/clock`).
CLOCK = AdjustableClock()


class TestGateway(Protocol):
    """The local payment sandbox, driven by `POST /_test/gateway/{order_id}/pay` (test mode only)."""

    def pay(self, order: Order, deliveries: int, parallel: bool) -> list[str]:
        """Take the payment as a student would, deliver the notification; the acknowledgements."""


@dataclass(frozen=True)
class Services:
    settings: Settings
    accounts: AccountsContext
    registration: RegistrationContext
    province: ProvinceStore
    payments: PaymentsContext


# Plugged in by the local stack and the tests (devstack/payments_local.py); never set on AWS.
_plugged: dict[str, Any] = {}


def plug_payment_sandbox(transport: Transport, gateway: TestGateway) -> None:
    with _lock:
        _plugged.update(transport=transport, gateway=gateway)
        _built.clear()


def test_gateway() -> TestGateway | None:
    gateway: TestGateway | None = _plugged.get("gateway")
    return gateway


_built: dict[str, Services] = {}
_lock = threading.Lock()


def services() -> Services:
    with _lock:
        if "current" not in _built:
            _built["current"] = build_services(settings())
        return _built["current"]


def reset_services() -> None:
    with _lock:
        _built.clear()


def build_services(config: Settings, clock: Clock = CLOCK) -> Services:
    from chalicelib.storage import repositories as repo
    from chalicelib.storage.tables import bind_table

    bind_table(config)
    accounts = AccountsContext(
        accounts=repo.DynamoAccounts(),
        sessions=repo.DynamoSessions(),
        captchas=repo.DynamoCaptchas(),
        throttle=repo.DynamoThrottle(),
        passwords=Argon2Passwords(config.argon2_memory_kib, config.argon2_time_cost),
        painter=ImageCaptchas(),
        clock=clock,
        captcha_seconds=config.captcha_seconds,
        session_seconds=config.session_seconds,
    )
    registration = RegistrationContext(
        catalogs=repo.DynamoCatalog(),
        roll=repo.DynamoRoll(),
        reviews=repo.DynamoReviews(),
        registrations=repo.DynamoRegistrations(),
        clock=clock,
    )
    from chalicelib.payments.gateways import build_providers, https_transport
    from chalicelib.storage.orders import DynamoOrders

    transport = _plugged.get("transport", https_transport)
    payments = PaymentsContext(
        orders=DynamoOrders(),
        registrations=registration.registrations,
        providers=build_providers(config, transport, clock),
        clock=clock,
        public_url=config.public_api_url,
    )
    return Services(config, accounts, registration, repo.DynamoProvince(), payments)
