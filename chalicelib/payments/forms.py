"""What both providers speak: yuan with two decimals, form-encoded bodies, Shanghai wall time.

Money crosses the payments package in fen; the providers speak yuan with exactly two decimals.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import datetime
from typing import Final
from urllib.parse import parse_qsl

from chalicelib.domain.clock import SHANGHAI
from chalicelib.payments.base import NotificationRejected, ProviderError

FORM_CONTENT_TYPE: Final = "application/x-www-form-urlencoded"
MAX_FORM_FIELDS: Final = 200

# ASCII digits only: `\d` would also accept other scripts' digits.
_YUAN = re.compile(r"(0|[1-9][0-9]{0,11})\.([0-9]{2})")


def fen_to_yuan(fen: int) -> str:
    """8000 -> "80.00", 1 -> "0.01"."""
    if fen < 0:
        raise ValueError(f"negative amount: {fen}")
    return f"{fen // 100}.{fen % 100:02d}"


def yuan_to_fen(text: str) -> int:
    """ "80.00" -> 8000, exactly; anything but a plain two-decimal yuan amount is a ValueError."""
    match = _YUAN.fullmatch(text)
    if match is None:
        raise ValueError(f"not a yuan amount with two decimals: {text!r}")
    return int(match[1]) * 100 + int(match[2])


def answer_fen(answer: Mapping[str, str], name: str, what: str) -> int | None:
    """An amount in a provider's answer, in fen; None when absent; malformed is a ProviderError."""
    if not answer.get(name):
        return None
    try:
        return yuan_to_fen(answer[name])
    except ValueError as exc:
        raise ProviderError(f"{what}: malformed {name} in answer: {exc}") from exc


def parse_form(body: bytes, content_type: str = "") -> dict[str, str]:
    """A UTF-8 form-encoded body as a dict; ValueError on another media type, bad encoding or a repeated field."""
    media_type = content_type.split(";", 1)[0].strip().lower()
    if media_type not in ("", FORM_CONTENT_TYPE):
        raise ValueError(f"not a form body: {content_type}")
    text = body.decode("utf-8")
    pairs = parse_qsl(
        text, keep_blank_values=True, strict_parsing=bool(text), errors="strict", max_num_fields=MAX_FORM_FIELDS
    )
    fields: dict[str, str] = {}
    for key, value in pairs:
        if key in fields:
            raise ValueError(f"repeated field: {key}")
        fields[key] = value
    return fields


def notification_form(body: bytes, content_type: str) -> dict[str, str]:
    """A provider's notification as fields; anything that is no clean form is rejected, never a 500."""
    try:
        return parse_form(body, content_type)
    except ValueError as exc:  # UnicodeDecodeError is one
        raise NotificationRejected(f"malformed body: {exc}") from exc


def shanghai(moment: datetime) -> datetime:
    if moment.tzinfo is None:
        raise ValueError(f"time without offset: {moment}")
    return moment.astimezone(SHANGHAI)
