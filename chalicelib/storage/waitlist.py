"""The waiting list (R-WAIT-1..2, decision 0020): entries, the head that counts them, pending seats.

- join: the entry (one per oral level) and `waiting += 1` on the head, in one transaction with a
  check that the campus is full right now: nobody joins beside a free seat.
- a release (storage/registrations.py) gives its seat back to the counter only while the head
  counts nobody; otherwise the seat becomes a pending seat, still counted as taken.
- an offer takes one pending seat and one entry together, each conditioned on existing: a seat is
  offered once, an entry is served once, whoever runs the offer step at the same time.
"""

from __future__ import annotations

from collections.abc import Callable

from pynamodb.exceptions import DoesNotExist
from pynamodb.expressions.condition import Condition
from pynamodb.expressions.update import Action

from chalicelib.domain.clock import parse_iso, precise_iso
from chalicelib.domain.errors import CampusNotFull, NotFound, WaitlistExists
from chalicelib.domain.messages import Message
from chalicelib.domain.registration import ChosenSubject
from chalicelib.domain.waitlist import OfferOutcome, PendingSeat, WaitlistEntry
from chalicelib.storage import codec, keys
from chalicelib.storage.messages import outbox_item
from chalicelib.storage.models import (
    OutboxItem,
    PendingSeatItem,
    SubjectItem,
    WaitlistEntryItem,
    WaitlistHeadItem,
)
from chalicelib.storage.registrations import nobody_waiting, touch_registration
from chalicelib.storage.seats import check_full_op, unseat_op
from chalicelib.storage.tables import connection
from chalicelib.storage.transactions import ConditionsFailed, Txn, run


def _entry_item(entry: WaitlistEntry) -> WaitlistEntryItem:
    return WaitlistEntryItem(
        keys.account_pk(entry.account_id),
        keys.waitlist_entry_sk(entry.level),
        gsi1pk=keys.waitlist_pk(entry.campus_id, entry.subject),
        gsi1sk=_order_key(entry),
        account_id=entry.account_id,
        campus_id=entry.campus_id,
        subject=entry.subject,
        level=entry.level,
        joined_at=precise_iso(entry.joined_at),
    )


def _order_key(entry: WaitlistEntry) -> str:
    return keys.waitlist_order_sk(entry.joined_at, entry.account_id)


def _entry_from(item: WaitlistEntryItem) -> WaitlistEntry:
    return WaitlistEntry(item.account_id, item.subject, int(item.level), item.campus_id, parse_iso(item.joined_at))


def _head(campus_id: str, subject: str) -> WaitlistHeadItem:
    return WaitlistHeadItem(keys.waitlist_pk(campus_id, subject), keys.HEAD_SK)


def _count(txn: Txn, label: str, campus_id: str, subject: str, by: int) -> None:
    head = _head(campus_id, subject)
    actions: list[Action] = [
        WaitlistHeadItem.waiting.add(by),
        WaitlistHeadItem.campus_id.set(campus_id),
        WaitlistHeadItem.subject.set(subject),
        WaitlistHeadItem.kind.set(WaitlistHeadItem),
    ]
    txn.update(label, head, actions, None if by > 0 else WaitlistHeadItem.waiting > 0)


def _same_entry(entry: WaitlistEntry) -> Condition:
    """The very entry read: not one the student left and joined again meanwhile."""
    same: Condition = WaitlistEntryItem.gsi1sk == _order_key(entry)
    return same


def _pending_from(item: PendingSeatItem) -> PendingSeat:
    return PendingSeat(keys.value_of(item.pk, keys.pending_seat_pk), item.campus_id, item.subject, item.counter)


