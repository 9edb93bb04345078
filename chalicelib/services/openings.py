"""The waiting room as a student sees it (R-QUEUE-1..5): the openings, joining, one's place."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime

from chalicelib.domain.accounts import Account
from chalicelib.domain.clock import Clock
from chalicelib.domain.errors import Busy, NotFound, QueueNotOpen
from chalicelib.domain.openings import (
    EntryState,
    Opening,
    OpeningProgress,
    OpeningState,
    QueueEntry,
    Standing,
    check_admission,
    openings_at,
    standing,
)
from chalicelib.services.ports import CatalogStore, QueueStore


@dataclass(frozen=True)
class QueueContext:
    catalogs: CatalogStore
    queue: QueueStore
    clock: Clock


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


def list_openings(ctx: QueueContext) -> list[OpeningView]:
    """R-QUEUE-3: the seed's digest always, the seed itself only once `opens_at` has passed."""
    now = ctx.clock.now()
    views = []
    for opening in sorted(ctx.catalogs.catalog().openings.values(), key=lambda o: (o.opens_at, o.id)):
        revealed = now >= opening.opens_at
        progress = ctx.queue.progress(opening.id, with_seed=revealed) or OpeningProgress()
        if not revealed:
            progress = OpeningProgress(progress.seed_sha256, None, progress.queued, progress.admitted)
        views.append(OpeningView(opening, opening.state(now), progress))
    return views


def _opening(ctx: QueueContext, opening_id: str) -> Opening:
    opening = ctx.catalogs.catalog().openings.get(opening_id)
    if opening is None:
        raise NotFound("没有这个排队场次。")
    return opening


def join(ctx: QueueContext, account: Account, opening_id: str) -> Joined:
    """R-QUEUE-2: once each; R-QUEUE-4: a lapsed admission joins again at the back."""
    opening = _opening(ctx, opening_id)
    now = ctx.clock.now()
    if not opening.queue_open(now):
        raise QueueNotOpen()
    first = QueueEntry(account.account_id, opening.id, now)
    if ctx.queue.join(first, None):  # the usual case: one conditional put
        return Joined(opening, first, created=True)
    for _ in range(3):
        held = ctx.queue.entry(account.account_id, opening.id)
        if held is None:  # removed meanwhile: join as new
            if ctx.queue.join(first, None):
                return Joined(opening, first, created=True)
            continue
        if held.state(now) is not EntryState.LAPSED:
            return Joined(opening, held, created=False)
        if ctx.queue.join(held.rejoined(now), held):
            return Joined(opening, held.rejoined(now), created=True)
    held = ctx.queue.entry(account.account_id, opening.id)  # another tab keeps re-joining: show it
    if held is None:
        raise Busy()
    return Joined(opening, held, created=False)


def standing_of(ctx: QueueContext, opening: Opening, entry: QueueEntry) -> Standing:
    progress = ctx.queue.progress(opening.id, with_seed=False) or OpeningProgress()
    return standing(opening, entry, progress, ctx.clock.now())


def current_entry(ctx: QueueContext, account: Account, opening_id: str) -> tuple[Opening, Standing]:
    opening = _opening(ctx, opening_id)
    entry = ctx.queue.entry(account.account_id, opening.id)
    if entry is None:
        raise NotFound("您还没有加入这个场次的排队。")
    return opening, standing_of(ctx, opening, entry)


def check_oral_admission(
    openings: Iterable[Opening], campus_id: str, entry_of: Callable[[str], QueueEntry | None], now: datetime
) -> None:
    """R-QUEUE-1/5 for an oral choice at `campus_id`: each opening of the campus whose queue
    window is open asks for a live admission; `entry_of(opening_id)` is the student's entry (the
    grab passes the one its partition read found, decision 0019)."""
    for opening in openings_at(openings, campus_id):
        if opening.queue_open(now):
            check_admission(opening, entry_of(opening.id), now)
