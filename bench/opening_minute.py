"""The opening minute on DynamoDB Local, through the service code and through the API.

    .venv/bin/python -m bench.opening_minute [--threads 64] [--plenty 1000] [--herd 2000] [--seats 100] [--fleet 8]

It starts its own DynamoDB Local unless DYNAMODB_LOCAL_ENDPOINT names one. Requests to DynamoDB
are counted with a botocore event hook (devstack/ddb_requests.py).

*Plenty*: 1,000 grabs for 1,000 seats spread over the province's default shards, every grab held.
Prints grabs/s and, as the baseline measured in the same run on the same table, the rate of a bare
3-item transaction of the grab's shape (registration version, subject put, conditional shard
update): `ratio grab/transaction <x>`. A grab is one read and one transaction, so the ratio is
bounded by what the read costs next to the transaction.

*Herd*: 2,000 simultaneous grabs (one thread each, released together) for 100 seats, then the
refused all try again at once, the campus now known full. After each wave oversell is read from the
table (bench/fleet.py): the campus's live holds counted through GSI1 against the capacities stored
on its counter shards, not the command-line value. Two runs of it, on two campuses:

- *the fleet* (`--fleet N`, default 8; 0 leaves it out): N worker processes, each a fresh container
  (its own services, catalog and "full" memo), every grab a `POST /registration/subjects` through
  `app.py` with `chalice.test.Client`, the students' sessions written to the table beforehand. The
  headline: `herd: oversell <n> errors <n> busy <n> requests/refusal <x> (fleet of <N>)`, where
  busy counts 503 BUSY answers, errors anything that would be a 500, and requests/refusal the
  DynamoDB requests of a refused API call in the second wave (the session, the account's
  partition, then the seat check); each wave's HTTP and DynamoDB requests per grab are printed
  above it, and what the students holding the live seats were told (each `held`, when the answers
  agree with the table).
- *one process*, as before: the service function called directly by 2,000 threads sharing one
  memo. Its line, `herd: oversell … errors … requests/refusal … (one process, service code; …)`,
  comes second.

What the figures do not cover: everything runs on one machine (2 cores here), so the workers, the
threads and DynamoDB Local compete for the same CPUs and latencies are this machine's; DynamoDB
Local neither throttles nor partitions as DynamoDB does (no ProvisionedThroughputExceeded, no hot
partition), so BUSY answers and refusals by the database are rarer than in AWS; and the chalice test
client calls the handler in-process: no API Gateway, no Lambda cold start, no network between the
client and the handler, nor Lambda's one request per container at a time (a worker's threads share
its container).
"""

from __future__ import annotations

import argparse
import os
import statistics
import threading
import time
import traceback
from collections import Counter
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace
from typing import Any

from bench.fleet import fleet_herd, oversell_in_table
from bench.local import on_dynamodb_local
from chalicelib.api.errors import overloaded
from chalicelib.bootstrap import Services, build_services
from chalicelib.config import settings
from chalicelib.domain.accounts import Account
from chalicelib.domain.catalog import Catalog, OralOffering
from chalicelib.domain.clock import FixedClock
from chalicelib.domain.errors import DomainError
from chalicelib.domain.province import ProvinceData
from chalicelib.domain.registration import Registration
from chalicelib.domain.seats import SeatGrab
from chalicelib.services import registration as reg
from chalicelib.services.province import load_province
from chalicelib.storage.models import RegistrationItem, SeatCounterItem, SubjectItem
from chalicelib.storage.tables import connection, create_table
from chalicelib.storage.transactions import Txn, run
from devstack.ddb_requests import RequestCount, count_requests
from tests import factories

PLENTY = SeatGrab("NJU-GL", "CET-SET4")
HERD = SeatGrab("SEU-SP", "CET-SET4")  # NJU students may take their oral test elsewhere
FLEET = SeatGrab("NJU-XL", "CET-SET4")  # opened for the bench at PLENTY's time


def with_capacities(catalog: Catalog, capacities: dict[SeatGrab, int]) -> Catalog:
    """The capacities given; each of them open when PLENTY's offering is."""
    plenty = catalog.campuses[PLENTY.campus_id].offering(PLENTY.subject)
    assert plenty is not None

    def seat(o: OralOffering) -> OralOffering:
        grab = SeatGrab(o.campus_id, o.subject)
        if grab not in capacities:
            return o
        return replace(o, capacity=capacities[grab], opens_at=plenty.opens_at, closes_at=plenty.closes_at)

    campuses = {
        campus_id: replace(campus, oral=tuple(seat(o) for o in campus.oral))
        for campus_id, campus in catalog.campuses.items()
    }
    return replace(catalog, campuses=campuses)


def per_second(count: int, threads: int, task: Callable[[int], object]) -> float:
    started = time.perf_counter()
    with ThreadPoolExecutor(max_workers=threads) as pool:
        list(pool.map(task, range(count)))
    return count / (time.perf_counter() - started)


@dataclass
class Grab:
    outcome: str
    started: float
    seconds: float
    requests: int


