"""What protecting ID numbers at rest costs a lookup (decision 0013), on DynamoDB Local.

    .venv/bin/python -m bench.id_lookup [--students 2000] [--threads 16] [--rounds 3]

Measured in the same run, on the same table, with the same threads:
- old path: normalise the typed number, GetItem by the clear key `ROLL#type#number`, read the entry
  (what the service did before decision 0013; the old-form items are written for the benchmark);
- new path: normalise, HMAC-SHA256 under the table's key version, GetItem by the digest key, read
  the entry (what POST /qualification, the review and the binding do now);
- new path + open: the same, then the sealed number opened (AES-GCM, data key already unwrapped):
  what a province tool pays per row (a key rotation, an export); the service never does it.
Also hashing and opening alone, without DynamoDB. Rounds alternate the paths; the median is printed,
with the ratio to the old path. Absolute numbers depend on the machine; the ratios are the figures.
"""

from __future__ import annotations

import argparse
import os
import statistics
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from bench.local import on_dynamodb_local


def per_second(count: int, threads: int, task: Callable[[int], object]) -> float:
    started = time.perf_counter()
    with ThreadPoolExecutor(max_workers=threads) as pool:
        list(pool.map(task, range(count)))
    return count / (time.perf_counter() - started)


def in_a_loop(count: int, task: Callable[[int], object]) -> float:
    """Calls per second of `task` in one thread, with no pool in the way (CPU cost alone)."""
    rounds = 20
    started = time.perf_counter()
    for _ in range(rounds):
        for n in range(count):
            task(n)
    return rounds * count / (time.perf_counter() - started)


def old_form(row: Any) -> dict[str, Any]:
    text = {
        name: {"S": str(getattr(row, name))} for name in ("id_number", "name", "school_id", "campus_id", "student_no")
    }
    return {
        "pk": {"S": f"ROLL#{row.id_type.value}#{row.id_number}"},
        "sk": {"S": "ROLL"},
        "kind": {"S": "roll"},
        "id_type": {"S": row.id_type.value},
        **text,
        "qualified_subjects": {"L": [{"S": code} for code in row.qualified_subjects]},
        "cet6_barred": {"BOOL": row.cet6_barred},
    }


def run(students: int, threads: int, rounds: int) -> None:
    from chalicelib.bootstrap import build_services
    from chalicelib.config import settings
    from chalicelib.domain.clock import FixedClock
    from chalicelib.domain.identity import IdType, normalize_id_number
    from chalicelib.services.province import load_province
    from chalicelib.storage import codec
    from chalicelib.storage.keys import roll_pk
    from chalicelib.storage.models import RollItem
    from chalicelib.storage.tables import connection, create_table
    from tests import factories

    config = settings()
    create_table(config)
    built = build_services(config, FixedClock(factories.NOW))
    data = factories.province(extra_students=students)
    protection = built.loading.protection()
    load_province(built.loading, data, factories.NOW)
    rows = data.roll[-students:]
    client: Any = connection().client
    for row in rows:  # the old form, beside the new, for the old path: the whole number in clear
        client.put_item(TableName=config.table_name, Item=old_form(row))
    mark = built.registration.catalogs.catalog().identity
    keys = built.registration.identities
    sealed = [built.registration.roll.candidate(r.id_type, keys.digest(r.id_number, mark)) for r in rows]
    opened = [entry.identity.sealed for entry in sealed if entry is not None]
    assert len(opened) == students

    def old_path(n: int) -> Any:
        number = normalize_id_number(IdType.RESIDENT_ID, rows[n].id_number)
        item = RollItem.get(f"ROLL#resident_id#{number}", "ROLL")  # the same model read as before 0013
        return (item.name, item.school_id, item.campus_id, item.qualified_subjects)

    def new_path(n: int) -> Any:
        number = normalize_id_number(IdType.RESIDENT_ID, rows[n].id_number)
        return codec.roll_from_item(RollItem.get(roll_pk(IdType.RESIDENT_ID, keys.digest(number, mark)), "ROLL"))

    def new_path_and_open(n: int) -> Any:
        entry = new_path(n)
        return protection.open_sealed(entry.identity.sealed)

    def normalise_only(n: int) -> str:
        return normalize_id_number(IdType.RESIDENT_ID, rows[n].id_number)

    def hash_only(n: int) -> str:
        return keys.digest(normalise_only(n), mark)

    def open_only(n: int) -> str:
        return protection.open_sealed(opened[n])

    paths = {
        "old path   GetItem by clear key": old_path,
        "new path   HMAC + GetItem by digest": new_path,
        "new path + open the sealed number": new_path_and_open,
    }
    found: dict[str, list[float]] = {name: [] for name in paths}
    for round_ in range(rounds):
        order = list(paths.items()) if round_ % 2 == 0 else list(reversed(paths.items()))
        for name, path in order:
            found[name].append(per_second(students, threads, path))
    normalising = statistics.median(in_a_loop(students, normalise_only) for _ in range(5))
    hashing = statistics.median(in_a_loop(students, hash_only) for _ in range(5))
    opening = statistics.median(in_a_loop(students, open_only) for _ in range(5))

    old = statistics.median(found["old path   GetItem by clear key"])
    print(f"students={students} threads={threads} rounds={rounds} (median of the rounds)")
    for name, rates in found.items():
        median = statistics.median(rates)
        spread = f"{min(rates):.0f}-{max(rates):.0f}"
        print(f"{name:38s}: {median:8.1f} lookups/s ({spread})   ratio to old path {median / old:5.3f}")
    print("without DynamoDB, one thread, a plain loop:")
    print(f"{'  normalise the typed number (old)':38s}: {1e6 / normalising:8.1f} µs each")
    print(f"{'  normalise + HMAC under the mark (new)':38s}: {1e6 / hashing:8.1f} µs each")
    print(f"{'  open a sealed number (AES-GCM)':38s}: {1e6 / opening:8.1f} µs each")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--students", type=int, default=2000)
    parser.add_argument("--threads", type=int, default=16)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    os.environ.update(
        {
            "AWS_ACCESS_KEY_ID": "bench",
            "AWS_SECRET_ACCESS_KEY": "bench",
            "TABLE_NAME": "cet-bench-id-lookup",
            "ARGON2_MEMORY_KIB": "1024",
            "ARGON2_TIME_COST": "1",
            "IDENTITY_THROWAWAY_KEYS": "1",
        }
    )
    os.environ.setdefault("AWS_DEFAULT_REGION", "us-east-1")
    on_dynamodb_local(lambda: run(args.students, args.threads, args.rounds))


if __name__ == "__main__":
    main()
