"""What the services need from storage and the outside, as protocols.

DynamoDB repositories (chalicelib/storage) and the in-memory fakes of the tests both fill them;
the storage contract suite (tests/integration/test_storage_contract.py) runs over the fakes, moto
and DynamoDB Local alike, so a fake that departs from the repositories fails there.
"""

from __future__ import annotations

from collections.abc import Callable, Container, Iterable
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any, Protocol

from chalicelib.domain.accounts import Account
from chalicelib.domain.catalog import Catalog
from chalicelib.domain.identity import IdentityMark, IdType, Protect, WrappedDataKey
from chalicelib.domain.messages import Message
from chalicelib.domain.openings import OpeningProgress, QueueClaim, QueueEntry
from chalicelib.domain.province import LoadRecord
from chalicelib.domain.recovery import CodePurpose, OneTimeCode
from chalicelib.domain.registration import ChosenSubject, Registration
from chalicelib.domain.reload import ChangesRead
from chalicelib.domain.reviews import Cet6Review, ReviewStatus
from chalicelib.domain.roll import Cet4Record, RollEntry
from chalicelib.domain.waitlist import PendingSeat, WaitlistEntry


@dataclass(frozen=True)
class Session:
    token_digest: str
    account_id: str
    expires_at: datetime
    generation: int = 0  # the account's session generation when it was issued


@dataclass(frozen=True)
class Captcha:
    captcha_id: str
    answer_digest: str
    expires_at: datetime


@dataclass(frozen=True)
class SeatGrab:
    """An oral seat to hold: the counter at `campus_id` + `subject` must stay within capacity."""

    campus_id: str
    subject: str


@dataclass(frozen=True)
class AccountFile:
    """What a student request needs from the account's partition, read in one Query: the account,
    its registration with its subjects, its CET6 review and its open order (data-model pattern 1)."""

    account: Account | None
    registration: Registration | None
    review: Cet6Review | None
    open_order_id: str | None
    queue_entries: dict[str, QueueEntry] = field(default_factory=dict)  # by opening (R-QUEUE-1/5)


class AccountFiles(Protocol):
    def file(self, account_id: str) -> AccountFile: ...


@dataclass(frozen=True)
class Reclaimed:
    """What reclaiming a campus's expired holds did, and when the next live hold expires."""

    released: int
    next_expiry: datetime | None


class CatalogStore(Protocol):
    def catalog(self) -> Catalog: ...

    def identity_mark(self) -> IdentityMark | None:
        """Read now, not from the cache: what key the table's digests were made with."""

    def seats_taken(self, seats: list[SeatGrab]) -> dict[SeatGrab, int]: ...


class IdentityKeys(Protocol):
    def digest(self, id_number: str, mark: IdentityMark | None) -> str:
        """The keyed hash of a whole ID number under the key the table's digests were made with
        (`mark`); IdentityKeyUnavailable when no key at hand matches it (decision 0013)."""


class CodeKeys(Protocol):
    def code_digest(self, text: str, version: str | None = None) -> str | None:
        """A one-time code's keyed hash, `<version>:<digest>`, under the province's code key: the
        current version's, or `version`'s (a stored code's); None when that key is gone. Raises
        IdentityKeyUnavailable when no key can be read (R-ACC-6, decision 0024)."""


class RollStore(Protocol):
    def candidate(self, id_type: IdType, id_digest: str) -> RollEntry | None: ...

    def cet4_record(self, ticket_number: str) -> Cet4Record | None: ...


# Told after each chunk of a long load: what is being written, how many so far, how many in all.
Progress = Callable[[str, int, int], None]


@dataclass(frozen=True)
class Protection:
    """What a load protects ID numbers with: the current key (its mark), this load's data key."""

    mark: IdentityMark
    data_key: WrappedDataKey
    protect: Protect
    open_sealed: Callable[[str], str]  # only to convert digests of an older key version
    digest_under: Callable[[str, str], str]  # (number, version): to check a sealed number's old digest
    code_keys: CodeKeys  # what a staff account's activation code is hashed with (decision 0024)


@dataclass(frozen=True)
class Conversion:
    """What converting a table's ID numbers to the protected form changed, by item kind."""

    converted: dict[str, int]
    old_form: bool  # whole numbers were found (rather than digests of an older key version)


