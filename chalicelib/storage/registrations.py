"""The registration, its binding and its subjects: conditional writes and transactions (data-model
access patterns 11-19), failures turned into domain errors."""

from __future__ import annotations

import contextlib
import json
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from pynamodb.exceptions import DoesNotExist, UpdateError
from pynamodb.expressions.condition import Condition
from pynamodb.expressions.update import Action

from chalicelib.domain.clock import iso, parse_iso
from chalicelib.domain.errors import (
    AccountAlreadyBound,
    CampusFull,
    CandidateAlreadyBound,
    IdentityKeyUnavailable,
    LevelTaken,
    NotFound,
    SubjectPaid,
)
from chalicelib.domain.registration import (
    EMPTY_REGISTRATION_LIFETIME,
    AccountFile,
    ChosenSubject,
    Registration,
    SubjectStatus,
    in_order,
)
from chalicelib.domain.seats import Reclaimed, SeatGrab
from chalicelib.domain.waiting_room import QueueEntry
from chalicelib.storage import catalog_items, codec, figures, keys
from chalicelib.storage.models import (
    AccountItem,
    BindingItem,
    CatalogPartItem,
    OpenOrderItem,
    PendingSeatItem,
    RegistrationItem,
    ReviewItem,
    SeatReleaseItem,
    SubjectItem,
    TableItem,
    WaitlistHeadItem,
)
from chalicelib.storage.seats import shards_with_room, take_seat_op, unseat_op
from chalicelib.storage.tables import connection
from chalicelib.storage.transactions import ConditionsFailed, Txn, run
from chalicelib.storage.waiting_room import entry_from_item
from chalicelib.storage.waiting_room_items import QueueEntryItem

RELEASE_PROOF_KEPT = timedelta(days=40)


