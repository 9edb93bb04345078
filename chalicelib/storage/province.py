"""Loading a province into its table, in an order that never leaves a sealed number without its
data key, nor a searchable table under a key it was not loaded with (decision 0013)."""

from __future__ import annotations

import base64
import contextlib
from dataclasses import replace
from datetime import datetime

from pynamodb.exceptions import DoesNotExist, PynamoDBException
from pynamodb.expressions.update import Action

from chalicelib.domain.accounts import Account
from chalicelib.domain.catalog import OralOffering
from chalicelib.domain.clock import iso
from chalicelib.domain.identity import IdentityMark, WrappedDataKey
from chalicelib.domain.province import ProtectedProvince
from chalicelib.domain.seats import MAX_SEAT_SHARDS, reshard, shard_count
from chalicelib.services.ports import Conversion, Progress, Protection
from chalicelib.storage import codec
from chalicelib.storage.identity_conversion import convert_table
from chalicelib.storage.models import CatalogPartItem, DataKeyItem, SeatCounterItem, TableItem
from chalicelib.storage.queue import keep_seeds
from chalicelib.storage.registrations import seat_counter
from chalicelib.storage.repositories import DynamoAccounts, connection, read_identity_mark
from chalicelib.storage.transactions import ConditionsFailed, Txn, run

LOAD_CHUNK = 500
RESHARD_ATTEMPTS = 20
PENDING = "IDENTITY-PENDING"  # the mark a conversion is converting to, until it is done


class DynamoProvince:
    def reachable(self) -> bool:
        try:
            CatalogPartItem.get("CATALOG", "PROVINCE")
        except DoesNotExist:
            return True  # the table answered; the province is not loaded yet
        except PynamoDBException:
            return False
        return True

    def withdraw_identity_mark(self, target: IdentityMark) -> None:
        codec.identity_mark_part(target, PENDING).save()
        CatalogPartItem("CATALOG", "IDENTITY").delete()

    def keep_data_key(self, key: WrappedDataKey, now: datetime) -> None:
        save_data_key(key, now)

    def identity_mark(self) -> IdentityMark | None:
        return read_identity_mark()

    def pending_identity_mark(self) -> IdentityMark | None:
        return read_identity_mark(PENDING)

    def province_loaded(self) -> bool:
        try:
            CatalogPartItem.get("CATALOG", "PROVINCE")
        except DoesNotExist:
            return False
        return True

    def convert_identities(self, protection: Protection, progress: Progress | None = None) -> Conversion:
        return convert_table(protection, progress)

    def load_province(self, data: ProtectedProvince, staff: list[Account], progress: Progress | None = None) -> None:
        report = progress or (lambda _what, _done, _total: None)
        # The seat counters first, so the catalog never names a shard that does not exist yet.
        shards = {
            (o.campus_id, o.subject): set_seats(o, data.catalog.province.seat_shard_size)
            for campus in data.catalog.campuses.values()
            for o in campus.oral
        }
        catalog = replace(
            data.catalog,
            campuses={
                campus_id: replace(
                    campus, oral=tuple(replace(o, shards=shards[(o.campus_id, o.subject)]) for o in campus.oral)
                )
                for campus_id, campus in data.catalog.campuses.items()
            },
        )
        groups: list[tuple[str, list[TableItem]]] = [
            ("catalog", list(codec.catalog_parts(catalog))),
            ("roll", [codec.roll_item(entry) for entry in data.roll]),
            ("cet4_scores", [codec.cet4_item(record) for record in data.cet4_scores]),
        ]
        for what, items in groups:
            for start in range(0, len(items), LOAD_CHUNK):
                with TableItem.batch_write() as batch:
                    for item in items[start : start + LOAD_CHUNK]:
                        batch.save(item)
                report(what, min(start + LOAD_CHUNK, len(items)), len(items))
        keep_seeds(data.catalog.openings.values())  # R-QUEUE-3: before any queue opens
        accounts = DynamoAccounts()
        for account in staff:
            if accounts.by_login(account.login) is None:
                accounts.create(account)
        codec.identity_mark_part(data.identity).save()
        CatalogPartItem("CATALOG", PENDING).delete()  # a conversion, if any, is complete


