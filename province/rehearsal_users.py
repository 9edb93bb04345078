"""The students of a rehearsal, as Locust users: each one walks the opening minute once, over HTTP.

Run by `python -m province rehearse` (never imported by the Lambda): Locust imports this file in
each of its worker processes. A user takes the next student of the synthetic roll (`--roll`, the
province's own spreadsheet written by `province synth-roll`) and, as the page would: captcha,
account, session, agreement, qualification, registration, the queue of every opening that is
queueing or admitting (until admitted), the written subject, an oral seat at a campus the list
shows with seats left (the next one when told CAMPUS_FULL), an order paid, and its tickets once
they are open. Then it stops.

On a stack in test mode the captcha's answer comes with it and the order is paid through the test
gateway. On a staging stack (decision 0038) the answer is computed with the stack's rehearsal key
(CET_REHEARSAL_KEY) and the order is paid as Alipay pays one: a notice signed with the rehearsal's
Alipay key (`--provider`, province/staging.py) posted to the stack's notify URL.

Each request is named by its step (`4 registration`), so Locust's figures are per step. An answer
the contract gives to a well-behaved student (CAMPUS_FULL, TICKETS_NOT_OPEN) is a success named
with its code (`7 oral CAMPUS_FULL`); any other 4xx or 5xx is a failure named by its code, and a
503 BUSY is retried after its Retry-After, as the page does, and counted as BUSY.
"""

from __future__ import annotations

import contextlib
import itertools
import json
import os
import secrets
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import gevent
from locust import HttpUser, constant, events, task
from locust.exception import StopUser
from locust.runners import WorkerRunner

from province.rows import ROLL
from province.sheets import read_rows
from province.staging import Provider, captcha_answer, paid_notice

PASSWORD = "Rehearse-2026"  # noqa: S105 - a rehearsal account's password on a test stack, printed in docs
BUSY_TRIES = 5
PAID_WITHIN_SECONDS = 60.0
ADMITTED_WITHIN_SECONDS = 120.0
REQUEST_SECONDS = 90.0  # below rehearse.STOP_SECONDS: an answer still counts after the rehearsal's end
NO_ANSWER = "NO_ANSWER"  # no HTTP answer within REQUEST_SECONDS, or the connection failed
REPORTS_SECONDS = 5  # Locust's workers report every 3 s
EXPECTED = {"CAMPUS_FULL", "TICKETS_NOT_OPEN", "NOT_ADMITTED", "QUEUE_NOT_OPEN"}

_students: list[dict[str, str]] = []
_next = itertools.count()
_run = secrets.token_hex(3)


def _arguments(parser: Any) -> None:
    parser.add_argument("--roll", type=str, default="out/rehearsal/roll.csv", help="the synthetic roll")
    parser.add_argument("--api-prefix", type=str, default="/api", help="where the API answers under --host")
    parser.add_argument("--offset", type=int, default=0, help="skip the roll's first N students")
    parser.add_argument("--written", type=str, default="CET4")
    parser.add_argument("--oral", type=str, default="CET-SET4")
    parser.add_argument("--summary", type=str, default="", help="where the figures go, as JSON, at the end")
    parser.add_argument("--walk-seconds", type=float, default=60.0, help="students start no step after this")
    parser.add_argument("--provider", type=str, default="", help="a staging stack: the rehearsal's Alipay key")


_deadline = [float("inf")]


def _started(environment: Any, **_: Any) -> None:
    """Each process counts the rehearsal's seconds from its start; the one that gathers the figures
    ends the run once every student has stopped."""
    _deadline[0] = time.monotonic() + environment.parsed_options.walk_seconds
    if not isinstance(environment.runner, WorkerRunner):
        gevent.spawn(_end_when_everyone_stopped, environment)


def _end_when_everyone_stopped(environment: Any) -> None:
    """Quit once no student has walked for REPORTS_SECONDS: the workers' last figures have come in."""
    quiet = 0.0
    gevent.sleep(2)
    while quiet < REPORTS_SECONDS:
        gevent.sleep(1)
        quiet = quiet + 1 if environment.runner.user_count == 0 else 0
    environment.runner.quit()


_environments: list[Any] = []


def _keep(environment: Any, **_: Any) -> None:
    _environments.append(environment)


