"""The expiry job on moto and DynamoDB Local; TTL deletion racing it, on DynamoDB Local only."""

from __future__ import annotations

import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta

import pytest

from chalicelib.api.deps import build_services
from chalicelib.config import Settings
from chalicelib.domain.accounts import Account
from chalicelib.domain.catalog import SubjectKind
from chalicelib.domain.clock import SHANGHAI, FixedClock
from chalicelib.domain.registration import PAY_WITHIN, ChosenSubject, Registration, SubjectStatus
from chalicelib.services import expiry
from chalicelib.services import registration as reg
from chalicelib.services.ports import SeatGrab
from chalicelib.services.province import load_province
from chalicelib.storage.models import SeatReleaseItem
from devstack.streams import StreamPoller
from tests import factories

SEAT = SeatGrab("NJU-GL", "CET-SET4")


def student(n: int, at: datetime) -> Account:
    return Account(f"acc{n}", f"s{n}@example.cn", "-", agreement_accepted_at=at, created_at=at)


def test_r_pay_1_and_r_bind_4_the_job_deletes_what_is_due(table: Settings) -> None:
    """R-PAY-1, R-BIND-4 on both backends: due subjects and registrations go, seats come back."""
    clock = FixedClock(factories.NOW)
    built = build_services(table, clock)
    load_province(built.province, built.accounts.passwords, factories.province(capacity=5), factories.NOW)
    ctx = built.registration
    gone, kept = student(1, factories.NOW), student(2, factories.NOW)
    for account, entry in ((gone, factories.ZHANG), (kept, factories.LI)):
        built.accounts.accounts.create(account)
        reg.save_registration(ctx, account, entry.id_type.value, entry.id_number, entry.name)
        reg.choose_subject(ctx, account, "CET4", None)
        reg.choose_subject(ctx, account, "CET-SET4", "NJU-GL")
    clock.advance(23 * 3600)
    reg.choose_subject(ctx, kept, "CET6", None)
    clock.advance(3600 + 1)

    report = expiry.expire(ctx.registrations, clock.now()).as_dict()

    assert report == {"expired_subjects": 4, "deleted_registrations": 1, "rescheduled": 1, "skipped": 0}
    assert ctx.registrations.get(gone.account_id) is None
    assert ctx.registrations.bound_account(factories.ZHANG.key) is None
    left = ctx.registrations.get(kept.account_id)
    assert left is not None
    assert [s.code for s in left.subjects] == ["CET6"]
    assert ctx.catalogs.seats_taken([SEAT]) == {SEAT: 0}
    assert expiry.expire(ctx.registrations, clock.now()).as_dict()["expired_subjects"] == 0


def hold(code: str, level: int, chosen_at: datetime, campus: str | None = None) -> ChosenSubject:
    kind = SubjectKind.ORAL if campus else SubjectKind.WRITTEN
    pay_by = chosen_at + PAY_WITHIN
    return ChosenSubject(code, kind, level, 3000, SubjectStatus.UNPAID, chosen_at, pay_by, uuid.uuid4().hex, campus)


@pytest.mark.dynamodb_local
def test_ttl_and_the_job_race_and_seats_taken_equal_live_holds(local_table: Settings) -> None:
    """Architecture invariant on DynamoDB Local with real TTL deletion and the stream consumed:
    whichever of the job and TTL removes an expired hold first, its seat goes back exactly once."""
    now = datetime.now(SHANGHAI)
    past = now - timedelta(hours=26)  # holds due 2 h ago; TTL (pay_by + 1 h) already passed
    built = build_services(local_table, FixedClock(now))
    data = factories.province(capacity=100, extra_students=60)
    load_province(built.province, built.accounts.passwords, data, now)
    store = built.registration.registrations
    poller = StreamPoller(local_table.dynamodb_endpoint, local_table.region, local_table.table_name)
    students = data.roll[-60:]
    expired_ones, live_ones = range(40), range(40, 60)
    done = threading.Event()
    by_job = []

    def prepare(n: int) -> None:
        at = past if n in expired_ones else now
        account = student(n, at)
        store.bind(Registration(account.account_id, students[n], at))
        registration = store.get(account.account_id)
        assert registration is not None
        written = hold("CET4", 4, at)
        store.add_subject(registration, written, None)
        store.add_subject(registration.with_subject(written), hold("CET-SET4", 4, at, "NJU-GL"), None)

    def holds_left(accounts: range) -> int:
        return sum(len(r.subjects) for n in accounts if (r := store.get(f"acc{n}")) is not None)

    def job_loop() -> None:
        while not done.is_set():
            by_job.append(expiry.expire(store, now).expired_subjects)

    with ThreadPoolExecutor(max_workers=8) as pool:
        list(pool.map(prepare, range(60)))
    deadline = time.monotonic() + 30
    while holds_left(expired_ones) == 2 * len(expired_ones) and time.monotonic() < deadline:
        time.sleep(0.05)  # until DynamoDB Local's TTL (20 items every 10 s or so) has begun
    assert holds_left(expired_ones) < 2 * len(expired_ones), "DynamoDB Local's TTL deleted nothing in 30 s"

    by_stream = 0
    with ThreadPoolExecutor(max_workers=2) as pool:
        jobs = [pool.submit(job_loop) for _ in range(2)]
        quiet_since = time.monotonic()
        while time.monotonic() - quiet_since < 3:
            handled = poller.poll_once(lambda images: expiry.release_removed_holds(store, images, now))
            if handled:
                quiet_since = time.monotonic()
                by_stream += handled
            time.sleep(0.2)
        done.set()
        for job in jobs:
            job.result()
    by_job.append(expiry.expire(store, now).expired_subjects)
    poller.poll_once(lambda images: expiry.release_removed_holds(store, images, now))

    assert built.registration.catalogs.seats_taken([SEAT]) == {SEAT: len(live_ones)}
    proofs = [p for p in SeatReleaseItem.scan() if isinstance(p, SeatReleaseItem)]
    assert len(proofs) == len(expired_ones)
    assert all(store.get(f"acc{n}") is None for n in expired_ones)
    assert all(store.get(f"acc{n}") is not None for n in live_ones)
    print(f"expired holds removed by the job: {sum(by_job)}, removals seen on the stream: {by_stream}")
    assert 0 < sum(by_job) < 2 * len(expired_ones), "the job and TTL did not share the work: no race was run"
