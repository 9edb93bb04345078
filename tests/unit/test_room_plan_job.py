"""The room plan's three functions as its state machine calls them (decision 0030), on moto:
PlanBegin, batches of PlanSeat as the distributed map hands them out, PlanFinish. Nothing before
`plan_at`; a batch for a run that is not the current one writes nothing; an execution after a
failed one lists only the sites and subjects left, and the plan ends as one uninterrupted run's."""

from __future__ import annotations

import random
from dataclasses import replace
from datetime import timedelta
from types import SimpleNamespace
from typing import Any

import pytest

from chalicelib.config import settings
from chalicelib.domain.clock import FixedClock
from chalicelib.jobs import room_plan as jobs
from chalicelib.services import room_plan
from chalicelib.storage.room_plan import DynamoRoomPlan
from chalicelib.storage.tables import create_table
from tests import iam
from tests import room_plan_world as world

SITES = 3
# Few enough that each site and subject is one transaction: moto copies its tables for each
# transaction and is not safe for the writer threads a bigger group would use.
PAID = 40
NOW = world.PLAN_AT + timedelta(hours=1)
SETTLED = world.PLAN_AT - timedelta(days=2)
Plan = dict[tuple[str, str, int, int], str]


@pytest.fixture
def use_context(moto_table: None, monkeypatch: pytest.MonkeyPatch) -> Any:
    """`use_context(ctx)`: the functions' services are `ctx` (the world's catalog, moto's table)."""

    def use(ctx: room_plan.RoomPlanContext) -> room_plan.RoomPlanContext:
        monkeypatch.setattr(jobs, "services", lambda: SimpleNamespace(room_plan=ctx))
        return ctx

    return use


def paid() -> None:
    world.write(world.sitters(PAID, SITES, SETTLED, random.Random(11)))


def plan_of(ctx: room_plan.RoomPlanContext) -> Plan:
    found: Plan = {}
    for group in room_plan.groups(ctx.catalog.catalog()):
        for given in ctx.store.seats(group.campus_id, group.subject):
            key = (given.seat.site_code, given.seat.subject, given.seat.room, given.seat.seat)
            assert key not in found, f"seat {key} given twice"
            found[key] = given.seat.account_id
    return found


def batches(begun: dict[str, Any], size: int = 2) -> list[dict[str, Any]]:
    """What the distributed map's ItemBatcher hands each child (province/template/room_plan.py)."""
    groups = begun["groups"]
    return [{"Items": groups[n : n + size], "BatchInput": {"run": begun["run"]}} for n in range(0, len(groups), size)]


def uninterrupted_plan(monkeypatch: pytest.MonkeyPatch) -> Plan:
    """The plan `run_plan` gives the same payments, on a table of its own."""
    monkeypatch.setenv("TABLE_NAME", "cet-test-plan-reference")
    create_table(settings())
    paid()
    ctx = world.context(SITES, NOW)
    room_plan.run_plan(ctx)
    plan = plan_of(ctx)
    monkeypatch.setenv("TABLE_NAME", "cet-test")
    create_table(settings())  # binds the models to the test's table again
    return plan


class NoSitting(world.WorldCatalog):
    def __init__(self) -> None:
        super().__init__(SITES)
        self._catalog = replace(self._catalog, exam=None)


@pytest.mark.parametrize("when", ["before plan_at", "no sitting"])
def test_r_room_1_plan_begin_answers_run_0_before_plan_at_and_where_no_sitting_is_declared(
    use_context: Any, when: str
) -> None:
    """The state machine's choice ends the execution on run 0: nothing is read or written."""
    if when == "before plan_at":
        ctx = use_context(world.context(SITES, world.PLAN_AT - timedelta(minutes=1)))
    else:
        ctx = use_context(room_plan.RoomPlanContext(DynamoRoomPlan(), NoSitting(), FixedClock(NOW)))
    paid()
    assert jobs.plan_begin({}, None) == {"run": 0, "groups": []}
    assert ctx.store.current_run() is None


def test_r_room_1_begin_seat_in_batches_and_finish_give_the_plan_one_uninterrupted_run_gives(
    use_context: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    expected = uninterrupted_plan(monkeypatch)
    ctx = use_context(world.context(SITES, NOW))
    paid()
    begun = jobs.plan_begin({}, None)
    assert begun["run"] == 1
    assert len(begun["groups"]) == SITES * len(world.SUBJECTS)
    assert begun["groups"][0] == {"campus_id": "C000", "site_code": "310000", "subject": "CET4"}
    seated = sum(jobs.plan_seat(batch, None)["seated"] for batch in batches(begun))
    assert jobs.plan_finish({"run": begun["run"]}, None) == {"run": 1, "seated": PAID}
    assert seated == PAID
    assert plan_of(ctx) == expected
    current = ctx.store.current_run()
    assert current is not None
    assert current.done


def test_r_room_1_a_batch_or_a_finish_for_a_run_that_is_not_current_writes_nothing(use_context: Any) -> None:
    """A child left over from an earlier execution, after a later run took over, seats nothing."""
    ctx = use_context(world.context(SITES, NOW))
    paid()
    begun = jobs.plan_begin({}, None)
    stale = {"Items": begun["groups"], "BatchInput": {"run": begun["run"] + 1}}
    assert jobs.plan_seat(stale, None) == {"run": begun["run"] + 1, "seated": 0, "groups": 0}
    assert jobs.plan_finish({"run": begun["run"] + 1}, None) == {"run": begun["run"] + 1, "seated": 0}
    assert plan_of(ctx) == {}
    current = ctx.store.current_run()
    assert current is not None
    assert not current.done
    for batch in batches(begun):
        jobs.plan_seat(batch, None)
    jobs.plan_finish({"run": begun["run"]}, None)
    assert jobs.plan_seat(batches(begun)[0], None)["seated"] == 0  # the run is done
    assert len(plan_of(ctx)) == PAID


def test_r_room_1_an_execution_after_a_failed_one_continues_the_run_with_the_groups_left(
    use_context: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The first execution seats one batch and fails; the next hour's begins no new run, lists only
    the sites and subjects without this run's summary, and the plan ends as an uninterrupted one.
    Every call the three functions make is one their role, PlanJobRole, allows (tests/iam.py)."""
    expected = uninterrupted_plan(monkeypatch)
    ctx = use_context(world.context(SITES, NOW))
    paid()
    iam.watch()
    with iam.acting_as("PlanJobRole"):
        first = jobs.plan_begin({}, None)
        done = batches(first)[0]
        jobs.plan_seat(done, None)
        ctx = use_context(replace(ctx, clock=FixedClock(NOW + timedelta(hours=1))))
        again = jobs.plan_begin({}, None)
        assert again["run"] == first["run"]
        assert again["groups"] == [group for group in first["groups"] if group not in done["Items"]]
        for batch in batches(again):
            jobs.plan_seat(batch, None)
        assert jobs.plan_finish({"run": again["run"]}, None)["seated"] == PAID
    assert iam.refusals() == []
    assert plan_of(ctx) == expected


def test_r_room_1_a_later_run_lists_every_group_again(use_context: Any) -> None:
    """A summary of an earlier run does not mark a group done for the next run (late payments)."""
    ctx = use_context(world.context(SITES, NOW))
    paid()
    first = jobs.plan_begin({}, None)
    for batch in batches(first):
        jobs.plan_seat(batch, None)
    jobs.plan_finish({"run": first["run"]}, None)
    use_context(replace(ctx, clock=FixedClock(NOW + timedelta(days=1))))
    later = jobs.plan_begin({}, None)
    assert later["run"] == first["run"] + 1
    assert later["groups"] == first["groups"]