def prepare(built: Services, data: ProvinceData, students: int, threads: int) -> list[Account]:
    """Accounts with a registration and CET4 held: ready to grab an oral seat."""
    ctx = built.registration
    rows = data.roll[-students:]
    accounts = [Account(f"b{n}", f"b{n}@example.cn", "-", agreement_accepted_at=factories.NOW) for n in range(students)]

    def one(n: int) -> None:
        built.accounts.accounts.create(accounts[n])
        ctx.registrations.bind(Registration(accounts[n].account_id, factories.entry(rows[n]), factories.NOW))
        reg.choose_subject(ctx, accounts[n], "CET4", None)

    per_second(students, threads, one)
    return accounts


def plenty(built: Services, accounts: list[Account], threads: int, requests: RequestCount) -> None:
    ctx = built.registration
    shards = ctx.catalogs.catalog().campuses[PLENTY.campus_id].offering(PLENTY.subject)
    assert shards is not None
    k = shards.shards
    # the baseline's own items on the same table: a counter per shard with room for every run
    for n in range(k):
        SeatCounterItem(f"BENCH#SEATS#{n}", "SEATS", campus_id="-", subject="-", capacity=10**9, taken=0).save()

    def bare_transaction(n: int) -> None:
        def build(txn: Txn) -> None:
            registration = RegistrationItem(f"BENCH#{n}", "REGISTRATION")
            txn.update("registration", registration, [RegistrationItem.version.add(1)])
            subject = SubjectItem(
                f"BENCH#{n}", "SUBJECT#oral#4", account_id="-", code="-", subject_kind="oral", level=4, fee=0
            )
            subject.status, subject.chosen_at, subject.hold_id = "unpaid", "-", f"h{n}"
            txn.put("slot", subject, SubjectItem.pk.does_not_exist())
            counter = SeatCounterItem(f"BENCH#SEATS#{n % k}", "SEATS")
            condition = SeatCounterItem.taken < SeatCounterItem.capacity
            txn.update("seat", counter, [SeatCounterItem.taken.add(1)], condition)

        run(connection(), build)

    def grab(n: int) -> None:
        try:
            reg.choose_subject(ctx, accounts[n], PLENTY.subject, PLENTY.campus_id)
        except DomainError as refused:
            raise SystemExit(f"plenty: grab {n} refused: {refused.code}") from None

    count = len(accounts)
    ctx.catalogs.catalog()  # warm, as a Lambda that has served a request is
    before = per_second(count, threads, bare_transaction)
    requests.reset()
    grabs = per_second(count, threads, grab)
    grab_requests, grab_operations, grab_refusals = requests.total, dict(requests.by_operation), dict(requests.refusals)
    after = per_second(count, threads, lambda n: bare_transaction(n + count))
    baseline = (before + after) / 2
    taken = ctx.catalogs.seats_taken([PLENTY])[PLENTY]
    print(f"plenty: {count} grabs for {count} seats over {k} shards, {threads} threads")
    print(f"  bare 3-item transaction : {baseline:8.1f} /s  (before {before:.1f}, after {after:.1f})")
    print(f"  grab (service code)     : {grabs:8.1f} /s  held {taken}")
    print(f"  requests per grab       : {grab_requests / count:8.2f}  {grab_operations}")
    print(f"  refused by the database : {grab_refusals}")
    print(f"ratio grab/transaction {grabs / baseline:.3f}")


