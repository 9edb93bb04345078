"""A staging stack's rehearsal key (decision 0038): whoever holds it answers the stack's captchas.

Only a stack built from a description with `"rehearsal": true` (a name ending in `-staging`) has
the secret and tells its API where it is (`REHEARSAL_SECRET_NAME`); the local stack may be given
the key itself (`REHEARSAL_KEY`) to play such a stack. Anywhere else there is no key, and a captcha
is answered only by reading it.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from chalicelib.config import Settings
from chalicelib.logs import logger
from chalicelib.secret_store import json_secret

KEY_MAX_AGE_SECONDS = 300
MIN_KEY_LENGTH = 32  # the stack makes 48 characters; anything shorter is not its key
UNREADABLE_WAIT_SECONDS = 60.0  # after a failed read: no Secrets Manager call per captcha meanwhile


def rehearsal_key_reader(config: Settings) -> Callable[[], bytes | None]:
    """What the captcha check asks for the rehearsal key: the stage's, or None where there is none."""
    if config.rehearsal_secret_name:
        return SecretKey(config.rehearsal_secret_name)
    if config.rehearsal_key:  # never on Lambda (chalicelib/config.py)
        key = config.rehearsal_key.encode()
        return lambda: key if len(key) >= MIN_KEY_LENGTH else None
    return lambda: None


class SecretKey:
    """The key in the stage's secret, read at most every five minutes; one that cannot be read (or is
    too short) answers no captcha and is asked for again a minute later."""

    def __init__(self, name: str) -> None:
        self._name = name
        self._unreadable_until = 0.0
        self._told = False

    def __call__(self) -> bytes | None:
        if time.monotonic() < self._unreadable_until:
            return None
        secret = json_secret(self._name, KEY_MAX_AGE_SECONDS, "rehearsal: the rehearsal key cannot be read")
        key = secret.get("value") if secret else None
        if not isinstance(key, str) or len(key) < MIN_KEY_LENGTH:
            self._unreadable_until = time.monotonic() + UNREADABLE_WAIT_SECONDS
            return None
        if not self._told:
            self._told = True
            logger().warning("rehearsal: this stage answers the rehearsal key's captchas (a staging stack)")
        return key.encode()
