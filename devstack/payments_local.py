"""The local stack's payment providers: the sandbox plays Alipay's and the bank's servers.

`install_sandbox` makes the keys of a demo stage (never committed), points the stage's settings
at the sandbox, and plugs the sandbox in as the providers' transport and as the driver of
`POST /_test/gateway/{order_id}/pay`. `as_staging` makes the stage trust a rehearsal's Alipay
instead (REHEARSAL_PROVIDER, decision 0038).
"""

from __future__ import annotations

import secrets
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from chalicelib.bootstrap import plug_payment_sandbox, services
from chalicelib.domain.clock import Clock
from chalicelib.domain.orders import Order
from chalicelib.payments.base import GatewayRefused
from chalicelib.services import payments
from devstack.payment_sandbox import PaymentSandbox, SandboxRefused, UnknownTrade, new_rsa_key_pair

DEMO_APP_ID = "2021000100000001"
DEMO_SELLER_ID = "2088000100000001"  # the demo merchant's PID
DEMO_MERCHANT = "CET-DEMO-0001"


def deliver(provider: str, body: bytes, content_type: str) -> str:
    """What the provider's notification does on arrival at our notify route."""
    return payments.handle_notification(services().payments, provider, body, content_type).body


class SandboxDriver:
    """Plays the student on the provider's page, then the provider's notification deliveries."""

    def __init__(self, sandbox: PaymentSandbox, clock: Clock) -> None:
        self.sandbox = sandbox
        self._clock = clock

    def pay(self, order: Order, deliveries: int, parallel: bool) -> list[str]:
        now = self._clock.now()
        try:
            self.sandbox.open_trade(order.pay_url, now)
            self.sandbox.pay(order.provider_order_no, now)
        except (SandboxRefused, UnknownTrade) as refused:
            raise GatewayRefused(str(refused)) from None
        body, content_type = self.sandbox.notification(order.provider_order_no, now)
        if parallel and deliveries > 1:
            barrier = threading.Barrier(deliveries)

            def at_once(_: int) -> str:
                barrier.wait()
                return deliver(order.provider, body, content_type)

            with ThreadPoolExecutor(max_workers=deliveries) as pool:
                return list(pool.map(at_once, range(deliveries)))
        return [deliver(order.provider, body, content_type) for _ in range(deliveries)]

    def deliver_until_acknowledged(self, merchant_no: str, provider: str) -> None:
        """Alipay's schedule (compressed): deliver again until the answer is the success reply."""
        success = "success" if provider == "alipay" else "sent"
        for delay in [0.0, *self.sandbox.redelivery_delays()]:
            time.sleep(delay)
            body, content_type = self.sandbox.notification(merchant_no, self._clock.now())
            if deliver(provider, body, content_type) == success:
                return


def install_sandbox(clock: Clock, gateway_base: str) -> tuple[SandboxDriver, dict[str, str]]:
    """The driver, and the settings the stage needs (the caller puts them in its environment)."""
    app_private, app_public = new_rsa_key_pair()
    bank_key = secrets.token_hex(32)
    sandbox = PaymentSandbox(
        app_id=DEMO_APP_ID,
        seller_id=DEMO_SELLER_ID,
        app_public_key_pem=app_public,
        bank_merchant_id=DEMO_MERCHANT,
        bank_merchant_key=bank_key.encode(),
        clock=clock,
    )
    settings = {
        "ALIPAY_APP_ID": DEMO_APP_ID,
        "ALIPAY_SELLER_ID": DEMO_SELLER_ID,
        "ALIPAY_APP_PRIVATE_KEY": app_private.decode(),
        "ALIPAY_PUBLIC_KEY": sandbox.alipay_public_key_pem.decode(),
        "ALIPAY_GATEWAY_URL": f"{gateway_base}/alipay/gateway.do",
        "BANK_MERCHANT_ID": DEMO_MERCHANT,
        "BANK_MERCHANT_KEY": bank_key,
        "BANK_GATEWAY_URL": f"{gateway_base}/bank",
    }
    driver = SandboxDriver(sandbox, clock)
    plug_payment_sandbox(sandbox.transport, driver)
    return driver, settings


def as_staging(settings: dict[str, str], provider_file: str) -> dict[str, str]:
    """The local stack playing a staging stack (decision 0038): Alipay's notices are taken when signed
    with the rehearsal's Alipay key (`province rehearsal-provider`) too; the sandbox stays its gateway."""
    from cryptography.hazmat.primitives import serialization

    from chalicelib.payments.alipay import load_private_key
    from province.staging import Provider

    provider = Provider.read(Path(provider_file))
    if (provider.app_id, provider.seller_id) != (settings["ALIPAY_APP_ID"], settings["ALIPAY_SELLER_ID"]):
        raise SystemExit(
            f"REHEARSAL_PROVIDER: the local stack's Alipay is app {DEMO_APP_ID}, seller {DEMO_SELLER_ID}: "
            "make the rehearsal's provider from a payments.json naming them"
        )
    public = load_private_key(provider.private_key_pem).public_key()
    pem = public.public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    return {**settings, "ALIPAY_REHEARSAL_PUBLIC_KEY": pem.decode()}