class DynamoWaitlist:
    def join(self, entry: WaitlistEntry, shards: int) -> None:
        """R-WAIT-1: the entry and its count, only while every counter of the campus is full
        (CampusNotFull) and the account waits nowhere else for this level (WaitlistExists)."""

        def build(txn: Txn) -> None:
            for n, counter in enumerate(keys.counters_of(entry.campus_id, entry.subject, shards)):
                check_full_op(txn, f"full:{n}", counter)
            txn.put("entry", _entry_item(entry), WaitlistEntryItem.pk.does_not_exist())
            _count(txn, "head", entry.campus_id, entry.subject, +1)

        try:
            run(connection(), build)
        except ConditionsFailed as failed:
            if "entry" in failed.labels:
                raise WaitlistExists() from None
            raise CampusNotFull() from None

    def entries(self, account_id: str) -> list[WaitlistEntry]:
        items = WaitlistEntryItem.query(
            keys.account_pk(account_id),
            WaitlistEntryItem.sk.startswith(keys.WAITLIST_ENTRIES_PREFIX),
            consistent_read=True,
        )
        return [_entry_from(item) for item in items if isinstance(item, WaitlistEntryItem)]

    def position(self, entry: WaitlistEntry) -> int:
        """1 + how many joined the same list before this entry."""
        ahead = WaitlistEntryItem.by_group.count(
            keys.waitlist_pk(entry.campus_id, entry.subject), WaitlistEntryItem.gsi1sk < _order_key(entry)
        )
        return int(ahead) + 1

    def leave(self, entry: WaitlistEntry) -> None:
        def build(txn: Txn) -> None:
            item = WaitlistEntryItem(keys.account_pk(entry.account_id), keys.waitlist_entry_sk(entry.level))
            txn.delete("entry", item, _same_entry(entry))
            _count(txn, "head", entry.campus_id, entry.subject, -1)

        try:
            run(connection(), build)
        except ConditionsFailed:
            raise NotFound("您没有候补该科目。") from None

    def waiting(self, campus_id: str, subject: str) -> int:
        try:
            return int(
                WaitlistHeadItem.get(keys.waitlist_pk(campus_id, subject), keys.HEAD_SK, consistent_read=True).waiting
            )
        except DoesNotExist:
            return 0

    def first(self, campus_id: str, subject: str, limit: int) -> list[WaitlistEntry]:
        """The first entries of a list, in join order."""
        items = WaitlistEntryItem.by_group.query(keys.waitlist_pk(campus_id, subject), limit=limit)
        return [_entry_from(item) for item in items if isinstance(item, WaitlistEntryItem)][:limit]

    def pending_seats(self, limit: int) -> list[PendingSeat]:
        items = PendingSeatItem.by_group.query(keys.PENDING_SEATS, limit=limit)
        return [_pending_from(item) for item in items if isinstance(item, PendingSeatItem)][:limit]

    def pending_seat(self, offer_id: str) -> PendingSeat | None:
        try:
            return _pending_from(
                PendingSeatItem.get(keys.pending_seat_pk(offer_id), keys.PENDING_SK, consistent_read=True)
            )
        except DoesNotExist:
            return None

    def pending_from_image(self, image: dict[str, object]) -> PendingSeat | None:
        """The pending seat a stream record's new image carries (DynamoDB JSON), if that is what it is."""
        kind = image.get("kind")
        if not isinstance(kind, dict) or kind.get("S") != "pending_seat":
            return None
        return _pending_from(PendingSeatItem.from_raw_data(image))

    def offer(self, seat: PendingSeat, entry: WaitlistEntry, hold: ChosenSubject, message: Message) -> OfferOutcome:
        """R-WAIT-2 in one transaction: the pending seat and the entry go (each must still be
        there), the count drops, the hold fills the student's empty slot (the seat never left
        `taken` on its counter), and the message is written with it."""

        def build(txn: Txn) -> None:
            txn.delete(
                "seat",
                PendingSeatItem(keys.pending_seat_pk(seat.offer_id), keys.PENDING_SK),
                PendingSeatItem.pk.exists(),
            )
            item = WaitlistEntryItem(keys.account_pk(entry.account_id), keys.waitlist_entry_sk(entry.level))
            txn.delete("entry", item, _same_entry(entry))
            offered = codec.on_counter(hold, seat.counter)
            txn.put("slot", codec.subject_item(entry.account_id, offered), SubjectItem.pk.does_not_exist())
            txn.put("message", outbox_item(message), OutboxItem.pk.does_not_exist())
            _count(txn, "head", entry.campus_id, entry.subject, -1)
            touch_registration(txn, entry.account_id)

        return _outcome(build)

    def skip(self, entry: WaitlistEntry) -> bool:
        """A student who can no longer take the seat leaves the list (R-WAIT-2); False if gone already."""
        try:
            self.leave(entry)
        except NotFound:
            return False
        return True

    def give_back(self, seat: PendingSeat) -> OfferOutcome:
        """Nobody waits any more: the seat goes back to its counter (only while the list is empty)."""

        def build(txn: Txn) -> None:
            txn.check(
                "waiting",
                WaitlistHeadItem,
                keys.waitlist_pk(seat.campus_id, seat.subject),
                keys.HEAD_SK,
                nobody_waiting(),
            )
            txn.delete(
                "seat",
                PendingSeatItem(keys.pending_seat_pk(seat.offer_id), keys.PENDING_SK),
                PendingSeatItem.pk.exists(),
            )
            unseat_op(txn, "unseat", seat.counter)

        return _outcome(build)


def _outcome(build: Callable[[Txn], None]) -> OfferOutcome:
    try:
        run(connection(), build)
    except ConditionsFailed as failed:
        if "seat" in failed.labels:
            return OfferOutcome.SEAT_GONE
        if "entry" in failed.labels:
            return OfferOutcome.ENTRY_GONE
        if "waiting" in failed.labels:
            return OfferOutcome.SOMEONE_WAITS
        return OfferOutcome.CANNOT_TAKE  # the slot filled, or the registration went, meanwhile
    return OfferOutcome.DONE