def set_seats(offering: OralOffering, seat_shard_size: int | None) -> int:
    """Write an offering's seat shards; returns how many there are (decision 0019).

    A reload changes capacities but never forgets a seat taken: no shard's capacity falls below its
    `taken`, and shards are never removed (a hold in one gives its seat back there), so a reload
    may raise the count but never lowers it. A province's old single counter is folded into shard
    0, where the holds it counted (stored without a shard) give their seats back.
    """
    campus_id, subject = offering.campus_id, offering.subject
    keys = [codec.unsharded_seats_pk(campus_id, subject)]
    keys += [codec.seats_pk(campus_id, subject, n) for n in range(MAX_SEAT_SHARDS)]
    for _ in range(RESHARD_ATTEMPTS):
        found = {item.pk: item for item in SeatCounterItem.batch_get([(pk, "SEATS") for pk in keys])}
        old = found.get(keys[0])
        if old is not None:
            _fold_unsharded(old, seat_counter(campus_id, subject, 0))
            continue
        present = [n for n in range(MAX_SEAT_SHARDS) if keys[n + 1] in found]
        held = [
            int(found[keys[n + 1]].taken) if keys[n + 1] in found else 0 for n in range(max(present, default=-1) + 1)
        ]
        capacities = reshard(offering.capacity, shard_count(offering.capacity, seat_shard_size), held)

        def build(txn: Txn, capacities: list[int] = capacities) -> None:
            for n, capacity in enumerate(capacities):
                actions: list[Action] = [
                    SeatCounterItem.kind.set(SeatCounterItem),
                    SeatCounterItem.campus_id.set(campus_id),
                    SeatCounterItem.subject.set(subject),
                    SeatCounterItem.shard.set(n),
                    SeatCounterItem.capacity.set(capacity),
                    SeatCounterItem.taken.set(SeatCounterItem.taken | 0),
                ]
                still = SeatCounterItem.taken.does_not_exist() | (SeatCounterItem.taken <= capacity)
                txn.update(f"shard:{n}", seat_counter(campus_id, subject, n), actions, still)

        try:
            run(connection(), build)
        except ConditionsFailed:
            continue  # grabs moved a shard meanwhile: read them again
        return len(capacities)
    raise RuntimeError(f"the seats of {campus_id} {subject} kept changing while being reloaded")


def _fold_unsharded(old: SeatCounterItem, shard0: SeatCounterItem) -> None:
    """The old counter's seats taken move to shard 0 in one transaction, once."""
    taken = int(old.taken)

    def build(txn: Txn) -> None:
        txn.delete("old", old, SeatCounterItem.taken == taken)
        actions: list[Action] = [
            SeatCounterItem.kind.set(SeatCounterItem),
            SeatCounterItem.campus_id.set(old.campus_id),
            SeatCounterItem.subject.set(old.subject),
            SeatCounterItem.shard.set(0),
            SeatCounterItem.capacity.set(SeatCounterItem.capacity | 0),
            SeatCounterItem.taken.set((SeatCounterItem.taken | 0) + taken),
        ]
        txn.update("shard:0", shard0, actions)

    with contextlib.suppress(ConditionsFailed):  # a grab or a release moved it: read it again
        run(connection(), build)


def save_data_key(key: WrappedDataKey, now: datetime) -> None:
    DataKeyItem(
        f"DATAKEY#{key.key_id}",
        "DATAKEY",
        key_id=key.key_id,
        wrapped=base64.b64encode(key.wrapped).decode(),
        wrapped_by=key.wrapped_by,
        created_at=iso(now),
    ).save()


def wrapped_data_key(key_id: str) -> tuple[bytes, str] | None:
    """For an Opener (chalicelib/protection/envelope.py): a data key's wrapped form by its id."""
    try:
        item = DataKeyItem.get(f"DATAKEY#{key_id}", "DATAKEY")
    except DoesNotExist:
        return None
    return base64.b64decode(item.wrapped), item.wrapped_by
