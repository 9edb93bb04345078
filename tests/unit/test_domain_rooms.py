"""The room plan without storage (R-ROOM-1..3): places, rooms and seats, first and later runs."""

from __future__ import annotations

import hashlib
import hmac
from collections import Counter

import pytest

from chalicelib.domain import waiting_room
from chalicelib.domain.errors import InvalidRequest
from chalicelib.domain.rooms import (
    ROOM_SIZE,
    SEPARATE_ROOM_SIZE,
    Candidate,
    RoomGroup,
    Seat,
    SiteSubject,
    place_key,
    plan_province,
    seat_group,
)

SEED = "5f" * 32
SITE = "320101"


def expected_order(seed: str, accounts: list[str]) -> list[str]:
    """Computed here with hmac itself, not with the code under test."""
    key = seed.encode("utf-8")
    return sorted(accounts, key=lambda a: hmac.new(key, a.encode("utf-8"), hashlib.sha256).hexdigest())


def ordinary(accounts: list[str]) -> list[Candidate]:
    return [Candidate(account, separate_room=False) for account in accounts]


def places(seats: list[Seat]) -> list[tuple[str, int, int]]:
    return [(s.account_id, s.room, s.seat) for s in seats]


def test_r_room_2_the_place_key_is_the_waiting_rooms_hmac_of_the_seed() -> None:
    expected = hmac.new(SEED.encode("utf-8"), b"acc-7", hashlib.sha256).hexdigest()
    assert place_key(SEED, "acc-7") == expected
    assert place_key is waiting_room.place_key  # one definition for the queue and the plan (R-QUEUE-3)


def test_r_room_2_places_follow_the_hmac_order() -> None:
    accounts = [f"acc-{n}" for n in range(65)]
    seats = seat_group(SEED, SITE, "CET4", ordinary(accounts), [])
    order = expected_order(SEED, accounts)
    # Place p sits in room ⌈p/30⌉, seat ((p−1) mod 30)+1.
    assert places(seats) == [(a, (p - 1) // 30 + 1, (p - 1) % 30 + 1) for p, a in enumerate(order, start=1)]
    assert places(seat_group("another seed", SITE, "CET4", ordinary(accounts), [])) != places(seats)


def test_r_room_1_rooms_of_30_numbered_from_1_with_one_room_partly_filled() -> None:
    seats = seat_group(SEED, SITE, "CET6", ordinary([f"acc-{n}" for n in range(61)]), [])
    assert Counter(s.room for s in seats) == {1: 30, 2: 30, 3: 1}
    assert {(s.site_code, s.subject, s.separate_room) for s in seats} == {(SITE, "CET6", False)}
    assert seats[0].group == RoomGroup(SITE, "CET6", False)
    assert seats[0].group.size == ROOM_SIZE


def test_r_room_3_separate_rooms_hold_five_and_are_numbered_after_the_ordinary_rooms() -> None:
    separate = [Candidate(f"sep-{n}", separate_room=True) for n in range(7)]
    seats = seat_group(SEED, SITE, "CET4", [*ordinary([f"acc-{n}" for n in range(31)]), *separate], [])
    rooms = Counter((s.room, s.separate_room) for s in seats)
    assert rooms == {(1, False): 30, (2, False): 1, (3, True): 5, (4, True): 2}
    in_separate = [s.account_id for s in seats if s.separate_room]
    assert in_separate == expected_order(SEED, [c.account_id for c in separate])
    assert RoomGroup(SITE, "CET4", True).size == SEPARATE_ROOM_SIZE


def test_r_room_1_a_later_run_keeps_every_seat_and_fills_the_partly_filled_room_first() -> None:
    first = seat_group(SEED, SITE, "CET4", ordinary([f"acc-{n}" for n in range(28)]), [])
    late = [f"late-{n}" for n in range(4)]
    everyone = ordinary([*(s.account_id for s in first), *late])
    second = seat_group(SEED, SITE, "CET4", everyone, first)
    # Only the late payers get seats, after every seat given, in their own HMAC order.
    assert places(second) == [
        (a, room, seat)
        for a, (room, seat) in zip(expected_order(SEED, late), [(1, 29), (1, 30), (2, 1), (2, 2)], strict=True)
    ]


def test_r_room_1_rooms_opened_by_a_later_run_come_after_every_room_that_exists() -> None:
    """The separate room 2 exists, so the ordinary rooms of late payers are 3 and 4; the partly
    filled separate room is filled before a new one (room 4) is opened."""
    first = seat_group(SEED, SITE, "CET4", [*ordinary(["a"] * 1), Candidate("s", separate_room=True)], [])
    assert places(first) == [("a", 1, 1), ("s", 2, 1)]
    late = [*ordinary([f"late-{n}" for n in range(31)]), *(Candidate(f"ls-{n}", True) for n in range(5))]
    second = seat_group(SEED, SITE, "CET4", late, first)
    assert Counter((s.room, s.separate_room) for s in second) == {
        (1, False): 29,
        (3, False): 2,
        (2, True): 4,
        (4, True): 1,
    }


def test_r_room_1_a_seated_candidate_is_skipped_whatever_the_roll_says_now() -> None:
    first = seat_group(SEED, SITE, "CET4", ordinary(["a", "b"]), [])
    assert seat_group(SEED, SITE, "CET4", [Candidate("a", True), Candidate("b", False)], first) == []


def test_r_room_1_an_account_listed_twice_gets_one_seat_in_a_separate_room_if_either_asks() -> None:
    seats = seat_group(SEED, SITE, "CET4", [Candidate("a", True), Candidate("a", False), Candidate("b")], [])
    assert [(s.account_id, s.separate_room) for s in seats] == [("b", False), ("a", True)]


def test_r_room_1_seats_are_planned_per_site_and_subject_and_room_numbers_stay_within_three_digits() -> None:
    full = [Seat(SITE, "CET4", f"acc-{n}", 999, n + 1, False) for n in range(ROOM_SIZE)]
    with pytest.raises(InvalidRequest) as refused:
        seat_group(SEED, SITE, "CET4", ordinary(["late"]), full)
    assert refused.value.field == "room"
    with pytest.raises(ValueError, match="320102/CET4"):
        seat_group(SEED, SITE, "CET4", ordinary(["late"]), [Seat("320102", "CET4", "x", 1, 1)])


def test_r_ticket_1_room_999_is_the_last_a_three_digit_room_number_allows_and_it_is_used() -> None:
    full = [Seat(SITE, "CET4", f"acc-{n}", 998, n + 1, False) for n in range(ROOM_SIZE)]
    (seat,) = seat_group(SEED, SITE, "CET4", ordinary(["next"]), full)
    assert (seat.room, seat.seat) == (999, 1)


def test_r_room_1_a_province_plan_is_the_plan_of_each_site_and_subject_with_its_own_seats() -> None:
    given = seat_group(SEED, SITE, "CET4", ordinary(["a", "b"]), [])
    candidates = {
        SiteSubject(SITE, "CET4"): ordinary(["a", "b", "c"]),
        SiteSubject(SITE, "CET6"): ordinary(["a"]),
        SiteSubject("320102", "CET4"): ordinary(["d"]),
    }
    new = plan_province(SEED, candidates, given)
    assert [(s.site_code, s.subject, s.account_id, s.room, s.seat) for s in new] == [
        (SITE, "CET4", "c", 1, 3),
        (SITE, "CET6", "a", 1, 1),
        ("320102", "CET4", "d", 1, 1),
    ]
