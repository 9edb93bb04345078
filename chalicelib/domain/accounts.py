"""Accounts (通行证): logins, password policy, roles (R-ACC-1, R-ACC-2)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from chalicelib.domain.errors import InvalidLogin, WeakPassword

_EMAIL = re.compile(r"[A-Za-z0-9._%+-]{1,64}@[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,24}")
_MAINLAND_MOBILE = re.compile(r"1[3-9]\d{9}")


class Role(StrEnum):
    STUDENT = "student"
    STAFF = "staff"


@dataclass(frozen=True)
class Account:
    account_id: str
    login: str
    password_hash: str
    role: Role = Role.STUDENT
    school_id: str | None = None
    agreement_accepted_at: datetime | None = None
    created_at: datetime | None = None
    # The candidate key (`<id type>#<keyed digest>`, never the number) of the last qualification
    # lookup: an account not yet bound files a CET6 review for that candidate only.
    looked_up: str | None = None


def normalize_login(raw: str) -> str:
    """An e-mail address (case-insensitive) or a mainland mobile number (R-ACC-1)."""
    login = raw.strip()
    mobile = login.removeprefix("+86").replace(" ", "").replace("-", "")
    if _MAINLAND_MOBILE.fullmatch(mobile):
        return mobile
    if len(login) <= 254 and _EMAIL.fullmatch(login):
        return login.lower()
    raise InvalidLogin()


def check_password_policy(password: str, login: str) -> None:
    """decided: 8–64 characters, at least one letter and one digit, not the login itself."""
    long_enough = 8 <= len(password) <= 64
    has_letter = any(ch.isascii() and ch.isalpha() for ch in password)
    has_digit = any(ch.isdigit() for ch in password)
    if not (long_enough and has_letter and has_digit) or password.lower() == login.lower():
        raise WeakPassword()
