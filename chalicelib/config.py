"""Settings read from the environment when asked for, never at import time."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass

LOCAL_API = "http://127.0.0.1:8000/api"

# R-ACC-2 (decision 0018): OWASP's argon2id minimum, m=19 MiB, t=2, p=1. A deployed stage refuses
# to start below it; the tests and the local stack may hash cheaply.
ARGON2_MIN_MEMORY_KIB = 19 * 1024
ARGON2_MIN_TIME_COST = 2
# The API's Lambda at 512 MB hashes this in about 120 ms (bench/password_hash.py): a login stays
# under 250 ms of CPU there. The province stage sets the same values explicitly.
ARGON2_MEMORY_KIB = ARGON2_MIN_MEMORY_KIB
ARGON2_TIME_COST = ARGON2_MIN_TIME_COST


@dataclass(frozen=True)
class Settings:
    table_name: str
    region: str
    dynamodb_endpoint: str | None
    test_mode: bool
    session_seconds: int
    captcha_seconds: int
    argon2_memory_kib: int
    argon2_time_cost: int
    public_api_url: str
    alipay: dict[str, str]
    bank: dict[str, str]
    payment_secret_name: str | None
    on_lambda: bool
    identity_secret_name: str | None = None
    # The key CloudFront adds to every request it sends to the API (decision 0034): a request
    # carrying it came through the province's own distribution. Unset off AWS: none ever does.
    edge_secret_name: str | None = None
    identity_keys: str | None = None
    identity_kms_key: str | None = None
    identity_throwaway: bool = False
    messaging_secret_name: str | None = None
    messaging_settings: str | None = None  # JSON, off AWS only (chalicelib/messaging/settings.py)
    # The local stack (devstack/serve.py, the tests' stacks) says STACK=local; on Lambda nothing
    # is the local stack. Only it may run in test mode (decision 0026).
    local_stack: bool = False
    # The ticket signing key (decision 0028): the secret on a real stage; elsewhere a ring given as
    # JSON, or the throwaway key (chalicelib/tickets/keys.py).
    ticket_secret_name: str | None = None
    ticket_keys: str | None = None
    ticket_throwaway: bool = False
    # A staging stack's rehearsal key (decision 0038): the secret on a stage built with
    # `"rehearsal": true`; off AWS the key itself (the local stack playing a staging one). Unset on
    # every other stack: no captcha answers to it.
    rehearsal_secret_name: str | None = None
    rehearsal_key: str | None = None


def settings() -> Settings:
    env = os.environ
    return Settings(
        table_name=env.get("TABLE_NAME", "cet-registration-dev"),
        region=env.get("AWS_REGION") or env.get("AWS_DEFAULT_REGION") or "us-east-1",
        dynamodb_endpoint=env.get("AWS_ENDPOINT_URL_DYNAMODB") or None,
        test_mode=env.get("TEST_MODE") == "1",
        session_seconds=int(env.get("SESSION_SECONDS", "7200")),
        captcha_seconds=int(env.get("CAPTCHA_SECONDS", "300")),
        # R-ACC-2: argon2id; the defaults are the province stage's (decision 0018).
        argon2_memory_kib=int(env.get("ARGON2_MEMORY_KIB", str(ARGON2_MEMORY_KIB))),
        argon2_time_cost=int(env.get("ARGON2_TIME_COST", str(ARGON2_TIME_COST))),
        # Required on Lambda (bootstrap refuses to start without it); the local stack's default.
        public_api_url=env.get("PUBLIC_API_URL", "" if env.get("AWS_LAMBDA_FUNCTION_NAME") else LOCAL_API).rstrip("/"),
        # The local stack's throwaway keys; a real stage reads its keys from PAYMENT_SECRET_NAME.
        alipay=_alipay(env),
        bank=_configured(env, "BANK_", ("MERCHANT_ID", "MERCHANT_KEY", "GATEWAY_URL")),
        # On a real stage the providers' settings live in this Secrets Manager secret, not above.
        payment_secret_name=env.get("PAYMENT_SECRET_NAME") or None,
        on_lambda=bool(env.get("AWS_LAMBDA_FUNCTION_NAME")),
        # ID numbers at rest (decision 0013): the key ring's secret on a real stage; elsewhere a
        # ring given as JSON, or the throwaway one (chalicelib/protection/province_keys.py).
        identity_secret_name=env.get("IDENTITY_SECRET_NAME") or None,
        edge_secret_name=env.get("EDGE_SECRET_NAME") or None,
        identity_keys=env.get("IDENTITY_KEYS") or None,
        # The KMS key that wraps the data keys: only the province's loader uses it.
        identity_kms_key=env.get("IDENTITY_KMS_KEY_ID") or None,
        # The local stack and the tests say so to use the throwaway keys; nothing else may.
        identity_throwaway=env.get("IDENTITY_THROWAWAY_KEYS") == "1" and not env.get("AWS_LAMBDA_FUNCTION_NAME"),
        # Where e-mail and SMS go (R-NOTE-1): the secret on a real stage; elsewhere the local
        # outbox, or the channels MESSAGING_SETTINGS configures.
        messaging_secret_name=env.get("MESSAGING_SECRET_NAME") or None,
        messaging_settings=None if env.get("AWS_LAMBDA_FUNCTION_NAME") else env.get("MESSAGING_SETTINGS") or None,
        local_stack=env.get("STACK") == "local" and not env.get("AWS_LAMBDA_FUNCTION_NAME"),
        ticket_secret_name=env.get("TICKET_SECRET_NAME") or None,
        ticket_keys=None if env.get("AWS_LAMBDA_FUNCTION_NAME") else env.get("TICKET_KEYS") or None,
        ticket_throwaway=env.get("TICKET_THROWAWAY_KEY") == "1" and not env.get("AWS_LAMBDA_FUNCTION_NAME"),
        rehearsal_secret_name=env.get("REHEARSAL_SECRET_NAME") or None,
        rehearsal_key=None if env.get("AWS_LAMBDA_FUNCTION_NAME") else env.get("REHEARSAL_KEY") or None,
    )


def test_mode_refused(config: Settings) -> str | None:
    """Why this stage may not run in test mode, if it is asked to (decision 0026): test mode
    hands out captcha answers and is what the local stack's clock and payment sandbox answer to."""
    if not config.test_mode or config.local_stack:
        return None
    return "TEST_MODE=1 on Lambda" if config.on_lambda else "TEST_MODE=1 without STACK=local"


