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
from chalicelib.payments.alipay import SELLER_ID, load_private_key, load_public_key
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


_told_unused = [False]


def with_rehearsal_key(read: PaymentSettings, staging: bool) -> PaymentSettings:
    """The rehearsal's Alipay key kept on a staging stack's API only (decision 0038); anywhere else
    it is dropped, and said once per container."""
    if REHEARSAL_KEY_FIELD not in read.alipay or staging:
        return read
    if not _told_unused[0]:
        _told_unused[0] = True
        logger().warning(
            "payment secret: rehearsal_public_key not used: this is no staging stack's API (decision 0038)"
        )
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
    given = secret.get("alipay")
    return PaymentSettings(_alipay(given), _complete(secret.get("bank"), BANK_FIELDS, "bank"))


def _alipay(given: object) -> dict[str, str]:
    """Alipay's settings when complete and well formed; a malformed rehearsal key is dropped alone."""
    alipay = _complete(given, ALIPAY_FIELDS, "alipay")
    if not alipay:
        return {}
    malformed = [
        name for name in ("seller_id", "app_private_key", "public_key") if not _well_formed(name, alipay[name])
    ]
    if malformed:
        logger().error("payment secret: provider not offered", extra={"provider": "alipay", "malformed": malformed})
        return {}
    rehearsal = given.get(REHEARSAL_KEY_FIELD) if isinstance(given, dict) else None
    if isinstance(rehearsal, str) and rehearsal:
        if _well_formed(REHEARSAL_KEY_FIELD, rehearsal):
            alipay[REHEARSAL_KEY_FIELD] = rehearsal
        else:
            logger().error("payment secret: rehearsal_public_key malformed, not used", extra={"provider": "alipay"})
    return alipay


def _well_formed(name: str, value: str) -> bool:
    """Whether a setting can be used as what it is: a PID, an RSA private key, an RSA public key."""
    if name == "seller_id":
        return bool(SELLER_ID.fullmatch(value))
    load = load_private_key if name == "app_private_key" else load_public_key
    try:
        load(value.encode())
    except (ValueError, TypeError):
        return False
    return True


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
