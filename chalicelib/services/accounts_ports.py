"""What the account services need from storage (the account's partition, sessions, captchas,
throttles) and from the libraries that keep secrets (argon2, `captcha`: services/security.py).

DynamoDB repositories (chalicelib/storage) and the in-memory fakes of the tests both fill them;
the storage contract suite keeps the two honest.
"""

from __future__ import annotations

from datetime import datetime
from typing import Protocol

from chalicelib.domain.accounts import Account, Captcha, Session
from chalicelib.domain.registration import AccountFile


class AccountFiles(Protocol):
    def file(self, account_id: str) -> AccountFile: ...


class AccountStore(Protocol):
    def create(self, account: Account) -> None:
        """Raises LoginTaken when the login is in use."""

    def by_login(self, login: str) -> Account | None: ...

    def get(self, account_id: str) -> Account | None: ...

    def logins(self, account_ids: list[str]) -> dict[str, str]:
        """The login of each account that exists, read together (a job's batch, R-NOTE-2)."""

    def accept_agreement(self, account_id: str, at: datetime) -> None: ...

    def replace_password_hash(self, account_id: str, verified_hash: str, new_hash: str) -> bool:
        """Store `new_hash` only while the stored hash is still `verified_hash` (a password set in
        the meantime wins); whether it was stored."""

    def remember_lookup(self, account_id: str, candidate_key: str, school_id: str) -> None:
        """Keep the candidate key (never the ID number) of the account's last qualification lookup,
        and its school, whose window `GET /me` shows (R-DATE-1)."""


class SessionStore(Protocol):
    def save(self, session: Session) -> None: ...

    def get(self, token_digest: str) -> Session | None: ...

    def revoke(self, token_digest: str) -> None: ...


class CaptchaStore(Protocol):
    def save(self, captcha: Captcha) -> None: ...

    def take(self, captcha_id: str) -> Captcha | None:
        """Remove and return the captcha: whoever takes it first is the only one to see it."""


class ThrottleStore(Protocol):
    def add_failure(self, key: str, window_ends: datetime) -> int:
        """Count one failure in the window ending at `window_ends`; returns the new count."""

    def failures(self, key: str, window_ends: datetime) -> int: ...

    def take(self, key: str, window_ends: datetime, limit: int) -> bool:
        """Count one in the window if fewer than `limit` are counted, in one conditional write;
        whether it was counted (R-ACC-6: codes sent, never more than the limit at once)."""


class PasswordHasher(Protocol):
    def hash(self, password: str) -> str: ...

    def verify(self, password_hash: str, password: str) -> bool: ...

    def needs_rehash(self, password_hash: str) -> bool: ...


class CaptchaPainter(Protocol):
    def paint(self, text: str) -> bytes:
        """A PNG image of the text."""
