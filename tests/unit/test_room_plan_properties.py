"""R-ROOM-1..3 and R-TICKET-1 over random provinces: a first run, then later runs for late payers.

The invariant is the one chalicelib/domain/rooms.py states, checked after every run on all the
seats given so far; the HMAC order is recomputed here with hmac itself.
"""

from __future__ import annotations

import hashlib
import hmac
from collections import defaultdict
from dataclasses import dataclass

from hypothesis import given, settings
from hypothesis import strategies as st

from chalicelib.domain.rooms import Candidate, Seat, SiteSubject, plan_province
from chalicelib.domain.tickets import decode_ticket_number, ticket_number

SITES = ("320101", "320102", "510001")
TICKET_CODES = {"CET4": "1", "CET6": "2"}
SIZES = {False: 30, True: 5}


@dataclass(frozen=True)
class Payer:
    """A paid written subject: where, which kind of room, in which run it is first planned."""

    account_id: str
    where: SiteSubject
    separate_room: bool
    run: int


@st.composite
def provinces(draw: st.DrawFn) -> tuple[str, list[Payer], int, bool]:
    """A seed, the payers (groups large enough for several rooms), the number of runs, and whether
    later runs list the seated candidates with their kind of room flipped (the roll changed)."""
    runs = draw(st.integers(min_value=1, max_value=4))
    counts = draw(
        st.dictionaries(
            st.tuples(
                st.sampled_from(SITES), st.sampled_from(sorted(TICKET_CODES)), st.booleans(), st.integers(0, runs - 1)
            ),
            st.integers(min_value=0, max_value=70),
            max_size=12,
        )
    )
    payers = [
        Payer(f"{site}-{int(separate)}-{run}-{n}", SiteSubject(site, subject), separate, run)
        for (site, subject, separate, run), count in sorted(counts.items())
        for n in range(count)
    ]
    seed = draw(st.binary(min_size=32, max_size=32)).hex()
    return seed, payers, runs, draw(st.booleans())


def key(seed: str, account_id: str) -> str:
    return hmac.new(seed.encode("utf-8"), account_id.encode("utf-8"), hashlib.sha256).hexdigest()


def candidates_of(payers: list[Payer], run: int, flip: bool) -> dict[SiteSubject, list[Candidate]]:
    """Every subject paid by this run, as the plan job reads them all again each run."""
    found: dict[SiteSubject, list[Candidate]] = defaultdict(list)
    for payer in payers:
        if payer.run <= run:
            separate = payer.separate_room != (flip and payer.run < run)
            found[payer.where].append(Candidate(payer.account_id, separate))
    return found


def by_site_subject(seats: list[Seat]) -> dict[SiteSubject, list[Seat]]:
    found: dict[SiteSubject, list[Seat]] = defaultdict(list)
    for seat in seats:
        found[SiteSubject(seat.site_code, seat.subject)].append(seat)
    return found


def check_rooms(seats: list[Seat]) -> None:
    """R-ROOM-1/3: rooms 1..R without a gap, one kind each, seats 1..k within the kind's size, at
    most one partly filled room per site, subject and kind (the highest-numbered of that kind)."""
    for where, here in by_site_subject(seats).items():
        assert len({s.account_id for s in here}) == len(here), where
        rooms: dict[int, list[Seat]] = defaultdict(list)
        for seat in here:
            rooms[seat.room].append(seat)
        assert sorted(rooms) == list(range(1, len(rooms) + 1)), where
        for number, room in rooms.items():
            kinds = {s.separate_room for s in room}
            assert len(kinds) == 1, (where, number)
            assert sorted(s.seat for s in room) == list(range(1, len(room) + 1)), (where, number)
            assert len(room) <= SIZES[kinds.pop()], (where, number)
        for separate, size in SIZES.items():
            of_kind = sorted(n for n, room in rooms.items() if room[0].separate_room == separate)
            assert all(len(rooms[n]) == size for n in of_kind[:-1]), (where, separate)


def check_first_run(seats: list[Seat]) -> None:
    """R-ROOM-3: after the first run, the separate rooms are numbered after the ordinary ones."""
    for where, here in by_site_subject(seats).items():
        ordinary = [s.room for s in here if not s.separate_room]
        separate = [s.room for s in here if s.separate_room]
        assert max(ordinary, default=0) < min(separate, default=1000), where


def check_batch(seed: str, before: list[Seat], new: list[Seat]) -> None:
    """R-ROOM-2: a run's new seats of a kind, in (room, seat) order, are in ascending HMAC order and
    all after the seats given before in that kind."""
    last: dict[tuple[str, str, bool], tuple[int, int]] = defaultdict(lambda: (0, 0))
    for s in before:
        last[(s.site_code, s.subject, s.separate_room)] = max(
            last[(s.site_code, s.subject, s.separate_room)], (s.room, s.seat)
        )
    batches: dict[tuple[str, str, bool], list[Seat]] = defaultdict(list)
    for s in new:
        batches[(s.site_code, s.subject, s.separate_room)].append(s)
    for group, batch in batches.items():
        batch.sort(key=lambda s: (s.room, s.seat))
        keys = [key(seed, s.account_id) for s in batch]
        assert keys == sorted(keys), group
        assert (batch[0].room, batch[0].seat) > last[group], group


def _pair(where: SiteSubject) -> tuple[str, str]:
    return where.site_code, where.subject


def check_tickets(seats: list[Seat], year: int, sitting: int) -> None:
    """R-TICKET-1: unique in the province, and each decodes back to its site, subject, room, seat."""
    numbers = {}
    for s in seats:
        number = ticket_number(s.site_code, year, sitting, TICKET_CODES[s.subject], s.room, s.seat)
        decoded = decode_ticket_number(number)
        assert (decoded.site_code, decoded.ticket_code, decoded.room, decoded.seat) == (
            s.site_code,
            TICKET_CODES[s.subject],
            s.room,
            s.seat,
        )
        assert (decoded.year, decoded.sitting) == (year, sitting)
        numbers[number] = s
    assert len(numbers) == len(seats)


@settings(max_examples=60, deadline=None)
@given(provinces(), st.integers(min_value=2000, max_value=2099), st.sampled_from([1, 2]))
def test_r_room_1_to_3_and_r_ticket_1_hold_over_a_first_run_and_later_runs(
    province: tuple[str, list[Payer], int, bool], year: int, sitting: int
) -> None:
    seed, payers, runs, flip = province
    seats: list[Seat] = []
    for run in range(runs):
        earlier = list(seats)
        new = plan_province(seed, candidates_of(payers, run, flip), earlier)
        assert earlier == seats  # the seats of earlier runs are not touched
        seats = [*earlier, *new]
        # Exactly this run's payers get seats, in the kind the roll gave them when first planned.
        assert {(s.site_code, s.subject, s.account_id, s.separate_room) for s in new} == {
            (*_pair(p.where), p.account_id, p.separate_room) for p in payers if p.run == run
        }
        check_rooms(seats)
        check_batch(seed, earlier, new)
        if run == 0:
            check_first_run(seats)
    assert len(seats) == len(payers)
    check_tickets(seats, year, sitting)
