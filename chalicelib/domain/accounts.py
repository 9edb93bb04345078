"""Accounts (通行证): logins, password policy, roles (R-ACC-1, R-ACC-2, R-ACC-5)."""

from __future__ import annotations

import functools
import hashlib
import hmac
import re
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from pathlib import Path

from chalicelib.domain.errors import InvalidLogin, WeakPassword

# Explicit ASCII classes (R-ACC-6): `\d` and `\w` match any script's digits and letters, so
# `1395204479` and a full-width seven (U+FF17) would be another login than `13952044797`.
_EMAIL = re.compile(r"[A-Za-z0-9._%+-]{1,64}@[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,24}")
_MAINLAND_MOBILE = re.compile(r"1[3-9][0-9]{9}")
# Decision 0025: read on the first password check, never at import.
CHINESE_COMMON_PASSWORDS = Path(__file__).with_name("data") / "common_passwords_zh.txt"


class Role(StrEnum):
    STUDENT = "student"
    STAFF = "staff"  # a school's staff: its reviews and late payments
    PROVINCE = "province"  # the province's administrator (R-OPS-1, R-OPS-2)


# The password hash of a staff account not yet activated (R-OPS-3): no password verifies against it.
NO_PASSWORD = "!"  # noqa: S105 (the absence of a password)


@dataclass(frozen=True)
class Account:
    account_id: str
    login: str
    password_hash: str
    role: Role = Role.STUDENT
    school_id: str | None = None
    agreement_accepted_at: datetime | None = None
    created_at: datetime | None = None
    session_generation: int = 0  # a session of another generation is revoked
    looked_up_school_id: str | None = None  # the school of the candidate last looked up (R-DATE-1)
    # The candidate key (`<id type>#<keyed digest>`, never the number) of the last qualification
    # lookup: an account not yet bound files a CET6 review for that candidate only.
    looked_up: str | None = None

    @property
    def activated(self) -> bool:
        """False for a staff account whose password was never set (R-OPS-3)."""
        return self.password_hash != NO_PASSWORD


def normalize_login(raw: str) -> str:
    """An e-mail address (case-insensitive) or a mainland mobile number (R-ACC-1)."""
    login = raw.strip()
    mobile = login.removeprefix("+86").replace(" ", "").replace("-", "")
    if _MAINLAND_MOBILE.fullmatch(mobile):
        return mobile
    if len(login) <= 254 and _EMAIL.fullmatch(login):
        return login.lower()
    raise InvalidLogin()


MIN_PASSWORD = 8
MAX_PASSWORD = 64  # argon2 hashes whatever it is given: a bound on the work one request can ask for


def check_password_policy(password: str, login: str) -> None:
    """R-ACC-5, at registration and at every password reset: WeakPassword saying why, unless

    - it has 8 to 64 characters, at least one (ASCII) letter and one digit (decided before R-ACC-5);
    - it is not the login itself (compared without case or surrounding blanks);
    - it is not mostly one repeated character or whitespace: decided (decision 0014), "mostly" is
      more than half of the characters (letters compared without case), so `aaaaaaa1`, `1111111a`
      and eight blanks are refused while `A1A1A1A1` is left to the other checks;
    - it is not among commonly used passwords: the 30,000 most common of the zxcvbn library's list
      and the Chinese lists of decision 0025 (the 12306 and CSDN leaks' tops), compared without case
      (`Password1` is `password1`).
    """
    if not MIN_PASSWORD <= len(password) <= MAX_PASSWORD:
        raise WeakPassword(f"密码须为 {MIN_PASSWORD} 至 {MAX_PASSWORD} 位。")
    if password.strip().lower() == login.strip().lower():
        raise WeakPassword("密码不能与通行证账号相同。")
    if mostly_one_character(password):
        raise WeakPassword("密码不能大部分由同一个字符或空格组成。")
    if not (any(ch.isascii() and ch.isalpha() for ch in password) and any(ch.isdigit() for ch in password)):
        raise WeakPassword("密码须同时包含英文字母和数字。")
    if is_common_password(password):
        raise WeakPassword("这是常用密码，很容易被猜中，请换一个。")


def mostly_one_character(password: str) -> bool:
    """More than half of the characters are one same character (without case), or whitespace."""
    folded = password.casefold()
    commonest = max((folded.count(ch) for ch in set(folded)), default=0)
    blanks = sum(ch.isspace() for ch in password)
    return 2 * max(commonest, blanks) > len(password)


def is_common_password(password: str) -> bool:
    return password.strip().lower() in _common_passwords()


@functools.cache
def _common_passwords() -> frozenset[str]:
    """Read once per process, on the first check: the lists are not loaded when the app is imported."""
    from zxcvbn.frequency_lists import FREQUENCY_LISTS

    return frozenset(FREQUENCY_LISTS["passwords"]) | chinese_common_passwords()


def chinese_common_passwords() -> frozenset[str]:
    """Decision 0025: the tops of the 12306 and CSDN leaks, shipped beside this module (no package carries one)."""
    text = CHINESE_COMMON_PASSWORDS.read_text(encoding="utf-8")
    lines = (line.strip().lower() for line in text.splitlines())
    return frozenset(line for line in lines if line and not line.startswith("#"))


@dataclass(frozen=True)
class Session:
    token_digest: str
    account_id: str
    expires_at: datetime
    generation: int = 0  # the account's session generation when it was issued


@dataclass(frozen=True)
class Captcha:
    captcha_id: str
    answer_digest: str
    expires_at: datetime


# A staging stack's rehearsal (decision 0038): the answer to a captcha that only the holder of the
# stack's rehearsal key can compute. Longer than any captcha a student reads, so a student's answer
# never asks for the key.
REHEARSAL_ANSWER_LENGTH = 32


def rehearsal_answer(key: bytes, captcha_id: str) -> str:
    """The rehearsal's answer to captcha `captcha_id`: HMAC-SHA256 under the stack's rehearsal key."""
    return hmac.new(key, b"cet-rehearsal-captcha:" + captcha_id.encode(), hashlib.sha256).hexdigest()[
        :REHEARSAL_ANSWER_LENGTH
    ]