class DynamoRegistrations:
    def get(self, account_id: str) -> Registration | None:
        return self.file(account_id).registration

    def file(self, account_id: str) -> AccountFile:
        """One Query of the account's partition (data-model pattern 1); the items it does not
        need (codes, the login's throttle) come along and are dropped."""
        account: AccountItem | None = None
        registration: RegistrationItem | None = None
        review: ReviewItem | None = None
        open_order: OpenOrderItem | None = None
        subjects: list[ChosenSubject] = []
        queue_entries: dict[str, QueueEntry] = {}
        for item in TableItem.query(keys.account_pk(account_id)):
            if isinstance(item, QueueEntryItem):
                queue_entries[item.opening_id] = entry_from_item(item)
            elif isinstance(item, SubjectItem):
                subjects.append(codec.subject_from_item(item))
            elif isinstance(item, AccountItem):
                account = item
            elif isinstance(item, RegistrationItem):
                registration = item
            elif isinstance(item, ReviewItem):
                review = item
            elif isinstance(item, OpenOrderItem):
                open_order = item
        return AccountFile(
            account=codec.account_from_item(account) if account else None,
            registration=_registration(account_id, registration, subjects) if registration else None,
            review=codec.review_from_item(review) if review else None,
            open_order_id=open_order.order_id if open_order else None,
            queue_entries=queue_entries,
        )

    def bound_account(self, candidate_key: str) -> str | None:
        try:
            return BindingItem.get(keys.candidate_pk(candidate_key), keys.BINDING_SK).account_id
        except DoesNotExist:
            return None

    def bind(self, registration: Registration) -> None:
        """R-BIND-2: both sides of the binding in one transaction, each conditioned on absence."""
        account_id = registration.account_id
        snapshot = json.dumps(codec.roll_to_json(registration.candidate), ensure_ascii=False)
        due = keys.due_keys(account_id, registration.saved_at + EMPTY_REGISTRATION_LIFETIME, keys.REGISTRATION_SK)
        saved = RegistrationItem(
            keys.account_pk(account_id),
            keys.REGISTRATION_SK,
            account_id=account_id,
            candidate_key=registration.candidate.key,
            candidate=snapshot,
            saved_at=iso(registration.saved_at),
            version=0,
            gsi2pk=due[0],
            gsi2sk=due[1],
        )
        binding = BindingItem(keys.candidate_pk(registration.candidate.key), keys.BINDING_SK, account_id=account_id)

        version = registration.candidate.identity.key_version

        def build(txn: Txn) -> None:
            # the table still holds digests of this key version: no binding slips past a conversion
            txn.check(
                "identity",
                CatalogPartItem,
                keys.CATALOG_PK,
                keys.IDENTITY_SK,
                catalog_items.identity_version_is(version),
            )
            txn.put("account", saved, RegistrationItem.pk.does_not_exist())
            txn.put("candidate", binding, BindingItem.pk.does_not_exist())
            figures.registration_saved(txn, account_id, registration.saved_at, 1)  # R-OPS-1

        try:
            run(connection(), build)
        except ConditionsFailed as failed:
            if "identity" in failed.labels:
                raise IdentityKeyUnavailable() from None
            if "account" in failed.labels:
                raise AccountAlreadyBound() from None
            raise CandidateAlreadyBound() from None

    def add_subject(
        self,
        registration: Registration,
        chosen: ChosenSubject,
        replacing: ChosenSubject | None,
    ) -> None:
        now = chosen.chosen_at

        def build(txn: Txn, offered: Offered) -> None:
            touch_registration(txn, registration.account_id)
            take_slot_ops(txn, registration.account_id, chosen, replacing, now, offered)

        try:
            run_releasing(build)
        except ConditionsFailed as failed:
            if "registration" in failed.labels:
                raise NotFound("报名信息已不存在，请重新查询资格并保存。") from None
            if "seat" in failed.labels and "slot" not in failed.labels:
                raise CampusFull() from None
            # the slot, or the expired hold it held, changed meanwhile: another tab got there first
            raise LevelTaken() from None

    def remove_subject(self, account_id: str, chosen: ChosenSubject, now: datetime) -> None:
        def build(txn: Txn, offered: Offered) -> None:
            touch_registration(txn, account_id)
            drop_hold(txn, account_id, chosen, now, offered)

        try:
            run_releasing(build)
        except ConditionsFailed:
            raise SubjectPaid() from None

    def reclaim_expired_holds(self, seat: SeatGrab, now: datetime) -> Reclaimed:
        """R-PAY-1: holds past `pay_by` stop counting; their seats go back before anyone is refused.

        One query of the campus's holds in `pay_by` order, read up to the first live one: its
        `pay_by` is when the next seat can come back by expiry (what a "full" memo may not outlive).
        """
        holds = SubjectItem.by_group.query(
            keys.holds_pk(seat.campus_id, seat.subject),
            filter_condition=SubjectItem.status == SubjectStatus.UNPAID.value,
        )
        released = 0
        next_expiry: datetime | None = None
        for item in holds:
            if not isinstance(item, SubjectItem):
                continue
            hold = codec.subject_from_item(item)
            if hold.is_live(now):
                next_expiry = hold.pay_by
                break
            try:
                self.remove_subject(item.account_id, hold, now)
            except SubjectPaid:
                continue  # paid or released meanwhile
            released += 1
        return Reclaimed(released, next_expiry)

    def shards_with_room(self, seat: SeatGrab) -> list[int]:
        return shards_with_room(seat.campus_id, seat.subject)

    def overdue(self, now: datetime) -> list[str]:
        """Accounts with a hold or a registration due before `now` (GSI2), oldest first."""
        accounts: dict[str, None] = {}
        for shard in range(keys.DUE_SHARDS):
            for item in TableItem.by_due.query(keys.due_pk(shard), TableItem.gsi2sk < iso(now)):
                accounts[keys.value_of(item.pk, keys.account_pk)] = None
        return list(accounts)

    def reschedule(self, registration: Registration, due: datetime | None) -> None:
        """Move the registration's place in the expiry queue; `None` takes it out (paid)."""
        item = RegistrationItem(keys.account_pk(registration.account_id), keys.REGISTRATION_SK)
        pk, sk = keys.due_keys(registration.account_id, due, keys.REGISTRATION_SK)
        actions: list[Action] = (
            [RegistrationItem.gsi2pk.remove(), RegistrationItem.gsi2sk.remove()]
            if pk is None or sk is None
            else [RegistrationItem.gsi2pk.set(pk), RegistrationItem.gsi2sk.set(sk)]
        )
        with contextlib.suppress(UpdateError):  # deleted meanwhile: nothing to schedule
            item.update(actions=actions, condition=RegistrationItem.pk.exists())

    def release_seat(self, hold: ChosenSubject, now: datetime) -> bool:
        """Release a removed hold's seat unless someone already did; True if this call did."""
        try:
            run_releasing(lambda txn, offered: release_seat_ops(txn, hold, now, offered=offered))
        except ConditionsFailed:
            return False
        return True

    def removed_hold(self, old_image: dict[str, Any]) -> ChosenSubject | None:
        """The unpaid oral hold a stream REMOVE record carried, if that is what it was."""
        if old_image.get("kind", {}).get("S") != "subject":
            return None
        hold = codec.subject_from_item(SubjectItem.from_raw_data(old_image))
        if hold.status is not SubjectStatus.UNPAID or hold.campus_id is None:
            return None
        return hold

    def delete_registration(self, registration: Registration, now: datetime) -> None:
        """R-BIND-4: the registration, both sides of the binding and its unpaid holds, at once."""
        account_id = registration.account_id

        def build(txn: Txn, offered: Offered) -> None:
            txn.delete(
                "registration",
                RegistrationItem(keys.account_pk(account_id), keys.REGISTRATION_SK),
                RegistrationItem.version == registration.version,
            )
            txn.delete(
                "binding",
                BindingItem(keys.candidate_pk(registration.candidate.key), keys.BINDING_SK),
                BindingItem.account_id == account_id,
            )
            for chosen in registration.subjects:
                drop_hold(txn, account_id, chosen, now, offered)
            figures.registration_saved(txn, account_id, registration.saved_at, -1)  # R-OPS-1

        try:
            run_releasing(build)
        except ConditionsFailed:
            raise NotFound("报名信息已变化，请刷新后重试。") from None


