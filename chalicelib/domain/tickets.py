"""Admission tickets (准考证, R-TICKET-1): the 15-digit ticket number, and decoding it back.

Site code (6) + year (last 2) + sitting (1 June, 2 December) + the written subject's ticket code
(1) + room (3) + seat (2). Site codes are unique in the province and ticket codes among written
subjects, and a room and seat is given once per site and subject (R-ROOM-1): the number is unique.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from chalicelib.domain.errors import InvalidRequest

TICKET_NUMBER_DIGITS = 15
FIRST_YEAR, LAST_YEAR = 2000, 2099  # two digits of the year decode back within one century
SITTINGS = (1, 2)  # 1 June, 2 December
MAX_ROOM, MAX_SEAT = 999, 99

_SITE_CODE = re.compile(r"[0-9]{6}")
_TICKET_CODE = re.compile(r"[0-9]")
_TICKET_NUMBER = re.compile(r"([0-9]{6})([0-9]{2})([0-9])([0-9])([0-9]{3})([0-9]{2})")


@dataclass(frozen=True, slots=True)
class TicketNumber:
    site_code: str
    year: int
    sitting: int
    ticket_code: str
    room: int
    seat: int

    @property
    def text(self) -> str:
        return ticket_number(self.site_code, self.year, self.sitting, self.ticket_code, self.room, self.seat)


def ticket_number(site_code: str, year: int, sitting: int, ticket_code: str, room: int, seat: int) -> str:
    """R-TICKET-1: the 15 digits; InvalidRequest names the part that cannot be written in them."""
    if not isinstance(site_code, str) or not _SITE_CODE.fullmatch(site_code):
        raise InvalidRequest("site_code", "应为 6 位数字")
    _check_int("year", year, FIRST_YEAR, LAST_YEAR)
    if isinstance(sitting, bool) or sitting not in SITTINGS:
        raise InvalidRequest("sitting", "应为 1（6 月）或 2（12 月）")
    if not isinstance(ticket_code, str) or not _TICKET_CODE.fullmatch(ticket_code):
        raise InvalidRequest("ticket_code", "应为 1 位数字")
    _check_int("room", room, 1, MAX_ROOM)
    _check_int("seat", seat, 1, MAX_SEAT)
    return f"{site_code}{year % 100:02d}{sitting}{ticket_code}{room:03d}{seat:02d}"


def decode_ticket_number(text: str) -> TicketNumber:
    """The parts of a ticket number; InvalidRequest("ticket_number") for anything that is not one."""
    match = _TICKET_NUMBER.fullmatch(text) if isinstance(text, str) else None
    if match is None:
        raise InvalidRequest("ticket_number", "应为 15 位数字的准考证号")
    site_code, year, sitting, ticket_code, room, seat = match.groups()
    if int(sitting) not in SITTINGS:
        raise InvalidRequest("ticket_number", "第 9 位（考次）应为 1 或 2")
    if int(room) == 0 or int(seat) == 0:
        raise InvalidRequest("ticket_number", "考场号和座位号不能为 0")
    return TicketNumber(site_code, FIRST_YEAR + int(year), int(sitting), ticket_code, int(room), int(seat))


def _check_int(field: str, value: object, low: int, high: int) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise InvalidRequest(field, f"应为 {low} 至 {high} 之间的整数")
