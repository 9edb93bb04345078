"""Gateways to the libraries that keep secrets: argon2 for passwords, `captcha` for images."""

from __future__ import annotations

import hashlib
import io
import secrets
from typing import Protocol

from argon2 import PasswordHasher as Argon2Hasher
from argon2.exceptions import InvalidHashError, VerificationError

# Letters and digits that cannot be mistaken for one another on a phone screen.
CAPTCHA_ALPHABET = "ACDEFHJKLMNPRTUVWXY345789"
CAPTCHA_LENGTH = 4


class PasswordHasher(Protocol):
    def hash(self, password: str) -> str: ...

    def verify(self, password_hash: str, password: str) -> bool: ...


class CaptchaPainter(Protocol):
    def paint(self, text: str) -> bytes:
        """A PNG image of the text."""


class Argon2Passwords:
    """R-ACC-2: argon2id, memory-hard; parameters come from the stage settings."""

    def __init__(self, memory_kib: int, time_cost: int) -> None:
        self._hasher = Argon2Hasher(memory_cost=memory_kib, time_cost=time_cost, parallelism=1)
        self._decoy = self._hasher.hash(secrets.token_hex(16))

    def hash(self, password: str) -> str:
        return self._hasher.hash(password)

    def verify(self, password_hash: str, password: str) -> bool:
        try:
            return self._hasher.verify(password_hash, password)
        except (VerificationError, InvalidHashError):
            return False

    def spend_time(self, password: str) -> None:
        """Verify against a decoy so an unknown login costs as much as a wrong password."""
        self.verify(self._decoy, password)


class ImageCaptchas:
    def paint(self, text: str) -> bytes:
        from captcha.image import ImageCaptcha  # Pillow loads only when an image is drawn

        image = ImageCaptcha(width=160, height=60).generate_image(text)
        buffer = io.BytesIO()
        image.save(buffer, format="PNG")
        return buffer.getvalue()


def random_captcha_text() -> str:
    return "".join(secrets.choice(CAPTCHA_ALPHABET) for _ in range(CAPTCHA_LENGTH))


def digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def new_token() -> str:
    """256 random bits; only its digest is stored."""
    return secrets.token_urlsafe(32)