def _registration(account_id: str, item: RegistrationItem, subjects: list[ChosenSubject]) -> Registration:
    return Registration(
        account_id=account_id,
        candidate=codec.roll_from_json(json.loads(item.candidate)),
        saved_at=parse_iso(item.saved_at),
        subjects=in_order(subjects),
        version=int(item.version),
    )


def touch_registration(txn: Txn, account_id: str) -> None:
    """Every change of subjects bumps the version, so a stale deletion cannot go through."""
    item = RegistrationItem(keys.account_pk(account_id), keys.REGISTRATION_SK)
    txn.update("registration", item, [RegistrationItem.version.add(1)], RegistrationItem.pk.exists())


def take_slot_ops(
    txn: Txn,
    account_id: str,
    chosen: ChosenSubject,
    replacing: ChosenSubject | None,
    now: datetime,
    offered: Offered = frozenset(),
) -> None:
    """The slot (empty, or holding exactly the expired `replacing`), and for an oral subject a seat
    in the shard `chosen` names, never beyond that shard's capacity (R-ORAL-4); the replaced hold's
    seat goes back (labels slot, seat).

    An expired hold replaced at the same counter shard (`chosen` names the same shard) passes its
    seat on, unless students wait for it (R-WAIT-2): then its seat is offered to them and the new
    hold needs a free seat like any grab."""
    slot_free = SubjectItem.pk.does_not_exist() if replacing is None else SubjectItem.hold_id == replacing.hold_id
    txn.put("slot", codec.subject_item(account_id, chosen), slot_free)
    same_counter = (
        replacing is not None
        and replacing.campus_id is not None
        and chosen.campus_id is not None
        and keys.counter_key(replacing) == keys.counter_key(chosen)
        and replacing.hold_id not in offered
    )
    if chosen.campus_id is not None and not same_counter:
        take_seat_op(txn, chosen)
    if replacing is not None and replacing.campus_id is not None:
        if same_counter:  # the seat passes to the new hold only while nobody waits for it
            txn.check(f"{WAITING}{replacing.hold_id}", WaitlistHeadItem, *_head_key(replacing), nobody_waiting())
        release_seat_ops(txn, replacing, now, count=not same_counter, offered=offered)


