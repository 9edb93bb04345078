"""The exam sitting of a province's data (R-ROOM-1, R-ROOM-2, R-TICKET-1): which sitting it is, when
the room plan is drawn and when tickets open, and the plan's seed as far as it may be known."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import IntEnum


class SittingOfYear(IntEnum):
    """R-TICKET-1: the sitting's digit in the ticket number."""

    JUNE = 1
    DECEMBER = 2


SITTING_NAMES = {SittingOfYear.JUNE: "6 月", SittingOfYear.DECEMBER: "12 月"}


@dataclass(frozen=True)
class ExamSitting:
    """`seed_sha256` is published from the load that draws the seed (R-ROOM-2); `seed` is given only
    to whoever asks for it (the plan job, and anyone once the plan is drawn)."""

    year: int
    sitting: SittingOfYear
    plan_at: datetime
    tickets_open_at: datetime
    seed_sha256: str | None = None
    seed: str | None = None

    @property
    def key(self) -> str:
        """The sitting as its seed is kept: one seed per year and sitting, never drawn twice."""
        return f"{self.year}-{self.sitting.value}"

    @property
    def name(self) -> str:
        return f"{self.year} 年 {SITTING_NAMES[self.sitting]}"

    def planned(self, now: datetime) -> bool:
        """R-ROOM-1: from `plan_at` the plan may be drawn; what it rests on no longer changes."""
        return now >= self.plan_at
