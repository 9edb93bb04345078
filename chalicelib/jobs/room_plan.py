"""The room plan job (R-ROOM-1..3) as the province stack runs it: three functions its Step Functions
state machine calls every hour (decision 0030, province/template/room_plan.py): begin a run and
list the groups it has left, seat a batch of groups (a distributed map, a few at once), finish the
run. `run_plan` is all three in one process, for the local stack and the tests.
"""

from __future__ import annotations

from typing import Any

from chalice.app import Blueprint

from chalicelib.bootstrap import services
from chalicelib.domain.room_plan import GroupRef, PlanReport
from chalicelib.logs import logger
from chalicelib.metrics import count
from chalicelib.services import room_plan

bp = Blueprint(__name__)


def run_plan() -> dict[str, int]:
    return _reported(room_plan.run_plan(services().room_plan))


def _reported(report: PlanReport) -> dict[str, int]:
    """Logged and counted: `RoomPlanGroupsFailed` above 0 is a site and subject left unseated."""
    figures = report.as_dict()
    if report.seated or report.failed:
        logger().info("room plan", extra=figures)
    for problem in report.problems:
        logger().error("room plan group left unseated", extra={"run": report.run, "group": problem})
    count("RoomPlanSeated", report.seated)
    count("RoomPlanGroupsFailed", report.failed)
    return figures


@bp.lambda_function(name="plan_begin")
def plan_begin(event: Any, context: Any) -> dict[str, Any]:  # noqa: ARG001 (the schedule's input says nothing)
    """The run to work on and the groups it has still to seat, or `run` 0 and no group before
    `plan_at`. The groups are the state's output, which Step Functions holds to 256 KiB
    (decision 0030: a few thousand sites and subjects)."""
    ctx = services().room_plan
    run = room_plan.begin_run(ctx)
    if run is None:
        return {"run": 0, "groups": []}
    groups = room_plan.groups_to_seat(ctx, run)
    logger().info("room plan run", extra={"run": run.number, "groups": len(groups)})
    return {"run": run.number, "groups": [_group_json(group) for group in groups]}


@bp.lambda_function(name="plan_seat")
def plan_seat(event: dict[str, Any], context: Any) -> dict[str, int]:  # noqa: ARG001
    """A batch of the map: `{"Items": [group, …], "BatchInput": {"run": n}}`."""
    ctx = services().room_plan
    run = ctx.store.current_run()
    number = int(event["BatchInput"]["run"])
    if run is None or run.number != number or run.done:
        return {"run": number, "seated": 0, "groups": 0}  # a later run took over: nothing to do here
    report = room_plan.seat_groups(ctx, run, [_group_of(item) for item in event["Items"]], PlanReport(run=number))
    return _reported(report)


@bp.lambda_function(name="plan_finish")
def plan_finish(event: dict[str, Any], context: Any) -> dict[str, int]:  # noqa: ARG001
    ctx = services().room_plan
    run = ctx.store.current_run()
    if run is None or run.number != int(event["run"]) or run.done:
        return {"run": int(event["run"]), "seated": 0}
    seated = room_plan.finish_run(ctx, run)
    logger().info("room plan done", extra={"run": run.number, "seated": seated})
    return {"run": run.number, "seated": seated}


def _group_json(group: GroupRef) -> dict[str, str]:
    return {"campus_id": group.campus_id, "site_code": group.site_code, "subject": group.subject}


def _group_of(item: dict[str, Any]) -> GroupRef:
    return GroupRef(campus_id=str(item["campus_id"]), site_code=str(item["site_code"]), subject=str(item["subject"]))
