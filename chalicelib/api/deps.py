"""The composition root: services built on first use, never at import time."""

from __future__ import annotations

import threading
from dataclasses import dataclass

from chalicelib.config import Settings, settings
from chalicelib.domain.clock import AdjustableClock, Clock
from chalicelib.services.accounts import AccountsContext
from chalicelib.services.ports import ProvinceStore
from chalicelib.services.qualification import RegistrationContext
from chalicelib.services.security import Argon2Passwords, ImageCaptchas

# The service clock; only test mode moves it (`POST /_test/clock`).
CLOCK = AdjustableClock()


@dataclass(frozen=True)
class Services:
    settings: Settings
    accounts: AccountsContext
    registration: RegistrationContext
    province: ProvinceStore


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
    return Services(config, accounts, registration, repo.DynamoProvince())
