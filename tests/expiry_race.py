"""The world of the TTL race (tests/integration/test_expiry.py), shared with bench/ttl_sweep.py.

Sixty students of a loaded province each hold a written CET4 and an oral seat at NJU-GL; the first
forty chose them 26 hours ago (due 2 h ago; TTL, `pay_by` + 1 h, passed 1 h ago), the last twenty
just now.
"""

from __future__ import annotations

import uuid
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from chalicelib.domain.accounts import Account
from chalicelib.domain.catalog import SubjectKind
from chalicelib.domain.registration import PAY_WITHIN, ChosenSubject, Registration, SubjectStatus
from chalicelib.domain.roll import RollRow
from chalicelib.domain.seats import SeatGrab
from chalicelib.services.registration_ports import RegistrationStore
from tests import factories

SEAT = SeatGrab("NJU-GL", "CET-SET4")
STUDENTS = 60
EXPIRED = range(40)
LIVE = range(40, STUDENTS)
HOLDS_EACH = 2
SHARDS = 12  # of the campus's shards, those the holds are spread over (the test province has more)


def student(n: int, at: datetime) -> Account:
    return Account(f"acc{n}", f"s{n}@example.cn", "-", agreement_accepted_at=at, created_at=at)


def hold(code: str, level: int, chosen_at: datetime, campus: str | None = None) -> ChosenSubject:
    kind = SubjectKind.ORAL if campus else SubjectKind.WRITTEN
    pay_by = chosen_at + PAY_WITHIN
    return ChosenSubject(code, kind, level, 3000, SubjectStatus.UNPAID, chosen_at, pay_by, uuid.uuid4().hex, campus)


@dataclass(frozen=True)
class RaceWorld:
    store: RegistrationStore
    now: datetime

    def prepare(self, roll: tuple[RollRow, ...]) -> None:
        """Bind the sixty students and write their holds (eight at a time, as students would)."""
        students = roll[-STUDENTS:]
        past = self.now - timedelta(hours=26)

        def one(n: int) -> None:
            at = past if n in EXPIRED else self.now
            account = student(n, at)
            self.store.bind(Registration(account.account_id, factories.entry(students[n]), at))
            registration = self.store.get(account.account_id)
            assert registration is not None
            written = hold("CET4", 4, at)
            self.store.add_subject(registration, written, None)
            oral = replace(hold("CET-SET4", 4, at, "NJU-GL"), shard=n % SHARDS)  # spread as grabs spread
            self.store.add_subject(registration.with_subject(written), oral, None)

        with ThreadPoolExecutor(max_workers=8) as pool:
            list(pool.map(one, range(STUDENTS)))

    def holds_left(self, accounts: range) -> int:
        return sum(len(r.subjects) for n in accounts if (r := self.store.get(f"acc{n}")) is not None)

    def oral_holds_left(self, accounts: range) -> int:
        """Holds with a seat: TTL removing one of these sends its seat back through the stream."""
        return sum(
            1
            for n in accounts
            if (r := self.store.get(f"acc{n}")) is not None
            for s in r.subjects
            if s.campus_id is not None
        )
