"""Logins and one-time codes (R-ACC-1, R-ACC-3), the roll as loaded (R-ROOM-3), a plan run (R-ROOM-1), the ticket's
text (R-TICKET-2): the domain's small pieces that the services trust."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta

import pytest

from chalicelib.domain.accounts import normalize_login
from chalicelib.domain.clock import SHANGHAI
from chalicelib.domain.errors import InvalidLogin
from chalicelib.domain.recovery import CODE_DIGITS, new_code
from chalicelib.domain.roll import Accommodation
from chalicelib.domain.room_plan import SETTLED_MARGIN, PlanRun, RunState
from chalicelib.domain.ticket_document import b64url, from_b64url, time_span
from tests.factories import NOW, ZHANG, entry


def test_r_acc_3_a_code_is_any_of_the_million_six_digit_numbers() -> None:
    """Guessing must face a million codes: 300 draws are near all different and reach the top."""
    drawn = [new_code() for _ in range(300)]
    assert all(len(code) == CODE_DIGITS and code.isdigit() for code in drawn)
    assert len(set(drawn)) >= 295
    assert max(int(code) for code in drawn) >= 100_000


def test_r_room_3_the_roll_entry_keeps_the_accommodation_of_the_row() -> None:
    row = replace(ZHANG, accommodation=Accommodation(separate_room=True, extra_minutes=30))
    assert entry(row).accommodation == Accommodation(separate_room=True, extra_minutes=30)


def test_r_room_1_a_later_run_counts_on_from_the_last_and_leaves_the_last_minute_to_the_next() -> None:
    first = PlanRun.first_after(None, NOW)
    assert first == PlanRun(1, NOW - SETTLED_MARGIN, RunState.SEATING, NOW, seated=0, rooms=0)
    later = NOW + timedelta(days=1)
    second = PlanRun.first_after(replace(first, state=RunState.DONE, seated=61, rooms=3), later)
    assert second == PlanRun(2, later - SETTLED_MARGIN, RunState.SEATING, later, seated=61, rooms=3)


def test_r_ticket_2_any_bytes_come_back_from_the_qr_text() -> None:
    """The payload and the signature are base64url without padding: every ending survives."""
    for data in [bytes([0, 0, n]) for n in range(64)] + [b"x", b"xy", bytes(range(256))]:
        assert from_b64url(b64url(data)) == data


def test_r_ticket_2_an_exam_that_ends_on_another_day_names_that_day() -> None:
    start = datetime(2099, 12, 19, 23, 0, tzinfo=SHANGHAI)
    assert time_span(start, start + timedelta(hours=1)) == "2099年12月19日 23:00–12月20日 00:00（北京时间）"
    assert time_span(start - timedelta(hours=2), start) == "2099年12月19日 21:00–23:00（北京时间）"


def test_r_acc_1_an_e_mail_login_is_at_most_254_characters() -> None:
    """The longest address mail can carry (RFC 5321): one more is refused, not stored."""
    longest = "a" * 64 + "@" + "b" * 64 + "." + "c" * 60 + "." + "d" * 60 + ".cn"
    assert len(longest) == 254
    assert normalize_login(longest) == longest
    with pytest.raises(InvalidLogin):
        normalize_login(longest.replace("@", "@b"))
