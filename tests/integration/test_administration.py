"""The province administrator under real threads on DynamoDB Local (R-OPS-1, R-OPS-2, decisions
0023, 0027): capacity changes racing grabs never oversell nor set a capacity below the seats taken,
the overview's counters equal the product's recount (python -m province recount) after concurrent
saves, orders and payments, and that recount rebuilds wrong counters while students keep writing."""

from __future__ import annotations

import json
import threading
import time
from collections import Counter
from typing import Any

import pytest

from chalicelib.bootstrap import Services, build_services
from chalicelib.config import Settings, settings
from chalicelib.domain.accounts import Account
from chalicelib.domain.clock import FixedClock
from chalicelib.domain.errors import CapacityBelowTaken
from chalicelib.domain.orders import LateOutcome, LatePayment, Order
from chalicelib.domain.recount import RecountOutcome
from chalicelib.domain.reviews import ReviewStatus
from chalicelib.domain.roll import RollRow
from chalicelib.services import administration as admin
from chalicelib.services import expiry, payments
from chalicelib.services import registration as reg
from chalicelib.services.province import load_province
from chalicelib.services.recount import recount
from chalicelib.storage.keys import seats_pk
from chalicelib.storage.models import CatalogPartItem, FigureItem, SeatCounterItem, SubjectItem
from chalicelib.storage.recount import DynamoRecount
from devstack.payments_local import SandboxDriver, install_sandbox
from tests import factories
from tests.integration.students import account, prepared
from tests.integration.test_storage_contract import review
from tests.race import all_at_once, until_answered

pytestmark = pytest.mark.dynamodb_local
NOW = factories.NOW
CAMPUS, ORAL = "NJU-GL", "CET-SET4"
ADMIN = factories.province_admin("-")


@pytest.fixture
def world(local_table: Settings, monkeypatch: pytest.MonkeyPatch) -> tuple[Services, FixedClock, SandboxDriver]:
    clock = FixedClock(NOW)
    driver, payment_settings = install_sandbox(clock, "https://sandbox.invalid")
    for name, value in payment_settings.items():
        monkeypatch.setenv(name, value)
    return build_services(settings(), clock), clock, driver


def shards() -> dict[int, tuple[int, int]]:
    """Shard → (capacity, taken), as stored."""
    keys = [(seats_pk(CAMPUS, ORAL, n), "SEATS") for n in range(16)]
    return {int(item.shard): (int(item.capacity), int(item.taken)) for item in SeatCounterItem.batch_get(keys)}


def oral_holds() -> int:
    return sum(
        1
        for item in SubjectItem.scan(SubjectItem.campus_id == CAMPUS)
        if isinstance(item, SubjectItem) and item.code == ORAL
    )


def catalog_capacity() -> tuple[int, int]:
    body = json.loads(CatalogPartItem.get("CATALOG", f"CAMPUS#{CAMPUS}", consistent_read=True).body)
    offering = next(o for o in body["oral"] if o["subject"] == ORAL)
    return int(offering["capacity"]), int(offering["shards"])


def test_r_ops_2_capacity_changes_racing_grabs_never_oversell_nor_go_below_the_seats_taken(
    world: tuple[Services, FixedClock, SandboxDriver],
) -> None:
    """R-OPS-2, R-ORAL-4: 60 students grab a campus of 20 seats (5 shards) while the administrator
    lowers and raises its capacity 8 times: every shard ends within its capacity, the shards'
    capacities sum to the catalog's and to the last change recorded, the seats taken equal the holds,
    and every refused change was refused because it was below the seats taken."""
    built, _, _ = world
    data = factories.province(capacity=20, extra_students=60)
    load_province(built.loading, data, NOW)
    accounts = prepared(built, data.roll[-60:], range(60))
    ctx, board = built.registration, built.administration

    def change(capacity: int) -> object:
        try:
            return until_answered(lambda: admin.change_capacity(board, ADMIN, CAMPUS, ORAL, capacity))
        except CapacityBelowTaken as refused:
            return refused

    tasks: list[Any] = [lambda a=a: until_answered(lambda: reg.choose_subject(ctx, a, ORAL, CAMPUS)) for a in accounts]
    wanted = (12, 30, 8, 24, 16, 40, 10, 26)
    tasks += [lambda c=c: change(c) for c in wanted]
    results = all_at_once(tasks)

    grabs, changes = results[: len(accounts)], results[len(accounts) :]
    held = sum(1 for r in grabs if not isinstance(r, Exception))
    assert {type(r).__name__ for r in grabs if isinstance(r, Exception)} <= {"CampusFull"}
    stored = shards()
    assert all(taken <= capacity for capacity, taken in stored.values()), stored
    assert sum(taken for _, taken in stored.values()) == held == oral_holds()
    capacity, shard_count = catalog_capacity()
    assert sum(c for c, _ in stored.values()) == capacity
    assert shard_count == len(stored)
    log = admin.changes(board, ADMIN)
    made = [r for r in changes if not isinstance(r, Exception)]
    assert len(log) == len(made) > 0
    # each change is conditioned on the campus it read: its `before` is the `after` of the one before it
    befores = Counter(c.before["capacity"] for c in log if c.before)
    afters = Counter(c.after["capacity"] for c in log)
    assert befores + Counter([capacity]) == afters + Counter([20]), log
    for asked, outcome in zip(wanted, changes, strict=True):
        assert not isinstance(outcome, Exception) or (isinstance(outcome, CapacityBelowTaken) and outcome.taken > asked)
    assert held <= capacity
    assert held > 0, "no grab took a seat: no race"


