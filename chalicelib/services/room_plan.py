"""The room plan job (考场编排, R-ROOM-1..3): every paid written subject gets one seat.

A run is begun once (its cutoff fixed, domain/room_plan.py), then each site and written subject
is seated on its own: read its sitters and the seats earlier runs gave, draw the new seats
(domain/rooms.py), write them and their tickets (conditional, idempotent), record the summary.
A group done twice, by a rerun after a crash or by two runners at once, writes the same seats:
the run's sitters and the earlier runs' seats do not change while it lasts. The run is finished
when every group is done. Groups are independent, so the province stack runs them side by side
(a Step Functions state machine, decision 0030); `run_plan` runs them one after another.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime

from chalicelib.domain.catalog import Catalog, SubjectKind
from chalicelib.domain.clock import Clock
from chalicelib.domain.errors import InvalidRequest
from chalicelib.domain.room_plan import GivenSeat, GroupRef, PlanReport, PlanRun, SeatsConflict, Sitter
from chalicelib.domain.rooms import Candidate, Seat, seat_group
from chalicelib.domain.tickets import ticket_number
from chalicelib.services.registration_ports import CatalogStore
from chalicelib.services.room_plan_ports import RoomPlanStore


class SeedMissing(RuntimeError):
    """The sitting has no seed: a load draws it (R-ROOM-2); the plan is never drawn without one."""


@dataclass(frozen=True)
class RoomPlanContext:
    store: RoomPlanStore
    catalog: CatalogStore
    clock: Clock


def begin_run(ctx: RoomPlanContext) -> PlanRun | None:
    """The run to work on: the one in progress, else a new one once `plan_at` has passed; None
    before that, or where the province has no sitting."""
    sitting = ctx.catalog.catalog().exam
    now = ctx.clock.now()
    if sitting is None or not sitting.planned(now):
        return None
    current = ctx.store.current_run()
    if current is not None and not current.done:
        return current
    return ctx.store.begin_run(current, PlanRun.first_after(current, now))


def groups(catalog: Catalog) -> list[GroupRef]:
    """Every site (a campus with a site code) and every written subject with a ticket code: a
    candidate sits at their own campus whatever written subjects it lists (R-ROOM-1), so a paid
    subject the campus does not list is seated too, never left out of every run."""
    written = sorted(
        code
        for code, subject in catalog.subjects.items()
        if subject.kind is SubjectKind.WRITTEN and subject.ticket_code
    )
    return [
        GroupRef(campus_id=campus.id, site_code=campus.site_code, subject=subject)
        for campus in sorted(catalog.campuses.values(), key=lambda c: c.id)
        if campus.site_code
        for subject in written
    ]


def groups_to_seat(ctx: RoomPlanContext, run: PlanRun) -> list[GroupRef]:
    """The groups `run` has still to seat: those without a summary of this run. A summary is
    written after every seat of its group, so a run continued after a failure (the province
    stack's next execution) reads and writes only what is left; a summary the index does not show
    yet only makes its group seated again, with the same seats."""
    done = {summary.group for summary in ctx.store.group_summaries() if summary.run == run.number}
    return [group for group in groups(ctx.catalog.catalog()) if group not in done]


def seat_group_in_run(ctx: RoomPlanContext, run: PlanRun, group: GroupRef) -> int:
    """Seat one site and subject for `run`; how many seats this run gives there."""
    catalog = ctx.catalog.catalog()
    sitting = ctx.catalog.sitting(with_seed=True)
    subject = catalog.subjects[group.subject]
    if sitting is None or subject.ticket_code is None:
        return 0
    if sitting.seed is None:
        raise SeedMissing(f"no seed was drawn for the sitting {sitting.key}")
    given = ctx.store.seats(group.campus_id, group.subject)
    before = [seat for seat in given if seat.run < run.number]
    seated = {seat.seat.account_id for seat in before}
    sitters = {
        sitter.account_id: sitter
        for sitter in ctx.store.sitters(group)
        if sitter.settled_at <= run.cutoff and sitter.account_id not in seated
    }
    candidates = [Candidate(account_id, sitter.separate_room) for account_id, sitter in sitters.items()]
    new = seat_group(sitting.seed, group.site_code, group.subject, candidates, [seat.seat for seat in before])

    def given_seat(seat: Seat) -> GivenSeat:
        sitter: Sitter = sitters[seat.account_id]
        number = ticket_number(
            group.site_code, sitting.year, sitting.sitting, subject.ticket_code or "", seat.room, seat.seat
        )
        return GivenSeat(
            seat, group.campus_id, run.number, number, sitter.name, sitter.id_masked, sitter.level, sitter.extra_minutes
        )

    ctx.store.give([given_seat(seat) for seat in new])
    campus = catalog.campuses[group.campus_id]
    every = [*[seat.seat for seat in before], *new]
    if every or group.subject in campus.written_subjects:  # a subject the campus lists shows, seated or not
        ctx.store.record_group(group, campus.school_id, run.number, every)
    return len(new)


def seat_groups(ctx: RoomPlanContext, run: PlanRun, todo: Iterable[GroupRef], report: PlanReport) -> PlanReport:
    """Seat each group; one that cannot be seated (a seat given otherwise, more than 999 rooms) is
    counted in `report.failed` and left, so it never holds up the others nor the runs to come."""
    for group in todo:
        report.groups += 1
        try:
            report.seated += seat_group_in_run(ctx, run, group)
        except (SeatsConflict, InvalidRequest) as problem:
            report.failed += 1
            report.problems.append(f"{group.campus_id}/{group.subject}: {problem}")
    return report


def finish_run(ctx: RoomPlanContext, run: PlanRun, now: datetime | None = None) -> int:
    """Every group is done: the run is, with the plan's seats in all."""
    summaries = ctx.store.group_summaries()
    seated = sum(summary.seated for summary in summaries)
    rooms = sum(len(summary.rooms) for summary in summaries)
    ctx.store.finish_run(run, seated, rooms, now or ctx.clock.now())
    return seated


def run_plan(ctx: RoomPlanContext, progress: Callable[[PlanReport], None] | None = None) -> PlanReport:
    """The whole run in this process: the local stack's and the tests' (`POST /_test/jobs/plan`);
    `progress` is told after each site and subject."""
    run = begin_run(ctx)
    if run is None:
        return PlanReport()
    report = PlanReport(run=run.number)
    for group in groups(ctx.catalog.catalog()):
        seat_groups(ctx, run, [group], report)
        if progress is not None:
            progress(report)
    finish_run(ctx, run)
    return report
