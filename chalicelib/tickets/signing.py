"""R-TICKET-2: the QR code's text signed with the province's Ed25519 key, and checked as a gate
checks it, offline, with the public keys alone (decision 0028)."""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from chalicelib.domain.ticket_document import (
    KEY_ID,
    BadTicketSignature,
    TicketDocument,
    UnknownTicketKey,
    claimed_key_id,
    qr_text,
    split_qr_text,
    ticket_fields,
)

ED25519_KEY_BYTES = 32


def new_private_key() -> bytes:
    """A fresh Ed25519 private key: 32 random bytes, the raw form the secret keeps."""
    return os.urandom(ED25519_KEY_BYTES)


def public_key_of(private_key: bytes) -> bytes:
    return _private(private_key).public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)


class TicketSigner:
    """Signs tickets with the province's active key; `key_id` goes into every payload."""

    def __init__(self, key_id: str, private_key: bytes) -> None:
        if not KEY_ID.fullmatch(key_id):
            raise ValueError("a ticket key's id: letters, digits, '.', '_', '-', at most 32")
        self.key_id = key_id
        self._key = _private(private_key)
        self.public_key = self._key.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)

    def __repr__(self) -> str:
        return f"TicketSigner(key_id={self.key_id!r})"  # never the key

    def sign_payload(self, payload: bytes) -> str:
        return qr_text(payload, self._key.sign(payload))

    def sign(self, document: TicketDocument) -> str:
        """The text of the ticket's QR code: `<payload>.<signature>`."""
        return self.sign_payload(document.payload(self.key_id))


def verify_ticket_qr(text: str, public_keys: Mapping[str, bytes]) -> dict[str, Any]:
    """The payload of a ticket's QR text, once its signature checks out under the public key its
    payload names. MalformedTicketQr, UnknownTicketKey or BadTicketSignature otherwise."""
    payload, signature = split_qr_text(text)
    key_id = claimed_key_id(payload)
    raw = public_keys.get(key_id)
    if raw is None:
        raise UnknownTicketKey(key_id)
    try:
        Ed25519PublicKey.from_public_bytes(raw).verify(signature, payload)
    except (InvalidSignature, ValueError):
        raise BadTicketSignature() from None
    return ticket_fields(payload)


def _private(raw: bytes) -> Ed25519PrivateKey:
    if len(raw) != ED25519_KEY_BYTES:
        raise ValueError("an Ed25519 private key is 32 bytes")
    return Ed25519PrivateKey.from_private_bytes(raw)
