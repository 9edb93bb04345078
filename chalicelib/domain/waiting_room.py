"""Openings and the waiting room (R-QUEUE-1..5): the queue window, the verifiable order, admission.

Pure rules: what state an opening is in, where an entry stands, who is admitted by when, and the
check that an oral choice inside a queue window carries a live admission.
"""

from __future__ import annotations

import hashlib
import hmac
import math
import secrets
from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from enum import StrEnum

from chalicelib.domain.errors import NotAdmitted

SEED_HEX_CHARS = 64
LAST_PLACE = 10**10 - 1  # places are written with 10 digits in the index key
# The pre-opening pool is ordered once every join that read its clock before `opens_at` has been
# written and indexed: the API's timeout (30 s, province/package.py) and the index's lag.
ORDER_GRACE = timedelta(seconds=40)


class OpeningState(StrEnum):
    UPCOMING = "upcoming"
    QUEUEING = "queueing"
    ADMITTING = "admitting"
    CLOSED = "closed"


class EntryState(StrEnum):
    WAITING = "waiting"
    ADMITTED = "admitted"
    LAPSED = "lapsed"


@dataclass(frozen=True)
class Opening:
    """R-QUEUE-1: a named moment when the oral registration of some campuses opens."""

    id: str
    name: str
    queue_opens_at: datetime
    opens_at: datetime
    closes_at: datetime
    campuses: tuple[str, ...]
    admit_per_minute: int
    pass_minutes: int

    def state(self, now: datetime) -> OpeningState:
        if now < self.queue_opens_at:
            return OpeningState.UPCOMING
        if now < self.opens_at:
            return OpeningState.QUEUEING
        if now < self.closes_at:
            return OpeningState.ADMITTING
        return OpeningState.CLOSED

    def queue_open(self, now: datetime) -> bool:
        """From `queue_opens_at` until `closes_at`: students may join, oral choice needs admission."""
        return self.queue_opens_at <= now < self.closes_at

    def may_order(self, now: datetime) -> bool:
        return now >= self.opens_at + ORDER_GRACE

    def admitted_by(self, now: datetime) -> int:
        """R-QUEUE-4: how many places the rate has admitted by `now`: one batch of
        `admit_per_minute` at `opens_at`, another at the start of each minute after."""
        if now < self.opens_at:
            return 0
        minutes = int((now - self.opens_at).total_seconds() // 60)
        return self.admit_per_minute * (minutes + 1)

    def admitted_at_for(self, position: int) -> datetime:
        """When the rate reaches this place (the job writes it at its next run after that)."""
        return self.opens_at + timedelta(minutes=math.ceil(position / self.admit_per_minute) - 1)

    @property
    def pass_length(self) -> timedelta:
        return timedelta(minutes=self.pass_minutes)


@dataclass(frozen=True)
class OpeningProgress:
    """What the admission job keeps on the opening: public counts, and the seed once revealed."""

    seed_sha256: str | None = None
    seed: str | None = None  # null before `opens_at` (R-QUEUE-3)
    queued: int = 0  # places taken in the queue (a re-join takes a new one)
    admitted: int = 0  # places admitted so far
    ordered: int | None = None  # size of the pre-opening pool once ordered
    positioned: int = 0  # the last place given


@dataclass(frozen=True)
class QueueEntry:
    """A candidate's place in one opening's queue, in the partition of the account that joined
    (its id is the place key's message, R-QUEUE-3); `round` counts that account's entries for the
    opening (a re-join after a lapse, or a new candidate bound to the account, R-BIND-4)."""

    account_id: str
    opening_id: str
    joined_at: datetime
    round: int = 0
    position: int | None = None
    admitted_at: datetime | None = None
    admitted_until: datetime | None = None
    candidate: str | None = None  # the candidate's key (R-QUEUE-2); None on entries older than the rule

    def state(self, now: datetime) -> EntryState:
        if self.admitted_until is None:
            return EntryState.WAITING
        return EntryState.ADMITTED if now < self.admitted_until else EntryState.LAPSED

    def admitted(self, at: datetime, opening: Opening) -> QueueEntry:
        return replace(self, admitted_at=at, admitted_until=at + opening.pass_length)

    def rejoined(self, now: datetime) -> QueueEntry:
        """R-QUEUE-4: a lapsed admission joins again at the back, as a new arrival."""
        return QueueEntry(self.account_id, self.opening_id, now, self.round + 1, candidate=self.candidate)


@dataclass(frozen=True)
class QueueClaim:
    """R-QUEUE-2 (amended): the one entry a candidate has in an opening, whatever the account:
    the account whose partition holds it and that entry's `round`."""

    account_id: str
    round: int

    def names(self, entry: QueueEntry | None, candidate: str) -> bool:
        """True if `entry` is the one this claim stands for (not an older or another candidate's)."""
        return (
            entry is not None
            and entry.account_id == self.account_id
            and entry.round == self.round
            and entry.candidate == candidate
        )


@dataclass(frozen=True)
class Standing:
    """Where an entry stands: the place, how many are ahead, and the estimated wait."""

    entry: QueueEntry
    state: EntryState
    position: int | None
    ahead: int | None
    estimated_wait_seconds: int | None


def standing(opening: Opening, entry: QueueEntry, progress: OpeningProgress, now: datetime) -> Standing:
    state = entry.state(now)
    position = entry.position if now >= opening.opens_at else None
    if state is not EntryState.WAITING or position is None:
        return Standing(entry, state, position, 0 if state is not EntryState.WAITING else None, None)
    ahead = max(0, position - 1 - progress.admitted)
    wait = max(0.0, (opening.admitted_at_for(position) - now).total_seconds())
    if ahead and not wait:
        wait = 60.0  # due already: the next run of the admission job (every minute) writes it
    return Standing(entry, state, position, ahead, math.ceil(wait))


def check_admission(opening: Opening, entry: QueueEntry | None, now: datetime) -> None:
    """R-QUEUE-1/5: inside the queue window an oral choice at the opening's campuses needs a live
    admission; outside it, none. An admission only lets the choice be tried (capacity and
    R-ORAL-1..5 still decide)."""
    if not opening.queue_open(now):
        return
    if entry is None or entry.admitted_at is None or entry.state(now) is not EntryState.ADMITTED:
        raise NotAdmitted()


def openings_at(openings: Iterable[Opening], campus_id: str) -> list[Opening]:
    return [opening for opening in openings if campus_id in opening.campuses]


# R-QUEUE-3: the verifiable order
def draw_seed() -> str:
    return secrets.token_hex(SEED_HEX_CHARS // 2)


def seed_sha256(seed: str) -> str:
    return hashlib.sha256(seed.encode("utf-8")).hexdigest()


def place_key(seed: str, account_id: str) -> str:
    """The hex HMAC-SHA256 (key: the seed's UTF-8 bytes, message: the account id's): ascending
    order of these keys is the pre-opening order."""
    return hmac.new(seed.encode("utf-8"), account_id.encode("utf-8"), hashlib.sha256).hexdigest()


def pre_opening_order(seed: str, account_ids: Iterable[str]) -> list[str]:
    return sorted(account_ids, key=lambda account_id: (place_key(seed, account_id), account_id))
