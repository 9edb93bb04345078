"""The room plan (考场编排, R-ROOM-1..3): who sits in which room and seat, without storage.

The rule of numbering, for every run of the plan job (the first run is the case with no seat given):

- A site and subject (`SiteSubject`) has two kinds of room (`RoomGroup`): ordinary rooms of 30
  seats and separate rooms of 5 (R-ROOM-3). A room holds one kind only.
- The candidates still without a seat are taken kind by kind, ordinary first, each kind in
  ascending place key (R-ROOM-2: the hex HMAC-SHA256 of R-QUEUE-3, ties by account id).
- Each takes the seat after the last seat given in the last room of its kind (the highest-numbered
  room of that kind); when that room is full, or the kind has no room yet, a new room is opened
  with the number after the highest room number used at that site and subject by either kind.

So the first run numbers the ordinary rooms 1..R and the separate rooms after them (R-ROOM-3); a
later run never moves a seat (R-ROOM-1), fills the partly filled room of each kind first, then
opens rooms after every room that exists, so an ordinary room may come after a separate one.

What holds after every run, for each site and subject (the property test checks exactly this):
1. room numbers are 1..R without a gap, each room of one kind; seats in a room are 1..k without a
   gap, k at most the kind's size; no seat and no account twice;
2. every room of a kind but its highest-numbered one is full: at most one partly filled room per
   site, subject and kind;
3. within one run, a kind's new seats in (room, seat) order are in ascending place key, and all
   come after the seats given before in that kind.
After the first run only: every separate room is numbered after every ordinary room.
Points 1 and 2 need `given` to be every seat ever given at the site for the subject (a refunded
subject's seat included): a seat left out leaves a hole that no later run fills.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from chalicelib.domain.errors import InvalidRequest

# R-ROOM-2 draws and orders as the waiting room does (R-QUEUE-3): one definition of the key.
from chalicelib.domain.waiting_room import draw_seed, place_key, seed_sha256

__all__ = [
    "MAX_ROOM",
    "ROOM_SIZE",
    "SEPARATE_ROOM_SIZE",
    "Candidate",
    "RoomGroup",
    "Seat",
    "SiteSubject",
    "draw_seed",
    "place_key",
    "plan_province",
    "room_size",
    "seat_group",
    "seed_sha256",
]

ROOM_SIZE = 30
SEPARATE_ROOM_SIZE = 5
MAX_ROOM = 999  # the ticket number has 3 digits for the room (R-TICKET-1)


@dataclass(frozen=True, slots=True)
class Candidate:
    """A paid written subject waiting for a seat: its account and whether the roll asks for a
    separate room (合理便利, R-ROOM-3)."""

    account_id: str
    separate_room: bool = False


@dataclass(frozen=True, slots=True, order=True)
class SiteSubject:
    """Where rooms are numbered: one test site (考点) and one written subject."""

    site_code: str
    subject: str


@dataclass(frozen=True, slots=True, order=True)
class RoomGroup:
    """One kind of room at a site for a subject: at most one of its rooms is partly filled."""

    site_code: str
    subject: str
    separate_room: bool

    @property
    def size(self) -> int:
        return room_size(self.separate_room)


@dataclass(frozen=True, slots=True)
class Seat:
    """A seat given: room 1.., seat 1.. within the room. Once given it never changes (R-ROOM-1)."""

    site_code: str
    subject: str
    account_id: str
    room: int
    seat: int
    separate_room: bool = False

    @property
    def site_subject(self) -> SiteSubject:
        return SiteSubject(self.site_code, self.subject)

    @property
    def group(self) -> RoomGroup:
        return RoomGroup(self.site_code, self.subject, self.separate_room)


def room_size(separate_room: bool) -> int:
    return SEPARATE_ROOM_SIZE if separate_room else ROOM_SIZE


def seat_group(
    seed: str, site_code: str, subject: str, candidates: Iterable[Candidate], given: Sequence[Seat]
) -> list[Seat]:
    """The new seats of one site and subject, both kinds of room, by the rule of this module.

    `given` is every seat already given at this site for this subject (empty on the first run);
    candidates already seated there are skipped, whatever their kind now. An account listed more
    than once is seated once, in a separate room if any listing asks for one.
    """
    for seat in given:
        if (seat.site_code, seat.subject) != (site_code, subject):
            raise ValueError(f"a seat of {seat.site_code}/{seat.subject} given to plan {site_code}/{subject}")
    waiting = _waiting(candidates, {seat.account_id for seat in given})
    highest = max((seat.room for seat in given), default=0)
    new: list[Seat] = []
    for separate in (False, True):
        batch = [account for account, kind in waiting.items() if kind == separate]
        batch.sort(key=lambda account: (place_key(seed, account), account))
        room, filled = _last_room(given, separate)
        size = room_size(separate)
        for account in batch:
            if filled >= size:
                highest += 1
                room, filled = _checked(highest), 0
            filled += 1
            new.append(Seat(site_code, subject, account, room, filled, separate))
    return new


def plan_province(
    seed: str, candidates: Mapping[SiteSubject, Iterable[Candidate]], given: Iterable[Seat] = ()
) -> list[Seat]:
    """The new seats of every site and subject: `seat_group` for each, in (site, subject) order."""
    given_at: dict[SiteSubject, list[Seat]] = defaultdict(list)
    for seat in given:
        given_at[seat.site_subject].append(seat)
    new: list[Seat] = []
    for where in sorted(candidates):
        new += seat_group(seed, where.site_code, where.subject, candidates[where], given_at.get(where, []))
    return new


def _waiting(candidates: Iterable[Candidate], seated: set[str]) -> dict[str, bool]:
    waiting: dict[str, bool] = {}
    for candidate in candidates:
        if candidate.account_id not in seated:
            waiting[candidate.account_id] = waiting.get(candidate.account_id, False) or candidate.separate_room
    return waiting


def _last_room(given: Sequence[Seat], separate: bool) -> tuple[int, int]:
    """The kind's highest-numbered room and its last seat given; (0, size) when it has no room, so
    the first candidate opens one."""
    rooms = [seat.room for seat in given if seat.separate_room == separate]
    if not rooms:
        return 0, room_size(separate)
    room = max(rooms)
    return room, max(seat.seat for seat in given if seat.room == room)


def _checked(room: int) -> int:
    if room > MAX_ROOM:
        raise InvalidRequest("room", f"超过 {MAX_ROOM}：该考点此科目考生过多，请增设考点")
    return room
