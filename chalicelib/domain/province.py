"""A province's dataset once validated: what the loader hands to storage."""

from __future__ import annotations

from dataclasses import dataclass

from chalicelib.domain.catalog import Catalog
from chalicelib.domain.roll import Cet4Record, RollEntry


@dataclass(frozen=True)
class StaffMember:
    login: str
    password: str
    school_id: str


@dataclass(frozen=True)
class ProvinceData:
    catalog: Catalog
    roll: tuple[RollEntry, ...]
    cet4_scores: tuple[Cet4Record, ...]
    staff: tuple[StaffMember, ...]
