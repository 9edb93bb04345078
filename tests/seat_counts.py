"""What the seat counter shards say against what the table holds (decisions 0019, 0020), read from
the table: the waiting-list tests and the lifecycle machine (tests/lifecycle.py) check it."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from datetime import datetime

from chalicelib.bootstrap import Services
from chalicelib.domain.seats import SeatGrab
from chalicelib.storage import codec
from chalicelib.storage.keys import counter_key, seats_pk
from chalicelib.storage.models import PendingSeatItem, SeatCounterItem, SubjectItem, TableItem


def live_holds(seat: SeatGrab) -> int:
    """The holds of `seat` in its GSI1 group (paid or not, expired or not, while their item lasts)."""
    return sum(1 for _ in SubjectItem.by_group.query(f"HOLDS#{seat.campus_id}#{seat.subject}"))


def pending_seats() -> int:
    return sum(1 for _ in PendingSeatItem.by_group.query("PENDING"))


def held_by_counter(items: Iterable[TableItem], live_at: datetime | None = None) -> Counter[str]:
    """Counter shard pk → the oral holds among `items` counting on it (an offered hold on the shard
    its pending seat came from) plus the pending seats naming it. With `live_at`, only the holds
    live then (R-PAY-1); without, every hold whose item is there: an expired hold keeps its seat
    until the expiry job, a grab's reclaim, a removal or TTL's stream handler gives it back."""
    held: Counter[str] = Counter()
    for item in items:
        if isinstance(item, SubjectItem) and item.campus_id is not None:
            hold = codec.subject_from_item(item)
            if live_at is None or hold.is_live(live_at):
                held[counter_key(hold)] += 1
        elif isinstance(item, PendingSeatItem):
            held[item.counter] += 1
    return held


def each_shard_counts_its_holds_and_pending_seats(built: Services, seat: SeatGrab) -> None:
    """Decision 0019/0020, shard by shard: a shard's `taken` is its live holds (an offered hold
    counts on the shard its pending seat came from) plus the pending seats naming it."""
    offering = built.registration.catalogs.catalog().campuses[seat.campus_id].offering(seat.subject)
    assert offering is not None
    keys = [(seats_pk(seat.campus_id, seat.subject, n), "SEATS") for n in range(offering.shards)]
    counted = {item.pk: int(item.taken) for item in SeatCounterItem.batch_get(keys)}
    group = SubjectItem.by_group.query(f"HOLDS#{seat.campus_id}#{seat.subject}")
    expected = held_by_counter([*group, *PendingSeatItem.by_group.query("PENDING")], built.registration.clock.now())
    assert counted == {pk: expected[pk] for pk, _ in keys}
