"""The province's ticket keys (decision 0028): the secret TICKET_SECRET_NAME on a real stage, read
through Powertools Parameters and cached there; TICKET_KEYS or a throwaway key off AWS.

The secret's value, as `python -m province ticket-key new` and `rotate` write it:
    {"keys": [{"key_id": "20261101-3fa9", "private_key": "<base64 of 32 bytes>", "active": true},
              {"key_id": "20260401-77c2", "public_key": "<base64 of 32 bytes>"}]}
One key is active and signs; the others are kept to verify the tickets already printed, by their
public half only once rotated out.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from chalicelib.config import Settings
from chalicelib.domain.errors import TicketKeyUnavailable
from chalicelib.domain.ticket_document import KEY_ID, SIGNATURE_ALGORITHM
from chalicelib.logs import logger
from chalicelib.secret_store import json_secret
from chalicelib.tickets.signing import ED25519_KEY_BYTES, TicketSigner, public_key_of

SECRET_MAX_AGE_SECONDS = 300
# Known to everyone, so it proves nothing: the local stack's and the tests' only. A secret naming
# it is refused, so a real stage never signs with it.
THROWAWAY_KEY_ID = "local"
THROWAWAY_PRIVATE_KEY = hashlib.sha256(b"local-stack-throwaway-ticket-key-not-for-real-tickets").digest()


class TicketKeyError(ValueError):
    """What is wrong with a ticket key secret: named, never its value."""


@dataclass(frozen=True)
class TicketKeyRing:
    signer: TicketSigner
    public_keys: dict[str, bytes]  # every key kept, the active one included

    def public_key_document(self) -> dict[str, Any]:
        """GET /tickets/public-key: the active key in the contract's fields, and every key kept
        (active first) in `keys`, so a gate can check a ticket printed before a rotation."""
        order = [self.signer.key_id, *sorted(k for k in self.public_keys if k != self.signer.key_id)]
        keys = [_described(key_id, self.public_keys[key_id]) for key_id in order]
        return {**keys[0], "keys": keys}


def _described(key_id: str, public_key: bytes) -> dict[str, str]:
    return {"key_id": key_id, "alg": SIGNATURE_ALGORITHM, "public_key": base64.b64encode(public_key).decode("ascii")}


def raw_key(text: object, what: str) -> bytes:
    """Standard base64 (or base64url) of a raw 32-byte key."""
    if not isinstance(text, str):
        raise TicketKeyError(f"{what}: base64 of 32 bytes expected")
    try:
        data = base64.b64decode(text.replace("-", "+").replace("_", "/") + "=" * (-len(text) % 4), validate=True)
    except (binascii.Error, ValueError):
        raise TicketKeyError(f"{what}: not base64") from None
    if len(data) != ED25519_KEY_BYTES:
        raise TicketKeyError(f"{what}: {len(data)} bytes, an Ed25519 key is 32")
    return data


def ring_from_secret(secret: object, allow_throwaway: bool = False) -> TicketKeyRing:
    """The ring a secret value holds; TicketKeyError naming the first problem."""
    entries = secret.get("keys") if isinstance(secret, dict) else None
    if not isinstance(entries, list) or not entries:
        raise TicketKeyError('expected {"keys": [{"key_id", "private_key", "active": true}, ...]}')
    public_keys: dict[str, bytes] = {}
    signers: list[TicketSigner] = []
    for index, entry in enumerate(entries):
        key_id, public, signer = _entry(entry, f"keys[{index}]", allow_throwaway)
        if key_id in public_keys:
            raise TicketKeyError(f"keys[{index}]: key_id {key_id} appears twice")
        public_keys[key_id] = public
        if signer is not None:
            signers.append(signer)
    if len(signers) != 1:
        raise TicketKeyError(f"{len(signers)} active keys: exactly one key is active and has its private_key")
    return TicketKeyRing(signers[0], public_keys)


def _entry(entry: object, where: str, allow_throwaway: bool) -> tuple[str, bytes, TicketSigner | None]:
    if not isinstance(entry, dict):
        raise TicketKeyError(f"{where}: an object expected")
    key_id = entry.get("key_id")
    if not isinstance(key_id, str) or not KEY_ID.fullmatch(key_id):
        raise TicketKeyError(f"{where}: key_id: letters, digits, '.', '_', '-', at most 32")
    if key_id == THROWAWAY_KEY_ID and not allow_throwaway:
        raise TicketKeyError(f"{where}: key_id {THROWAWAY_KEY_ID} is the local stack's throwaway key")
    private = raw_key(entry["private_key"], f"{where}.private_key") if "private_key" in entry else None
    public = raw_key(entry["public_key"], f"{where}.public_key") if "public_key" in entry else None
    if private is not None:
        derived = public_key_of(private)
        if public is not None and public != derived:
            raise TicketKeyError(f"{where}: public_key is not the private key's")
        public = derived
    if public is None:
        raise TicketKeyError(f"{where}: private_key or public_key required")
    active = entry.get("active", False)
    if not isinstance(active, bool):
        raise TicketKeyError(f"{where}: active is true or false")
    if active and private is None:
        raise TicketKeyError(f"{where}: an active key needs its private_key")
    return key_id, public, TicketSigner(key_id, private) if active and private is not None else None


def throwaway_ring() -> TicketKeyRing:
    signer = TicketSigner(THROWAWAY_KEY_ID, THROWAWAY_PRIVATE_KEY)
    return TicketKeyRing(signer, {THROWAWAY_KEY_ID: signer.public_key})


class TicketKeys:
    """The ring now: the secret is read at most every few minutes (Powertools' cache) and parsed
    again only when its value changed, so a rotation is in use without a redeploy."""

    def __init__(self, read: Callable[[], object], source: str, allow_throwaway: bool = False) -> None:
        self._read = read  # the secret's value, or None when it cannot be read
        self._source = source
        self._allow_throwaway = allow_throwaway
        self._parsed: tuple[str, TicketKeyRing | None] | None = None
        self._lock = threading.Lock()

    def ring(self) -> TicketKeyRing:
        value = self._read()
        if value is None:
            raise TicketKeyUnavailable()
        fingerprint = json.dumps(value, sort_keys=True)
        with self._lock:
            if self._parsed is None or self._parsed[0] != fingerprint:
                self._parsed = (fingerprint, self._parse(value))
            ring = self._parsed[1]
        if ring is None:
            raise TicketKeyUnavailable()
        return ring

    def _parse(self, value: object) -> TicketKeyRing | None:
        try:
            return ring_from_secret(value, self._allow_throwaway)
        except TicketKeyError as problem:
            logger().error("ticket keys unusable", extra={"source": self._source, "problem": str(problem)})
            return None


def ticket_keys(config: Settings) -> TicketKeys:
    if config.ticket_secret_name:
        name = config.ticket_secret_name
        return TicketKeys(lambda: json_secret(name, SECRET_MAX_AGE_SECONDS, "ticket secret unreadable"), name)
    if config.ticket_keys:
        given = _json(config.ticket_keys)
        return TicketKeys(lambda: given, "TICKET_KEYS", allow_throwaway=True)
    if config.ticket_throwaway:
        secret = {"keys": [_throwaway_entry()]}
        return TicketKeys(lambda: secret, "throwaway", allow_throwaway=True)
    return TicketKeys(_no_secret, "none")


def _throwaway_entry() -> dict[str, object]:
    private = base64.b64encode(THROWAWAY_PRIVATE_KEY).decode("ascii")
    return {"key_id": THROWAWAY_KEY_ID, "private_key": private, "active": True}


def _no_secret() -> object:
    logger().error("tickets: no signing key configured (TICKET_SECRET_NAME)")
    return None


def _json(text: str) -> object:
    """Not JSON stays text: parsing it then says what a ring should look like, logged."""
    try:
        parsed: object = json.loads(text)
    except ValueError:
        return text
    return parsed
