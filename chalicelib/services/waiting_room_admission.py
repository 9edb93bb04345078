"""The admission job (R-QUEUE-2..4), every minute: it orders the pre-opening pool once, places
later arrivals behind it in arrival order, and admits places at the opening's rate.

Safe to run twice at once and after a crash half way: one runner per opening holds a lease that
outlives the function's timeout, and every write is conditional and idempotent (a place is
given as the same number again, an admission is written at most once), so a run that dies is
finished by the next one with the same result.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from chalicelib.domain.messages import Message, queue_admitted
from chalicelib.domain.waiting_room import LAST_PLACE, Opening, OpeningProgress, QueueEntry, pre_opening_order
from chalicelib.services.waiting_room import WaitingRoomContext

# Longer than the job's timeout (province/package.py ADMIT_TIMEOUT_SECONDS): a runner the platform
# stops mid-way never holds the opening past its lease, and no second runner enters before.
LEASE = timedelta(seconds=960)


@dataclass
class AdmissionReport:
    openings: int = 0
    ordered: int = 0  # pre-opening entries given their random place this run
    placed: int = 0  # later arrivals given a place
    admitted: int = 0
    busy: int = 0  # another runner held the opening

    def as_dict(self) -> dict[str, int]:
        return dict(vars(self))


def run_admission(ctx: WaitingRoomContext, now: datetime | None = None) -> AdmissionReport:
    report = AdmissionReport()
    at = now or ctx.clock.now()
    for opening in ctx.catalogs.catalog().openings.values():
        if not opening.queue_open(at):
            continue
        report.openings += 1
        holder = uuid.uuid4().hex
        name = f"ADMIT#{opening.id}"
        if not ctx.waiting_room.take_lease(name, holder, at, at + LEASE):
            report.busy += 1
            continue
        try:
            admit_opening(ctx, opening, at, report)
        finally:
            ctx.waiting_room.release_lease(name, holder)
    return report


def admit_opening(ctx: WaitingRoomContext, opening: Opening, now: datetime, report: AdmissionReport) -> None:
    waiting_room = ctx.waiting_room
    progress = waiting_room.progress_now(opening.id) or OpeningProgress()
    if not opening.may_order(now):
        waiting_room.save_progress(opening.id, replace(progress, queued=waiting_room.waiting_count(opening.id)))
        return
    if progress.ordered is None:
        progress = order_pool(ctx, opening, progress, report)
    progress, placed_now = place_arrivals(ctx, opening, progress, report)
    progress = admit_places(ctx, opening, progress, placed_now, now, report)
    waiting_room.save_progress(opening.id, progress)


def order_pool(
    ctx: WaitingRoomContext, opening: Opening, progress: OpeningProgress, report: AdmissionReport
) -> OpeningProgress:
    """R-QUEUE-2/3: everyone who joined before `opens_at`, in ascending HMAC order of the seed.
    A rerun after a crash sees the same pool (those already placed, and the rest) and gives each
    the same place again."""
    waiting_room = ctx.waiting_room
    seed = waiting_room.seed(opening.id)
    if seed is None:
        raise RuntimeError(f"opening {opening.id} has no seed: load the province before its queue opens")
    placed = waiting_room.placed_between(opening.id, 1, LAST_PLACE)
    waiting = [e for e in waiting_room.arrivals(opening.id) if e.joined_at < opening.opens_at]
    pool = {e.account_id: e for e in [*placed, *waiting]}
    order = pre_opening_order(seed, pool)
    due = [(pool[a], p) for p, a in enumerate(order, start=1) if pool[a].position != p]
    report.ordered += waiting_room.place_many(due)
    progress = replace(progress, seed=seed, ordered=len(order), positioned=max(progress.positioned, len(order)))
    waiting_room.save_progress(opening.id, progress)  # the pool is closed: later finds are late arrivals
    return progress


def place_arrivals(
    ctx: WaitingRoomContext, opening: Opening, progress: OpeningProgress, report: AdmissionReport
) -> tuple[OpeningProgress, dict[int, QueueEntry]]:
    """R-QUEUE-2: later arrivals behind, in the order they came (their join time), numbered on
    from the last place given, which the index itself says after a crash."""
    waiting_room = ctx.waiting_room
    last = max(progress.positioned, waiting_room.last_position(opening.id))
    placed_now: dict[int, QueueEntry] = {}
    arrivals = waiting_room.arrivals(opening.id)
    for entry in arrivals:
        if waiting_room.place(entry, last + 1):
            last += 1
            placed_now[last] = replace(entry, position=last)
            report.placed += 1
    unplaced = len(arrivals) - len(placed_now)
    return replace(progress, positioned=last, queued=last + unplaced), placed_now


def admit_places(
    ctx: WaitingRoomContext,
    opening: Opening,
    progress: OpeningProgress,
    placed_now: dict[int, QueueEntry],
    now: datetime,
    report: AdmissionReport,
) -> OpeningProgress:
    """R-QUEUE-4: places up to the rate's count by now, in order; `admitted` moves past a place
    only once it is admitted (or found admitted) or kept by an entry replaced since (R-QUEUE-6:
    nobody to admit there), so a place the index does not show yet waits for the next run instead
    of being skipped."""
    target = min(opening.admitted_by(now), progress.positioned)
    if target <= progress.admitted:
        return progress
    found = {e.position: e for e in ctx.waiting_room.placed_between(opening.id, progress.admitted + 1, target)}
    found.update({p: e for p, e in placed_now.items() if progress.admitted < p <= target})
    admitted = progress.admitted
    due: list[QueueEntry] = []
    kept: set[int] | None = None  # read once, and only when a place shows no entry
    for position in range(progress.admitted + 1, target + 1):
        entry = found.get(position)
        if entry is None:
            if kept is None:
                kept = ctx.waiting_room.kept_places(opening.id, position, target)
            if position not in kept:
                break
        elif entry.admitted_at is None:
            due.append(entry)
        admitted = position
    report.admitted += admit(ctx, opening, due, now)
    return replace(progress, admitted=admitted)


def admit(ctx: WaitingRoomContext, opening: Opening, due: list[QueueEntry], now: datetime) -> int:
    """R-QUEUE-4: the admissions of a run together, and with each (R-NOTE-2) its message to the
    login, so a student who closed the page hears of it; one message per admission (the entry's
    `round` names it). The logins are read in one batch (BatchGet), not one read per admission."""
    if not due:
        return 0
    until = now + opening.pass_length
    logins = ctx.accounts.logins([entry.account_id for entry in due])

    def notice(entry: QueueEntry) -> Message | None:
        login = logins.get(entry.account_id)
        if login is None:
            return None
        event = f"queue_admitted#{entry.account_id}#{opening.id}#{entry.round}"
        return queue_admitted(event, login, opening.name, until, now)

    return ctx.waiting_room.admit_many([(entry, notice(entry)) for entry in due], now, until)
