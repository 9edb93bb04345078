"""The waiting room as a student sees it (R-QUEUE-1..6): the openings, joining, one's place, and
the published pre-opening order."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from chalicelib.domain.accounts import Account
from chalicelib.domain.clock import Clock
from chalicelib.domain.errors import Busy, InvalidRequest, NotFound, QueueNotOpen, QueueNotOrdered, RegistrationRequired
from chalicelib.domain.messages import Message
from chalicelib.domain.registration import AccountFile
from chalicelib.domain.waiting_room import (
    EntryState,
    Opening,
    OpeningProgress,
    OpeningState,
    QueueClaim,
    QueueEntry,
    Standing,
    check_admission,
    openings_at,
    place_key,
    standing,
)
from chalicelib.services.accounts_ports import AccountFiles, AccountStore
from chalicelib.services.registration_ports import CatalogStore


@dataclass(frozen=True)
class WaitingRoomContext:
    catalogs: CatalogStore
    waiting_room: WaitingRoomStore
    clock: Clock
    files: AccountFiles  # the account's partition: its registration (the candidate) and entries
    accounts: AccountStore  # the login an admission is sent to (R-NOTE-2)


@dataclass(frozen=True)
class OpeningView:
    opening: Opening
    state: OpeningState
    progress: OpeningProgress


@dataclass(frozen=True)
class Joined:
    opening: Opening
    entry: QueueEntry
    created: bool  # 201 the first time (or a re-join after a lapse), 200 when already queued


def list_openings(ctx: WaitingRoomContext) -> list[OpeningView]:
    """R-QUEUE-3: the seed's digest always, the seed itself only once `opens_at` has passed."""
    now = ctx.clock.now()
    views = []
    for opening in sorted(ctx.catalogs.catalog().openings.values(), key=lambda o: (o.opens_at, o.id)):
        revealed = now >= opening.opens_at
        progress = ctx.waiting_room.progress(opening.id, with_seed=revealed) or OpeningProgress()
        if not revealed:
            progress = OpeningProgress(progress.seed_sha256, None, progress.queued, progress.admitted)
        views.append(OpeningView(opening, opening.state(now), progress))
    return views


def _opening(ctx: WaitingRoomContext, opening_id: str) -> Opening:
    opening = ctx.catalogs.catalog().openings.get(opening_id)
    if opening is None:
        raise NotFound("没有这个排队场次。")
    return opening


def join(ctx: WaitingRoomContext, account: Account, opening_id: str) -> Joined:
    """R-QUEUE-2 (amended): once per candidate, whatever the account: joining needs the bound
    registration, and an account of a candidate already queued from another account (the binding
    moved, R-BIND-4) is answered with that entry (200). R-QUEUE-4: a lapsed admission joins again
    at the back."""
    opening = _opening(ctx, opening_id)
    now = ctx.clock.now()
    if not opening.queue_open(now):
        raise QueueNotOpen()
    file = ctx.files.file(account.account_id)  # one Query: the registration and the account's entries
    registration = file.registration
    if registration is None or registration.is_gone(now):
        raise RegistrationRequired()
    candidate = registration.candidate.key
    if opening.id not in file.queue_entries:  # the usual case: one transaction, entry and claim
        first = QueueEntry(account.account_id, opening.id, now, candidate=candidate)
        if ctx.waiting_room.join(first, None, None):
            return Joined(opening, first, created=True)
    for _ in range(3):
        own = ctx.waiting_room.entry(account.account_id, opening.id)
        claim = ctx.waiting_room.claim(candidate, opening.id)
        held = _claimed(ctx.waiting_room, candidate, opening.id, claim, own)
        if held is not None and held.state(now) is not EntryState.LAPSED:
            return Joined(opening, held, created=False)
        # none yet, or lapsed: a new arrival, in this account's partition (at the back, R-QUEUE-4)
        new = QueueEntry(account.account_id, opening.id, now, own.round + 1 if own else 0, candidate=candidate)
        if ctx.waiting_room.join(new, own, claim):
            return Joined(opening, new, created=True)
    own = ctx.waiting_room.entry(account.account_id, opening.id)  # other tabs keep re-joining: show theirs
    held = _claimed(ctx.waiting_room, candidate, opening.id, ctx.waiting_room.claim(candidate, opening.id), own)
    if held is None:
        raise Busy()
    return Joined(opening, held, created=False)


