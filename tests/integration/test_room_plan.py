"""The room plan job on DynamoDB Local (R-ROOM-1..3, R-TICKET-1): a run stopped at any point and
run again ends with exactly the plan an uninterrupted run gives; two runners at once give no seat
twice; a later run seats late payments behind every seat given and moves none."""

from __future__ import annotations

import os
import random
import subprocess
import sys
import threading
import time
from collections.abc import Sequence
from dataclasses import replace
from datetime import timedelta

import pytest

from chalicelib.config import Settings
from chalicelib.domain.room_plan import GivenSeat, SeatsConflict
from chalicelib.domain.rooms import ROOM_SIZE, place_key
from chalicelib.domain.tickets import decode_ticket_number
from chalicelib.services import room_plan
from chalicelib.storage.models import SubjectItem
from chalicelib.storage.room_plan import DynamoRoomPlan
from chalicelib.storage.tables import bind_table, create_table, drop_table
from tests import room_plan_world as world

SITES = 4
NOW = world.PLAN_AT + timedelta(hours=1)
SETTLED = world.PLAN_AT - timedelta(days=2)


def plan_of(ctx: room_plan.RoomPlanContext) -> dict[tuple[str, str, int, int], str]:
    """(site, subject, room, seat) → account, every seat the table holds."""
    found: dict[tuple[str, str, int, int], str] = {}
    for group in room_plan.groups(ctx.catalog.catalog()):
        for given in ctx.store.seats(group.campus_id, group.subject):
            key = (given.seat.site_code, given.seat.subject, given.seat.room, given.seat.seat)
            assert key not in found, f"seat {key} given twice"
            found[key] = given.seat.account_id
    return found


def tickets_of(accounts: Sequence[str]) -> dict[str, str]:
    tickets: dict[str, str] = {}
    for item in SubjectItem.scan(SubjectItem.ticket_number.exists()):
        assert isinstance(item, SubjectItem)
        tickets[item.account_id + item.code] = str(item.ticket_number)
    return {key: value for key, value in tickets.items() if key[:-4] in accounts}


@pytest.fixture
def reference(monkeypatch: pytest.MonkeyPatch, dynamodb_local_endpoint: str) -> dict[tuple[str, str, int, int], str]:
    """The plan an uninterrupted run gives, on a table of its own."""
    monkeypatch.setenv("TABLE_NAME", "cet-test-plan-reference")
    monkeypatch.setenv("AWS_ENDPOINT_URL_DYNAMODB", dynamodb_local_endpoint)
    from chalicelib.config import settings

    config = settings()
    create_table(config)
    bind_table(config)
    try:
        world.write(world.sitters(360, SITES, SETTLED, random.Random(7)))
        ctx = world.context(SITES, NOW)
        room_plan.run_plan(ctx)
        return plan_of(ctx)
    finally:
        drop_table(config)


