"""Seat counter shards under real threads on DynamoDB Local (decision 0019, R-ORAL-4, R-PAY-1,
R-PAY-5, decision 0006): shards never oversell, and the seats taken (every shard summed, and each
shard on its own) equal the live holds after grabs, removals, the expiry job, TTL's stream path
and late payments have raced."""

from __future__ import annotations

from collections import Counter
from datetime import timedelta
from typing import Any

import pytest

from chalicelib.bootstrap import Services, build_services
from chalicelib.config import Settings, settings
from chalicelib.domain.clock import FixedClock
from chalicelib.domain.orders import Order
from chalicelib.domain.seats import SeatGrab
from chalicelib.services import expiry, payments
from chalicelib.services import registration as reg
from chalicelib.services.province import load_province
from chalicelib.storage import codec
from chalicelib.storage.keys import account_pk, seats_pk
from chalicelib.storage.models import SeatCounterItem, SubjectItem
from devstack.payments_local import SandboxDriver, install_sandbox
from tests import factories
from tests.integration.students import prepared
from tests.race import all_at_once, until_answered

pytestmark = pytest.mark.dynamodb_local
NOW = factories.NOW
SEAT = SeatGrab("NJU-GL", "CET-SET4")


def shards() -> dict[int, tuple[int, int]]:
    """Shard → (capacity, taken), as stored."""
    found = SeatCounterItem.batch_get([(seats_pk(SEAT.campus_id, SEAT.subject, n), "SEATS") for n in range(16)])
    return {int(item.shard): (int(item.capacity), int(item.taken)) for item in found}


def live_holds_by_shard(built: Services) -> Counter[int]:
    now = built.registration.clock.now()
    live: Counter[int] = Counter()
    for item in SubjectItem.scan(SubjectItem.campus_id == SEAT.campus_id):
        if isinstance(item, SubjectItem) and item.code == SEAT.subject:
            hold = codec.subject_from_item(item)
            if hold.is_live(now):
                assert hold.shard is not None
                live[hold.shard] += 1
    return live


@pytest.fixture
def world(local_table: Settings, monkeypatch: pytest.MonkeyPatch) -> tuple[Services, FixedClock, SandboxDriver]:
    clock = FixedClock(NOW - timedelta(hours=24, minutes=30))  # the earlier holds are chosen then
    driver, payment_settings = install_sandbox(clock, "https://sandbox.invalid")
    for name, value in payment_settings.items():
        monkeypatch.setenv(name, value)
    built = build_services(settings(), clock)
    return built, clock, driver


def test_r_oral_4_shards_never_oversell_300_grabs_for_30_seats(
    world: tuple[Services, FixedClock, SandboxDriver],
) -> None:
    """R-ORAL-4: 300 students grab 30 seats spread over 8 shards at once: exactly 30 hold one, no
    shard past its capacity, and each shard's `taken` is the holds that recorded it."""
    built, clock, _ = world
    clock.advance(int(timedelta(hours=24, minutes=30).total_seconds()))
    data = factories.province(capacity=30, extra_students=300)
    load_province(built.loading, data, NOW)
    roll = data.roll[-300:]
    accounts = prepared(built, roll, range(300))
    ctx = built.registration

    results = all_at_once(
        [lambda a=a: until_answered(lambda: reg.choose_subject(ctx, a, SEAT.subject, SEAT.campus_id)) for a in accounts]
    )

    outcomes = Counter(type(r).__name__ if isinstance(r, Exception) else "held" for r in results)
    assert outcomes == {"held": 30, "CampusFull": 270}
    stored = shards()
    assert len(stored) == 8
    assert sum(capacity for capacity, _ in stored.values()) == 30
    assert all(taken <= capacity for capacity, taken in stored.values())
    assert {n: taken for n, (_, taken) in stored.items() if taken} == dict(live_holds_by_shard(built))
    assert ctx.catalogs.seats_taken([SEAT]) == {SEAT: 30}


def test_r_pay_1_seats_taken_equal_live_holds_after_grabs_removals_expiry_ttl_and_late_payments(
    world: tuple[Services, FixedClock, SandboxDriver],
) -> None:
    """R-ORAL-4, R-PAY-1, R-PAY-5, decision 0006, all at once on 16 seats in 4 shards:
    - 8 students whose holds expired half an hour ago (4 of them also removed by "TTL": the item
      deleted, its old image handed to the stream handler, racing the expiry job);
    - 2 of those had paid their order in time, the notification lost: found now, late (re-reserve
      if the seats are free, else refund);
    - 6 students with live holds remove them;
    - 46 students grab; the expiry job runs twice.
    Afterwards every shard holds exactly its live holds, and no shard is past its capacity."""
    built, clock, driver = world
    data = factories.province(capacity=16, extra_students=60)
    load_province(built.loading, data, NOW)
    roll = data.roll[-60:]
    ctx = built.registration
    store = ctx.registrations
    expired = prepared(built, roll, range(8))  # CET4 and the oral seat chosen 24.5 hours ago
    for a in expired:
        reg.choose_subject(ctx, a, SEAT.subject, SEAT.campus_id)
    orders: list[Order] = [payments.place_order(built.payments, a, "alipay", None) for a in expired[:2]]
    for order in orders:
        driver.pay(order, 0, False)  # paid in time, the notification lost: found late (R-PAY-5)
    clock.advance(int(timedelta(hours=24, minutes=30).total_seconds()))  # now: NOW; those holds are past pay_by
    removing, grabbing = prepared(built, roll, range(8, 14)), prepared(built, roll, range(14, 60))
    for a in removing:
        reg.choose_subject(ctx, a, SEAT.subject, SEAT.campus_id)
    ttl_images: list[dict[str, Any]] = []
    for a in expired[4:]:
        item = SubjectItem.get(account_pk(a.account_id), "SUBJECT#oral#4")
        ttl_images.append(item.serialize())  # DynamoDB JSON, as the stream's old image

    def ttl_removes(image: dict[str, Any]) -> object:
        SubjectItem.from_raw_data(image).delete()  # TTL deletes the item, then the stream reports it
        return expiry.release_removed_holds(store, [image], NOW)

    tasks: list[Any] = [lambda a=a: reg.choose_subject(ctx, a, SEAT.subject, SEAT.campus_id) for a in grabbing]
    tasks += [lambda a=a: reg.remove_subject(ctx, a, SEAT.subject) for a in removing]
    tasks += [lambda image=image: ttl_removes(image) for image in ttl_images]
    tasks += [lambda order=order: payments.refresh_order(built.payments, order) for order in orders]
    tasks += [lambda: expiry.expire(store, NOW), lambda: expiry.expire(store, NOW)]
    # Told BUSY, each tries again (api.md): DynamoDB Local under load times out on its own locks.
    results = all_at_once([lambda task=task: until_answered(task) for task in tasks])

    unexpected = [r for r in results if isinstance(r, Exception) and type(r).__name__ not in ("CampusFull",)]
    assert unexpected == []
    expiry.expire(store, NOW)  # whatever the racing runs left
    stored = shards()
    assert len(stored) == 4
    assert all(taken <= capacity for capacity, taken in stored.values()), stored
    live = live_holds_by_shard(built)
    assert {n: taken for n, (_, taken) in stored.items()} == {n: live.get(n, 0) for n in stored}
    assert ctx.catalogs.seats_taken([SEAT]) == {SEAT: sum(live.values())}
    assert sum(live.values()) <= 16
    assert any(not isinstance(r, Exception) for r in results[: len(grabbing)]), "no grab took a seat: no race"