def wave(ctx: Any, accounts: list[Account], requests: RequestCount) -> tuple[list[Grab], Counter[str], dict[str, str]]:
    """Every account grabs at once, one thread each, released together."""
    barrier = threading.Barrier(len(accounts))
    grabs: list[Grab | None] = [None] * len(accounts)
    errors: Counter[str] = Counter()
    first_traceback: dict[str, str] = {}
    lock = threading.Lock()

    def grab(n: int) -> None:
        barrier.wait()
        requests.reset_this_thread()
        started = time.perf_counter()
        try:
            reg.choose_subject(ctx, accounts[n], HERD.subject, HERD.campus_id)
            outcome = "held"
        except DomainError as refused:
            outcome = refused.code
        except Exception as error:
            outcome = "BUSY" if overloaded(error) else "error"  # 503 BUSY, or what would be a 500
            with lock:
                errors[type(error).__name__] += 1
                first_traceback.setdefault(type(error).__name__, traceback.format_exc())
        grabs[n] = Grab(outcome, started, time.perf_counter() - started, requests.this_thread())

    threads = [threading.Thread(target=grab, args=(n,)) for n in range(len(accounts))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return [g for g in grabs if g is not None], errors, first_traceback


def herd(built: Services, accounts: list[Account], capacity: int, requests: RequestCount) -> str:
    """The herd in one process, calling the service; its closing line."""
    ctx = built.registration
    requests.reset()
    done, errors, first_traceback = wave(ctx, accounts, requests)
    outcomes = Counter(g.outcome for g in done)
    refusals = [g for g in done if g.outcome not in ("held", "error", "BUSY")]
    taken = ctx.catalogs.seats_taken([HERD])[HERD]
    after_first = oversell_in_table(built, HERD, ctx.clock.now())
    latencies = sorted(g.seconds for g in done)
    print(f"herd: {len(done)} simultaneous grabs for {capacity} seats")
    print(f"  held {outcomes['held']}, counter says {taken}")
    print(f"  table: {after_first.live_holds} live holds, stored capacity {after_first.capacity}")
    refused = {code: n for code, n in outcomes.items() if code not in ("held", "error", "BUSY")}
    print(f"  refused by code {refused}; 503 BUSY (overload, an answer) {outcomes['BUSY']}")
    print(f"  errors {outcomes['error']} {dict(errors)}")
    print(f"  refused by the database {dict(requests.refusals)}")
    p50, p99 = statistics.median(latencies), latencies[int(len(latencies) * 0.99)]
    print(f"  latency p50 {p50 * 1000:.0f} ms, p99 {p99 * 1000:.0f} ms")
    held = [g for g in done if g.outcome == "held"]
    per_refusal = sum(g.requests for g in refusals) / max(1, len(refusals))
    print(f"  requests per grab held  : {sum(g.requests for g in held) / max(1, len(held)):.2f}")
    print(f"  requests per refusal    : {per_refusal:.2f} (all {len(refusals)}, the campus not yet known full)")
    # The refused try again at once: the campus is now known full in this Lambda.
    again = [accounts[n] for n, g in enumerate(done) if g.outcome not in ("held",)]
    requests.reset()
    retried, _, retry_traceback = wave(ctx, again, requests)
    late = [g for g in retried if g.outcome not in ("held", "error", "BUSY")]
    per_late = sum(g.requests for g in late) / max(1, len(late))
    retry_outcomes = Counter(g.outcome for g in retried)
    print(f"  the {len(again)} refused, again at once: {dict(retry_outcomes)}, {per_late:.3f} requests per refusal")
    after_second = oversell_in_table(built, HERD, ctx.clock.now())
    print(f"    table: {after_second.live_holds} live holds, stored capacity {after_second.capacity}")
    # A refusal from the memo costs the partition read alone; a request that found the memo lapsed
    # (every FULL_MEMO_SECONDS, services/seats.py) finds out again: one read of the counters more.
    from_memo = [g for g in late if g.requests <= 1]
    checking = [g for g in late if g.requests > 1]
    print(
        f"    of them {len(from_memo)} refused from the memo at "
        f"{sum(g.requests for g in from_memo) / max(1, len(from_memo)):.2f} requests each, "
        f"{len(checking)} found the memo lapsed and checked again at "
        f"{sum(g.requests for g in checking) / max(1, len(checking)):.2f}"
    )
    for name, text in {**first_traceback, **retry_traceback}.items():
        print(f"--- first {name}\n{text}")
    errors_total = outcomes["error"] + retry_outcomes["error"]
    memo_cost = sum(g.requests for g in from_memo) / max(1, len(from_memo))
    oversell = max(after_first.seats, after_second.seats)
    return (
        f"herd: oversell {oversell} errors {errors_total} requests/refusal {per_late:.3f} "
        f"(one process, service code; from the memo {memo_cost:.3f}; {len(checking)} checks of an aged memo)"
    )


def main_run(args: argparse.Namespace) -> None:
    os.environ.update({"AWS_ACCESS_KEY_ID": "bench", "AWS_SECRET_ACCESS_KEY": "bench", "TABLE_NAME": "cet-opening"})
    os.environ.setdefault("AWS_DEFAULT_REGION", "us-east-1")
    os.environ.update({"ARGON2_MEMORY_KIB": "1024", "ARGON2_TIME_COST": "1", "IDENTITY_THROWAWAY_KEYS": "1"})
    create_table(settings())
    built = build_services(settings(), FixedClock(factories.NOW))
    fleet = args.herd if args.fleet > 0 else 0
    data = factories.province(capacity=10, extra_students=args.plenty + args.herd + fleet)
    capacities = {PLENTY: args.plenty, HERD: args.seats, FLEET: args.seats}
    data = replace(data, catalog=with_capacities(data.catalog, capacities))
    load_province(built.loading, data, factories.NOW)
    students = prepare(built, data, args.plenty + args.herd + fleet, args.threads)
    requests = count_requests()
    plenty(built, students[: args.plenty], args.threads, requests)
    one_process = herd(built, students[args.plenty : args.plenty + args.herd], args.seats, requests)
    if args.fleet > 0:
        print(fleet_herd(built, students[args.plenty + args.herd :], args.fleet, FLEET, args.threads))
    print(one_process)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--threads", type=int, default=64, help="threads of the plenty scenario")
    parser.add_argument("--plenty", type=int, default=1000, help="grabs and seats of the plenty scenario")
    parser.add_argument("--herd", type=int, default=2000, help="simultaneous grabs of the herd")
    parser.add_argument("--seats", type=int, default=100, help="seats the herd grabs for")
    parser.add_argument("--fleet", type=int, default=8, help="worker processes of the herd through the API (0: none)")
    args = parser.parse_args()
    on_dynamodb_local(lambda: main_run(args))


if __name__ == "__main__":
    main()
