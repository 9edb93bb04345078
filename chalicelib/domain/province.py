"""A province's data once validated: what the loader hands to the services (R-OPS-3)."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Generic, TypeVar

from chalicelib.domain.accounts import Role
from chalicelib.domain.catalog import Catalog
from chalicelib.domain.roll import RollRow, ScoreRow

T = TypeVar("T")


@dataclass(frozen=True)
class StaffMember:
    """A school's staff member or a province administrator: never a password (R-OPS-3); each sets
    one with the `staff_activation` code the load sends (R-ACC-3)."""

    login: str
    role: Role = Role.STAFF
    school_id: str | None = None  # None for a province administrator


@dataclass(frozen=True)
class ProvinceData:
    """A whole dataset in memory (the JSON dataset, the tests' factories)."""

    catalog: Catalog
    roll: tuple[RollRow, ...]
    cet4_scores: tuple[ScoreRow, ...]
    staff: tuple[StaffMember, ...]


@dataclass(frozen=True)
class Rows(Generic[T]):
    """Rows read again from their file each time (`read`), never all held: a load streams them."""

    count: int
    read: Callable[[], Iterable[T]]


@dataclass(frozen=True)
class ProvinceLoad:
    """What one run of the loader writes. `load_id` names the files' contents: a run stopped half
    way and run again with the same files is the same load, and completes it."""

    load_id: str
    catalog: Catalog
    staff: tuple[StaffMember, ...]
    roll: Rows[RollRow] | None = None  # None: the roll in the table is left as it is
    scores: Rows[ScoreRow] | None = None
    prune: bool = False  # remove roll entries not in `roll` that no registration is bound to
    files: tuple[str, ...] = ()  # the files' names, as the load record shows them
    # R-OPS-2: the file's windows, capacities and notices written over the administrator's changes
    # (by default each target changed keeps the table's value; decision 0023)
    file_wins: bool = False


def in_memory(data: ProvinceData, load_id: str) -> ProvinceLoad:
    return ProvinceLoad(
        load_id=load_id,
        catalog=data.catalog,
        staff=data.staff,
        roll=Rows(len(data.roll), lambda: data.roll),
        scores=Rows(len(data.cet4_scores), lambda: data.cet4_scores),
    )


@dataclass(frozen=True)
class LoadRecord:
    """A load as the table remembers it: started, then complete once every row is written."""

    load_id: str
    started_at: datetime
    files: tuple[str, ...] = ()
    completed_at: datetime | None = None
    written: dict[str, int] = field(default_factory=dict)  # rows written, by file kind
    pruned: int = 0

    @property
    def complete(self) -> bool:
        return self.completed_at is not None


# Told after each chunk of a long load: what is being written, how many so far, how many in all.
Progress = Callable[[str, int, int], None]

# Told by a store writing a long stream of rows: how many are written so far (from any thread).
Written = Callable[[int], None]