def drop_hold(txn: Txn, account_id: str, chosen: ChosenSubject, now: datetime, offered: Offered = frozenset()) -> None:
    """The unpaid hold goes, and with it, for an oral subject, its seat (once)."""
    item = SubjectItem(keys.account_pk(account_id), keys.subject_sk(chosen.slot))
    unpaid_same_hold = (SubjectItem.hold_id == chosen.hold_id) & (SubjectItem.status == SubjectStatus.UNPAID.value)
    txn.delete(f"hold:{chosen.hold_id}", item, unpaid_same_hold)
    if chosen.campus_id is not None:
        release_seat_ops(txn, chosen, now, offered=offered)


# The ids of holds whose seat goes to the waiting list as a pending seat instead of its counter.
Offered = frozenset[str]
WAITING = "waiting:"  # label of the condition that nobody waits for a released seat


def release_seat_ops(
    txn: Txn, hold: ChosenSubject, now: datetime, count: bool = True, offered: Offered = frozenset()
) -> None:
    """A seat goes back at most once: the release proof is written only if absent (decision 0006).

    R-WAIT-2: it goes back to its counter only if nobody waits for it (condition labelled
    `waiting:<hold_id>`); a hold in `offered` gives its seat to the waiting list instead, as a
    pending seat still counted as taken, so no grab can take it (see `run_releasing`)."""
    assert hold.campus_id is not None
    proof = SeatReleaseItem(
        keys.release_pk(hold.hold_id),
        keys.RELEASE_SK,
        hold_id=hold.hold_id,
        released_at=iso(now),
        expires=now + RELEASE_PROOF_KEPT,
    )
    txn.put(f"release:{hold.hold_id}", proof, SeatReleaseItem.pk.does_not_exist())
    if not count:
        return
    if hold.hold_id in offered:
        txn.put(f"pending:{hold.hold_id}", pending_seat_item(hold, now), PendingSeatItem.pk.does_not_exist())
        return
    txn.check(f"{WAITING}{hold.hold_id}", WaitlistHeadItem, *_head_key(hold), nobody_waiting())
    unseat_op(txn, f"unseat:{hold.hold_id}", keys.counter_key(hold))


def _head_key(hold: ChosenSubject) -> tuple[str, str]:
    assert hold.campus_id is not None
    return keys.waitlist_pk(hold.campus_id, hold.code), keys.HEAD_SK


def nobody_waiting() -> Condition:
    """The waiting list's head is absent (nobody ever waited) or counts nobody."""
    empty: Condition = WaitlistHeadItem.pk.does_not_exist() | (WaitlistHeadItem.waiting == 0)
    return empty


def pending_seat_item(hold: ChosenSubject, now: datetime) -> PendingSeatItem:
    """R-WAIT-2: the seat of `hold`, kept for the waiting list (in GSI1 `PENDING`, oldest first)."""
    assert hold.campus_id is not None
    return PendingSeatItem(
        keys.pending_seat_pk(hold.hold_id),
        keys.PENDING_SK,
        gsi1pk=keys.PENDING_SEATS,
        gsi1sk=keys.pending_order_sk(now, hold.hold_id),
        campus_id=hold.campus_id,
        subject=hold.code,
        counter=keys.counter_key(hold),
        released_at=iso(now),
    )


def run_releasing(build: Callable[[Txn, Offered], None], attempts: int = 3) -> None:
    """Run a transaction that may release seats: first to their counters; where students wait for
    a seat (its `waiting:` condition failed, and only such conditions), again with that seat going
    to the waiting list. Raises ConditionsFailed for any other failed condition."""
    offered: Offered = frozenset()
    for attempt in range(attempts):
        try:
            run(connection(), lambda txn, offered=offered: build(txn, offered))  # type: ignore[misc]
            return
        except ConditionsFailed as failed:
            waited = {label.removeprefix(WAITING) for label in failed.labels if label.startswith(WAITING)}
            if not waited or len(waited) < len(failed.labels) or attempt == attempts - 1:
                raise
            offered = offered | waited