def exact() -> RecountOutcome:
    """The product's recount, dry (python -m province recount --dry-run): no difference when every
    counter equals the items it counts."""
    return recount(DynamoRecount(4), dry_run=True)


def late(order: Order) -> LatePayment:
    return LatePayment(
        order.order_id, order.school_id, order.account_id, "张三", "3201**********123X", 8000, LateOutcome.REFUNDED, NOW
    )


def save_and_order(built: Services, a: Account, row: RollRow) -> Order:
    ctx = built.registration
    until_answered(lambda: reg.save_registration(ctx, a, row.id_type.value, row.id_number, row.name))
    until_answered(lambda: reg.choose_subject(ctx, a, "CET4", None))
    until_answered(lambda: reg.choose_subject(ctx, a, ORAL, CAMPUS))
    return until_answered(lambda: payments.place_order(built.payments, a, "alipay", None))


def test_r_ops_1_the_counters_equal_a_recount_after_concurrent_saves_orders_payments_and_closes(
    world: tuple[Services, FixedClock, SandboxDriver],
) -> None:
    """R-OPS-1: 40 students save, choose, order at once across an hour's turn; then, at once, 20
    orders are paid (each notified twice, in parallel), 10 closed, 6 refreshed twice; a day later
    the expiry job deletes the unpaid holds and the registrations left empty. The counters equal a
    recount of the table."""
    built, clock, driver = world
    clock.advance(-60)  # the saves straddle an hour: 09:59, then 10:01
    data = factories.province(capacity=100, extra_students=40)
    load_province(built.loading, data, NOW)
    roll = data.roll[-40:]
    ctx = built.registration
    accounts = [account(n) for n in range(40)]
    for a in accounts:
        built.accounts.accounts.create(a)

    def one(a: Account) -> Order:
        return save_and_order(built, a, roll[int(a.account_id[3:])])

    first = all_at_once([lambda a=a: one(a) for a in accounts[:20]])
    clock.advance(120)
    second = all_at_once([lambda a=a: one(a) for a in accounts[20:]])
    orders = [o for o in [*first, *second] if isinstance(o, Order)]
    assert len(orders) == 40, [o for o in [*first, *second] if not isinstance(o, Order)]

    def pay(order: Order) -> object:
        return until_answered(lambda: driver.pay(order, 2, True))

    def close(order: Order) -> object:
        return until_answered(lambda: built.payments.orders.close(order))

    paid, closed, refreshed = orders[0:10] + orders[20:30], orders[10:15] + orders[30:35], orders[15:18] + orders[35:38]
    tasks: list[Any] = [lambda o=o: pay(o) for o in paid]
    tasks += [lambda o=o: close(o) for o in closed]
    tasks += [lambda o=o: until_answered(lambda: payments.refresh_order(built.payments, o)) for o in refreshed * 2]
    all_at_once(tasks)
    clock.advance(25 * 3600)
    expiry.expire(ctx.registrations, clock.now())  # the unpaid holds, then their empty registrations

    figures = built.administration.store.figures()
    checked = exact()  # the counters equal a recount of the table
    assert checked.settled
    assert checked.differences == ()
    kept = figures.orders
    assert (kept.paid, kept.closed, kept.open, kept.refunded) == (20, 10, 10, 0), kept
    assert kept.paid_amount == 20 * 8000
    assert figures.paid_seats == {(CAMPUS, ORAL): 20}
    assert sorted(figures.saved_per_hour.values()) == [10, 10], figures.saved_per_hour  # the paid ones, two hours


