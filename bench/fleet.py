"""The herd as a fleet (bench.opening_minute): worker processes, each a fresh container, grabbing
through the HTTP handler; and oversell read from the table, not from memory.

Each worker is a process of its own (the spawn start method), so its services, its catalog and its
"full" memo are built fresh, as a new Lambda container's are. It drives `app.py` with
`chalice.test.Client`, against the one DynamoDB Local, and counts per grab the HTTP requests it sent
and the DynamoDB requests they cost (devstack/ddb_requests.py). A wave: every worker's threads are
released together (a barrier across the processes, then one inside each).
"""

from __future__ import annotations

import json
import multiprocessing
import os
import queue
import secrets
import tempfile
import threading
import time
import traceback
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime, timedelta
from multiprocessing.queues import Queue
from multiprocessing.synchronize import Barrier
from typing import Any

from chalicelib.bootstrap import CLOCK, Services
from chalicelib.domain.accounts import Account, Session
from chalicelib.domain.seats import SeatGrab
from chalicelib.services.security import digest
from chalicelib.storage import codec
from chalicelib.storage.keys import holds_pk, seats_pk
from chalicelib.storage.models import SeatCounterItem, SubjectItem, TableItem
from tests import factories

REFUSED_ELSEWHERE = ("held", "error", "BUSY")


@dataclass(frozen=True)
class Attempt:
    """One student's grab through the API, as a worker saw it (sent back across processes)."""

    student: int
    outcome: str  # held, the refusal's code, BUSY (503, an answer) or error (what would be a 500)
    seconds: float
    db_requests: int
    http_requests: int


@dataclass(frozen=True)
class Oversell:
    live_holds: int
    capacity: int
    holders: frozenset[str] = frozenset()  # the accounts holding them

    @property
    def seats(self) -> int:
        return max(0, self.live_holds - self.capacity)


def oversell_in_table(built: Services, seat: SeatGrab, now: datetime) -> Oversell:
    """The live holds of `seat` counted through GSI1 (every shard's holds), against the capacities
    stored on its counter shards (the SEATS#… items), whatever the command line said."""
    holders = []
    for item in TableItem.by_group.query(holds_pk(seat.campus_id, seat.subject)):
        if isinstance(item, SubjectItem) and codec.subject_from_item(item).is_live(now):
            holders.append(item.account_id)
    offering = built.registration.catalogs.catalog().campuses[seat.campus_id].offering(seat.subject)
    assert offering is not None
    keys = [(seats_pk(seat.campus_id, seat.subject, n), "SEATS") for n in range(offering.shards)]
    capacity = sum(int(counter.capacity) for counter in SeatCounterItem.batch_get(keys))
    return Oversell(len(holders), capacity, frozenset(holders))


def sign_in(built: Services, accounts: list[Account], threads: int) -> list[str]:
    """A session per account, written to the table as `POST /sessions` writes it: the tokens."""
    tokens = [secrets.token_urlsafe(32) for _ in accounts]
    expires_at = factories.NOW + timedelta(hours=12)

    def one(n: int) -> None:
        account = accounts[n]
        session = Session(digest(tokens[n]), account.account_id, expires_at, account.session_generation)
        built.accounts.sessions.save(session)

    with ThreadPoolExecutor(max_workers=threads) as pool:
        list(pool.map(one, range(len(accounts))))
    return tokens


def classify(status: int, body: bytes | str | None) -> str:
    try:
        parsed = json.loads(body or b"null")
    except ValueError:
        parsed = None
    code = parsed.get("code") if isinstance(parsed, dict) else None
    if status == 201:
        return "held"
    if status == 503 and code == "BUSY":
        return "BUSY"
    if status >= 500 or not isinstance(code, str):
        return "error"
    return code


def grab_wave(
    client: Any, requests: Any, fleet: Barrier, seat: SeatGrab, students: list[tuple[int, str]]
) -> tuple[list[Attempt], dict[str, str]]:
    """This worker's part of a wave: one thread per student, released once every worker is ready."""
    ready = threading.Barrier(len(students) + 1)
    attempts: list[Attempt | None] = [None] * len(students)
    failures: dict[str, str] = {}
    body = json.dumps({"subject": seat.subject, "campus_id": seat.campus_id}).encode()

    def grab(n: int) -> None:
        student, token = students[n]
        headers = {"Content-Type": "application/json", "Authorization": f"Bearer {token}"}
        ready.wait()
        requests.reset_this_thread()
        started = time.perf_counter()
        sent = 0
        try:
            sent += 1
            response = client.http.request("POST", "/registration/subjects", headers=headers, body=body)
            outcome = classify(response.status_code, response.body)
            if outcome == "error":
                failures.setdefault(f"HTTP {response.status_code}", str(response.body)[:2000])
        except Exception as error:  # the test client raised: what API Gateway would answer 500 to
            outcome = "error"
            failures.setdefault(type(error).__name__, traceback.format_exc())
        seconds = time.perf_counter() - started
        attempts[n] = Attempt(student, outcome, seconds, requests.this_thread(), sent)

    threads = [threading.Thread(target=grab, args=(n,)) for n in range(len(students))]
    for thread in threads:
        thread.start()
    fleet.wait()
    ready.wait()
    for thread in threads:
        thread.join()
    return [a for a in attempts if a is not None], failures


def one_request_per_thread(app: Any) -> None:
    """Chalice keeps the request being served on the app (`current_request`, `lambda_context`): a
    Lambda container serves one request at a time. Here a worker's threads are served at once, so
    each keeps its own, else a thread would act on another student's session."""
    local = threading.local()

    def kept(name: str) -> property:
        return property(lambda _: getattr(local, name, None), lambda _, value: setattr(local, name, value))

    fields = {"current_request": kept("current_request"), "lambda_context": kept("lambda_context")}
    app.__class__ = type("OneRequestPerThread", (type(app),), fields)