def _claimed(
    waiting_room: WaitingRoomStore, candidate: str, opening_id: str, claim: QueueClaim | None, own: QueueEntry | None
) -> QueueEntry | None:
    """The candidate's entry: the one its claim names (`own` when it is in this account's
    partition); without a claim, an entry written before entries named their candidate."""
    if claim is None:
        return own if own is not None and own.candidate is None else None
    entry = (
        own
        if own is not None and own.account_id == claim.account_id
        else waiting_room.entry(claim.account_id, opening_id)
    )
    return entry if claim.names(entry, candidate) else None


def candidates_entry(
    waiting_room: WaitingRoomStore, file: AccountFile, opening_id: str, now: datetime
) -> QueueEntry | None:
    """The entry that stands for the account in an opening: its bound candidate's (R-QUEUE-2),
    which is found in the partition already read when the account joined for it, else through
    the candidate's claim (it joined from an account bound before, R-BIND-4); without a bound
    candidate, the account's own entry."""
    own = file.queue_entries.get(opening_id)
    registration = file.registration
    if registration is None or registration.is_gone(now):
        return own
    candidate = registration.candidate.key
    mine = own if own is not None and own.candidate in (candidate, None) else None
    if mine is not None and mine.state(now) is not EntryState.LAPSED:
        return mine  # a live entry is always the candidate's claimed one: no read
    claim = waiting_room.claim(candidate, opening_id)
    if claim is not None:
        entry = waiting_room.entry(claim.account_id, opening_id)
        if claim.names(entry, candidate):
            return entry
    return mine


def standing_of(ctx: WaitingRoomContext, opening: Opening, entry: QueueEntry) -> Standing:
    progress = ctx.waiting_room.progress(opening.id, with_seed=False) or OpeningProgress()
    return standing(opening, entry, progress, ctx.clock.now())


def current_entry(ctx: WaitingRoomContext, account: Account, opening_id: str) -> tuple[Opening, Standing]:
    opening = _opening(ctx, opening_id)
    entry = candidates_entry(ctx.waiting_room, ctx.files.file(account.account_id), opening.id, ctx.clock.now())
    if entry is None:
        raise NotFound("您还没有加入这个场次的排队。")
    return opening, standing_of(ctx, opening, entry)


ORDER_PAGE_MAX = 1000  # R-QUEUE-6: keys per page


@dataclass(frozen=True)
class OrderPage:
    seed: str
    total: int  # the pre-opening pool's size
    first: int  # the place of keys[0]
    keys: list[str]  # the hex place keys from `first` on, in place order


def order_page(ctx: WaitingRoomContext, opening_id: str, first: int, count: int) -> OrderPage:
    """R-QUEUE-6: places `first`..`first + count - 1` of the pre-opening order, as their keys
    (R-QUEUE-3). Never a page with a hole: a place the index does not show yet is BUSY."""
    if first < 1:
        raise InvalidRequest("from", "应为从 1 起的整数")
    if not 1 <= count <= ORDER_PAGE_MAX:
        raise InvalidRequest("count", f"应为 1 到 {ORDER_PAGE_MAX} 的整数")
    opening = _opening(ctx, opening_id)
    progress = ctx.waiting_room.progress(opening.id, with_seed=True)
    if ctx.clock.now() < opening.opens_at or progress is None or progress.ordered is None or progress.seed is None:
        raise QueueNotOrdered()
    last = min(first + count - 1, progress.ordered)
    if last < first:
        return OrderPage(progress.seed, progress.ordered, first, [])
    accounts = ctx.waiting_room.pre_opening_page(opening.id, first, last)
    if any(place not in accounts for place in range(first, last + 1)):
        raise Busy()
    keys = [place_key(progress.seed, accounts[place]) for place in range(first, last + 1)]
    return OrderPage(progress.seed, progress.ordered, first, keys)


