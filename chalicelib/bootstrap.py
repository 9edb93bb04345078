"""The composition root: services built from settings on first use, never at import time; `api/`
and `jobs/` both build from here, and nothing else does."""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from typing import Any

from chalicelib.config import Settings, settings, test_mode_refused, weak_password_hashing
from chalicelib.domain.clock import AdjustableClock, Clock
from chalicelib.domain.identity import Protection
from chalicelib.logs import logger
from chalicelib.messaging.local import LocalOutbox
from chalicelib.messaging.settings import message_sender
from chalicelib.payments.base import Transport
from chalicelib.payments.gateways import build_providers, https_transport
from chalicelib.payments.settings import PaymentSettings, payment_settings
from chalicelib.protection import envelope
from chalicelib.protection.loading import protection
from chalicelib.protection.province_keys import ProvinceKeys, key_ring, key_ring_reader
from chalicelib.protection.rehearsal import rehearsal_key_reader
from chalicelib.services.accounts import AccountsContext
from chalicelib.services.administration import AdministrationContext
from chalicelib.services.messages import Messaging
from chalicelib.services.payments import PaymentsContext
from chalicelib.services.payments_ports import TestGateway
from chalicelib.services.province import ProvinceLoading
from chalicelib.services.province_ports import ProvinceStore
from chalicelib.services.recovery import RecoveryContext
from chalicelib.services.registration_context import RegistrationContext
from chalicelib.services.room_plan import RoomPlanContext
from chalicelib.services.security import Argon2Passwords, ImageCaptchas
from chalicelib.services.waiting_room import WaitingRoomContext
from chalicelib.services.waitlist import WaitlistContext
from chalicelib.storage.accounts import DynamoAccounts
from chalicelib.storage.administration import DynamoAdministration
from chalicelib.storage.captchas import DynamoCaptchas
from chalicelib.storage.catalog import DynamoCatalog
from chalicelib.storage.late_payments import DynamoOrdersWithLatePayments
from chalicelib.storage.messages import DynamoOutbox
from chalicelib.storage.province import DynamoProvince, wrapped_data_key
from chalicelib.storage.recovery import DynamoRecovery
from chalicelib.storage.registrations import DynamoRegistrations
from chalicelib.storage.reviews import DynamoReviews
from chalicelib.storage.roll import DynamoRoll
from chalicelib.storage.room_plan import DynamoRoomPlan
from chalicelib.storage.sessions import DynamoSessions
from chalicelib.storage.tables import bind_table
from chalicelib.storage.throttle import DynamoThrottle
from chalicelib.storage.waiting_room import DynamoWaitingRoom
from chalicelib.storage.waitlist import DynamoWaitlist
from chalicelib.tickets.keys import TicketKeys, ticket_keys

# Once a conversion withdraws the table's identity mark, every API instance has dropped its cached
# catalog (30 s) and finished a request begun under the old mark (the Lambda timeout, 30 s).
CONVERSION_SETTLE_SECONDS = 60.0

# The service clock; only the local stack's test controls move it (`POST /_test/clock`,
# devstack/test_mode.py, never in the Lambda package).
CLOCK = AdjustableClock()
# Off AWS, messages no channel is configured for land here (`GET /_test/outbox`).
LOCAL_OUTBOX = LocalOutbox(CLOCK)


@dataclass(frozen=True)
class Services:
    settings: Settings
    accounts: AccountsContext
    registration: RegistrationContext
    province: ProvinceStore
    loading: ProvinceLoading
    payments: PaymentsContext
    payment_settings: PaymentSettings
    messaging: Messaging
    recovery: RecoveryContext
    waiting_room: WaitingRoomContext
    waitlist: WaitlistContext
    administration: AdministrationContext
    room_plan: RoomPlanContext
    ticket_keys: TicketKeys


class MissingSetting(RuntimeError):
    """A real stage lacks a setting it cannot run without: it refuses to start."""


class UnsafeSetting(RuntimeError):
    """A real stage is set to something weaker than it may run with: it refuses to start."""


# Plugged in by the local stack and the tests (devstack/payments_local.py); never set on AWS.
_plugged: dict[str, Any] = {}


def plug_payment_sandbox(transport: Transport, gateway: TestGateway) -> None:
    if settings().on_lambda:
        raise UnsafeSetting("the payment sandbox is the local stack's only")
    with _lock:
        _plugged.update(transport=transport, gateway=gateway)
        _built.clear()


def test_gateway() -> TestGateway | None:
    gateway: TestGateway | None = _plugged.get("gateway")
    return gateway


_built: dict[str, Services] = {}
_lock = threading.Lock()