def _summary(**_: Any) -> None:
    """The figures of the whole run, written once by the process that gathers them (Locust's own CSV
    files are written every second and can miss the last requests)."""
    environment = _environments[-1]
    path = environment.parsed_options.summary
    if not path or isinstance(environment.runner, WorkerRunner):
        return
    stats = environment.stats
    steps = [
        {
            "name": entry.name,
            "requests": entry.num_requests,
            "failures": entry.num_failures,
            "p50": entry.get_response_time_percentile(0.5),
            "p99": entry.get_response_time_percentile(0.99),
        }
        for entry in stats.entries.values()
    ]
    errors: dict[str, int] = {}
    for error in stats.errors.values():
        errors[str(error.error)] = errors.get(str(error.error), 0) + error.occurrences
    Path(path).write_text(json.dumps({"steps": steps, "errors": errors}, ensure_ascii=False), encoding="utf-8")


def students(roll: Path) -> list[dict[str, str]]:
    """The roll's identities, read with the loader's own reader."""
    if not _students:
        for row in read_rows(roll, ROLL.columns, ROLL.optional):
            _students.append(
                {"id_type": "resident_id", "id_number": row.values["证件号码"], "name": row.values["姓名"]}
            )
    return _students


_providers: dict[str, Provider] = {}


def provider(path: str) -> Provider | None:
    """The rehearsal's Alipay on a staging stack, read once per process; None in test mode."""
    if path and path not in _providers:
        _providers[path] = Provider.read(Path(path))
    return _providers.get(path)


class Refused(Exception):
    """A failure already reported to Locust, or the rehearsal's end: the student stops here."""


