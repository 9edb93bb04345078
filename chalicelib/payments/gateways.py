"""The providers a stage offers, built from its settings."""

from __future__ import annotations

import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Mapping

from chalicelib.domain.clock import Clock
from chalicelib.payments.alipay import AlipayProvider
from chalicelib.payments.bank import BankGatewayProvider
from chalicelib.payments.base import PaymentProvider, ProviderError, Transport
from chalicelib.payments.settings import PaymentSettings

TIMEOUT_SECONDS = 10


def https_transport(url: str, fields: Mapping[str, str]) -> bytes:
    if not url.startswith("https://"):
        raise ProviderError(f"refusing a non-HTTPS gateway: {url}")
    data = urllib.parse.urlencode(fields).encode()
    request = urllib.request.Request(url, data=data, method="POST")  # noqa: S310 (https only, checked above)
    request.add_header("Content-Type", "application/x-www-form-urlencoded; charset=utf-8")
    try:
        with urllib.request.urlopen(request, timeout=TIMEOUT_SECONDS) as answer:  # noqa: S310
            return bytes(answer.read())
    except (urllib.error.URLError, TimeoutError) as error:
        raise ProviderError(f"gateway unreachable: {error}") from error


def build_providers(config: PaymentSettings, transport: Transport, clock: Clock) -> dict[str, PaymentProvider]:
    providers: dict[str, PaymentProvider] = {}
    if config.alipay:
        providers["alipay"] = AlipayProvider(
            app_id=config.alipay["app_id"],
            seller_id=config.alipay["seller_id"],
            app_private_key_pem=config.alipay["app_private_key"].encode(),
            alipay_public_key_pem=config.alipay["public_key"].encode(),
            rehearsal_public_key_pem=config.alipay.get("rehearsal_public_key", "").encode() or None,
            gateway_url=config.alipay["gateway_url"],
            transport=transport,
            clock=clock,
        )
    if config.bank:
        providers["bank"] = BankGatewayProvider(
            merchant_id=config.bank["merchant_id"],
            merchant_key=config.bank["merchant_key"].encode(),
            gateway_url=config.bank["gateway_url"],
            transport=transport,
            clock=clock,
        )
    return providers
