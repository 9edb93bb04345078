"""Keyed hashes of ID numbers: HMAC-SHA256 under a versioned per-province key.

A key ring holds every version the province still needs and names the current one. A table says
which version its digests were made with, and that key's check value (`IdentityMark`): a ring
that lacks the version, or whose key gives another check value, refuses with
IdentityKeyUnavailable rather than look up a digest that cannot match.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from collections.abc import Mapping
from dataclasses import dataclass, field

from chalicelib.domain.errors import IdentityKeyUnavailable
from chalicelib.domain.identity import IdentityMark

_NUMBER = b"cet-registration/id-number\x00"  # domain separation: these keys hash nothing else
_CHECK = b"cet-registration/key-check"
# One-time codes (R-ACC-6, decision 0024) are hashed under a key derived from the same key with
# this label: the province's secret serves both, and neither digest can stand for the other.
_CODE_KEY = b"cet-registration/one-time-code-key"
MIN_KEY_BYTES = 32


class KeyRingError(ValueError):
    """The configured keys are unusable: said once, by name, never with the key."""


@dataclass(frozen=True)
class KeyRing:
    current: str
    keys: Mapping[str, bytes] = field(repr=False)  # never in a repr or a log line

    def __post_init__(self) -> None:
        if self.current not in self.keys:
            raise KeyRingError(f"the current identity key version {self.current!r} is not in the key ring")
        short = sorted(v for v, key in self.keys.items() if len(key) < MIN_KEY_BYTES)
        if short:
            raise KeyRingError(f"identity key versions {short} are shorter than {MIN_KEY_BYTES} bytes")
        if any(":" in version for version in self.keys):
            raise KeyRingError("an identity key version may not contain ':'")

    def digest(self, id_number: str, version: str | None = None) -> str:
        used = version or self.current
        key = self.keys.get(used)
        if key is None:
            raise IdentityKeyUnavailable()
        mac = hmac.new(key, _NUMBER + id_number.encode(), hashlib.sha256).digest()
        return f"{used}:{base64.urlsafe_b64encode(mac).rstrip(b'=').decode()}"

    def code_digest(self, text: str, version: str | None = None) -> str:
        """A one-time code (with its account and purpose) as HMAC-SHA256 under the code key derived
        from the version's key: `<version>:<base64url>`; without the key, 10^6 guesses find nothing."""
        used = version or self.current
        key = self.keys.get(used)
        if key is None:
            raise IdentityKeyUnavailable()
        code_key = hmac.new(key, _CODE_KEY, hashlib.sha256).digest()
        mac = hmac.new(code_key, text.encode(), hashlib.sha256).digest()
        return f"{used}:{base64.urlsafe_b64encode(mac).rstrip(b'=').decode()}"

    def check(self, version: str) -> str:
        key = self.keys.get(version)
        if key is None:
            raise IdentityKeyUnavailable()
        return hmac.new(key, _CHECK, hashlib.sha256).hexdigest()[:24]

    def mark(self) -> IdentityMark:
        return IdentityMark(self.current, self.check(self.current))

    def matches(self, mark: IdentityMark) -> bool:
        return mark.version in self.keys and hmac.compare_digest(self.check(mark.version), mark.check)


def ring_from_secret(secret: Mapping[str, object]) -> KeyRing:
    """The secret's JSON: {"current": "1", "v1": "<random, 32 bytes or more>", "v2": ...}."""
    current = secret.get("current")
    if not isinstance(current, str) or not current:
        raise KeyRingError('the identity secret has no "current" version')
    keys = {
        name[1:]: value.encode()
        for name, value in secret.items()
        if name.startswith("v") and isinstance(value, str) and value
    }
    return KeyRing(current, keys)
