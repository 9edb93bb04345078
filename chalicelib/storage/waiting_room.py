"""The waiting room's items (R-QUEUE): entries in the account's partition, indexed for the admission
job on sharded GSI1 keys; an opening's progress and seed in the opening's own partition.

A join is one conditional put (one item, one index write): no counter every join would touch.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime

from pynamodb.exceptions import DeleteError, DoesNotExist, PutError, PynamoDBException, UpdateError
from pynamodb.expressions.condition import Condition
from pynamodb.expressions.update import Action

from chalicelib.domain.clock import iso, parse_iso, precise_iso
from chalicelib.domain.messages import Message
from chalicelib.domain.waiting_room import Opening, OpeningProgress, QueueClaim, QueueEntry, draw_seed, seed_sha256
from chalicelib.storage import codec, keys
from chalicelib.storage.messages import outbox_item
from chalicelib.storage.models import JobLeaseItem, OutboxItem, TableItem
from chalicelib.storage.tables import connection
from chalicelib.storage.transactions import ConditionsFailed, Txn, error_code, run
from chalicelib.storage.waiting_room_items import (
    OpeningProgressItem,
    OpeningSeedItem,
    QueueClaimItem,
    QueueEntryItem,
    QueuePlaceItem,
)

PROGRESS_CACHE_SECONDS = 5.0  # GET /openings: one read per container per few seconds, not per request
PLACING_THREADS = 32  # about 6,000 places/s from one function (decision 0021)


def _optional(text: str | None) -> datetime | None:
    return codec.optional_time(text)


def entry_item(entry: QueueEntry) -> QueueEntryItem:
    return QueueEntryItem(
        keys.account_pk(entry.account_id),
        keys.queue_sk(entry.opening_id),
        gsi1pk=keys.queue_shard_pk(entry.opening_id, keys.queue_shard_of(entry.account_id)),
        gsi1sk=keys.place_sk(entry.position) if entry.position else keys.arrival_sk(entry.joined_at, entry.account_id),
        account_id=entry.account_id,
        opening_id=entry.opening_id,
        joined_at=precise_iso(entry.joined_at),
        round=entry.round,
        position=entry.position,
        admitted_at=codec.optional_iso(entry.admitted_at),
        admitted_until=codec.optional_iso(entry.admitted_until),
        candidate=entry.candidate,
    )


def entry_from_item(item: QueueEntryItem) -> QueueEntry:
    return QueueEntry(
        account_id=item.account_id,
        opening_id=item.opening_id,
        joined_at=parse_iso(item.joined_at),
        round=int(item.round or 0),
        position=int(item.position) if item.position is not None else None,
        admitted_at=_optional(item.admitted_at),
        admitted_until=_optional(item.admitted_until),
        candidate=item.candidate,
    )


def place_item(entry: QueueEntry, position: int) -> QueuePlaceItem:
    """R-QUEUE-6: the place a replaced entry held, kept at that place in the opening's index."""
    return QueuePlaceItem(
        keys.account_pk(entry.account_id),
        keys.queue_place_sk(entry.opening_id, position),
        gsi1pk=keys.queue_shard_pk(entry.opening_id, keys.queue_shard_of(entry.account_id)),
        gsi1sk=keys.place_sk(position),
        account_id=entry.account_id,
        position=position,
    )


def _still(entry: QueueEntry) -> Condition:
    """The account's entry is still `entry`: the same round, and the place it had (none: none yet)."""
    place: Condition = (
        QueueEntryItem.position.does_not_exist()
        if entry.position is None
        else QueueEntryItem.position == entry.position
    )
    still: Condition = (QueueEntryItem.round == entry.round) & place
    return still


def progress_from_item(item: OpeningProgressItem, seed: str | None = None) -> OpeningProgress:
    return OpeningProgress(
        seed_sha256=item.seed_sha256,
        seed=item.seed or seed,
        queued=int(item.queued or 0),
        admitted=int(item.admitted or 0),
        ordered=int(item.ordered) if item.ordered is not None else None,
        positioned=int(item.positioned or 0),
    )


