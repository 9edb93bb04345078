"""A province's dataset once validated: what the loader hands to storage."""

from __future__ import annotations

from dataclasses import dataclass

from chalicelib.domain.catalog import Catalog
from chalicelib.domain.identity import IdentityMark
from chalicelib.domain.roll import Cet4Record, RollEntry, RollRow, ScoreRow


@dataclass(frozen=True)
class StaffMember:
    login: str
    password: str
    school_id: str


@dataclass(frozen=True)
class ProvinceData:
    catalog: Catalog
    roll: tuple[RollRow, ...]
    cet4_scores: tuple[ScoreRow, ...]
    staff: tuple[StaffMember, ...]


@dataclass(frozen=True)
class ProtectedProvince:
    """The dataset as the table will hold it: every ID number hashed, masked and sealed."""

    catalog: Catalog
    roll: tuple[RollEntry, ...]
    cet4_scores: tuple[Cet4Record, ...]
    identity: IdentityMark  # written last: the table is searchable under this key once it is there
