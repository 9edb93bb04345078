"""The waiting room's services on the fakes (R-QUEUE-2, R-QUEUE-4): join, re-join, the job's order."""

from __future__ import annotations

from datetime import timedelta

from chalicelib.domain.accounts import Account
from chalicelib.domain.clock import FixedClock
from chalicelib.domain.openings import ORDER_GRACE, EntryState, Opening, pre_opening_order
from chalicelib.services import admission
from chalicelib.services import openings as rooms
from chalicelib.services.province import ProvinceLoading, load_province
from tests import factories
from tests.fake_queue import FakeQueue
from tests.fakes import FakeAccounts, FakeActivations, FakeCatalog, FakeDatabase, FakeProvince

NOW = factories.NOW
OPENING = Opening("O", "集中开放", NOW, NOW + timedelta(hours=1), NOW + timedelta(hours=5), ("NJU-GL",), 2, 10)


def context(clock: FixedClock) -> rooms.QueueContext:
    db = FakeDatabase()
    data = factories.province()
    data.catalog.openings[OPENING.id] = OPENING
    loading = ProvinceLoading(FakeProvince(db), FakeAccounts(db), FakeActivations(db), factories.protection)
    load_province(loading, data, NOW)
    return rooms.QueueContext(FakeCatalog(db), FakeQueue(db), clock)


def student(n: int) -> Account:
    return Account(f"acc{n}", f"s{n}@example.cn", "-")


def test_r_queue_4_a_lapsed_admission_re_joins_at_the_back_once() -> None:
    clock = FixedClock(NOW)
    ctx = context(clock)
    for n in range(3):
        assert rooms.join(ctx, student(n), OPENING.id).created
    clock._now = OPENING.opens_at + ORDER_GRACE
    admission.run_admission(ctx)
    seed = ctx.queue.seed(OPENING.id)
    assert seed is not None
    first = pre_opening_order(seed, [student(n).account_id for n in range(3)])[0]
    me = next(student(n) for n in range(3) if student(n).account_id == first)
    assert rooms.current_entry(ctx, me, OPENING.id)[1].state is EntryState.ADMITTED
    assert not rooms.join(ctx, me, OPENING.id).created  # live: the same entry
    clock.advance(10 * 60)
    again = rooms.join(ctx, me, OPENING.id)
    assert (again.created, again.entry.round, again.entry.position) == (True, 1, None)
    assert not rooms.join(ctx, me, OPENING.id).created  # once: a second POST finds it waiting
    admission.run_admission(ctx)
    assert rooms.current_entry(ctx, me, OPENING.id)[1].position == 4
