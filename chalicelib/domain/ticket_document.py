"""R-TICKET-2 准考证 and R-TICKET-3 考场签到表: what they say, and the QR code's signed text.

The QR code carries `<payload>.<signature>`, both base64url without padding (api.md): the payload
is UTF-8 JSON (compact, sorted keys) naming the key it was signed with, so a ticket signed before
a key rotation still verifies while that key's public half is kept (decision 0028). Signing and
checking are chalicelib/tickets/signing.py's: this module only says what is signed and how the
text is put together and taken apart.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from chalicelib.domain.clock import SHANGHAI, iso, parse_iso
from chalicelib.domain.errors import DomainError
from chalicelib.domain.identity import mask_id_number

TICKET_TITLE = "全国大学英语四、六级考试 准考证"
SHEET_TITLE = "全国大学英语四、六级考试 考场签到表"
# 考生须知: printed under every ticket.
EXAM_RULES = (
    "考生凭本准考证和报名时所用的有效身份证件入场，二者缺一不可。",
    "开考前 30 分钟起入场，按准考证上的考场号和座位号就座；听力考试开始后不得入场。",
    "只可携带黑色字迹签字笔、2B 铅笔和橡皮就座；手机、智能手表等电子设备须关机后放在考场指定位置。",
    "考试中不得交头接耳、抄袭或协助他人作弊；违纪作弊者按《国家教育考试违规处理办法》处理。",
    "考试结束信号发出后立即停止答题，待监考员收齐试卷和答题卡后方可离开考场。",
    "本准考证由考生自行打印，请妥善保管，不得涂改；二维码供考场核验身份，请勿折损。",
)
SIGNATURE_ALGORITHM = "Ed25519"
# A key's name: printable, short, never "local" on a real stage (chalicelib/tickets/keys.py).
KEY_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,31}")
# What every ticket's payload names; a signed text without them is not a ticket.
PAYLOAD_FIELDS = ("key_id", "ticket_number", "name", "masked_id", "subject", "exam_at", "ends_at", "room", "seat")
_BASE64URL = re.compile(r"[A-Za-z0-9_-]+")
ED25519_SIGNATURE_BYTES = 64
MAX_QR_TEXT = 2000  # a ticket's text is about 400 characters; a longer one is not ours


class TicketQrRefused(DomainError):
    """R-TICKET-2: a QR text that is not a ticket signed with one of the province's keys."""

    code = "TICKET_QR_REFUSED"
    message = "二维码不是本省签发的有效准考证。"


class MalformedTicketQr(TicketQrRefused):
    message = "二维码内容不是准考证的格式（应为“内容.签名”两段 base64url 文本）。"


class UnknownTicketKey(TicketQrRefused):
    def __init__(self, key_id: str) -> None:
        self.key_id = key_id
        super().__init__(f"签名密钥 {key_id} 不是本省准考证的密钥（别省的、已撤销的或伪造的）。")


class BadTicketSignature(TicketQrRefused):
    message = "签名不符：二维码内容被改动过，或不是用本省密钥签发的。"


def _masked(id_number: str) -> str:
    """A ticket never prints a whole ID number: one given by mistake is masked here."""
    return id_number if "*" in id_number else mask_id_number(id_number)


@dataclass(frozen=True)
class TicketDocument:
    """One admission ticket: a seated written subject of the bound registration (R-TICKET-2)."""

    ticket_number: str  # R-TICKET-1, 15 digits
    name: str
    masked_id: str
    school: str
    subject: str  # the written subject's code
    subject_name: str
    exam_at: datetime
    exam_minutes: int
    site_code: str
    campus_name: str
    room: str  # 3 digits
    seat: str  # 2 digits
    room_name: str | None = None
    separate_room: bool = False
    extra_minutes: int = 0  # R-ROOM-3: from the roll's accommodation

    def __post_init__(self) -> None:
        object.__setattr__(self, "masked_id", _masked(self.masked_id))

    @property
    def ends_at(self) -> datetime:
        return self.exam_at + timedelta(minutes=self.exam_minutes + self.extra_minutes)

    def payload(self, key_id: str) -> bytes:
        """What the QR code's signature covers: UTF-8 JSON, compact, sorted keys."""
        fields = {
            "key_id": key_id,
            "ticket_number": self.ticket_number,
            "name": self.name,
            "masked_id": self.masked_id,
            "subject": self.subject,
            "exam_at": iso(self.exam_at),
            "ends_at": iso(self.ends_at),
            "room": self.room,
            "seat": self.seat,
        }
        return json.dumps(fields, ensure_ascii=False, sort_keys=True, separators=(",", ":")).encode("utf-8")


