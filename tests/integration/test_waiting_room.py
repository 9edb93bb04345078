"""The waiting room on DynamoDB Local with real threads (R-QUEUE-2..4): joins at once, the
admission job run several times at once, and after a crash half way."""

from __future__ import annotations

from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from typing import Any

import pytest

from chalicelib.bootstrap import Services, build_services
from chalicelib.config import Settings
from chalicelib.domain.accounts import Account
from chalicelib.domain.clock import FixedClock
from chalicelib.domain.registration import Registration
from chalicelib.domain.waiting_room import ORDER_GRACE, Opening, QueueEntry, place_key, pre_opening_order
from chalicelib.services import waiting_room, waiting_room_admission
from chalicelib.services.province import load_province
from chalicelib.storage.models import BindingItem
from chalicelib.storage.waiting_room import DynamoWaitingRoom
from tests import factories
from tests.race import all_at_once, until_answered

pytestmark = pytest.mark.dynamodb_local
NOW = factories.NOW
RATE = 25
OPENING = Opening("BIG", "集中开放", NOW, NOW + timedelta(hours=1), NOW + timedelta(hours=10), ("NJU-GL",), RATE, 10)
ROLL = factories.many_students(200)


class Crash(Exception):
    """The function stopped mid-way (a timeout, a lost container)."""


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(NOW)


@pytest.fixture
def built(local_table: Settings, clock: FixedClock) -> Services:
    services = build_services(local_table, clock)
    data = factories.province(capacity=10, extra_students=len(ROLL))
    data.catalog.openings[OPENING.id] = OPENING
    load_province(services.loading, data, OPENING.queue_opens_at - timedelta(minutes=1))  # before it opens (R-QUEUE-3)
    return services


def student(n: int) -> Account:
    return Account(f"acc{n:04d}", f"s{n}@example.cn", "unused", agreement_accepted_at=NOW, created_at=NOW)


def bound(built: Services, accounts: list[tuple[Account, int]]) -> None:
    """Each account's registration saved for `ROLL[row]` (R-QUEUE-2: joining needs one)."""

    def bind(given: tuple[Account, int]) -> None:
        account, row = given
        built.registration.registrations.bind(Registration(account.account_id, factories.entry(ROLL[row]), NOW))

    with ThreadPoolExecutor(max_workers=8) as pool:
        list(pool.map(bind, accounts))


def join_many(built: Services, clock: FixedClock, early: int, late: int) -> None:
    """`early` students join before `opens_at`, `late` ones after it, each a second apart."""
    bound(built, [(student(n), n) for n in range(early + late)])
    for n in range(early + late):
        if n == early:
            clock._now = OPENING.opens_at
        waiting_room.join(built.waiting_room, student(n), OPENING.id)
        clock.advance(1)


def entries(built: Services, total: int) -> list[QueueEntry]:
    found = [built.waiting_room.waiting_room.entry(student(n).account_id, OPENING.id) for n in range(total)]
    assert all(found)
    return [e for e in found if e is not None]


def expected_places(built: Services, early: int, late: int) -> dict[str, int]:
    seed = built.waiting_room.waiting_room.seed(OPENING.id)
    assert seed is not None
    order = pre_opening_order(seed, [student(n).account_id for n in range(early)])
    order += [student(n).account_id for n in range(early, early + late)]
    return {account_id: place for place, account_id in enumerate(order, start=1)}


def run(built: Services) -> dict[str, int]:
    return waiting_room_admission.run_admission(built.waiting_room).as_dict()


def test_r_queue_2_two_hundred_students_each_join_twice_at_once_and_hold_one_entry(built: Services) -> None:
    """R-QUEUE-2: once each: of two simultaneous joins per account exactly one creates the entry."""
    accounts = [student(n) for n in range(200)]
    bound(built, [(a, n) for n, a in enumerate(accounts)])
    joins = [lambda a=a: until_answered(lambda: waiting_room.join(built.waiting_room, a, OPENING.id)) for a in accounts]
    results = all_at_once(joins * 2)
    created = Counter(r.entry.account_id for r in results if isinstance(r, waiting_room.Joined) and r.created)
    assert set(created.values()) == {1}
    assert len(created) == 200
    assert built.waiting_room.waiting_room.waiting_count(OPENING.id) == 200


