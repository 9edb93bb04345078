"""The room plan in the table (R-ROOM-1..3, R-TICKET-1..3): sitters, seats, runs, summaries.

A seat is given by one transaction that puts the seat (free, or already this account's) and
writes its ticket onto the paid subject (no ticket yet, or this one): run again, it writes the
same; run by a second runner with another plan, it fails and writes nothing (`SeatsConflict`).
"""

from __future__ import annotations

import json
import random
import time
from collections.abc import Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime

from pynamodb.exceptions import DoesNotExist, PutError, TransactWriteError
from pynamodb.expressions.update import Action

from chalicelib.domain.clock import iso, parse_iso
from chalicelib.domain.room_plan import (
    GivenSeat,
    GroupRef,
    GroupSummary,
    PlanRun,
    RoomSummary,
    RunState,
    SeatsConflict,
    Sitter,
)
from chalicelib.domain.rooms import Seat
from chalicelib.storage import keys
from chalicelib.storage.keys_room_plan import (
    GROUP_SK,
    PLAN_GROUPS,
    PLAN_RUN_PK,
    PLAN_SEATS_PREFIX,
    RUN_SK,
    SITTERS_PREFIX,
    plan_group_order_sk,
    plan_group_pk,
    plan_room_prefix,
    plan_seat_sk,
    sitter_sk,
)
from chalicelib.storage.models import SubjectItem
from chalicelib.storage.room_plan_items import PlanGroupItem, PlanRunItem, PlanSeatItem, SitterItem
from chalicelib.storage.tables import connection
from chalicelib.storage.transactions import ConditionsFailed, Txn, run, throttled

SEATS_PER_TRANSACTION = 25  # two writes each: 50 of the 100 a transaction takes
WRITERS = 8
# A site and subject's seats share one partition, which takes 1,000 write units a second (20 of
# these transactions): the writers that go over it are throttled, wait and try again (decision 0030).
THROTTLED_TRIES = 8
THROTTLED_WAIT_SECONDS = 0.05  # doubled each try, at most 2 s, with full jitter


def sitter_item(sitter: Sitter) -> SitterItem:
    return SitterItem(
        plan_group_pk(sitter.campus_id, sitter.subject),
        sitter_sk(sitter.account_id),
        account_id=sitter.account_id,
        campus_id=sitter.campus_id,
        subject=sitter.subject,
        level=sitter.level,
        settled_at=iso(sitter.settled_at),
        name=sitter.name,
        id_masked=sitter.id_masked,
        school_id=sitter.school_id,
        separate_room=sitter.separate_room,
        extra_minutes=sitter.extra_minutes,
    )


def sitter_from_item(item: SitterItem) -> Sitter:
    return Sitter(
        account_id=item.account_id,
        campus_id=item.campus_id,
        subject=item.subject,
        level=int(item.level),
        settled_at=parse_iso(item.settled_at),
        name=item.name,
        id_masked=item.id_masked,
        school_id=item.school_id,
        separate_room=bool(item.separate_room),
        extra_minutes=int(item.extra_minutes or 0),
    )


def put_sitters(txn: Txn, sitters: Iterable[Sitter]) -> None:
    """In the payment's transaction: each paid written subject waits for its seat (R-ROOM-1)."""
    for sitter in sitters:
        txn.put(f"sitter:{sitter.subject}", sitter_item(sitter))


def _run_from_item(item: PlanRunItem) -> PlanRun:
    return PlanRun(
        number=int(item.number),
        cutoff=parse_iso(item.cutoff),
        state=RunState(item.state),
        began_at=parse_iso(item.began_at),
        seated=int(item.seated or 0),
        rooms=int(item.rooms or 0),
    )