@dataclass(frozen=True)
class SignInRow:
    seat: str
    ticket_number: str
    name: str
    masked_id: str
    extra_minutes: int = 0

    def __post_init__(self) -> None:
        object.__setattr__(self, "masked_id", _masked(self.masked_id))


@dataclass(frozen=True)
class SignInSheet:
    """R-TICKET-3 考场签到表: one room of one site and subject, its candidates in seat order."""

    site_code: str
    campus_name: str
    subject: str
    subject_name: str
    room: str
    exam_at: datetime
    ends_at: datetime  # the room's latest end (extra minutes included)
    rows: tuple[SignInRow, ...]
    room_name: str | None = None
    separate_room: bool = False


def time_span(start: datetime, end: datetime) -> str:
    """2026年12月19日 09:00–11:20（北京时间）; an end on another day names its date."""
    start, end = start.astimezone(SHANGHAI), end.astimezone(SHANGHAI)
    until = f"{end:%H:%M}" if end.date() == start.date() else f"{end.month}月{end.day}日 {end:%H:%M}"
    return f"{start.year}年{start.month}月{start.day}日 {start:%H:%M}–{until}（北京时间）"


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def from_b64url(text: str) -> bytes:
    """Strict: base64url characters only, no padding, no stray bits."""
    if not _BASE64URL.fullmatch(text) or len(text) % 4 == 1:
        raise MalformedTicketQr()
    try:
        data = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    except (binascii.Error, ValueError):
        raise MalformedTicketQr() from None
    if b64url(data) != text:
        raise MalformedTicketQr()
    return data


def qr_text(payload: bytes, signature: bytes) -> str:
    return f"{b64url(payload)}.{b64url(signature)}"


def split_qr_text(text: str) -> tuple[bytes, bytes]:
    """The payload's bytes and the signature; MalformedTicketQr when the text is not of that shape."""
    text = text.strip()
    if len(text) > MAX_QR_TEXT or text.count(".") != 1:
        raise MalformedTicketQr()
    payload_part, signature_part = text.split(".")
    payload, signature = from_b64url(payload_part), from_b64url(signature_part)
    if len(signature) != ED25519_SIGNATURE_BYTES:
        raise MalformedTicketQr()
    return payload, signature


def claimed_key_id(payload: bytes) -> str:
    """The key a payload says it was signed with: read before the signature is checked, to pick
    the public key; nothing else in it is trusted until then."""
    fields = _json_object(payload)
    key_id = fields.get("key_id")
    if not isinstance(key_id, str) or not KEY_ID.fullmatch(key_id):
        raise MalformedTicketQr("二维码内容没有指明有效的签名密钥（key_id）。")
    return key_id


def ticket_fields(payload: bytes) -> dict[str, Any]:
    """A verified payload's fields; one lacking a ticket's fields is refused all the same."""
    fields = _json_object(payload)
    missing = [name for name in PAYLOAD_FIELDS if not isinstance(fields.get(name), str) or not fields[name]]
    if missing:
        raise MalformedTicketQr(f"签名有效，但内容缺少准考证的字段：{', '.join(missing)}。")
    for name in ("exam_at", "ends_at"):
        try:
            parse_iso(fields[name])
        except ValueError:
            raise MalformedTicketQr(f"签名有效，但 {name} 不是有效的时间。") from None
    return fields


def _json_object(payload: bytes) -> dict[str, Any]:
    try:
        fields = json.loads(payload.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        raise MalformedTicketQr() from None
    if not isinstance(fields, dict):
        raise MalformedTicketQr()
    return fields
