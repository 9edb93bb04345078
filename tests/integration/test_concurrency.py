"""Concurrency properties, proven on DynamoDB Local with real threads (never on moto)."""

from __future__ import annotations

import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import pytest

from chalicelib.bootstrap import Services, build_services
from chalicelib.config import Settings
from chalicelib.domain.accounts import Account
from chalicelib.domain.clock import FixedClock
from chalicelib.domain.registration import Registration
from chalicelib.domain.seats import SeatGrab
from chalicelib.services import registration as reg
from chalicelib.services.province import load_province
from chalicelib.storage.catalog import CATALOG_CACHE_SECONDS, DynamoCatalog
from chalicelib.storage.models import SubjectItem
from devstack.ddb_requests import count_requests
from tests import factories
from tests.race import all_at_once, until_answered

pytestmark = pytest.mark.dynamodb_local
NOW = factories.NOW


def outcome(result: object) -> str:
    return type(result).__name__ if isinstance(result, Exception) else "ok"


def student_account(n: int) -> Account:
    return Account(f"acc{n}", f"student{n}@example.cn", "unused", agreement_accepted_at=NOW, created_at=NOW)


@pytest.fixture
def built(local_table: Settings) -> Services:
    return build_services(local_table, FixedClock(NOW))


def test_r_oral_4_500_concurrent_grabs_for_50_seats(built: Services) -> None:
    """R-ORAL-4: 500 students grab 50 oral seats at once: exactly 50 hold one, the counter says 50."""
    data = factories.province(capacity=50, extra_students=500)
    load_province(built.loading, data, NOW)
    ctx = built.registration
    students = data.roll[-500:]
    accounts = [student_account(n) for n in range(500)]

    def prepare(n: int) -> None:
        until_answered(lambda: built.accounts.accounts.create(accounts[n]))
        until_answered(
            lambda: ctx.registrations.bind(Registration(accounts[n].account_id, factories.entry(students[n]), NOW))
        )
        until_answered(lambda: reg.choose_subject(ctx, accounts[n], "CET4", None))

    with ThreadPoolExecutor(max_workers=16) as pool:
        list(pool.map(prepare, range(500)))

    # A student told BUSY tries again (api.md): DynamoDB Local under load times out on its own locks.
    results = all_at_once(
        [lambda a=a: until_answered(lambda: reg.choose_subject(ctx, a, "CET-SET4", "NJU-GL")) for a in accounts]
    )

    assert Counter(outcome(r) for r in results) == {"ok": 50, "CampusFull": 450}
    seat = SeatGrab("NJU-GL", "CET-SET4")
    assert ctx.catalogs.seats_taken([seat]) == {seat: 50}
    live_holds = list(SubjectItem.by_group.query("HOLDS#NJU-GL#CET-SET4"))
    assert len(live_holds) == 50


def test_r_bind_2_twenty_accounts_bind_one_candidate_at_once(built: Services) -> None:
    """R-BIND-2: one candidate's registration binds to at most one account, under contention."""
    load_province(built.loading, factories.province(), NOW)
    ctx = built.registration
    accounts = [student_account(n) for n in range(20)]
    for account in accounts:
        built.accounts.accounts.create(account)
    entry = factories.ZHANG

    results = all_at_once(
        [lambda a=a: reg.save_registration(ctx, a, "resident_id", entry.id_number, entry.name) for a in accounts]
    )

    assert Counter(outcome(r) for r in results) == {"ok": 1, "CandidateAlreadyBound": 19}
    winner = next(a for a, r in zip(accounts, results, strict=True) if outcome(r) == "ok")
    assert ctx.registrations.bound_account(factories.entry(entry).key) == winner.account_id
    assert [a.account_id for a in accounts if ctx.registrations.get(a.account_id)] == [winner.account_id]


def test_r_bind_2_one_account_binds_two_candidates_at_once(built: Services) -> None:
    """R-BIND-2: one account binds at most one candidate, even when both are tried at once."""
    load_province(built.loading, factories.province(), NOW)
    ctx = built.registration
    account = student_account(1)
    built.accounts.accounts.create(account)
    candidates = [factories.ZHANG, factories.LI]

    results = all_at_once(
        [lambda e=e: reg.save_registration(ctx, account, "resident_id", e.id_number, e.name) for e in candidates] * 5
    )

    assert Counter(outcome(r) for r in results)["ok"] == 1
    assert {outcome(r) for r in results} <= {"ok", "AccountAlreadyBound", "CandidateAlreadyBound"}
    saved = ctx.registrations.get(account.account_id)
    assert saved is not None
    bindings = [ctx.registrations.bound_account(factories.entry(e).key) for e in candidates]
    assert sorted(b or "" for b in bindings) == ["", account.account_id]


