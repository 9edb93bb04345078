"""The ticket number (准考证号, R-TICKET-1): 15 digits in a fixed order, decoding back."""

from __future__ import annotations

from typing import Any

import pytest

from chalicelib.domain.errors import InvalidRequest
from chalicelib.domain.tickets import TicketNumber, decode_ticket_number, ticket_number

GOOD: dict[str, Any] = {"site_code": "320101", "year": 2026, "sitting": 2, "ticket_code": "1", "room": 7, "seat": 3}


def test_r_ticket_1_site_year_sitting_subject_room_seat_in_fifteen_digits() -> None:
    number = ticket_number(**GOOD)
    assert number == "320101" + "26" + "2" + "1" + "007" + "03"
    assert len(number) == 15
    assert ticket_number("000001", 2100 - 1, 1, "9", 999, 99) == "000001" + "99" + "1" + "9" + "999" + "99"


def test_r_ticket_1_the_number_decodes_back() -> None:
    decoded = decode_ticket_number("320101262100703")
    assert decoded == TicketNumber("320101", 2026, 2, "1", 7, 3)
    assert decoded.text == "320101262100703"
    assert decode_ticket_number(ticket_number("000001", 2000, 1, "0", 1, 1)) == TicketNumber(
        "000001", 2000, 1, "0", 1, 1
    )


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("site_code", "32010"),
        ("site_code", "3201011"),
        ("site_code", "32010a"),
        ("site_code", "３２０１０１"),  # full-width digits are digits to str.isdigit, not to the ticket
        ("site_code", 320101),
        ("year", 1999),
        ("year", 2100),
        ("year", "2026"),
        ("sitting", 0),
        ("sitting", 3),
        ("sitting", True),
        ("ticket_code", "12"),
        ("ticket_code", ""),
        ("ticket_code", 1),
        ("room", 0),
        ("room", 1000),
        ("room", True),
        ("seat", 0),
        ("seat", 100),
        ("seat", 3.0),
    ],
)
def test_r_ticket_1_a_part_that_does_not_fit_its_digits_is_refused_by_name(field: str, value: object) -> None:
    with pytest.raises(InvalidRequest) as refused:
        ticket_number(**{**GOOD, field: value})
    assert refused.value.field == field


@pytest.mark.parametrize(
    "text",
    [
        "",
        "32010126210070",  # 14 digits
        "3201012621007030",  # 16 digits
        "32010126210070a",
        " 320101262100703",
        "320101262100703\n",
        "３２０１０１262100703",
        "320101263100703",  # sitting 3
        "320101262100003",  # room 000
        "320101262100700",  # seat 00
        None,
        320101262100703,
    ],
)
def test_r_ticket_1_anything_but_a_ticket_number_is_refused(text: Any) -> None:
    with pytest.raises(InvalidRequest) as refused:
        decode_ticket_number(text)
    assert refused.value.field == "ticket_number"


@pytest.mark.parametrize(
    ("text", "why"),
    [
        ("32010126210070a", "15 位数字"),
        ("320101263100703", "第 9 位（考次）应为 1 或 2"),
        ("320101262100003", "考场号和座位号不能为 0"),
        ("320101262100700", "考场号和座位号不能为 0"),
    ],
)
def test_r_ticket_1_a_refused_ticket_number_says_which_part_is_wrong(text: str, why: str) -> None:
    with pytest.raises(InvalidRequest) as refused:
        decode_ticket_number(text)
    assert why in refused.value.message, refused.value.message
