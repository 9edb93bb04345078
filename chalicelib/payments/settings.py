"""The payment providers' settings: the province's Secrets Manager secret on a real stage, the
environment on the local stack. The secret is read through Powertools Parameters and cached for
SECRET_MAX_AGE_SECONDS, so a rotated key is in use within minutes, with no redeploy.

The secret is JSON: {"alipay": {"app_id", "app_private_key", "public_key", "gateway_url"},
"bank": {"merchant_id", "merchant_key", "gateway_url"}}; a provider with any field missing is not
offered.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from chalicelib.config import Settings
from chalicelib.logs import logger

ALIPAY_FIELDS = ("app_id", "app_private_key", "public_key", "gateway_url")
BANK_FIELDS = ("merchant_id", "merchant_key", "gateway_url")
SECRET_MAX_AGE_SECONDS = 300


@dataclass(frozen=True)
class PaymentSettings:
    alipay: Mapping[str, str] = field(default_factory=dict)
    bank: Mapping[str, str] = field(default_factory=dict)


def payment_settings(config: Settings) -> PaymentSettings:
    if not config.payment_secret_name:
        return PaymentSettings(config.alipay, config.bank)
    from aws_lambda_powertools.utilities import parameters

    try:
        secret: object = parameters.get_secret(
            config.payment_secret_name, transform="json", max_age=SECRET_MAX_AGE_SECONDS
        )
    except (parameters.exceptions.GetParameterError, parameters.exceptions.TransformParameterError) as error:
        logger().error(
            "payment secret unreadable: no payment provider is offered",
            extra={"secret_name": config.payment_secret_name, "error": type(error).__name__},
        )
        return PaymentSettings()
    if not isinstance(secret, dict):
        logger().error("payment secret is not a JSON object", extra={"secret_name": config.payment_secret_name})
        return PaymentSettings()
    return PaymentSettings(_complete(secret.get("alipay"), ALIPAY_FIELDS), _complete(secret.get("bank"), BANK_FIELDS))


def _complete(values: object, names: tuple[str, ...]) -> dict[str, str]:
    """All of a provider's settings, or none: a half-configured provider is not offered."""
    if not isinstance(values, dict):
        return {}
    found = {name: values.get(name) for name in names}
    complete = {k: v for k, v in found.items() if isinstance(v, str) and v}
    return complete if len(complete) == len(names) else {}