def test_r_ops_1_recount_rebuilds_corrupt_counters_while_students_register_and_pay(
    world: tuple[Services, FixedClock, SandboxDriver],
) -> None:
    """R-OPS-1, decision 0027: after a mixed run (saves, orders paid and closed, an expired
    registration deleted, reviews filed and decided, late payments) the counters are wiped or made
    wrong, as in a table loaded before them; the recount runs while 4 threads keep registering,
    ordering and paying. Every counter it settled is exact once the threads stop (it never took an
    increment made meanwhile for drift, nor counted one twice); a second run settles the rest; then
    a fresh recount finds nothing and the overview shows the items. Fails on the old code: no
    recount, so the wiped counters stay wrong."""
    built, clock, driver = world
    data = factories.province(capacity=400, extra_students=200)
    load_province(built.loading, data, NOW)
    roll = data.roll[-200:]
    accounts = [account(n) for n in range(200)]
    for a in accounts:
        until_answered(lambda a=a: built.accounts.accounts.create(a))

    def one(a: Account) -> Order:
        return save_and_order(built, a, roll[int(a.account_id[3:])])

    orders = [o for o in all_at_once([lambda a=a: one(a) for a in accounts[:16]]) if isinstance(o, Order)]
    reviews = built.registration.reviews
    tasks: list[Any] = [lambda o=o: until_answered(lambda: driver.pay(o, 1, True)) for o in orders[:6]]
    tasks += [lambda o=o: until_answered(lambda: built.payments.orders.close(o)) for o in orders[6:10]]
    tasks += [
        lambda n=n: reviews.create(review(ReviewStatus.PENDING, f"rev{n}", ("NJU", "SEU")[n % 2])) for n in range(6)
    ]
    tasks += [lambda o=o: built.payments.orders.record_late(late(o)) for o in orders[10:13]]
    all_at_once(tasks)
    decided = [review(ReviewStatus.APPROVED, f"rev{n}", ("NJU", "SEU")[n % 2]) for n in range(3)]
    all_at_once([lambda r=r: reviews.decide(r) for r in decided])
    clock.advance(25 * 3600)
    expiry.expire(built.registration.registrations, clock.now())  # unpaid holds, empty registrations
    clock.advance(-25 * 3600)

    for n, item in enumerate(list(FigureItem.scan(consistent_read=True))):
        if n % 2:
            item.delete()  # as in a table loaded before the counters
        else:
            item.update(actions=[FigureItem.value.add(n + 3)])  # or a wrong count
    assert exact().differences != ()

    stop, busy, done, failed = threading.Event(), threading.Lock(), [0], []
    waiting = iter(accounts[16:])

    def student() -> None:
        while not stop.is_set():
            with busy:
                a = next(waiting, None)
            if a is None:
                return
            try:
                order = one(a)
                if int(a.account_id[3:]) % 3:
                    until_answered(lambda order=order: driver.pay(order, 1, True))
            except Exception as error:
                failed.append(error)
                return
            with busy:
                done[0] += 1

    threads = [threading.Thread(target=student) for _ in range(4)]
    for thread in threads:
        thread.start()
    deadline = time.monotonic() + 30
    while done[0] < 4 and not failed and time.monotonic() < deadline:
        time.sleep(0.05)
    before = done[0]
    live = recount(DynamoRecount(4), rounds=4)
    during = done[0] - before
    stop.set()
    for thread in threads:
        thread.join()

    assert not failed, failed
    assert during > 0, "no student wrote while the recount ran: no race"
    assert live.corrected
    after = exact()
    assert after.settled
    assert {d.key for d in after.differences} <= set(live.unsettled), after.differences
    again = recount(DynamoRecount(4))
    assert again.settled
    fresh = exact()
    assert fresh.settled
    assert fresh.differences == ()
    figures = built.administration.store.figures()
    assert figures.late_payments == 3
    assert figures.reviews_pending == {"NJU": 1, "SEU": 2}
    assert figures.orders.closed == 4


def test_r_ops_2_a_grab_between_the_change_reading_the_shards_and_writing_them_never_oversells(
    world: tuple[Services, FixedClock, SandboxDriver], monkeypatch: pytest.MonkeyPatch
) -> None:
    """R-OPS-2, R-ORAL-4: a student takes the last seat after the change read the shards and before
    it writes them; the change's condition on that shard's `taken` fails, it reads again and is
    refused CAPACITY_BELOW_TAKEN: no shard ends past its capacity, the catalog is unchanged."""
    from chalicelib.storage import administration as storage

    built, _, _ = world
    data = factories.province(capacity=8, extra_students=8)
    load_province(built.loading, data, NOW)
    accounts = prepared(built, data.roll[-8:], range(8))
    ctx = built.registration
    for a in accounts[:7]:
        reg.choose_subject(ctx, a, ORAL, CAMPUS)
    read_shards = storage._shards
    grabbed: list[object] = []

    def then_a_grab(campus_id: str, subject: str) -> tuple[list[int], int]:
        found = read_shards(campus_id, subject)
        if not grabbed:
            grabbed.append(reg.choose_subject(ctx, accounts[7], ORAL, CAMPUS))
        return found

    monkeypatch.setattr(storage, "_shards", then_a_grab)
    with pytest.raises(CapacityBelowTaken) as refused:
        admin.change_capacity(built.administration, ADMIN, CAMPUS, ORAL, 7)
    assert refused.value.taken == 8
    stored = shards()
    assert all(taken <= capacity for capacity, taken in stored.values()), stored
    assert (sum(c for c, _ in stored.values()), sum(t for _, t in stored.values())) == (8, 8)
    assert catalog_capacity()[0] == 8
    assert admin.changes(built.administration, ADMIN) == []