def keep_seeds(openings: Iterable[Opening]) -> None:
    """R-QUEUE-3: each opening's seed is drawn once, at the first load that declares it; a reload
    keeps it (and its published digest)."""
    for opening in openings:
        seed = draw_seed()

        def build(txn: Txn, opening_id: str = opening.id, seed: str = seed) -> None:
            pk = keys.opening_pk(opening_id)
            txn.put("seed", OpeningSeedItem(pk, keys.SEED_SK, seed=seed), OpeningSeedItem.pk.does_not_exist())
            progress = OpeningProgressItem(pk, keys.PROGRESS_SK, opening_id=opening_id, seed_sha256=seed_sha256(seed))
            txn.put("progress", progress, OpeningProgressItem.pk.does_not_exist())

        try:
            run(connection(), build)
        except ConditionsFailed:
            continue  # drawn at an earlier load


class DynamoWaitingRoom:
    def __init__(self) -> None:
        self._progress: dict[str, tuple[float, OpeningProgress]] = {}
        self._lock = threading.Lock()

    # The student's entry, and the candidate's claim on one
    def entry(self, account_id: str, opening_id: str) -> QueueEntry | None:
        try:
            item = QueueEntryItem.get(keys.account_pk(account_id), keys.queue_sk(opening_id), consistent_read=True)
        except DoesNotExist:
            return None
        return entry_from_item(item)

    def claim(self, candidate: str, opening_id: str) -> QueueClaim | None:
        try:
            item = QueueClaimItem.get(keys.candidate_pk(candidate), keys.queue_sk(opening_id), consistent_read=True)
        except DoesNotExist:
            return None
        return QueueClaim(item.account_id, int(item.round or 0))

    def join(self, entry: QueueEntry, replacing: QueueEntry | None, claimed: QueueClaim | None) -> bool:
        """One transaction: the entry, unless the account's changed from `replacing` (None: the
        account has none), and its candidate's claim on it, unless that changed from `claimed`
        (None: the candidate has none). Two accounts of one candidate joining at once: one wins."""
        if entry.candidate is None:
            raise ValueError("an entry names its candidate (R-QUEUE-2)")
        claim = QueueClaimItem(
            keys.candidate_pk(entry.candidate),
            keys.queue_sk(entry.opening_id),
            account_id=entry.account_id,
            round=entry.round,
        )
        claim_condition: Condition = (
            QueueClaimItem.pk.does_not_exist()
            if claimed is None
            else (QueueClaimItem.account_id == claimed.account_id) & (QueueClaimItem.round == claimed.round)
        )
        entry_condition: Condition = QueueEntryItem.pk.does_not_exist() if replacing is None else _still(replacing)

        def build(txn: Txn) -> None:
            txn.put("claim", claim, claim_condition)
            txn.put("entry", entry_item(entry), entry_condition)
            if replacing is not None and replacing.position is not None:  # R-QUEUE-6: the order keeps it
                txn.put("place", place_item(replacing, replacing.position), None)

        try:
            run(connection(), build)
        except ConditionsFailed:
            return False
        return True

    # The opening's progress
    def progress(self, opening_id: str, with_seed: bool) -> OpeningProgress | None:
        """For GET /openings: a few seconds old at most; the seed only when asked (after `opens_at`)."""
        key = f"{opening_id}#{with_seed}"
        with self._lock:
            cached = self._progress.get(key)
        if cached and time.monotonic() - cached[0] < PROGRESS_CACHE_SECONDS:
            return cached[1]
        found = self.progress_now(opening_id, with_seed)
        if found is not None:
            with self._lock:
                self._progress[key] = (time.monotonic(), found)
        return found

    def progress_now(self, opening_id: str, with_seed: bool = False) -> OpeningProgress | None:
        pk = keys.opening_pk(opening_id)
        wanted = [(pk, keys.PROGRESS_SK), (pk, keys.SEED_SK)] if with_seed else [(pk, keys.PROGRESS_SK)]
        found = {item.sk: item for item in TableItem.batch_get(wanted, consistent_read=True)}
        progress = found.get(keys.PROGRESS_SK)
        if not isinstance(progress, OpeningProgressItem):
            return None
        seed = found.get(keys.SEED_SK)
        return progress_from_item(progress, seed.seed if isinstance(seed, OpeningSeedItem) else None)

    def seed(self, opening_id: str) -> str | None:
        try:
            return str(OpeningSeedItem.get(keys.opening_pk(opening_id), keys.SEED_SK, consistent_read=True).seed)
        except DoesNotExist:
            return None

    def save_progress(self, opening_id: str, progress: OpeningProgress) -> None:
        """Counts only ever grow: a slower runner never writes an older picture over a newer one."""
        item = OpeningProgressItem(keys.opening_pk(opening_id), keys.PROGRESS_SK)
        actions: list[Action] = [
            OpeningProgressItem.queued.set(progress.queued),
            OpeningProgressItem.admitted.set(progress.admitted),
            OpeningProgressItem.positioned.set(progress.positioned),
        ]
        if progress.ordered is not None:
            actions.append(OpeningProgressItem.ordered.set(progress.ordered))
        if progress.seed is not None:
            actions.append(OpeningProgressItem.seed.set(progress.seed))
        condition = (
            OpeningProgressItem.pk.exists()
            & (OpeningProgressItem.admitted <= progress.admitted)
            & (OpeningProgressItem.positioned <= progress.positioned)
        )
        _updated(item, actions, condition)  # a newer picture is already there: nothing to write

    # The admission job's reads, shard by shard
    def arrivals(self, opening_id: str) -> list[QueueEntry]:
        """Entries without a place yet, in arrival order."""
        found = self._each_shard(opening_id, QueueEntryItem.gsi1sk.startswith(keys.ARRIVALS_PREFIX))
        return sorted(found, key=lambda e: (e.joined_at, e.account_id))

    def waiting_count(self, opening_id: str) -> int:
        def count(shard: str) -> int:
            return int(QueueEntryItem.by_group.count(shard, QueueEntryItem.gsi1sk.startswith(keys.ARRIVALS_PREFIX)))

        with ThreadPoolExecutor(max_workers=8) as pool:
            return sum(pool.map(count, self._shards(opening_id)))

    def placed_between(self, opening_id: str, first: int, last: int) -> list[QueueEntry]:
        found = self._each_shard(opening_id, QueueEntryItem.gsi1sk.between(keys.place_sk(first), keys.place_sk(last)))
        return sorted(found, key=lambda e: e.position or 0)

    def kept_places(self, opening_id: str, first: int, last: int) -> set[int]:
        between = QueuePlaceItem.gsi1sk.between(keys.place_sk(first), keys.place_sk(last))

        def read(shard: str) -> list[int]:
            items = QueuePlaceItem.by_group.query(shard, between, attributes_to_get=["kind", "position"])
            return [int(item.position) for item in items if isinstance(item, QueuePlaceItem)]

        with ThreadPoolExecutor(max_workers=8) as pool:
            return {place for found in pool.map(read, self._shards(opening_id)) for place in found}

    def last_position(self, opening_id: str) -> int:
        """The highest place given: an entry's, or one kept by an entry replaced since (R-QUEUE-6), so
        a job resumed after a crash never gives a kept place again. Queried on the table's base
        class: a model's own query would filter on its kind."""

        def last(shard: str) -> int:
            for item in TableItem.by_group.query(
                shard,
                TableItem.gsi1sk.startswith(keys.PLACES_PREFIX),
                scan_index_forward=False,
                limit=1,
            ):
                return int(item.position or 0) if isinstance(item, QueueEntryItem | QueuePlaceItem) else 0
            return 0

        with ThreadPoolExecutor(max_workers=8) as pool:
            return max(pool.map(last, self._shards(opening_id)), default=0)

    def pre_opening_page(self, opening_id: str, first: int, last: int) -> dict[int, str]:
        """R-QUEUE-6: the account id at each place from `first` to `last` (entries, and places kept
        by entries since replaced): per shard one Query bounded by the places' range, limited to
        their number, projecting only the kind, the account and the place."""
        between = TableItem.gsi1sk.between(keys.place_sk(first), keys.place_sk(last))

        def read(shard: str) -> list[tuple[int, str]]:
            items = TableItem.by_group.query(
                shard, between, limit=last - first + 1, attributes_to_get=["kind", "account_id", "position"]
            )
            return [
                (int(item.position), item.account_id)
                for item in items
                if isinstance(item, QueueEntryItem | QueuePlaceItem) and item.position is not None
            ]

        with ThreadPoolExecutor(max_workers=8) as pool:
            return dict(found for page in pool.map(read, self._shards(opening_id)) for found in page)

    @staticmethod
    def _shards(opening_id: str) -> list[str]:
        return [keys.queue_shard_pk(opening_id, n) for n in range(keys.QUEUE_SHARDS)]

    def _each_shard(self, opening_id: str, condition: Condition) -> list[QueueEntry]:
        def read(shard: str) -> list[QueueEntry]:
            items = QueueEntryItem.by_group.query(shard, condition)
            return [entry_from_item(item) for item in items if isinstance(item, QueueEntryItem)]

        with ThreadPoolExecutor(max_workers=8) as pool:
            return [entry for found in pool.map(read, self._shards(opening_id)) for entry in found]

    # The admission job's writes, each conditional
    def place(self, entry: QueueEntry, position: int) -> bool:
        """Give the entry its place, unless it re-joined meanwhile or holds another place."""
        item = QueueEntryItem(keys.account_pk(entry.account_id), keys.queue_sk(entry.opening_id))
        condition = (QueueEntryItem.round == entry.round) & (
            QueueEntryItem.position.does_not_exist() | (QueueEntryItem.position == position)
        )
        return _updated(
            item, [QueueEntryItem.position.set(position), QueueEntryItem.gsi1sk.set(keys.place_sk(position))], condition
        )

    def place_many(self, places: list[tuple[QueueEntry, int]]) -> int:
        """Many places at once (the pre-opening pool): writes in parallel, each as `place`; how
        many were written or found already so."""
        with ThreadPoolExecutor(max_workers=PLACING_THREADS) as pool:
            return sum(pool.map(lambda given: self.place(*given), places))

    def admit(self, entry: QueueEntry, at: datetime, until: datetime, notice: Message | None = None) -> bool:
        """Admit the entry at its place, once: never twice, never a re-joined entry's old place;
        its message (R-NOTE-2) in the same transaction, so it is written once with it."""
        if entry.position is None:
            return False
        item = QueueEntryItem(keys.account_pk(entry.account_id), keys.queue_sk(entry.opening_id))
        condition = (
            (QueueEntryItem.round == entry.round)
            & (QueueEntryItem.position == entry.position)
            & QueueEntryItem.admitted_at.does_not_exist()
        )
        actions: list[Action] = [QueueEntryItem.admitted_at.set(iso(at)), QueueEntryItem.admitted_until.set(iso(until))]
        if notice is None:
            return _updated(item, actions, condition)

        def build(txn: Txn) -> None:
            txn.update("entry", item, actions, condition)
            txn.put("notice", outbox_item(notice), OutboxItem.pk.does_not_exist())

        try:
            run(connection(), build)
        except ConditionsFailed:
            return False
        return True

    def admit_many(self, admissions: list[tuple[QueueEntry, Message | None]], at: datetime, until: datetime) -> int:
        """A minute's batch, each as `admit`, one after another: moto's transactions are not safe
        to run from threads, and the tests' stores must behave as the deployed one does."""
        return sum(self.admit(entry, at, until, notice) for entry, notice in admissions)

    # One runner at a time
    def take_lease(self, name: str, holder: str, now: datetime, until: datetime) -> bool:
        lease = JobLeaseItem(keys.lease_pk(name), keys.LEASE_SK, holder=holder, until=precise_iso(until))
        try:
            lease.save(condition=JobLeaseItem.pk.does_not_exist() | (JobLeaseItem.until < precise_iso(now)))
        except PutError as error:
            if _condition_failed(error):
                return False
            raise
        return True

    def release_lease(self, name: str, holder: str) -> None:
        try:
            JobLeaseItem(keys.lease_pk(name), keys.LEASE_SK).delete(condition=JobLeaseItem.holder == holder)
        except DeleteError as error:
            if not _condition_failed(error):
                raise


def _updated(item: TableItem, actions: list[Action], condition: Condition) -> bool:
    """One conditional update: False when the condition kept it from being written."""
    try:
        item.update(actions=actions, condition=condition)
    except UpdateError as error:
        if _condition_failed(error):
            return False
        raise
    return True


def _condition_failed(error: PynamoDBException) -> bool:
    return error_code(error) == "ConditionalCheckFailedException"
