"""What loading a province needs from storage (R-OPS-3): the province's table, and the staff
accounts' activation codes with their messages (decision 0024)."""

from __future__ import annotations

from collections.abc import Container, Iterable
from datetime import datetime
from typing import Protocol

from chalicelib.domain.catalog import Catalog
from chalicelib.domain.identity import Conversion, IdentityMark, Protection, WrappedDataKey
from chalicelib.domain.messages import Message
from chalicelib.domain.province import LoadRecord, Progress, Written
from chalicelib.domain.recovery import OneTimeCode
from chalicelib.domain.reload import ChangesRead
from chalicelib.domain.roll import Cet4Record, RollEntry


class ProvinceStore(Protocol):
    """Loading a province (R-OPS-3), in an order that never leaves it half usable: the catalog
    with its seat counters, then the rows, then the identity mark and the load record."""

    def write_catalog(self, catalog: Catalog) -> None:
        """The seat counters first (never below the seats taken), then the catalog's parts."""

    def write_roll(self, entries: Iterable[RollEntry], written: Written | None = None) -> int:
        """Put every entry (idempotent: a put again is the same item); how many."""

    def write_scores(self, records: Iterable[Cet4Record], written: Written | None = None) -> int: ...

    def prune_roll(self, keep: Container[str]) -> int:
        """Delete the roll entries whose candidate key is not in `keep`, unless a registration is
        bound to it (checked in the same write); how many were deleted."""

    def load_record(self, load_id: str) -> LoadRecord | None: ...

    def save_load_record(self, record: LoadRecord) -> None: ...

    def table_catalog(self) -> Catalog | None:
        """The catalog as the table holds it now, administrator's changes included; None if none."""

    def settled_through(self) -> str | None:
        """Where the change log was last settled by a load that let the file win (None: never)."""

    def changes_after(self, through: str | None) -> ChangesRead:
        """The targets the change log names after `through` (None: from its start)."""

    def settle_changes(self, through: str | None, load_id: str, at: datetime) -> None:
        """The file's values now stand over every change up to `through`."""

    def mark_identity(self, mark: IdentityMark) -> None:
        """The table is searchable under `mark` from now on; a conversion, if any, is complete."""

    def withdraw_identity_mark(self, target: IdentityMark) -> None:
        """Until the load writes `target` as the mark, the table says no key: lookups refuse,
        never miss; an interrupted conversion is known by `target` (the pending mark)."""

    def keep_data_key(self, key: WrappedDataKey, now: datetime) -> None:
        """Store a load's wrapped data key before anything is sealed under it."""

    def identity_mark(self) -> IdentityMark | None:
        """The key version and check value the table's digests were made with, if it says."""

    def pending_identity_mark(self) -> IdentityMark | None:
        """The mark a conversion that has not finished was converting to."""

    def province_loaded(self) -> bool:
        """True if a province was ever loaded into the table (with no mark: before decision 0013)."""

    def convert_identities(self, protection: Protection, progress: Progress | None = None) -> Conversion:
        """Rewrite every item holding an ID number (whole, or a digest of an older key) in the
        protected form under the current key; bound registrations stay bound."""

    def reachable(self) -> bool:
        """One read of the province's table, uncached: False when the table cannot answer."""


class StaffActivations(Protocol):
    def issue_once(self, code: OneTimeCode, message: Message) -> bool:
        """Keep the code and its message in one write, unless the outbox already holds a message of
        that event (then neither is written: the code already sent stays good); whether written."""