def worker(seat: SeatGrab, commands: Queue[Any], results: Queue[Any], fleet: Barrier) -> None:
    """A fresh container: services built on first use, the catalog read once (as a Lambda that has
    served a request has it), the "full" memo empty. Runs the waves it is sent until told to stop."""
    from chalice.test import Client

    from app import app
    from chalicelib.bootstrap import services
    from devstack.ddb_requests import count_requests

    one_request_per_thread(app)
    CLOCK.advance((factories.NOW - CLOCK.now()).total_seconds())  # the opening minute's day
    services().registration.catalogs.catalog()
    requests = count_requests()
    with tempfile.TemporaryDirectory() as project, Client(app, project_dir=project) as client:
        while (students := commands.get()) is not None:
            results.put(grab_wave(client, requests, fleet, seat, students))


@dataclass
class Fleet:
    """N worker processes; student n always grabs from worker n % N (its container)."""

    size: int
    seat: SeatGrab

    def __post_init__(self) -> None:
        context = multiprocessing.get_context("spawn")
        self._barrier = context.Barrier(self.size)
        self._results: Queue[Any] = context.Queue()
        self._commands: list[Queue[Any]] = [context.Queue() for _ in range(self.size)]
        os.environ.setdefault("POWERTOOLS_LOG_LEVEL", "WARNING")  # no access line per grab on the screen
        os.environ.setdefault("POWERTOOLS_METRICS_DISABLED", "true")  # nor a metric line
        self._processes = [
            context.Process(target=worker, args=(self.seat, commands, self._results, self._barrier))
            for commands in self._commands
        ]
        for process in self._processes:
            process.start()

    def wave(self, students: list[tuple[int, str]]) -> tuple[list[Attempt], dict[str, str]]:
        for index, commands in enumerate(self._commands):
            commands.put([(student, token) for student, token in students if student % self.size == index])
        attempts: list[Attempt] = []
        failures: dict[str, str] = {}
        for _ in range(self.size):
            done, seen = self._next()
            attempts += done
            failures.update(seen)
        return attempts, failures

    def _next(self) -> tuple[list[Attempt], dict[str, str]]:
        """A worker's part of the wave; a worker that died ends the bench rather than hang it."""
        while True:
            try:
                result: tuple[list[Attempt], dict[str, str]] = self._results.get(timeout=5)
                return result
            except queue.Empty:
                dead = [p.exitcode for p in self._processes if p.exitcode not in (None, 0)]
                if dead:
                    for process in self._processes:
                        process.kill()
                    raise SystemExit(f"fleet: a worker exited with {dead[0]}") from None

    def stop(self) -> None:
        for commands in self._commands:
            commands.put(None)
        for process in self._processes:
            process.join()


def mean(values: list[int]) -> float:
    return sum(values) / max(1, len(values))


def report_wave(name: str, attempts: list[Attempt], oversell: Oversell) -> None:
    outcomes = Counter(a.outcome for a in attempts)
    held = [a.db_requests for a in attempts if a.outcome == "held"]
    refused = [a.db_requests for a in attempts if a.outcome not in REFUSED_ELSEWHERE]
    latencies = sorted(a.seconds for a in attempts) or [0.0]
    p50, p99 = latencies[len(latencies) // 2], latencies[int(len(latencies) * 0.99)]
    print(f"  {name}: {dict(outcomes)}")
    print(
        f"    table: {oversell.live_holds} live holds, stored capacity {oversell.capacity}, oversell {oversell.seats}"
    )
    print(
        f"    per grab: HTTP requests {mean([a.http_requests for a in attempts]):.2f}, "
        f"DynamoDB requests {mean([a.db_requests for a in attempts]):.2f} "
        f"(held {mean(held):.2f}, refused {mean(refused):.3f}); p50 {p50 * 1000:.0f} ms, p99 {p99 * 1000:.0f} ms"
    )


def fleet_herd(built: Services, accounts: list[Account], size: int, seat: SeatGrab, threads: int) -> str:
    """Two waves through the API from `size` containers; the headline line."""
    tokens = sign_in(built, accounts, threads)
    fleet = Fleet(size, seat)
    began = time.perf_counter()

    def now() -> datetime:  # the workers' clock: the opening minute's day, moving with real time
        return factories.NOW + timedelta(seconds=time.perf_counter() - began)

    try:
        first, failures = fleet.wave(list(enumerate(tokens)))
        after_first = oversell_in_table(built, seat, now())
        again = [(a.student, tokens[a.student]) for a in first if a.outcome != "held"]
        second, more = fleet.wave(sorted(again))
        after_second = oversell_in_table(built, seat, now())
    finally:
        fleet.stop()
    print(f"herd through the API: {len(accounts)} grabs at once for {seat.campus_id} {seat.subject}, fleet of {size}")
    for name, attempts, oversell in (("first wave", first, after_first), ("again at once", second, after_second)):
        report_wave(name, attempts, oversell)
    told = {a.student: a.outcome for a in first + second}
    answers = Counter(told[n] for n, account in enumerate(accounts) if account.account_id in after_second.holders)
    print(f"  the live holds' students were last told: {dict(answers)}")
    for name, text in {**failures, **more}.items():
        print(f"--- first {name}\n{text}")
    both = Counter(a.outcome for a in first + second)
    late = [a.db_requests for a in second if a.outcome not in REFUSED_ELSEWHERE]
    oversold = max(after_first.seats, after_second.seats)
    return (
        f"herd: oversell {oversold} errors {both['error']} busy {both['BUSY']} "
        f"requests/refusal {mean(late):.3f} (fleet of {size})"
    )