def test_r_queue_2_two_accounts_of_one_candidate_joining_at_once_make_one_entry(built: Services) -> None:
    """R-QUEUE-2 (amended): 40 candidates, each with two accounts whose registrations both name it
    (the moment a binding moves, R-BIND-4: the old account read its registration just before it
    went), every account joining twice at once: one entry per candidate, and every other join is
    answered with that entry. Fails on the old code (an entry per account: 80)."""
    pairs = [(student(n), student(1000 + n)) for n in range(40)]
    bound(built, [(first, n) for n, (first, _) in enumerate(pairs)])
    for n in range(len(pairs)):  # the binding item is freed, the first account keeps its registration
        BindingItem(f"CANDIDATE#{factories.entry(ROLL[n]).key}", "BINDING").delete()
    bound(built, [(second, n) for n, (_, second) in enumerate(pairs)])
    tasks = [
        lambda a=a: until_answered(lambda: waiting_room.join(built.waiting_room, a, OPENING.id))
        for pair in pairs
        for a in pair
        for _ in range(2)
    ]
    results = [r for r in all_at_once(tasks) if isinstance(r, waiting_room.Joined)]
    assert len(results) == len(tasks)
    assert sum(r.created for r in results) == len(pairs)
    by_candidate: dict[str | None, set[QueueEntry]] = {}
    for r in results:
        by_candidate.setdefault(r.entry.candidate, set()).add(r.entry)
    assert len(by_candidate) == len(pairs)
    assert all(len(found) == 1 for found in by_candidate.values())  # the same entry, whichever account asked
    assert built.waiting_room.waiting_room.waiting_count(OPENING.id) == len(pairs)


def test_r_queue_4_the_admission_job_run_four_times_at_once_places_and_admits_each_once(
    built: Services, clock: FixedClock
) -> None:
    """R-QUEUE-2..4: four runners at once give every entry one place (HMAC order, then arrival
    order), and admit exactly the rate's count, each place once."""
    join_many(built, clock, early=120, late=30)
    clock._now = OPENING.opens_at + ORDER_GRACE + timedelta(minutes=2)  # three batches of 25
    reports = all_at_once([lambda: run(built) for _ in range(4)])
    assert sum(r["busy"] for r in reports if isinstance(r, dict)) == 3
    found = entries(built, 150)
    assert {e.account_id: e.position for e in found} == expected_places(built, 120, 30)
    admitted = sorted(e.position or 0 for e in found if e.admitted_at is not None)
    assert admitted == list(range(1, 76))
    progress = built.waiting_room.waiting_room.progress_now(OPENING.id)
    assert progress is not None
    assert (progress.queued, progress.admitted, progress.ordered) == (150, 75, 120)


def test_r_queue_4_admissions_are_written_once_even_past_the_lease(built: Services, clock: FixedClock) -> None:
    """R-QUEUE-4: were two runners ever to overlap (a lease outlived), each place is still admitted
    once: the admission itself is a conditional write."""
    join_many(built, clock, early=100, late=0)
    clock._now = OPENING.opens_at + ORDER_GRACE
    run(built)
    clock.advance(3 * 60)  # 100 places due
    store: Any = built.waiting_room.waiting_room
    store.take_lease = lambda *_args: True
    reports = all_at_once([lambda: run(built) for _ in range(6)])
    assert sum(r["admitted"] for r in reports if isinstance(r, dict)) == 100 - RATE
    assert sorted(e.position or 0 for e in entries(built, 100) if e.admitted_at) == list(range(1, 101))
    progress = built.waiting_room.waiting_room.progress_now(OPENING.id)
    assert progress is not None
    assert (progress.admitted, progress.positioned) == (100, 100)  # a slower runner never wrote less


