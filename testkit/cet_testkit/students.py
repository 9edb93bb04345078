"""Students at any step of the flow, each step taken as the student takes it, over HTTP."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from cet_testkit.http import STUDENT_PASSWORD, Reply, agree, log_in, new_login, new_student, registered
from cet_testkit.payments import Payments
from cet_testkit.service import Service, ServiceClock
from chalicelib.domain.clock import parse_iso
from chalicelib.domain.roll import RollRow
from chalicelib.domain.waiting_room import ORDER_GRACE

# In the order a student takes them; `student(at=…)` takes every step up to the one named.
STEPS = (
    "registered",  # an account, signed in (R-ACC-1)
    "agreed",  # the registration agreement accepted (R-QUAL-1)
    "bound",  # the registration saved for a roll entry, the candidate bound to the account (R-BIND-1)
    "queued",  # joined every opening whose queue is open (R-QUEUE-2); none open: nothing to do
    "admitted",  # admitted by each of them, the clock moved as the admission job needs (R-QUEUE-4)
    "chosen",  # the written subject chosen, and the oral one at `oral`'s campus if given (R-REG)
    "ordered",  # an order placed for what is unpaid (R-PAY-2)
    "paid",  # the order paid, the provider's notification acknowledged (R-PAY-3)
    "ticket",  # the room plan drawn and the tickets open: the student's tickets read (R-TICKET-1)
)


@dataclass
class Student:
    service: Service
    login: str
    token: str
    row: RollRow | None = None
    order_id: str | None = None
    tickets: list[dict[str, Any]] = field(default_factory=list)
    # opening id -> the student's entry as GET /openings/{id}/entries/current last showed it
    entries: dict[str, dict[str, Any]] = field(default_factory=dict)
    password: str = STUDENT_PASSWORD

    def call(self, method: str, path: str, body: object = None) -> Reply:
        """One request as this student."""
        return self.service.call(method, path, body, self.token)

    def again(self) -> str:
        """Sign in again (after the clock moved past the session's end): the new token."""
        self.token = log_in(self.service.client, self.login, self.password)
        return self.token


class Students:
    """`students(at="paid")`: a new student, at that step, on the next roll entry not yet taken."""

    def __init__(self, service: Service, clock: ServiceClock, payments: Payments) -> None:
        self._service = service
        self._clock = clock
        self._payments = payments
        self._taken: set[str] = set()

    def __call__(
        self,
        at: str = "paid",
        row: RollRow | None = None,
        written: str = "CET4",
        oral: str | None = None,
        provider: str = "alipay",
        bank: str | None = None,
    ) -> Student:
        if at not in STEPS:
            raise ValueError(f"no step {at!r}: one of {', '.join(STEPS)}")
        steps = STEPS[: STEPS.index(at) + 1]
        client = self._service.client
        login = new_login()
        student = Student(self._service, login, new_student(client, login))
        if "agreed" in steps:
            agree(client, student.token)
        if "bound" in steps:
            student.row = row or self._next_row(written)
            registered(client, student.row, student.token)
            self._taken.add(student.row.id_number)
        if "queued" in steps:
            # Asked for by name: every open queue. On the way to `chosen` and later: the queues of
            # the oral's campus only; a written subject needs no admission (R-QUEUE-1).
            self._join(student, None if at in ("queued", "admitted") else oral or "")
        if "admitted" in steps:
            self._admit(student)
        if "chosen" in steps:
            self._choose(student, written, oral)
        if "ordered" in steps:
            body = {"provider": provider, **({"bank": bank} if bank else {})}
            reply = student.call("POST", "/orders", body)
            assert reply.status == 201, reply.text
            student.order_id = str(reply.body["order_id"])
        if "paid" in steps:
            assert student.order_id is not None
            answers = self._payments.paid(student.order_id).answers
            assert answers in (("success",), ("sent",)), answers
        if "ticket" in steps:
            self._tickets(student)
        return student

    def _next_row(self, written: str) -> RollRow:
        for row in self._service.province.roll:
            if row.id_number not in self._taken and written in row.qualified_subjects:
                return row
        raise LookupError(f"every roll entry qualified for {written} is taken: add students to the province")

    def _join(self, student: Student, campus: str | None) -> None:
        """R-QUEUE-2: join every opening whose queue is open (queueing or admitting), or only those
        of `campus` when one is given, as a student does on the waiting room's page. Once the opening
        may order its queue, the admission job runs once, as its next minute would: the entry has
        its place (and is admitted if the rate has room)."""
        for opening in self._openings():
            if opening["state"] not in ("queueing", "admitting"):
                continue
            if campus is not None and campus not in opening["campuses"]:
                continue
            opening_id = opening["opening_id"]
            reply = student.call("POST", f"/openings/{opening_id}/entries")
            assert reply.status in (200, 201), reply.text
            if self._clock.now() >= parse_iso(opening["opens_at"]) + ORDER_GRACE:
                self._service.job("admit")
            student.entries[opening_id] = self._entry(student, opening_id)

    def _admit(self, student: Student) -> None:
        """R-QUEUE-4: wait in each opening joined until admitted, the admission job run as the
        scheduler would and the clock moved to when it admits the student's place."""
        started = self._clock.now()
        openings = {opening["opening_id"]: opening for opening in self._openings()}
        for opening_id in student.entries:
            self._wait_for_admission(student, openings[opening_id])
        if self._clock.now() > started:
            student.again()  # the session may have ended while the clock moved
        for opening_id in student.entries:
            student.entries[opening_id] = entry = self._entry(student, opening_id)
            assert entry["state"] == "admitted", f"not admitted to {opening_id} (a pass lapsed meanwhile?): {entry}"

    def _openings(self) -> list[dict[str, Any]]:
        reply = self._service.call("GET", "/openings")
        assert reply.status == 200, reply.text
        openings: list[dict[str, Any]] = reply.body
        return openings

    def _entry(self, student: Student, opening_id: str) -> dict[str, Any]:
        path = f"/openings/{opening_id}/entries/current"
        reply = student.call("GET", path)
        if reply.status == 401:  # the clock moved past the session's end
            student.again()
            reply = student.call("GET", path)
        assert reply.status == 200, reply.text
        entry: dict[str, Any] = reply.body
        return entry

    def _wait_for_admission(self, student: Student, opening: dict[str, Any]) -> None:
        """The job's runs from `opens_at` (once the pre-opening pool may be ordered), then each
        time the rate reaches the student's place, until it is admitted; a lapsed admission joins
        again at the back (R-QUEUE-4)."""
        opening_id, closes_at = opening["opening_id"], parse_iso(opening["closes_at"])
        now = self._clock.move_to(parse_iso(opening["opens_at"]) + ORDER_GRACE)
        while True:
            self._service.job("admit")
            entry = self._entry(student, opening_id)
            if entry["state"] == "admitted":
                return
            if entry["state"] == "lapsed":
                reply = student.call("POST", f"/openings/{opening_id}/entries")
                assert reply.status == 201, reply.text
                continue
            wait = timedelta(seconds=entry["estimated_wait_seconds"] or 60)
            if now + wait >= closes_at:
                raise AssertionError(f"{opening_id} closes at {closes_at.isoformat()} before admitting {entry}")
            now = self._clock.advance(wait)

    def _choose(self, student: Student, written: str, oral: str | None) -> None:
        reply = student.call("POST", "/registration/subjects", {"subject": written})
        assert reply.status == 201, reply.text
        if oral is not None:
            subject = written.replace("CET", "CET-SET")
            reply = student.call("POST", "/registration/subjects", {"subject": subject, "campus_id": oral})
            assert reply.status == 201, reply.text

    def _tickets(self, student: Student) -> None:
        """The room plan is drawn once per sitting: every student who is to sit must have paid by then."""
        sitting = self._service.province.catalog.exam
        assert sitting is not None, "the province has no exam sitting: ProvinceBuilder.sitting()"
        if self._clock.now() < sitting.tickets_open_at:
            self._clock.move_to(sitting.plan_at + timedelta(minutes=5))
            self._service.job("plan")
            self._clock.move_to(sitting.tickets_open_at)
        student.again()
        reply = student.call("GET", "/tickets")
        assert reply.status == 200, reply.text
        student.tickets = list(reply.body)
