"""The payment providers' settings: the province's Secrets Manager secret on a real stage, the
environment on the local stack. The secret is read through Powertools Parameters and cached for
SECRET_MAX_AGE_SECONDS, so a rotated key is in use within minutes, with no redeploy.

The secret is JSON: {"alipay": {"app_id", "seller_id", "app_private_key", "public_key", "gateway_url"},
"bank": {"merchant_id", "merchant_key", "gateway_url"}}; a provider with any field missing is not
offered, nor is Alipay with a `seller_id` that is no merchant PID (2088 and 12 digits).
A staging stack's Alipay may also name `rehearsal_public_key`, the rehearsal's (decision 0038):
notices signed with it are taken too. Any other stack ignores it, and says so in its log.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass, field

from chalicelib.config import Settings
from chalicelib.logs import logger
from chalicelib.payments.alipay import SELLER_ID
from chalicelib.secret_store import json_secret

ALIPAY_FIELDS = ("app_id", "seller_id", "app_private_key", "public_key", "gateway_url")
REHEARSAL_KEY_FIELD = "rehearsal_public_key"
BANK_FIELDS = ("merchant_id", "merchant_key", "gateway_url")
SECRET_MAX_AGE_SECONDS = 300
RETRY_AFTER_FAILURE_SECONDS = 60


@dataclass(frozen=True)
class PaymentSettings:
    # never in a repr: one careless log line must not print a key
    alipay: Mapping[str, str] = field(default_factory=dict, repr=False)
    bank: Mapping[str, str] = field(default_factory=dict, repr=False)


@dataclass
class _LastRead:
    settings: PaymentSettings | None = None
    failed_at: float | None = None


_last: dict[str, _LastRead] = {}
_lock = threading.Lock()


def payment_settings(config: Settings) -> PaymentSettings:
    read = _payment_settings(config)
    return with_rehearsal_key(read, staging=bool(config.rehearsal_secret_name or config.rehearsal_key))


def with_rehearsal_key(read: PaymentSettings, staging: bool) -> PaymentSettings:
    """The rehearsal's Alipay key kept on a staging stack only (decision 0038)."""
    if REHEARSAL_KEY_FIELD not in read.alipay or staging:
        return read
    logger().error("payment secret: rehearsal_public_key ignored: this stack is not a staging one (decision 0038)")
    alipay = {name: value for name, value in read.alipay.items() if name != REHEARSAL_KEY_FIELD}
    return PaymentSettings(alipay, read.bank)


def _payment_settings(config: Settings) -> PaymentSettings:
    if not config.payment_secret_name:
        return PaymentSettings(config.alipay, config.bank)
    name = config.payment_secret_name
    with _lock:
        last = _last.setdefault(name, _LastRead())
        if last.failed_at is not None and time.monotonic() - last.failed_at < RETRY_AFTER_FAILURE_SECONDS:
            return last.settings or PaymentSettings()  # do not ask again at every request while it fails
        read = _read_secret(name)
        if read is None:
            last.failed_at = time.monotonic()
            return last.settings or PaymentSettings()  # a passing failure keeps the keys that worked
        last.settings, last.failed_at = read, None
        return read


def _read_secret(name: str) -> PaymentSettings | None:
    unreadable = "payment secret unreadable: the providers keep the keys last read, if any"
    secret = json_secret(name, SECRET_MAX_AGE_SECONDS, unreadable)
    if secret is None:
        return None
    alipay = _complete(secret.get("alipay"), ALIPAY_FIELDS, "alipay")
    if alipay and not SELLER_ID.fullmatch(alipay["seller_id"]):
        logger().error("payment secret: provider not offered", extra={"provider": "alipay", "malformed": ["seller_id"]})
        alipay = {}
    rehearsal = (
        (secret.get("alipay") or {}).get(REHEARSAL_KEY_FIELD) if isinstance(secret.get("alipay"), dict) else None
    )
    if alipay and isinstance(rehearsal, str) and rehearsal:
        alipay[REHEARSAL_KEY_FIELD] = rehearsal
    return PaymentSettings(alipay, _complete(secret.get("bank"), BANK_FIELDS, "bank"))


def _complete(values: object, names: tuple[str, ...], provider: str) -> dict[str, str]:
    """All of a provider's settings, or none: a half-configured provider is not offered."""
    if values is None:
        return {}
    found = values if isinstance(values, dict) else {}
    complete = {name: found[name] for name in names if isinstance(found.get(name), str) and found[name]}
    if len(complete) != len(names):
        missing = sorted(set(names) - set(complete))
        logger().error("payment secret: provider not offered", extra={"provider": provider, "missing": missing})
        return {}
    return complete
