"""Identity documents and the candidate key (R-QUAL-2, R-QUAL-4)."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Protocol

from chalicelib.domain.errors import IdentityKeyUnavailable, InvalidIdNumber, InvalidRequest, UnsupportedIdType


class IdType(StrEnum):
    RESIDENT_ID = "resident_id"
    HK_MACAO_PERMIT = "hk_macao_permit"
    TAIWAN_PERMIT = "taiwan_permit"
    PASSPORT = "passport"
    HMT_RESIDENCE_PERMIT = "hmt_residence_permit"
    FOREIGN_PERMANENT_RESIDENT = "foreign_permanent_resident"


MILITARY_OFFICER = "military_officer"

_GB11643_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_GB11643_CHECK = "10X98765432"

# Shapes of the other documents; the check digit exists only for the resident ID (R-QUAL-4).
_SHAPES: dict[IdType, re.Pattern[str]] = {
    IdType.HK_MACAO_PERMIT: re.compile(r"[HM]\d{8,10}"),
    IdType.TAIWAN_PERMIT: re.compile(r"\d{8}|\d{10}"),
    IdType.PASSPORT: re.compile(r"[A-Z0-9]{5,17}"),
    IdType.HMT_RESIDENCE_PERMIT: re.compile(r"8[123]\d{15}[\dX]"),
    IdType.FOREIGN_PERMANENT_RESIDENT: re.compile(r"[A-Z]{3}\d{12}|9\d{16}[\dX]"),
}


def gb11643_check_digit(first17: str) -> str:
    total = sum(int(digit) * weight for digit, weight in zip(first17, _GB11643_WEIGHTS, strict=True))
    return _GB11643_CHECK[total % 11]


def is_valid_resident_id(number: str) -> bool:
    if not re.fullmatch(r"\d{17}[\dX]", number):
        return False
    return gb11643_check_digit(number[:17]) == number[17]


def parse_id_type(value: object) -> IdType:
    if value == MILITARY_OFFICER:
        raise UnsupportedIdType()
    try:
        return IdType(str(value)) if isinstance(value, str) else IdType("")
    except ValueError:
        raise InvalidRequest("id_type", "不是支持的证件类型") from None


def normalize_id_number(id_type: IdType, raw: str) -> str:
    number = raw.strip().upper()
    if id_type is IdType.RESIDENT_ID:
        if not is_valid_resident_id(number):
            raise InvalidIdNumber("身份证号码应为 18 位且校验位正确，请核对后重新输入。")
        return number
    if not _SHAPES[id_type].fullmatch(number):
        raise InvalidIdNumber()
    return number


def mask_id_number(number: str) -> str:
    """Never show a whole ID number: at most the first and last four, and never half of it."""
    keep = min(4, len(number) // 4)
    return number[:keep] + "*" * (len(number) - 2 * keep) + number[len(number) - keep :]


@dataclass(frozen=True)
class ProtectedId:
    """What the service keeps of a whole ID number (decision 0013): never the number itself.

    `digest` is its keyed hash, `<key version>:<HMAC-SHA256>`, to find and compare it by;
    `masked` is all a screen ever shows; `sealed` is the number envelope-encrypted under a key
    only the province's tools may use (an export, a key rotation), opaque to the service.
    """

    digest: str
    masked: str
    sealed: str = field(default="", repr=False, compare=False)

    @property
    def key_version(self) -> str:
        return key_version(self.digest)


@dataclass(frozen=True)
class IdentityMark:
    """What a province table says of its digests: the key version and that key's check value."""

    version: str
    check: str


@dataclass(frozen=True)
class WrappedDataKey:
    """A data key as the table keeps it: wrapped by the province's key (KMS), never in clear."""

    key_id: str
    wrapped: bytes = field(repr=False)
    wrapped_by: str


# Whole ID number -> its protected form, under the current keys (the province's loader).
Protect = Callable[[str], ProtectedId]


def key_version(digest: str) -> str:
    return digest.split(":", 1)[0]


def same_number(a: ProtectedId, b: ProtectedId) -> bool:
    """Two digests made with different keys cannot be compared: that is an error, not a no."""
    if a.key_version != b.key_version:
        raise IdentityKeyUnavailable()
    return a.digest == b.digest


def candidate_key(id_type: IdType, identity: ProtectedId) -> str:
    return f"{id_type.value}#{identity.digest}"


class CodeKeys(Protocol):
    def code_digest(self, text: str, version: str | None = None) -> str | None:
        """A one-time code's keyed hash, `<version>:<digest>`, under the province's code key: the
        current version's, or `version`'s (a stored code's); None when that key is gone. Raises
        IdentityKeyUnavailable when no key can be read (R-ACC-6, decision 0024)."""


@dataclass(frozen=True)
class Protection:
    """What a load protects ID numbers with: the current key (its mark), this load's data key."""

    mark: IdentityMark
    data_key: WrappedDataKey
    protect: Protect
    open_sealed: Callable[[str], str]  # only to convert digests of an older key version
    digest_under: Callable[[str, str], str]  # (number, version): to check a sealed number's old digest
    code_keys: CodeKeys  # what a staff account's activation code is hashed with (decision 0024)


@dataclass(frozen=True)
class Conversion:
    """What converting a table's ID numbers to the protected form changed, by item kind."""

    converted: dict[str, int]
    old_form: bool  # whole numbers were found (rather than digests of an older key version)
