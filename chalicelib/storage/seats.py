"""The seat counters of the oral subjects, and the one rule they keep: seats taken never exceed
capacity (data-model pattern 2, decision 0019).

Each campus + oral subject counts its seats on up to MAX_SEAT_SHARDS counter shards, each with its
own `capacity` and `taken`. Every write here is conditioned so that no shard's `taken` passes its
`capacity`: a seat is taken only while `taken < capacity` (`take_seat_op`), given back only while
`taken > 0` (`unseat_op`), and a capacity is set (a load, an administrator's change) only while the
shard's `taken` stays within it (`set_shard`). A campus is full when every shard is (`check_full_op`).
"""

from __future__ import annotations

import contextlib
import random

from pynamodb.expressions.update import Action

from chalicelib.domain.catalog import OralOffering
from chalicelib.domain.registration import ChosenSubject
from chalicelib.domain.seats import MAX_SEAT_SHARDS, reshard, shard_count
from chalicelib.storage import keys
from chalicelib.storage.models import SeatCounterItem
from chalicelib.storage.tables import connection
from chalicelib.storage.transactions import ConditionsFailed, Txn, run

RESHARD_ATTEMPTS = 20


def seat_counter(campus_id: str, subject: str, shard: int) -> SeatCounterItem:
    return SeatCounterItem(keys.seats_pk(campus_id, subject, shard), keys.SEATS_SK)


def take_seat_op(txn: Txn, hold: ChosenSubject) -> None:
    """One seat of the hold's shard, never beyond the shard's capacity (label seat)."""
    assert hold.campus_id is not None
    counter = seat_counter(hold.campus_id, hold.code, hold.shard or 0)
    txn.update("seat", counter, [SeatCounterItem.taken.add(1)], SeatCounterItem.taken < SeatCounterItem.capacity)


def unseat_op(txn: Txn, label: str, counter: str) -> None:
    """One seat back to the counter shard `counter` (a pk), never below nothing taken."""
    txn.update(
        label, SeatCounterItem(counter, keys.SEATS_SK), [SeatCounterItem.taken.add(-1)], SeatCounterItem.taken > 0
    )


def check_full_op(txn: Txn, label: str, counter: str) -> None:
    """The counter shard `counter` (a pk) has no seat left, checked in the transaction."""
    txn.check(label, SeatCounterItem, counter, keys.SEATS_SK, SeatCounterItem.taken >= SeatCounterItem.capacity)


def shards_with_room(campus_id: str, subject: str) -> list[int]:
    """The shards with a seat left, in random order: one strongly consistent BatchGet (for a late
    payment, and for a Lambda whose memo of a full campus has aged)."""
    shards = [(keys.seats_pk(campus_id, subject, n), keys.SEATS_SK) for n in range(MAX_SEAT_SHARDS)]
    counters = SeatCounterItem.batch_get(shards, consistent_read=True)
    found = [item for item in counters if int(item.taken) < int(item.capacity)]
    with_room = [int(item.shard) if item.shard is not None else 0 for item in found]
    random.shuffle(with_room)
    return with_room


def taken_per_shard(campus_id: str, subject: str) -> tuple[list[int], int]:
    """Seats taken per shard (shard n at index n, up to the last that exists) and the capacity."""
    shards = [(keys.seats_pk(campus_id, subject, n), keys.SEATS_SK) for n in range(MAX_SEAT_SHARDS)]
    found = {int(item.shard or 0): item for item in SeatCounterItem.batch_get(shards, consistent_read=True)}
    last = max(found, default=-1)
    held = [int(found[n].taken or 0) if n in found else 0 for n in range(last + 1)]
    return held, sum(int(item.capacity) for item in found.values())


def set_shard(txn: Txn, campus_id: str, subject: str, n: int, capacity: int, add: int = 0) -> None:
    """Shard n gets `capacity` and `add` more seats taken, on the condition that its `taken` stays
    within the new capacity (absent: a new shard, nothing taken); the one write of a shard's
    capacity, for a load (add 0) and an administrator's change (add: seats offered to waiters)."""
    actions: list[Action] = [
        SeatCounterItem.kind.set(SeatCounterItem),
        SeatCounterItem.campus_id.set(campus_id),
        SeatCounterItem.subject.set(subject),
        SeatCounterItem.shard.set(n),
        SeatCounterItem.capacity.set(capacity),
        SeatCounterItem.taken.set((SeatCounterItem.taken | 0) + add if add else SeatCounterItem.taken | 0),
    ]
    fits = SeatCounterItem.taken.does_not_exist() | (SeatCounterItem.taken <= capacity - add)
    txn.update(f"shard:{n}", seat_counter(campus_id, subject, n), actions, fits)


def set_seats(offering: OralOffering, seat_shard_size: int | None) -> int:
    """Write an offering's seat shards; returns how many there are (decision 0019).

    A reload changes capacities but never forgets a seat taken: no shard's capacity falls below its
    `taken`, and shards are never removed (a hold in one gives its seat back there), so a reload
    may raise the count but never lowers it. A province's old single counter is folded into shard
    0, where the holds it counted (stored without a shard) give their seats back.
    """
    campus_id, subject = offering.campus_id, offering.subject
    counters = [keys.unsharded_seats_pk(campus_id, subject)]
    counters += [keys.seats_pk(campus_id, subject, n) for n in range(MAX_SEAT_SHARDS)]
    for _ in range(RESHARD_ATTEMPTS):
        found = {item.pk: item for item in SeatCounterItem.batch_get([(pk, keys.SEATS_SK) for pk in counters])}
        old = found.get(counters[0])
        if old is not None:
            _fold_unsharded(old, seat_counter(campus_id, subject, 0))
            continue
        present = [n for n in range(MAX_SEAT_SHARDS) if counters[n + 1] in found]
        held = [
            int(found[counters[n + 1]].taken) if counters[n + 1] in found else 0
            for n in range(max(present, default=-1) + 1)
        ]
        capacities = reshard(offering.capacity, shard_count(offering.capacity, seat_shard_size), held)

        def build(txn: Txn, capacities: list[int] = capacities) -> None:
            for n, capacity in enumerate(capacities):
                set_shard(txn, campus_id, subject, n, capacity)

        try:
            run(connection(), build)
        except ConditionsFailed:
            continue  # grabs moved a shard meanwhile: read them again
        return len(capacities)
    raise RuntimeError(f"the seats of {campus_id} {subject} kept changing while being reloaded")


def _fold_unsharded(old: SeatCounterItem, shard0: SeatCounterItem) -> None:
    """The old counter's seats taken move to shard 0 in one transaction, once."""
    taken = int(old.taken)

    def build(txn: Txn) -> None:
        txn.delete("old", old, SeatCounterItem.taken == taken)
        actions: list[Action] = [
            SeatCounterItem.kind.set(SeatCounterItem),
            SeatCounterItem.campus_id.set(old.campus_id),
            SeatCounterItem.subject.set(old.subject),
            SeatCounterItem.shard.set(0),
            SeatCounterItem.capacity.set(SeatCounterItem.capacity | 0),
            SeatCounterItem.taken.set((SeatCounterItem.taken | 0) + taken),
        ]
        txn.update("shard:0", shard0, actions)

    with contextlib.suppress(ConditionsFailed):  # a grab or a release moved it: read it again
        run(connection(), build)