def weak_password_hashing(config: Settings) -> str | None:
    """What falls below OWASP's argon2id minimum, if anything (R-ACC-2)."""
    weak = []
    if config.argon2_memory_kib < ARGON2_MIN_MEMORY_KIB:
        weak.append(f"ARGON2_MEMORY_KIB={config.argon2_memory_kib} < {ARGON2_MIN_MEMORY_KIB}")
    if config.argon2_time_cost < ARGON2_MIN_TIME_COST:
        weak.append(f"ARGON2_TIME_COST={config.argon2_time_cost} < {ARGON2_MIN_TIME_COST}")
    return ", ".join(weak) or None


def _alipay(env: Mapping[str, str]) -> dict[str, str]:
    """Alipay's settings off AWS; a staging stack's may add the rehearsal's key (decision 0038)."""
    alipay = _configured(env, "ALIPAY_", ("APP_ID", "SELLER_ID", "APP_PRIVATE_KEY", "PUBLIC_KEY", "GATEWAY_URL"))
    if alipay and env.get("ALIPAY_REHEARSAL_PUBLIC_KEY"):
        alipay["rehearsal_public_key"] = env["ALIPAY_REHEARSAL_PUBLIC_KEY"]
    return alipay


def _configured(env: Mapping[str, str], prefix: str, names: tuple[str, ...]) -> dict[str, str]:
    """All of a provider's settings, or none: a half-configured provider is not offered."""
    values = {name.lower(): env.get(prefix + name, "") for name in names}
    return values if all(values.values()) else {}