def check_oral_admission(
    openings: Iterable[Opening], campus_id: str, entry_of: Callable[[str], QueueEntry | None], now: datetime
) -> None:
    """R-QUEUE-1/5 for an oral choice at `campus_id`: each opening of the campus whose queue
    window is open asks for a live admission; `entry_of(opening_id)` is the student's entry (the
    grab passes `admissions`, decision 0019)."""
    for opening in openings_at(openings, campus_id):
        if opening.queue_open(now):
            check_admission(opening, entry_of(opening.id), now)


def admissions(waiting_room: WaitingRoomStore, file: AccountFile, now: datetime) -> Callable[[str], QueueEntry | None]:
    """For the grab: the bound candidate's entry per opening, from the partition it read already
    (no read when the account joined for its candidate), else through the candidate's claim."""
    return lambda opening_id: candidates_entry(waiting_room, file, opening_id, now)


class WaitingRoomStore(Protocol):
    """The waiting room (R-QUEUE): entries in the account's partition, each candidate's claim on
    one of them, the openings' progress."""

    def entry(self, account_id: str, opening_id: str) -> QueueEntry | None: ...

    def claim(self, candidate: str, opening_id: str) -> QueueClaim | None:
        """Which account's entry is the candidate's (R-QUEUE-2), read strongly consistent."""

    def join(self, entry: QueueEntry, replacing: QueueEntry | None, claimed: QueueClaim | None) -> bool:
        """Write the entry and the claim of its candidate on it, at once: unless the account's
        entry is no longer `replacing` (None: the account has none) or the candidate's claim is no
        longer `claimed` (None: the candidate has none); True if this call wrote them."""

    def progress(self, opening_id: str, with_seed: bool) -> OpeningProgress | None:
        """A few seconds old at most (what GET /openings shows); the seed only if `with_seed`."""

    def progress_now(self, opening_id: str, with_seed: bool = False) -> OpeningProgress | None: ...

    def seed(self, opening_id: str) -> str | None: ...

    def save_progress(self, opening_id: str, progress: OpeningProgress) -> None:
        """Counts only grow: an older picture never replaces a newer one."""

    def arrivals(self, opening_id: str) -> list[QueueEntry]:
        """Entries without a place, in arrival order."""

    def waiting_count(self, opening_id: str) -> int: ...

    def placed_between(self, opening_id: str, first: int, last: int) -> list[QueueEntry]: ...

    def kept_places(self, opening_id: str, first: int, last: int) -> set[int]:
        """R-QUEUE-6: the places from `first` to `last` that entries replaced since left behind: nobody
        is there to admit."""

    def last_position(self, opening_id: str) -> int: ...

    def pre_opening_page(self, opening_id: str, first: int, last: int) -> dict[int, str]:
        """R-QUEUE-6: the account id at each place from `first` to `last` the index shows, including
        places whose entries were replaced since (a re-join at the back)."""

    def place(self, entry: QueueEntry, position: int) -> bool:
        """Give the entry its place unless it re-joined meanwhile or holds another; True if it holds it."""

    def place_many(self, places: list[tuple[QueueEntry, int]]) -> int:
        """`place` for each (in parallel where the store can); how many hold their place."""

    def admit(self, entry: QueueEntry, at: datetime, until: datetime, notice: Message | None = None) -> bool:
        """Admit the entry at its place, at most once, and keep `notice` in the outbox in the
        same write (R-NOTE-2); True if this call did."""

    def admit_many(self, admissions: list[tuple[QueueEntry, Message | None]], at: datetime, until: datetime) -> int:
        """`admit` for each (in parallel where the store can); how many this call admitted."""

    def take_lease(self, name: str, holder: str, now: datetime, until: datetime) -> bool: ...

    def release_lease(self, name: str, holder: str) -> None: ...
