"""Students at any step of the flow, each step taken as the student takes it, over HTTP."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from cet_testkit.http import STUDENT_PASSWORD, Reply, agree, log_in, new_login, new_student, registered
from cet_testkit.payments import Payments
from cet_testkit.service import Service, ServiceClock
from chalicelib.domain.roll import RollRow

# In the order a student takes them; `student(at=…)` takes every step up to the one named.
STEPS = (
    "registered",  # an account, signed in (R-ACC-1)
    "agreed",  # the registration agreement accepted (R-QUAL-1)
    "bound",  # the registration saved for a roll entry, the candidate bound to the account (R-BIND-1)
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
