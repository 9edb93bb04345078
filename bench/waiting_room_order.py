"""How fast the admission job orders a pre-opening pool on DynamoDB Local (R-QUEUE-2, decision 0021).

    .venv/bin/python -m bench.waiting_room_order [--entries 3000] [--threads 32]

Prints joins per second (the account's partition read, then one transaction: the entry and the
candidate's claim, R-QUEUE-2 amended; each account is bound to a roll entry first, untimed), and
the ordering run's places per second (the pool read from 32 index shards, sorted by HMAC, each
place a conditional update) against a baseline measured in the same run on the same items: a
bare UpdateItem of one attribute with the same number of threads. Then the admissions per second
of a run that finds the whole pool due (the logins read in one BatchGet, then per admission one
transaction: the admission and its notice, R-NOTE-2; one after another, as the job admits in place
order) against a bare UpdateItem from one thread. The ratios are the figures to watch; absolute numbers depend on
the machine. One process, no HTTP; DynamoDB Local's latency, not DynamoDB's.
"""

from __future__ import annotations

import argparse
import os
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

from bench.local import on_dynamodb_local
from chalicelib.bootstrap import build_services
from chalicelib.config import settings
from chalicelib.domain.accounts import Account
from chalicelib.domain.clock import FixedClock
from chalicelib.domain.registration import Registration
from chalicelib.domain.waiting_room import ORDER_GRACE, Opening
from chalicelib.services import waiting_room, waiting_room_admission
from chalicelib.services.province import load_province
from chalicelib.storage.keys import account_pk, queue_sk
from chalicelib.storage.tables import create_table
from chalicelib.storage.waiting_room_items import QueueEntryItem
from tests import factories

NOW = factories.NOW


def timed(count: int, threads: int, task: Callable[[int], object]) -> float:
    started = time.perf_counter()
    with ThreadPoolExecutor(max_workers=threads) as pool:
        list(pool.map(task, range(count)))
    return count / (time.perf_counter() - started)


def run(entries: int, threads: int) -> None:
    os.environ.update({"AWS_ACCESS_KEY_ID": "bench", "AWS_SECRET_ACCESS_KEY": "bench", "TABLE_NAME": "cet-bench-queue"})
    os.environ.setdefault("AWS_DEFAULT_REGION", "us-east-1")
    os.environ.update({"ARGON2_MEMORY_KIB": "1024", "ARGON2_TIME_COST": "1", "IDENTITY_THROWAWAY_KEYS": "1"})
    create_table(settings())
    clock = FixedClock(NOW)
    built = build_services(settings(), clock)
    opening = Opening("B", "集中开放", NOW, NOW + timedelta(hours=1), NOW + timedelta(hours=9), ("NJU-GL",), 100, 10)
    data = factories.province(extra_students=entries)
    data.catalog.openings[opening.id] = opening
    load_province(built.loading, data, NOW - timedelta(minutes=1))  # before its queue opens (R-QUEUE-3)
    accounts = [Account(f"q{n:07d}", f"q{n}@example.cn", "-") for n in range(entries)]
    roll = data.roll[-entries:]
    timed(entries, threads, lambda n: built.accounts.accounts.create(accounts[n]))  # their logins, for R-NOTE-2
    timed(
        entries,
        threads,
        lambda n: built.registration.registrations.bind(
            Registration(accounts[n].account_id, factories.entry(roll[n]), NOW)
        ),
    )
    joins = timed(entries, threads, lambda n: waiting_room.join(built.waiting_room, accounts[n], opening.id))

    def bare_update(n: int) -> None:
        item = QueueEntryItem(account_pk(accounts[n].account_id), queue_sk(opening.id))
        item.update(actions=[QueueEntryItem.round.set(0)])

    baseline = timed(entries, threads, bare_update)
    clock._now = opening.opens_at + ORDER_GRACE
    started = time.perf_counter()
    report = waiting_room_admission.run_admission(built.waiting_room)
    ordering = report.ordered / (time.perf_counter() - started)
    one_by_one = timed(entries, 1, bare_update)
    clock._now = opening.opens_at + timedelta(minutes=entries // opening.admit_per_minute + 1)
    started = time.perf_counter()
    admitted = waiting_room_admission.run_admission(built.waiting_room).admitted
    admissions = admitted / (time.perf_counter() - started)
    print(f"entries={entries} threads={threads} (ordering: {report.ordered} places, {report.admitted} admitted)")
    print(f"joins     a read, a transaction   : {joins:8.1f} /s")
    print(f"baseline  bare UpdateItem         : {baseline:8.1f} /s")
    print(f"ordering  read, sort, place (run) : {ordering:8.1f} places/s")
    print(f"ratio     ordering / baseline     : {ordering / baseline:8.3f}")
    print(f"ratio     joins / baseline        : {joins / baseline:8.3f}")
    print(f"admitting batch read, txn each ({admitted}): {admissions:8.1f} /s, one after another")
    print(f"baseline  bare UpdateItem, 1 thread  : {one_by_one:8.1f} /s")
    print(f"ratio     admitting / baseline       : {admissions / one_by_one:8.3f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--entries", type=int, default=3000)
    parser.add_argument("--threads", type=int, default=32)
    args = parser.parse_args()
    on_dynamodb_local(lambda: run(args.entries, args.threads))


if __name__ == "__main__":
    main()