class DynamoRoomPlan:
    """The plan job's store and the readers' (tickets, sheets, overviews)."""

    def current_run(self) -> PlanRun | None:
        try:
            return _run_from_item(PlanRunItem.get(PLAN_RUN_PK, RUN_SK, consistent_read=True))
        except DoesNotExist:
            return None

    def begin_run(self, previous: PlanRun | None, begun: PlanRun) -> PlanRun:
        """Begin `begun` after `previous` (done, or none); if another runner began one meanwhile,
        that one (the same cutoff for every runner of a run)."""
        item = PlanRunItem(
            PLAN_RUN_PK,
            RUN_SK,
            number=begun.number,
            cutoff=iso(begun.cutoff),
            state=begun.state.value,
            began_at=iso(begun.began_at),
            seated=begun.seated,
            rooms=begun.rooms,
        )
        if previous is None:
            condition = PlanRunItem.pk.does_not_exist()
        else:
            condition = (PlanRunItem.number == previous.number) & (PlanRunItem.state == RunState.DONE.value)
        try:
            item.save(condition=condition)
        except PutError:
            current = self.current_run()
            if current is None:
                raise
            return current
        return begun

    def finish_run(self, done: PlanRun, seated: int, rooms: int, now: datetime) -> None:
        item = PlanRunItem(PLAN_RUN_PK, RUN_SK)
        actions: list[Action] = [
            PlanRunItem.state.set(RunState.DONE.value),
            PlanRunItem.done_at.set(iso(now)),
            PlanRunItem.seated.set(seated),
            PlanRunItem.rooms.set(rooms),
        ]
        item.update(actions=actions, condition=PlanRunItem.number == done.number)

    def sitters(self, group: GroupRef) -> list[Sitter]:
        query = SitterItem.query(
            plan_group_pk(group.campus_id, group.subject),
            SitterItem.sk.startswith(SITTERS_PREFIX),
            consistent_read=True,
        )
        return [sitter_from_item(item) for item in query if isinstance(item, SitterItem)]

    def seats(self, campus_id: str, subject: str, room: int | None = None) -> list[GivenSeat]:
        """Every seat given at a site and subject (or in one of its rooms), in room and seat order,
        with what it prints."""
        query = PlanSeatItem.query(
            plan_group_pk(campus_id, subject),
            PlanSeatItem.sk.startswith(PLAN_SEATS_PREFIX if room is None else plan_room_prefix(room)),
            consistent_read=True,
        )
        return [_given_of(item) for item in query if isinstance(item, PlanSeatItem)]

    def give(self, seats: Sequence[GivenSeat]) -> None:
        """Give `seats`, 25 a transaction, from a pool of writers; idempotent (see the module)."""
        batches = [seats[n : n + SEATS_PER_TRANSACTION] for n in range(0, len(seats), SEATS_PER_TRANSACTION)]
        if len(batches) <= 1:
            for batch in batches:
                _give_batch(batch)
            return
        with ThreadPoolExecutor(max_workers=WRITERS, thread_name_prefix="room-plan") as pool:
            list(pool.map(_give_batch, batches))

    def record_group(self, group: GroupRef, school_id: str, number: int, seats: Sequence[Seat]) -> None:
        rooms: dict[str, dict[str, int | bool]] = {}
        for seat in sorted(seats, key=lambda s: (s.room, s.seat)):
            room = rooms.setdefault(f"{seat.room:03d}", {"seated": 0, "separate": seat.separate_room})
            room["seated"] = int(room["seated"]) + 1
        PlanGroupItem(
            plan_group_pk(group.campus_id, group.subject),
            GROUP_SK,
            gsi1pk=PLAN_GROUPS,
            gsi1sk=plan_group_order_sk(group.campus_id, group.subject),
            campus_id=group.campus_id,
            site_code=group.site_code,
            school_id=school_id,
            subject=group.subject,
            run=number,
            seated=len(seats),
            rooms=json.dumps(rooms, sort_keys=True),
        ).save(condition=PlanGroupItem.pk.does_not_exist() | (PlanGroupItem.run <= number))

    def group_summaries(self) -> list[GroupSummary]:
        return [
            _summary_of(item) for item in PlanGroupItem.by_group.query(PLAN_GROUPS) if isinstance(item, PlanGroupItem)
        ]


def _summary_of(item: PlanGroupItem) -> GroupSummary:
    rooms = json.loads(item.rooms or "{}")
    return GroupSummary(
        group=GroupRef(campus_id=item.campus_id, site_code=item.site_code, subject=item.subject),
        school_id=item.school_id,
        run=int(item.run),
        rooms=tuple(
            RoomSummary(room=int(code), seated=int(room["seated"]), separate_room=bool(room["separate"]))
            for code, room in sorted(rooms.items())
        ),
    )


def _given_of(item: PlanSeatItem) -> GivenSeat:
    seat = Seat(
        site_code=item.site_code,
        subject=item.subject,
        account_id=item.account_id,
        room=int(item.room),
        seat=int(item.seat),
        separate_room=bool(item.separate_room),
    )
    return GivenSeat(
        seat=seat,
        campus_id=item.campus_id,
        run=int(item.run),
        ticket_number=item.ticket_number,
        name=item.name,
        id_masked=item.id_masked,
        level=int(item.level),
        extra_minutes=int(item.extra_minutes or 0),
    )


def _give_batch(batch: Sequence[GivenSeat]) -> None:
    def build(txn: Txn) -> None:
        for given in batch:
            _give_one(txn, given)

    for attempt in range(THROTTLED_TRIES):
        try:
            run(connection(), build)
            return
        except ConditionsFailed as failed:
            raise SeatsConflict(f"seats already given otherwise: {', '.join(sorted(failed.labels))}") from failed
        except TransactWriteError as error:
            if not throttled(error) or attempt == THROTTLED_TRIES - 1:
                raise
        time.sleep(random.uniform(0, min(2.0, THROTTLED_WAIT_SECONDS * 2**attempt)))  # noqa: S311 (jitter)


def _give_one(txn: Txn, given: GivenSeat) -> None:
    seat = given.seat
    item = PlanSeatItem(
        plan_group_pk(given.campus_id, seat.subject),
        plan_seat_sk(seat.room, seat.seat),
        account_id=seat.account_id,
        campus_id=given.campus_id,
        site_code=seat.site_code,
        subject=seat.subject,
        room=seat.room,
        seat=seat.seat,
        separate_room=seat.separate_room,
        run=given.run,
        ticket_number=given.ticket_number,
        name=given.name,
        id_masked=given.id_masked,
        level=given.level,
        extra_minutes=given.extra_minutes,
    )
    free_or_same = PlanSeatItem.pk.does_not_exist() | (PlanSeatItem.account_id == seat.account_id)
    txn.put(f"seat:{seat.room:03d}#{seat.seat:02d}", item, free_or_same)
    subject = SubjectItem(keys.account_pk(seat.account_id), keys.written_subject_sk(given.level))
    actions: list[Action] = [
        SubjectItem.ticket_number.set(given.ticket_number),
        SubjectItem.site_code.set(seat.site_code),
        SubjectItem.room.set(seat.room),
        SubjectItem.seat.set(seat.seat),
        SubjectItem.separate_room.set(seat.separate_room),
        SubjectItem.extra_minutes.set(given.extra_minutes),
    ]
    paid_unseated = (
        (SubjectItem.code == seat.subject)
        & (SubjectItem.status == "paid")
        & (SubjectItem.ticket_number.does_not_exist() | (SubjectItem.ticket_number == given.ticket_number))
    )
    txn.update(f"ticket:{seat.account_id}", subject, actions, paid_unseated)