# Told by a store writing a long stream of rows: how many are written so far (from any thread).
Written = Callable[[int], None]


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


class AccountStore(Protocol):
    def create(self, account: Account) -> None:
        """Raises LoginTaken when the login is in use."""

    def by_login(self, login: str) -> Account | None: ...

    def get(self, account_id: str) -> Account | None: ...

    def accept_agreement(self, account_id: str, at: datetime) -> None: ...

    def replace_password_hash(self, account_id: str, verified_hash: str, new_hash: str) -> bool:
        """Store `new_hash` only while the stored hash is still `verified_hash` (a password set in
        the meantime wins); whether it was stored."""

    def remember_lookup(self, account_id: str, candidate_key: str, school_id: str) -> None:
        """Keep the candidate key (never the ID number) of the account's last qualification lookup,
        and its school, whose window `GET /me` shows (R-DATE-1)."""


class SessionStore(Protocol):
    def save(self, session: Session) -> None: ...

    def get(self, token_digest: str) -> Session | None: ...

    def revoke(self, token_digest: str) -> None: ...


class CaptchaStore(Protocol):
    def save(self, captcha: Captcha) -> None: ...

    def take(self, captcha_id: str) -> Captcha | None:
        """Remove and return the captcha: whoever takes it first is the only one to see it."""


class ThrottleStore(Protocol):
    def add_failure(self, key: str, window_ends: datetime) -> int:
        """Count one failure in the window ending at `window_ends`; returns the new count."""

    def failures(self, key: str, window_ends: datetime) -> int: ...

    def take(self, key: str, window_ends: datetime, limit: int) -> bool:
        """Count one in the window if fewer than `limit` are counted, in one conditional write;
        whether it was counted (R-ACC-6: codes sent, never more than the limit at once)."""


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


class OfferOutcome(StrEnum):
    DONE = "done"
    SEAT_GONE = "seat_gone"  # another offer step took the pending seat first
    ENTRY_GONE = "entry_gone"  # the student left, or was served by another offer step
    CANNOT_TAKE = "cannot_take"  # the student's slot filled or the registration went meanwhile
    SOMEONE_WAITS = "someone_waits"  # a student joined meanwhile: the seat is theirs, not the counter's


class WaitlistStore(Protocol):
    """R-WAIT-1..2: who waits for which full campus, and the seats that came back for them."""

    def join(self, entry: WaitlistEntry, shards: int) -> None:
        """Raises CampusNotFull unless the campus is full for the subject right now, WaitlistExists
        if the account already waits for an oral subject of that level."""

    def entries(self, account_id: str) -> list[WaitlistEntry]: ...

    def position(self, entry: WaitlistEntry) -> int: ...

    def leave(self, entry: WaitlistEntry) -> None:
        """Raises NotFound if the entry is gone."""

    def waiting(self, campus_id: str, subject: str) -> int: ...

    def first(self, campus_id: str, subject: str, limit: int) -> list[WaitlistEntry]: ...

    def pending_seats(self, limit: int) -> list[PendingSeat]: ...

    def pending_seat(self, offer_id: str) -> PendingSeat | None: ...

    def pending_from_image(self, image: dict[str, object]) -> PendingSeat | None: ...

    def offer(self, seat: PendingSeat, entry: WaitlistEntry, hold: ChosenSubject, message: Message) -> OfferOutcome:
        """The seat to the entry's student as `hold`, with its message, in one write."""

    def skip(self, entry: WaitlistEntry) -> bool: ...

    def give_back(self, seat: PendingSeat) -> OfferOutcome:
        """The seat back to its counter, only while nobody waits (else SOMEONE_WAITS)."""


class MessageNotSent(Exception):
    """The channel refused the message or did not answer: it is tried again later, unless the
    refusal is `final` (no approved template, a number the provider rejects)."""

    def __init__(self, reason: str, final: bool = False) -> None:
        super().__init__(reason)
        self.final = final


class MessageSender(Protocol):
    def send(self, message: Message) -> None:
        """Hand the message to its channel (e-mail or SMS); raises MessageNotSent."""


@dataclass(frozen=True)
class ClaimedMessage:
    message: Message
    attempts: int  # sends tried before this one
    lease: str  # what this sender's `sent` or `failed` must show to be heard