def test_r_oral_4_a_seat_is_released_at_most_once(built: Services) -> None:
    """A seat goes back once, however many removals race for the same hold (architecture invariant)."""
    load_province(built.loading, factories.province(capacity=5), NOW)
    ctx = built.registration
    owner, other = student_account(1), student_account(2)
    for account, entry in ((owner, factories.ZHANG), (other, factories.LI)):
        built.accounts.accounts.create(account)
        ctx.registrations.bind(Registration(account.account_id, factories.entry(entry), NOW))
        reg.choose_subject(ctx, account, "CET4", None)
        reg.choose_subject(ctx, account, "CET-SET4", "NJU-GL")
    registration = ctx.registrations.get(owner.account_id)
    assert registration is not None
    hold = next(s for s in registration.subjects if s.code == "CET-SET4")

    results = all_at_once([lambda: ctx.registrations.remove_subject(owner.account_id, hold, NOW)] * 10)

    assert Counter(outcome(r) for r in results) == {"ok": 1, "SubjectPaid": 9}
    seat = SeatGrab("NJU-GL", "CET-SET4")
    assert ctx.catalogs.seats_taken([seat]) == {seat: 1}


def test_r_pay_1_expired_hold_replaced_by_racing_tabs_releases_once(built: Services) -> None:
    """An expired oral hold replaced from several tabs at once: one new hold, the old seat back once."""
    load_province(built.loading, factories.province(capacity=5), NOW)
    account = student_account(1)
    built.accounts.accounts.create(account)
    early = build_services_at(built, NOW - timedelta(hours=25))
    early.registrations.bind(Registration(account.account_id, factories.entry(factories.LI), NOW - timedelta(hours=25)))
    reg.choose_subject(early, account, "CET4", None)
    reg.choose_subject(early, account, "CET-SET4", "NJU-GL")
    reg.choose_subject(build_services_at(built, NOW - timedelta(hours=2)), account, "CET6", None)
    ctx = built.registration  # now: CET4 and its oral hold are past pay_by, CET6 keeps the registration

    reg.choose_subject(ctx, account, "CET4", None)
    results = all_at_once([lambda: reg.choose_subject(ctx, account, "CET-SET4", "SEU-SP")] * 8)

    assert Counter(outcome(r) for r in results)["ok"] == 1
    assert {outcome(r) for r in results} <= {"ok", "SubjectTaken"}
    taken = ctx.catalogs.seats_taken([SeatGrab("NJU-GL", "CET-SET4"), SeatGrab("SEU-SP", "CET-SET4")])
    assert taken == {SeatGrab("NJU-GL", "CET-SET4"): 0, SeatGrab("SEU-SP", "CET-SET4"): 1}


def build_services_at(built: Services, moment: object) -> reg.RegistrationContext:
    from dataclasses import replace

    return replace(built.registration, clock=FixedClock(moment))  # type: ignore[arg-type]


def test_a_stale_catalog_is_read_again_by_one_thread_while_64_serve_the_old_copy(built: Services) -> None:
    """The opening minute (issue: no stampede): when the cached catalog goes stale, 64 requests at
    once cause one Query of the catalog; the others answer from the old copy meanwhile."""
    load_province(built.loading, factories.province(), NOW)
    catalogs = DynamoCatalog()
    first = catalogs.catalog()
    stale_since = time.monotonic() - CATALOG_CACHE_SECONDS - 1
    catalogs._cached = (stale_since, first)  # as 30 s later
    requests = count_requests()
    requests.reset()

    results = all_at_once([catalogs.catalog for _ in range(64)])

    assert all(not isinstance(r, Exception) and r.subjects == first.subjects for r in results)
    assert requests.by_operation["Query"] == 1
    assert catalogs._cached is not None
    assert catalogs._cached[0] > stale_since
