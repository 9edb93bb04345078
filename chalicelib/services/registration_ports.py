"""What qualification, registration, seats and expiry need from storage and the key ring: the
catalog, the roll, the CET6 reviews and the registrations with their seats.

DynamoDB repositories (chalicelib/storage) and the in-memory fakes of the tests both fill them;
the storage contract suite keeps the two honest.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Protocol

from chalicelib.domain.catalog import Catalog
from chalicelib.domain.identity import IdentityMark, IdType
from chalicelib.domain.messages import Message
from chalicelib.domain.registration import AccountFile, ChosenSubject, Registration
from chalicelib.domain.reviews import Cet6Review, ReviewStatus
from chalicelib.domain.roll import Cet4Record, RollEntry
from chalicelib.domain.seats import Reclaimed, SeatGrab
from chalicelib.domain.sitting import ExamSitting


class CatalogStore(Protocol):
    def catalog(self) -> Catalog: ...

    def sitting(self, with_seed: bool = False) -> ExamSitting | None:
        """R-ROOM-2: the catalog's exam sitting (None: no room plan) with its seed's digest, read
        now; the seed only `with_seed` (the plan job; anyone once the plan is drawn). Never for a
        route before then."""

    def identity_mark(self) -> IdentityMark | None:
        """Read now, not from the cache: what key the table's digests were made with."""

    def seats_taken(self, seats: list[SeatGrab]) -> dict[SeatGrab, int]: ...


class IdentityKeys(Protocol):
    def digest(self, id_number: str, mark: IdentityMark | None) -> str:
        """The keyed hash of a whole ID number under the key the table's digests were made with
        (`mark`); IdentityKeyUnavailable when no key at hand matches it (decision 0013)."""


class RollStore(Protocol):
    def candidate(self, id_type: IdType, id_digest: str) -> RollEntry | None: ...

    def cet4_record(self, ticket_number: str) -> Cet4Record | None: ...


class ReviewStore(Protocol):
    def get(self, account_id: str) -> Cet6Review | None: ...

    def create(self, review: Cet6Review) -> None:
        """Raises ReviewExists: one review per account (R-REV-4)."""

    def replace_rejected(self, review: Cet6Review) -> None:
        """Raises ReviewLocked unless the stored review is rejected."""

    def delete_rejected(self, account_id: str) -> None:
        """Raises ReviewLocked unless the stored review is rejected; NotFound if none."""

    def decide(self, review: Cet6Review, message: Message | None = None) -> None:
        """Store a decision and, in the same write, the message that tells the student (R-NOTE-1);
        raises ReviewNotPending unless the stored review is pending."""

    def list_for_school(self, school_id: str, status: ReviewStatus) -> list[Cet6Review]: ...


class RegistrationStore(Protocol):
    def get(self, account_id: str) -> Registration | None: ...

    def file(self, account_id: str) -> AccountFile:
        """The account's partition in one read: account, registration, review, open order."""

    def bound_account(self, candidate_key: str) -> str | None: ...

    def bind(self, registration: Registration) -> None:
        """Raises AccountAlreadyBound or CandidateAlreadyBound (R-BIND-2)."""

    def add_subject(
        self,
        registration: Registration,
        chosen: ChosenSubject,
        replacing: ChosenSubject | None,
    ) -> None:
        """Hold the slot (and the seat for an oral subject) in one transaction.

        Raises CampusFull when the seat counter is at capacity, LevelTaken when the slot was
        taken meanwhile. `replacing` is an expired hold in the same slot, released here.
        """

    def remove_subject(self, account_id: str, chosen: ChosenSubject, now: datetime) -> None:
        """Delete an unpaid subject and release its seat; raises SubjectPaid if it was paid."""

    def reclaim_expired_holds(self, seat: SeatGrab, now: datetime) -> Reclaimed:
        """Release every unpaid hold on these seats past its `pay_by`: how many, and the `pay_by`
        of the earliest live unpaid hold left (None if there is none)."""

    def shards_with_room(self, seat: SeatGrab) -> list[int]:
        """The seat counter shards with a seat left, in random order (one read, never a write)."""

    def delete_registration(self, registration: Registration, now: datetime) -> None:
        """Delete the registration, both sides of its binding and its unpaid holds."""

    # The expiry queue and the seats of holds removed behind our back (TTL)
    def overdue(self, now: datetime) -> list[str]:
        """Accounts with a hold or a registration due before `now`."""

    def reschedule(self, registration: Registration, due: datetime | None) -> None: ...

    def release_seat(self, hold: ChosenSubject, now: datetime) -> bool:
        """Release a removed hold's seat unless already released; True if this call did."""

    def removed_hold(self, old_image: dict[str, Any]) -> ChosenSubject | None:
        """The unpaid oral hold a stream REMOVE record carried (DynamoDB JSON), if any."""
