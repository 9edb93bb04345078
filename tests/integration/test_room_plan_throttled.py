"""R-ROOM-1 at a province's scale (decision 0030), on moto: every seat of a site and subject is
written into one partition, which takes 1,000 write units a second, so the plan's writers go over
it on a large site. A transaction of seats that DynamoDB throttles waits and goes again, and the
group is seated; throttled past its tries it fails (the state machine then retries the batch)."""

from __future__ import annotations

import random
from datetime import timedelta
from types import SimpleNamespace

import pytest
from pynamodb.exceptions import TransactWriteError

from chalicelib.services import room_plan
from chalicelib.storage import room_plan as storage
from tests import room_plan_world as world
from tests.ddb_faults import database_answers, throttled_items

NOW = world.PLAN_AT + timedelta(hours=1)


@pytest.fixture
def waits(moto_table: None, monkeypatch: pytest.MonkeyPatch) -> list[float]:
    """The seconds the writers waited (not slept: recorded)."""
    waited: list[float] = []
    monkeypatch.setattr(storage, "time", SimpleNamespace(sleep=waited.append))
    return waited


def one_group() -> tuple[room_plan.RoomPlanContext, room_plan.PlanRun, room_plan.GroupRef]:
    """A site whose CET4 sitters fit one transaction (moto copies its tables for each one)."""
    paid = [s for s in world.sitters(20, 1, NOW - timedelta(days=2), random.Random(3)) if s.subject == "CET4"]
    world.write(paid)
    ctx = world.context(1, NOW)
    run = room_plan.begin_run(ctx)
    assert run is not None
    (group,) = [g for g in room_plan.groups(ctx.catalog.catalog()) if g.subject == "CET4"]
    return ctx, run, group


def test_r_room_1_a_throttled_transaction_of_seats_waits_and_goes_again(waits: list[float]) -> None:
    ctx, run, group = one_group()
    with database_answers("TransactWriteItems", throttled_items(50), times=3) as answered:
        seated = room_plan.seat_group_in_run(ctx, run, group)
    assert len(answered) == 3
    assert seated > 0
    assert len(ctx.store.seats(group.campus_id, group.subject)) == seated
    assert len(waits) == 3
    assert all(0 <= wait <= storage.THROTTLED_WAIT_SECONDS * 2**n for n, wait in enumerate(waits))


def test_r_room_1_a_transaction_throttled_past_its_tries_fails_its_group_and_writes_nothing(
    waits: list[float],
) -> None:
    ctx, run, group = one_group()
    with database_answers("TransactWriteItems", throttled_items(50)) as answered, pytest.raises(TransactWriteError):
        room_plan.seat_group_in_run(ctx, run, group)
    assert len(answered) == storage.THROTTLED_TRIES
    assert len(waits) == storage.THROTTLED_TRIES - 1
    assert max(waits) <= 2.0
    assert ctx.store.seats(group.campus_id, group.subject) == []