@pytest.mark.parametrize("step", ["place", "admit"])
def test_r_queue_4_a_run_that_crashes_half_way_is_finished_by_the_next(
    built: Services, clock: FixedClock, monkeypatch: pytest.MonkeyPatch, step: str
) -> None:
    """R-QUEUE-2..4: a runner stopped after 40 writes keeps the opening until its lease ends; the
    next run then finishes the work with the same places and admissions as an unbroken run."""
    join_many(built, clock, early=60, late=20)
    clock._now = OPENING.opens_at + ORDER_GRACE + timedelta(minutes=1)  # 50 due
    writes = {"left": 40}
    original = getattr(DynamoWaitingRoom, step)

    def dying(self: DynamoWaitingRoom, *args: Any) -> bool:
        if writes["left"] == 0:
            raise Crash()
        writes["left"] -= 1
        result: bool = original(self, *args)
        return result

    monkeypatch.setattr(DynamoWaitingRoom, step, dying)
    monkeypatch.setattr(DynamoWaitingRoom, "release_lease", lambda *_args: None)  # stopped: nothing runs after
    with pytest.raises(Crash):
        run(built)
    monkeypatch.undo()
    assert run(built)["busy"] == 1  # the stopped runner's lease still holds the opening
    clock.advance(waiting_room_admission.LEASE.total_seconds() + 1)
    report = run(built)
    assert report["busy"] == 0
    found = entries(built, 80)
    assert {e.account_id: e.position for e in found} == expected_places(built, 60, 20)
    due = min(OPENING.admitted_by(clock.now()), 80)
    assert sorted(e.position or 0 for e in found if e.admitted_at) == list(range(1, due + 1))
    progress = built.waiting_room.waiting_room.progress_now(OPENING.id)
    assert progress is not None
    assert (progress.queued, progress.admitted) == (80, due)


def test_r_queue_3_the_seed_is_drawn_once_and_a_reload_keeps_it(built: Services) -> None:
    """R-QUEUE-3: 64 hex characters, drawn at the first load; a reload keeps the seed and its digest."""
    store = built.waiting_room.waiting_room
    seed, progress = store.seed(OPENING.id), store.progress_now(OPENING.id)
    assert seed is not None
    assert len(seed) == 64
    assert int(seed, 16) >= 0
    data = factories.province(capacity=10)
    data.catalog.openings[OPENING.id] = OPENING
    with ThreadPoolExecutor(max_workers=2) as pool:
        list(pool.map(lambda _: load_province(built.loading, data, NOW), range(2)))
    assert (store.seed(OPENING.id), store.progress_now(OPENING.id)) == (seed, progress)


def test_r_queue_6_the_published_pages_together_are_the_admission_jobs_order(
    built: Services, clock: FixedClock
) -> None:
    """R-QUEUE-6: read page by page (40 keys, then the rest), the published keys are exactly the
    place keys of the pre-opening pool in the places the admission job gave: none skipped, none
    inserted, no later arrival, and still so after five of the first places lapsed and joined
    again at the back (their entries left those places)."""
    join_many(built, clock, early=150, late=20)
    clock._now = OPENING.opens_at + ORDER_GRACE + timedelta(minutes=2)
    run(built)
    placed = {e.account_id: e.position for e in entries(built, 170)}
    clock.advance(11 * 60)  # the first admissions lapsed
    first_five = sorted(placed, key=lambda a: placed[a] or 0)[:5]
    for account in first_five:
        assert waiting_room.join(built.waiting_room, student(int(account[3:])), OPENING.id).created
    run(built)
    assert all((e.position or 0) > 170 for e in entries(built, 170) if e.account_id in first_five)
    seed = built.waiting_room.waiting_room.seed(OPENING.id)
    assert seed is not None
    pool = sorted((a for a in placed if (placed[a] or 0) <= 150), key=lambda a: placed[a] or 0)
    assert pool == pre_opening_order(seed, [student(n).account_id for n in range(150)])
    pages = [waiting_room.order_page(built.waiting_room, OPENING.id, first, 40) for first in range(1, 151, 40)]
    assert [(p.first, p.total, p.seed) for p in pages] == [(first, 150, seed) for first in range(1, 151, 40)]
    published = [key for page in pages for key in page.keys]
    assert published == [place_key(seed, account) for account in pool]
    assert published == sorted(published)
    assert len(set(published)) == 150
    assert waiting_room.order_page(built.waiting_room, OPENING.id, 151, 1000).keys == []
