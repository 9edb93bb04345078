"""The province administrator under real threads on DynamoDB Local (R-OPS-1, R-OPS-2, decision 0023):
capacity changes racing grabs never oversell nor set a capacity below the seats taken, and the
overview's counters equal a recount of the table after concurrent saves, orders and payments."""

from __future__ import annotations

import json
from collections import Counter
from typing import Any

import pytest

from chalicelib.bootstrap import Services, build_services
from chalicelib.config import Settings, settings
from chalicelib.domain.accounts import Account
from chalicelib.domain.clock import FixedClock, parse_iso
from chalicelib.domain.errors import CapacityBelowTaken
from chalicelib.domain.orders import Order
from chalicelib.domain.registration import SubjectStatus
from chalicelib.services import administration as admin
from chalicelib.services import expiry, payments
from chalicelib.services import registration as reg
from chalicelib.services.province import load_province
from chalicelib.storage import codec
from chalicelib.storage.figures import hour_of
from chalicelib.storage.models import CatalogPartItem, OrderItem, RegistrationItem, SeatCounterItem, SubjectItem
from devstack.payments_local import SandboxDriver, install_sandbox
from tests import factories
from tests.integration.students import account, prepared
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
    keys = [(codec.seats_pk(CAMPUS, ORAL, n), "SEATS") for n in range(16)]
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


def recount() -> dict[str, Any]:
    """What the counters should say, counted item by item (a scan: the tests only)."""
    saved: Counter[str] = Counter()
    for item in RegistrationItem.scan():
        saved[hour_of(parse_iso(item.saved_at)).isoformat()] += 1
    statuses: Counter[str] = Counter()
    paid_amount = 0
    for item in OrderItem.scan(OrderItem.sk == "ORDER"):
        statuses[item.status] += 1
        if item.status == "paid":
            paid_amount += sum(int(s["fee"]) for s in json.loads(item.subjects))
    paid_seats = sum(
        1
        for item in SubjectItem.scan(SubjectItem.campus_id == CAMPUS)
        if isinstance(item, SubjectItem) and item.status == SubjectStatus.PAID.value
    )
    return {"saved": dict(saved), "orders": dict(statuses), "paid_amount": paid_amount, "paid_seats": paid_seats}


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

    def save_and_order(a: Account) -> Order:
        row = roll[int(a.account_id[3:])]
        until_answered(lambda: reg.save_registration(ctx, a, row.id_type.value, row.id_number, row.name))
        until_answered(lambda: reg.choose_subject(ctx, a, "CET4", None))
        until_answered(lambda: reg.choose_subject(ctx, a, ORAL, CAMPUS))
        return until_answered(lambda: payments.place_order(built.payments, a, "alipay", None))

    first = all_at_once([lambda a=a: save_and_order(a) for a in accounts[:20]])
    clock.advance(120)
    second = all_at_once([lambda a=a: save_and_order(a) for a in accounts[20:]])
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
    truth = recount()
    assert {iso_hour.isoformat(): n for iso_hour, n in figures.saved_per_hour.items()} == truth["saved"]
    kept = figures.orders
    assert {"open": kept.open, "paid": kept.paid, "closed": kept.closed, "refunded": kept.refunded} == {
        status: truth["orders"].get(status, 0) for status in ("open", "paid", "closed", "refunded")
    }
    assert (kept.paid, kept.closed, kept.open) == (20, 10, 10), kept
    assert kept.paid_amount == truth["paid_amount"] == 20 * 8000
    assert figures.paid_seats == {(CAMPUS, ORAL): truth["paid_seats"]} == {(CAMPUS, ORAL): 20}
    assert sorted(truth["saved"].values()) == [10, 10], truth["saved"]  # the paid ones stay, in two hours


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
