"""How long DynamoDB Local's TTL takes to delete the first expired hold of the TTL race test.

    .venv/bin/python -m bench.ttl_sweep [--tries 20] [--parallel 5] [--cap 120]

Each try starts its own DynamoDB Local, builds the world of tests/integration/test_expiry.py
(a loaded province, 60 students, 80 holds past TTL among the table's items) and measures the
seconds from "the holds are written" to "TTL removed the first of them" (0 when TTL removed one
while they were being written), in three set-ups:

- shared:  TTL on from the table's creation, in a database that also holds what the suite leaves
           there when the test runs (the local stack's table with the demo province, TTL on);
- alone:   TTL on from the table's creation, the test's table alone in its database;
- enabled: the test's table alone, TTL turned on once the holds are written.

DynamoDB Local's sweeper (TimeToLiveDeletionJob in its jar) scans one table 20 items at a time and
sleeps 10 s after every page, whether it deleted anything or not; a pass over the table starts
again from its first item only when the last pass ended, and the passes of every table of one
database share a pool of 10 threads with the other background jobs. The figures show which of
these the test's wait depends on. Absolute numbers depend on the machine; the spread is the point.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime
from pathlib import Path
from typing import Any

SCENARIOS = ("shared", "alone", "enabled")
ROOT = Path(__file__).resolve().parent.parent


def one_try(scenario: str, cap: float) -> dict[str, Any]:
    """Run in a child process: its own DynamoDB Local, the race world, one measurement."""
    from devstack import ddb_local

    log = Path(tempfile.gettempdir()) / f"ttl-sweep-{os.getpid()}.log"
    with ddb_local.running(log=log) as endpoint:
        os.environ.update(
            {
                "AWS_ACCESS_KEY_ID": "bench",
                "AWS_SECRET_ACCESS_KEY": "bench",
                "AWS_DEFAULT_REGION": "us-east-1",
                "AWS_ENDPOINT_URL_DYNAMODB": endpoint,
                "ARGON2_MEMORY_KIB": "1024",
                "ARGON2_TIME_COST": "1",
                "IDENTITY_THROWAWAY_KEYS": "1",
            }
        )
        return {**_measure(scenario, cap), "log": str(log)}


def _measure(scenario: str, cap: float) -> dict[str, float]:
    from chalicelib.bootstrap import build_services
    from chalicelib.config import settings
    from chalicelib.domain.clock import SHANGHAI, FixedClock
    from chalicelib.services.province import load_province
    from chalicelib.storage.tables import create_table, enable_ttl
    from tests import factories
    from tests.expiry_race import EXPIRED, HOLDS_EACH, RaceWorld

    now = datetime.now(SHANGHAI)
    if scenario == "shared":
        _leave_the_suites_table(now)
    os.environ["TABLE_NAME"] = "cet-ttl-race"
    config = settings()
    create_table(config, ttl=scenario != "enabled")
    ttl_on = time.monotonic()
    built = build_services(config, FixedClock(now))
    data = factories.province(capacity=100, extra_students=60)
    load_province(built.loading, data, now)
    world = RaceWorld(built.registration.registrations, now)
    world.prepare(data.roll)
    if scenario == "enabled":
        enable_ttl(config)
        ttl_on = time.monotonic()
    written = time.monotonic()
    first = first_seat = float("inf")
    while time.monotonic() - written < cap:
        if first == float("inf") and world.holds_left(EXPIRED) < HOLDS_EACH * len(EXPIRED):
            first = time.monotonic() - written
        if world.oral_holds_left(EXPIRED) < len(EXPIRED):
            first_seat = time.monotonic() - written
            first = min(first, first_seat)
            break
        time.sleep(0.05)
    return {
        "seconds": first,
        "seat_seconds": first_seat,
        "written_after_ttl_on": written - ttl_on,
        "items": _count_items(config.table_name),
    }


def _leave_the_suites_table(now: datetime) -> None:
    """What tests/e2e/test_local_stack.py leaves on the suite's DynamoDB Local: the local stack's
    table with the demo province loaded, TTL on."""
    from chalicelib.bootstrap import build_services
    from chalicelib.config import settings
    from chalicelib.domain.clock import FixedClock
    from chalicelib.services.province import load_province
    from chalicelib.storage.tables import create_table
    from province.dataset import load_dataset

    os.environ["TABLE_NAME"] = "cet-registration-dev"
    config = settings()
    create_table(config)
    built = build_services(config, FixedClock(now))
    load_province(built.loading, load_dataset(ROOT / "devstack" / "demo_province.json"), now)


def _count_items(table_name: str) -> float:
    import boto3

    client = boto3.client("dynamodb", endpoint_url=os.environ["AWS_ENDPOINT_URL_DYNAMODB"])
    return float(client.scan(TableName=table_name, Select="COUNT")["Count"])


def spawn(scenario: str, cap: float) -> dict[str, Any]:
    command = [sys.executable, "-m", "bench.ttl_sweep", "--one", scenario, "--cap", str(cap)]
    done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"a {scenario} try failed:\n{done.stderr[-3000:]}")
    figures: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    log = Path(figures.pop("log"))
    if figures["seat_seconds"] == float("inf"):
        said = [line for line in log.read_text(errors="replace").splitlines() if "TimeToLive" in line]
        print(f"{scenario}: no TTL deletion within {cap:.0f} s; DynamoDB Local said: {said[-5:] or 'nothing'}")
    log.unlink(missing_ok=True)
    return figures


def report(scenario: str, results: list[dict[str, Any]], cap: float) -> None:
    for figure, what in (("seconds", "the first expired hold"), ("seat_seconds", "the first seat-holding one")):
        seconds = sorted(r[figure] for r in results)
        over = sum(1 for s in seconds if s == float("inf"))
        shown = " ".join(f"{s:.1f}" if s != float("inf") else f">{cap:.0f}" for s in seconds)
        print(
            f"{scenario:8} TTL removed {what}: tries {len(seconds)}, items {results[0]['items']:.0f}, "
            f"min {seconds[0]:.1f} s, median {statistics.median(seconds):.1f} s, max {seconds[-1]:.1f} s, "
            f"none within {cap:.0f} s: {over}",
            flush=True,
        )
        print(f"         {shown}", flush=True)
    written = " ".join(f"{r['written_after_ttl_on']:.1f}" for r in sorted(results, key=lambda r: r["seat_seconds"]))
    print(f"         (holds written, seconds after TTL was on, same order: {written})", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--tries", type=int, default=20)
    parser.add_argument("--parallel", type=int, default=5)
    parser.add_argument("--cap", type=float, default=120.0, help="give up on one try after this many seconds")
    parser.add_argument("--scenarios", default=",".join(SCENARIOS))
    parser.add_argument("--one", choices=SCENARIOS, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.one:
        print(json.dumps(one_try(args.one, args.cap)), flush=True)
        return
    for scenario in args.scenarios.split(","):
        with ThreadPoolExecutor(max_workers=args.parallel) as pool:
            results = list(pool.map(spawn, [scenario] * args.tries, [args.cap] * args.tries))
        report(scenario, results, args.cap)


if __name__ == "__main__":
    main()
