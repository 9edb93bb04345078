"""What the room plan (R-ROOM-1..3) and the tickets (R-TICKET-1..3) need from storage.

chalicelib/storage/room_plan.py fills it on DynamoDB.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Protocol

from chalicelib.domain.room_plan import GivenSeat, GroupRef, GroupSummary, PlanRun, Sitter
from chalicelib.domain.rooms import Seat


class RoomPlanStore(Protocol):
    def current_run(self) -> PlanRun | None:
        """The run in progress or the last one done, read strongly consistent."""

    def begin_run(self, previous: PlanRun | None, begun: PlanRun) -> PlanRun:
        """`begun`, unless another runner began a run after `previous` first: then that one."""

    def finish_run(self, done: PlanRun, seated: int, rooms: int, now: datetime) -> None:
        """The run is done, with the plan's seats and rooms in all (what GET /room-plan shows)."""

    def sitters(self, group: GroupRef) -> list[Sitter]:
        """Every paid written subject at the group's site, read strongly consistent."""

    def seats(self, campus_id: str, subject: str, room: int | None = None) -> list[GivenSeat]:
        """Every seat given at a site and subject (or in one room of it), in room and seat order."""

    def give(self, seats: Sequence[GivenSeat]) -> None:
        """Write each seat and its ticket; the same seats again change nothing; raises
        SeatsConflict if a seat or a ticket was given otherwise (nothing of that batch written)."""

    def record_group(self, group: GroupRef, school_id: str, run: int, seats: Sequence[Seat]) -> None: ...

    def group_summaries(self) -> list[GroupSummary]: ...