def test_r_room_1_r_room_2_a_run_killed_half_way_and_run_again_ends_with_the_uninterrupted_plan(
    reference: dict[tuple[str, str, int, int], str], local_table: Settings, dynamodb_local_endpoint: str
) -> None:
    bind_table(local_table)
    world.write(world.sitters(360, SITES, SETTLED, random.Random(7)))
    env = {**os.environ, "TABLE_NAME": local_table.table_name, "AWS_ENDPOINT_URL_DYNAMODB": dynamodb_local_endpoint}
    runner = subprocess.Popen(
        [sys.executable, "-m", "tests.room_plan_world", "run", str(SITES), NOW.isoformat()],
        env=env,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert runner.stdout is not None
    groups = len(room_plan.groups(world.catalog(SITES)))
    while int(runner.stdout.readline() or groups) < groups // 2:
        pass
    time.sleep(random.uniform(0, 0.05))
    runner.kill()
    runner.wait()
    ctx = world.context(SITES, NOW)
    bind_table(local_table)
    partial = plan_of(ctx)
    assert 0 < len(partial) < len(reference), "the kill came before or after the run"
    stopped = ctx.store.current_run()
    assert stopped is not None
    assert not stopped.done

    room_plan.run_plan(ctx)

    assert plan_of(ctx) == reference
    assert ctx.store.current_run().done  # type: ignore[union-attr]


class FailingHalfWay(DynamoRoomPlan):
    """Writes the later half of a group's seats (parallel writers finish in any order), then the
    runner dies: what is written is not a prefix of the plan."""

    def give(self, seats: Sequence[GivenSeat]) -> None:
        if len(seats) > 10:
            super().give(seats[len(seats) // 2 :])
            raise RuntimeError("the function timed out")
        super().give(seats)


def test_r_room_1_a_run_stopped_inside_a_group_and_run_again_gives_every_seat_once(
    reference: dict[tuple[str, str, int, int], str], local_table: Settings
) -> None:
    bind_table(local_table)
    world.write(world.sitters(360, SITES, SETTLED, random.Random(7)))
    failing = room_plan.RoomPlanContext(FailingHalfWay(), world.WorldCatalog(SITES), world.context(SITES, NOW).clock)
    with pytest.raises(RuntimeError):
        room_plan.run_plan(failing)

    ctx = world.context(SITES, NOW)
    room_plan.run_plan(ctx)

    assert plan_of(ctx) == reference


def test_r_room_1_two_runners_at_once_give_no_seat_twice_and_the_same_plan(
    reference: dict[tuple[str, str, int, int], str], local_table: Settings
) -> None:
    bind_table(local_table)
    world.write(world.sitters(360, SITES, SETTLED, random.Random(7)))
    errors: list[BaseException] = []

    def runner() -> None:
        try:
            room_plan.run_plan(world.context(SITES, NOW))
        except BaseException as error:
            errors.append(error)

    threads = [threading.Thread(target=runner) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert errors == []
    assert plan_of(world.context(SITES, NOW)) == reference


def test_r_room_1_a_later_run_seats_late_payments_behind_every_seat_and_moves_none(local_table: Settings) -> None:
    bind_table(local_table)
    first = world.sitters(200, 2, SETTLED, random.Random(3), separate_share=0)
    world.write(first)
    ctx = world.context(2, NOW)
    room_plan.run_plan(ctx)
    before = plan_of(ctx)
    late = world.sitters(70, 2, NOW + timedelta(minutes=5), random.Random(4), prefix="late", separate_share=0)
    world.write(late)

    later = world.context(2, NOW + timedelta(hours=1))
    report = room_plan.run_plan(later)

    after = plan_of(later)
    assert (report.run, report.seated) == (2, len(late))
    assert {key: after[key] for key in before} == before, "a seat given moved"
    late_accounts = {sitter.account_id for sitter in late}
    for (site, subject, room, seat), account in after.items():
        if account in late_accounts:
            earlier = [(k[2], k[3]) for k in before if k[:2] == (site, subject)]
            assert all(place < (room, seat) for place in earlier), "a late payment sat before a seat given earlier"
    assert len(after) == len(before) + len(late)


def test_r_room_2_r_ticket_1_places_follow_the_seed_and_tickets_decode_to_their_seat(local_table: Settings) -> None:
    bind_table(local_table)
    paid = world.sitters(75, 1, SETTLED, random.Random(5))
    ordinary = [s.account_id for s in paid if not s.separate_room]
    world.write(paid)
    ctx = world.context(1, NOW)
    room_plan.run_plan(ctx)

    plan = plan_of(ctx)
    for subject in ("CET4", "CET6"):
        mine = sorted(
            (key for key, account in plan.items() if key[1] == subject and account in ordinary),
            key=lambda k: (k[2], k[3]),
        )
        accounts = [plan[key] for key in mine]
        assert accounts == sorted(accounts, key=lambda a: place_key(world.SEED, a)), "not in HMAC order"
        for place, key in enumerate(mine, start=1):
            assert (key[2], key[3]) == ((place - 1) // ROOM_SIZE + 1, (place - 1) % ROOM_SIZE + 1)
    tickets = tickets_of([s.account_id for s in paid])
    assert len(tickets) == len(paid)
    for key, account in plan.items():
        number = tickets[account + key[1]]
        decoded = decode_ticket_number(number)
        assert (decoded.site_code, decoded.room, decoded.seat) == (key[0], key[2], key[3])


def test_r_room_1_a_seat_given_otherwise_is_refused_whole(local_table: Settings) -> None:
    bind_table(local_table)
    world.write(world.sitters(40, 1, SETTLED, random.Random(9), separate_share=0))
    ctx = world.context(1, NOW)
    room_plan.run_plan(ctx)
    group = room_plan.groups(ctx.catalog.catalog())[0]
    taken = ctx.store.seats(group.campus_id, group.subject)[0]
    intruder = replace(world.sitters(1, 1, SETTLED, random.Random(1), prefix="intruder")[0], subject=group.subject)
    world.write([intruder])  # a paid subject with no ticket: only the seat's condition can refuse
    someone_else = GivenSeat(
        seat=replace(taken.seat, account_id=intruder.account_id),
        campus_id=taken.campus_id,
        run=taken.run,
        ticket_number=taken.ticket_number,
        name="冒名",
        id_masked="x",
        level=taken.level,
    )

    with pytest.raises(SeatsConflict, match=f"seat:{taken.seat.room:03d}#{taken.seat.seat:02d}$"):
        ctx.store.give([someone_else])

    assert ctx.store.seats(group.campus_id, group.subject)[0].seat.account_id == taken.seat.account_id


def test_r_room_1_a_subject_settled_after_the_runs_cutoff_waits_for_the_next_run(local_table: Settings) -> None:
    """A run sees what was settled a minute before it began: however often it is run again, a
    payment still in flight never changes it; the next run seats that payment."""
    bind_table(local_table)
    early = world.sitters(20, 1, SETTLED, random.Random(11))
    late = world.sitters(1, 1, NOW - timedelta(seconds=30), random.Random(12), prefix="inflight")
    world.write([*early, *late])

    first = room_plan.run_plan(world.context(1, NOW))
    second = room_plan.run_plan(world.context(1, NOW + timedelta(minutes=5)))

    seated = set(plan_of(world.context(1, NOW)).values())
    assert (first.seated, second.seated) == (len(early), 1)
    assert seated == {s.account_id for s in [*early, *late]}