class Student(HttpUser):
    wait_time = constant(0)

    def on_start(self) -> None:
        options = self.environment.parsed_options
        self.prefix: str = options.api_prefix.rstrip("/")
        self.token: str | None = None
        runner = self.environment.runner
        workers = max(1, int(getattr(options, "processes", 1) or 1))
        worker = int(getattr(runner, "worker_index", 0) or 0)
        everyone = students(Path(options.roll))
        n = options.offset + worker + workers * next(_next)
        if n >= len(everyone):
            raise StopUser()
        self.identity = everyone[n]
        self.login = f"rehearsal-{_run}-{worker}-{n}@example.cn"

    @task
    def opening_minute(self) -> None:
        with contextlib.suppress(Refused):
            self.walk()
        raise StopUser()

    def going_on(self) -> None:
        """Between steps: at the rehearsal's end (`--walk-seconds`) a student stops; every request
        sent before it is answered and counted."""
        if time.monotonic() > _deadline[0]:
            raise Refused()

    # -- one request ------------------------------------------------------------------------------

    def ask(self, step: str, method: str, path: str, body: Any = None, ok: tuple[int, ...] = (200, 201, 204)) -> Any:
        """One request named `step`; BUSY is retried; an expected refusal returns its code."""
        headers = {"Authorization": f"Bearer {self.token}"} if self.token else {}
        self.going_on()
        for _ in range(BUSY_TRIES):
            with self.client.request(
                method,
                self.prefix + path,
                json=body,
                headers=headers,
                name=step,
                catch_response=True,
                timeout=REQUEST_SECONDS,
            ) as response:
                reply = _json(response)
                code = reply.get("code") if isinstance(reply, dict) else None
                if response.status_code in ok:
                    response.success()
                    return reply
                if response.status_code == 503 and code == "BUSY":
                    response.failure("BUSY")
                    time.sleep(float(response.headers.get("Retry-After") or 1))
                    continue
                if code in EXPECTED:
                    response.request_meta["name"] = f"{step} {code}"
                    response.success()
                    return {"refused": code}
                response.failure(f"{response.status_code} {code or 'no code'}" if response.status_code else NO_ANSWER)
                raise Refused()
        raise Refused()

    def captcha(self) -> dict[str, str]:
        issued = self.ask("1 captcha", "POST", "/captchas")
        answer = captcha_answer(issued, os.environ)
        if answer is None:
            self.environment.runner.quit()
            raise Refused()  # neither test mode nor a staging stack's key: no bot may answer a captcha
        return {"captcha_id": issued["captcha_id"], "captcha_answer": answer}

    # -- the walk ---------------------------------------------------------------------------------

    def walk(self) -> None:
        login = {"login": self.login, "password": PASSWORD}
        self.ask("2 account", "POST", "/accounts", {**login, **self.captcha()})
        self.token = self.ask("3 session", "POST", "/sessions", {**login, **self.captcha()})["token"]
        self.ask("4 agreement", "POST", "/me/agreement", {"accepted": True})
        self.ask("5 qualification", "POST", "/qualification", self.identity)
        self.ask("6 registration", "POST", "/registration", {**self.identity, "confirm": True})
        self.queue()
        options = self.environment.parsed_options
        self.ask("8 written", "POST", "/registration/subjects", {"subject": options.written})
        self.oral(options.oral)
        self.pay()
        self.tickets()

    def queue(self) -> None:
        """Join every opening that is queueing or admitting, and wait to be admitted (R-QUEUE)."""
        openings = self.ask("7 openings", "GET", "/openings")
        for opening in openings or []:
            if opening.get("state") not in ("queueing", "admitting"):
                continue
            path = f"/openings/{opening['opening_id']}/entries"
            self.ask("7 queue join", "POST", path)
            deadline = time.monotonic() + ADMITTED_WITHIN_SECONDS
            while time.monotonic() < deadline:
                entry = self.ask("7 queue place", "GET", path + "/current")
                if entry.get("state") != "waiting":
                    break
                time.sleep(2)

    def oral(self, subject: str) -> None:
        """An oral seat: campuses with seats left, the student's own first; the next when full."""
        campuses = self.ask("9 oral campuses", "GET", f"/oral-campuses?subject={subject}")
        for campus in [c for c in campuses or [] if c.get("remaining") != "none"]:
            held = self.ask(
                "9 oral grab", "POST", "/registration/subjects", {"subject": subject, "campus_id": campus["campus_id"]}
            )
            if "refused" not in held:
                return

    def pay(self) -> None:
        order = self.ask("10 order", "POST", "/orders", {"provider": "alipay"})
        alipay = provider(self.environment.parsed_options.provider)
        if alipay is None:
            self.ask("10 pay (test gateway)", "POST", f"/_test/gateway/{order['order_id']}/pay")
        else:
            self.notify(alipay, order["pay_url"])
        deadline = time.monotonic() + PAID_WITHIN_SECONDS
        while time.monotonic() < deadline:
            if self.ask("10 order paid?", "GET", f"/orders/{order['order_id']}").get("status") == "paid":
                return
            time.sleep(1)
        self.ask("10 order paid?", "GET", f"/orders/{order['order_id']}", ok=())  # counted as a failure

    def notify(self, alipay: Provider, pay_url: str) -> None:
        """Alipay's notice that the student paid, as Alipay delivers it: acknowledged with `success`."""
        self.going_on()
        notice = paid_notice(alipay, pay_url, datetime.now(UTC))
        with self.client.post(
            notice.url,
            data=notice.body,
            headers={"Content-Type": notice.content_type},
            name="10 pay (Alipay notice)",
            catch_response=True,
            timeout=REQUEST_SECONDS,
        ) as response:
            if response.status_code == 200 and response.text.strip() == "success":
                response.success()
                return
            said = f"{response.status_code} notice {response.text.strip()[:20]}"
            response.failure(said if response.status_code else NO_ANSWER)
        raise Refused()

    def tickets(self) -> None:
        tickets = self.ask("11 tickets", "GET", "/tickets")
        if isinstance(tickets, list) and tickets:
            self.ask("11 ticket pdf", "GET", f"/tickets/{tickets[0]['subject']}/pdf")


events.init_command_line_parser.add_listener(_arguments)  # type: ignore[no-untyped-call]  # Locust leaves it untyped
events.init.add_listener(_keep)  # type: ignore[no-untyped-call]  # Locust leaves it untyped
events.quit.add_listener(_summary)  # type: ignore[no-untyped-call]  # Locust leaves it untyped
events.test_start.add_listener(_started)  # type: ignore[no-untyped-call]  # Locust leaves it untyped


def _json(response: Any) -> Any:
    try:
        return response.json()
    except ValueError:
        return None
