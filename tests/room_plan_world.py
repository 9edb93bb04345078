"""A province's sitting for the room plan's tests and benchmark: sites, written subjects, paid
subjects with their sitters, written straight into a table (as payments would have written them).

`python -m tests.room_plan_world run` runs the plan job over the table the environment names
(TABLE_NAME, AWS_ENDPOINT_URL_DYNAMODB): the crash test kills it half way.
"""

from __future__ import annotations

import random
import sys
from collections.abc import Iterable, Iterator
from dataclasses import replace
from datetime import datetime, timedelta

from chalicelib.config import settings
from chalicelib.domain.catalog import Campus, Catalog, Province, School, Subject, SubjectKind
from chalicelib.domain.clock import SHANGHAI, FixedClock
from chalicelib.domain.identity import IdentityMark
from chalicelib.domain.registration import ChosenSubject, SubjectStatus
from chalicelib.domain.room_plan import Sitter
from chalicelib.domain.seats import SeatGrab
from chalicelib.domain.sitting import ExamSitting, SittingOfYear
from chalicelib.services.room_plan import RoomPlanContext, run_plan
from chalicelib.storage import batch, codec
from chalicelib.storage.room_plan import DynamoRoomPlan, sitter_item
from chalicelib.storage.tables import bind_table

SEED = "5eed" * 16
PLAN_AT = datetime(2026, 11, 20, 9, 0, tzinfo=SHANGHAI)
SITTING = ExamSitting(2026, SittingOfYear.DECEMBER, PLAN_AT, PLAN_AT + timedelta(days=14), seed_sha256="0" * 64)
SUBJECTS = {
    "CET4": Subject("CET4", "英语四级", SubjectKind.WRITTEN, 4, 3000, ticket_code="1", exam_minutes=125),
    "CET6": Subject("CET6", "英语六级", SubjectKind.WRITTEN, 6, 3000, ticket_code="2", exam_minutes=130),
}


def catalog(sites: int) -> Catalog:
    campuses = {
        f"C{n:03d}": Campus(f"C{n:03d}", f"校区{n}", f"S{n % 7}", ("CET4", "CET6"), site_code=f"{310000 + n:06d}")
        for n in range(sites)
    }
    schools = {f"S{n}": School(f"S{n}", f"学校{n}", "", False) for n in range(7)}
    return Catalog(Province("31", "上海", ""), subjects=SUBJECTS, schools=schools, campuses=campuses, exam=SITTING)


class WorldCatalog:
    def __init__(self, sites: int) -> None:
        self._catalog = catalog(sites)

    def catalog(self) -> Catalog:
        return self._catalog

    def sitting(self, with_seed: bool = False) -> ExamSitting | None:
        """The seed a load would have drawn."""
        return replace(SITTING, seed=SEED if with_seed else None)

    def identity_mark(self) -> IdentityMark | None:
        return None

    def seats_taken(self, seats: list[SeatGrab]) -> dict[SeatGrab, int]:
        return {}


def context(sites: int, now: datetime) -> RoomPlanContext:
    return RoomPlanContext(store=DynamoRoomPlan(), catalog=WorldCatalog(sites), clock=FixedClock(now))


def sitters(
    count: int, sites: int, settled_at: datetime, rng: random.Random, prefix: str = "a", separate_share: float = 0.02
) -> list[Sitter]:
    """`count` paid written subjects over `sites` sites, `separate_share` of them with a separate room."""
    return [
        Sitter(
            account_id=f"{prefix}{n:07d}",
            campus_id=f"C{rng.randrange(sites):03d}",
            subject=rng.choice(("CET4", "CET6")),
            level=0,
            settled_at=settled_at,
            name=f"考生{n}",
            id_masked="3101**********123X",
            school_id="S0",
            separate_room=rng.random() < separate_share,
            extra_minutes=30 if rng.random() < 0.01 else 0,
        )
        for n in range(count)
    ]


def _with_level(sitter: Sitter) -> Sitter:
    return Sitter(**{**sitter.__dict__, "level": SUBJECTS[sitter.subject].level})


def items(paid: Iterable[Sitter]) -> Iterator[batch.Request]:
    """What a payment writes for each: the paid subject in the account's partition, and its sitter."""
    for sitter in map(_with_level, paid):
        chosen = ChosenSubject(
            code=sitter.subject,
            kind=SubjectKind.WRITTEN,
            level=sitter.level,
            fee=3000,
            status=SubjectStatus.PAID,
            chosen_at=sitter.settled_at,
            pay_by=None,
            hold_id=f"h-{sitter.account_id}",
        )
        yield from batch.put_requests([codec.subject_item(sitter.account_id, chosen), sitter_item(sitter)])


def write(paid: Iterable[Sitter]) -> int:
    return batch.write_all(items(paid))


def main(argv: list[str]) -> int:
    if argv[:1] != ["run"]:
        print("usage: python -m tests.room_plan_world run SITES NOW_ISO", file=sys.stderr)
        return 2
    bind_table(settings())
    ctx = context(int(argv[1]), datetime.fromisoformat(argv[2]))
    report = run_plan(ctx, lambda done: print(done.groups, flush=True))
    print(report.as_dict(), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