def services() -> Services:
    """The services, built once per container; built again when the payment secret changed
    (it is read at most every few minutes: chalicelib/payments/settings.py)."""
    with _lock:
        built = _built.get("current")
        config = built.settings if built else settings()
        payment = payment_settings(config)
        if built is None or built.payment_settings != payment:
            built = _built["current"] = build_services(config, payment=payment)
        return built


def reset_services() -> None:
    with _lock:
        _built.clear()


def refuse_unsafe_settings(config: Settings) -> None:
    """A real stage missing what it cannot run without, or set weaker than it may run with, refuses
    to start."""
    if config.on_lambda and not config.public_api_url:
        logger().error("PUBLIC_API_URL is not set: this stage cannot tell payment providers where to notify it")
        raise MissingSetting("PUBLIC_API_URL")
    refused = test_mode_refused(config)
    if refused:
        logger().error(f"{refused}: test mode is the local stack's only (decision 0026); this stage refuses to start")
        raise UnsafeSetting(f"{refused}: test mode is the local stack's only")
    weak = weak_password_hashing(config) if config.on_lambda else None
    if weak:
        logger().error("argon2 parameters below OWASP's argon2id minimum (m=19 MiB, t=2): " + weak)
        raise UnsafeSetting(f"password hashing below OWASP's argon2id minimum: {weak}")


def build_services(config: Settings, clock: Clock = CLOCK, payment: PaymentSettings | None = None) -> Services:
    refuse_unsafe_settings(config)
    payment = payment if payment is not None else payment_settings(config)
    bind_table(config)
    waiting_room_store = DynamoWaitingRoom()
    accounts = AccountsContext(
        accounts=DynamoAccounts(),
        sessions=DynamoSessions(),
        captchas=DynamoCaptchas(),
        throttle=DynamoThrottle(),
        passwords=Argon2Passwords(config.argon2_memory_kib, config.argon2_time_cost),
        painter=ImageCaptchas(),
        clock=clock,
        captcha_seconds=config.captcha_seconds,
        session_seconds=config.session_seconds,
        rehearsal_key=rehearsal_key_reader(config),
    )
    catalogs = DynamoCatalog()
    keys = ProvinceKeys(key_ring_reader(config))  # ID numbers (decision 0013) and codes (0024)
    registration = RegistrationContext(
        catalogs=catalogs,
        roll=DynamoRoll(),
        reviews=DynamoReviews(),
        registrations=DynamoRegistrations(),
        identities=keys,
        clock=clock,
        accounts=accounts.accounts,
        waiting_room=waiting_room_store,
    )
    transport = _plugged.get("transport", https_transport)
    payments = PaymentsContext(
        orders=DynamoOrdersWithLatePayments(),
        registrations=registration.registrations,
        providers=build_providers(payment, transport, clock),
        clock=clock,
        public_url=config.public_api_url,
    )
    province = DynamoProvince()
    codes = DynamoRecovery()
    recovery = RecoveryContext(accounts, codes, keys)
    loading = ProvinceLoading(
        province,
        accounts.accounts,
        codes,
        lambda: load_protection(config),
        lambda: time.sleep(CONVERSION_SETTLE_SECONDS),
    )
    messaging = Messaging(DynamoOutbox(), message_sender(config, LOCAL_OUTBOX), clock)
    waiting_room = WaitingRoomContext(
        registration.catalogs, waiting_room_store, clock, registration.registrations, accounts.accounts
    )
    waitlist = WaitlistContext(registration, DynamoWaitlist())
    return Services(
        settings=config,
        accounts=accounts,
        registration=registration,
        province=province,
        loading=loading,
        payments=payments,
        payment_settings=payment,
        messaging=messaging,
        recovery=recovery,
        waiting_room=waiting_room,
        waitlist=waitlist,
        administration=AdministrationContext(catalogs, DynamoAdministration(), clock, catalogs.forget),
        room_plan=RoomPlanContext(store=DynamoRoomPlan(), catalog=catalogs, clock=clock),
        ticket_keys=ticket_keys(config),
    )


def load_protection(config: Settings) -> Protection:
    """What a load protects ID numbers with (decision 0013): the province's key ring, a new data
    key wrapped by its KMS key; the local wrapping key only where the throwaway keys are allowed."""
    if not (config.identity_kms_key or config.identity_throwaway):
        raise MissingSetting("IDENTITY_KMS_KEY_ID")
    wrapper: envelope.KeyWrapper = (
        envelope.KmsWrapper(config.identity_kms_key, config.table_name)
        if config.identity_kms_key
        else envelope.LocalWrapper(envelope.THROWAWAY_WRAPPING_KEY)
    )
    return protection(key_ring(config), wrapper, wrapped_data_key)
