"""How fast the opening minute goes: oral grabs per second on DynamoDB Local.

    .venv/bin/python -m bench.oral_grab [--students 300] [--threads 32]

Prints grabs per second for the whole use case (read the registration, check the rules, one
transaction holding slot + seat) against a baseline measured in the same run on the same table:
a bare conditional counter update, the least any seat grab can cost. The ratio is the figure to
watch; absolute numbers depend on the machine.
"""

from __future__ import annotations

import argparse
import os
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

from bench.local import on_dynamodb_local
from chalicelib.bootstrap import build_services
from chalicelib.config import settings
from chalicelib.domain.accounts import Account
from chalicelib.domain.clock import FixedClock
from chalicelib.domain.errors import DomainError
from chalicelib.domain.registration import Registration
from chalicelib.services import registration as reg
from chalicelib.services.province import load_province
from chalicelib.storage.keys import SEATS_SK, seats_pk
from chalicelib.storage.models import SeatCounterItem
from chalicelib.storage.tables import create_table
from tests import factories


def per_second(count: int, threads: int, task: Callable[[int], object]) -> float:
    started = time.perf_counter()
    with ThreadPoolExecutor(max_workers=threads) as pool:
        list(pool.map(task, range(count)))
    return count / (time.perf_counter() - started)


def run(students: int, threads: int) -> None:
    os.environ.update({"AWS_ACCESS_KEY_ID": "bench", "AWS_SECRET_ACCESS_KEY": "bench", "TABLE_NAME": "cet-bench"})
    os.environ.setdefault("AWS_DEFAULT_REGION", "us-east-1")
    os.environ.update({"ARGON2_MEMORY_KIB": "1024", "ARGON2_TIME_COST": "1", "IDENTITY_THROWAWAY_KEYS": "1"})
    create_table(settings())
    built = build_services(settings(), FixedClock(factories.NOW))
    data = factories.province(capacity=students, extra_students=students)
    load_province(built.loading, data, factories.NOW)
    ctx = built.registration
    accounts = [Account(f"b{n}", f"b{n}@example.cn", "-", agreement_accepted_at=factories.NOW) for n in range(students)]

    def prepare(n: int) -> None:
        built.accounts.accounts.create(accounts[n])
        ctx.registrations.bind(
            Registration(accounts[n].account_id, factories.entry(data.roll[-students:][n]), factories.NOW)
        )
        reg.choose_subject(ctx, accounts[n], "CET4", None)

    per_second(students, threads, prepare)

    # The baseline's own counter, shaped as a seat counter shard and as roomy as the grabs need: the
    # loader's counters are sharded (decision 0019), and the baseline must not take the grabs' seats.
    counter = SeatCounterItem(
        seats_pk("BENCH", "BASELINE", 0), SEATS_SK, campus_id="BENCH", subject="BASELINE", capacity=students, shard=0
    )
    counter.save()

    def bare_update(_: int) -> None:
        counter.update([SeatCounterItem.taken.add(1)], SeatCounterItem.taken < SeatCounterItem.capacity)

    def grab(n: int) -> None:
        try:
            reg.choose_subject(ctx, accounts[n], "CET-SET4", "NJU-GL")
        except DomainError as refused:
            raise SystemExit(f"grab {n} refused: {refused.code}") from None

    baseline = per_second(students, threads, bare_update)
    use_case = per_second(students, threads, grab)
    print(f"students={students} threads={threads}")
    print(f"baseline  bare counter update : {baseline:8.1f} /s")
    print(f"use case  choose oral subject : {use_case:8.1f} /s")
    print(f"ratio     use case / baseline : {use_case / baseline:8.3f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--students", type=int, default=300)
    parser.add_argument("--threads", type=int, default=32)
    args = parser.parse_args()
    on_dynamodb_local(lambda: run(args.students, args.threads))


if __name__ == "__main__":
    main()