class Outbox(Protocol):
    """Messages waiting to be sent, one per event (R-NOTE-1): at least once, never twice."""

    def add(self, message: Message) -> bool:
        """Keep the message unless its event already has one; True if this call added it."""

    def due(self, now: datetime, limit: int) -> list[str]:
        """Events whose message waits to be sent and whose next try is due."""

    def claim(self, event_id: str, now: datetime) -> ClaimedMessage | None:
        """Take the message for sending for a short lease; None if sent, or taken by another sender."""

    def sent(self, claimed: ClaimedMessage, now: datetime) -> None:
        """Done: what the message said (and any code) is removed; the event stays known. Unheard
        if the lease was lost meanwhile."""

    def failed(self, claimed: ClaimedMessage, retry_at: datetime | None) -> None:
        """Not sent: try again at `retry_at`; None gives up (and forgets what it said)."""


class RecoveryStore(Protocol):
    """One-time codes and what they allow (R-ACC-3, R-ACC-4)."""

    def issue(self, code: OneTimeCode, message: Message) -> None:
        """Keep the code (replacing the account's earlier one of its purpose) and, in the same
        write, the message that carries it."""

    def take_try(self, account_id: str, purpose: CodePurpose, now: datetime) -> OneTimeCode | None:
        """Count one try against the account's code and return it, if it is alive and has tries
        left (5 in all); None otherwise."""

    def decoy(self, key: str, now: datetime) -> None:
        """For a login with no account: the reads and the write a code would cost, and nothing usable."""

    def reset_password(self, code: OneTimeCode, password_hash: str) -> None:
        """Use the code: set the password and revoke every session; InvalidCode if it was used."""

    def change_login(self, code: OneTimeCode, old_login: str, now: datetime, keep: str, generation: int) -> None:
        """Use the code: the account's login becomes `code.target`, the old login is retired
        (it signs nobody in, and nobody else takes it for 30 days); the account's sessions of
        `generation` end, but the one whose token digest is `keep` (R-ACC-6). LoginTaken,
        InvalidCode; Unauthenticated when that session is gone."""

    def login_in_use(self, login: str, now: datetime, asking: str) -> bool:
        """True while an account has the login, or another account than `asking` gave it up
        less than 30 days ago."""


class QueueStore(Protocol):
    """The waiting room (R-QUEUE): entries in the account's partition, each candidate's claim on
    one of them, the openings' progress."""

    def entry(self, account_id: str, opening_id: str) -> QueueEntry | None: ...

    def claim(self, candidate: str, opening_id: str) -> QueueClaim | None:
        """Which account's entry is the candidate's (R-QUEUE-2), read strongly consistent."""

    def join(self, entry: QueueEntry, replacing: QueueEntry | None, claimed: QueueClaim | None) -> bool:
        """Write the entry and the claim of its candidate on it, at once: unless the account's
        entry is no longer `replacing` (None: the account has none) or the candidate's claim is no
        longer `claimed` (None: the candidate has none); True if this call wrote them."""

    def progress(self, opening_id: str, with_seed: bool) -> OpeningProgress | None:
        """A few seconds old at most (what GET /openings shows); the seed only if `with_seed`."""

    def progress_now(self, opening_id: str, with_seed: bool = False) -> OpeningProgress | None: ...

    def seed(self, opening_id: str) -> str | None: ...

    def save_progress(self, opening_id: str, progress: OpeningProgress) -> None:
        """Counts only grow: an older picture never replaces a newer one."""

    def arrivals(self, opening_id: str) -> list[QueueEntry]:
        """Entries without a place, in arrival order."""

    def waiting_count(self, opening_id: str) -> int: ...

    def placed_between(self, opening_id: str, first: int, last: int) -> list[QueueEntry]: ...

    def last_position(self, opening_id: str) -> int: ...

    def place(self, entry: QueueEntry, position: int) -> bool:
        """Give the entry its place unless it re-joined meanwhile or holds another; True if it holds it."""

    def place_many(self, places: list[tuple[QueueEntry, int]]) -> int:
        """`place` for each (in parallel where the store can); how many hold their place."""

    def admit(self, entry: QueueEntry, at: datetime, until: datetime) -> bool:
        """Admit the entry at its place, at most once; True if this call did."""

    def take_lease(self, name: str, holder: str, now: datetime, until: datetime) -> bool: ...

    def release_lease(self, name: str, holder: str) -> None: ...
