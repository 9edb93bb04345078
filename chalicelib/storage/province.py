"""Loading a province into its table, in an order that never leaves a sealed number without its
data key, nor a searchable table under a key it was not loaded with (decision 0013); the rows
through parallel batch writes (storage/batch.py), the load remembered by its record (R-OPS-3)."""

from __future__ import annotations

import base64
import json
from collections.abc import Container, Iterable
from dataclasses import replace
from datetime import datetime

from pynamodb.exceptions import DoesNotExist, PynamoDBException

from chalicelib.domain.catalog import Catalog
from chalicelib.domain.clock import iso, parse_iso
from chalicelib.domain.identity import Conversion, IdentityMark, Protection, WrappedDataKey
from chalicelib.domain.province import LoadRecord, Progress, Written
from chalicelib.domain.reload import ChangesRead
from chalicelib.domain.roll import Cet4Record, RollEntry
from chalicelib.storage import catalog_items, codec, keys, keys_ops
from chalicelib.storage.batch import put_requests, write_all
from chalicelib.storage.catalog import read_identity_mark
from chalicelib.storage.identity_conversion import convert_table
from chalicelib.storage.models import (
    BindingItem,
    CatalogPartItem,
    ChangeItem,
    ChangesSettledItem,
    DataKeyItem,
    LoadRecordItem,
    RollItem,
    TableItem,
)
from chalicelib.storage.seats import set_seats
from chalicelib.storage.sitting import keep_seed
from chalicelib.storage.tables import connection
from chalicelib.storage.transactions import ConditionsFailed, Txn, run
from chalicelib.storage.waiting_room import keep_seeds


class DynamoProvince:
    def reachable(self) -> bool:
        try:
            CatalogPartItem.get(keys.CATALOG_PK, keys.PROVINCE_SK)
        except DoesNotExist:
            return True  # the table answered; the province is not loaded yet
        except PynamoDBException:
            return False
        return True

    def withdraw_identity_mark(self, target: IdentityMark) -> None:
        catalog_items.identity_mark_part(target, keys.IDENTITY_PENDING_SK).save()
        CatalogPartItem(keys.CATALOG_PK, keys.IDENTITY_SK).delete()

    def keep_data_key(self, key: WrappedDataKey, now: datetime) -> None:
        save_data_key(key, now)

    def identity_mark(self) -> IdentityMark | None:
        return read_identity_mark()

    def pending_identity_mark(self) -> IdentityMark | None:
        return read_identity_mark(keys.IDENTITY_PENDING_SK)

    def province_loaded(self) -> bool:
        try:
            CatalogPartItem.get(keys.CATALOG_PK, keys.PROVINCE_SK)
        except DoesNotExist:
            return False
        return True

    def convert_identities(self, protection: Protection, progress: Progress | None = None) -> Conversion:
        return convert_table(protection, progress)

    def write_catalog(self, catalog: Catalog) -> None:
        # The seat counters first, so the catalog never names a shard that does not exist yet.
        shards = {
            (o.campus_id, o.subject): set_seats(o, catalog.province.seat_shard_size)
            for campus in catalog.campuses.values()
            for o in campus.oral
        }
        catalog = replace(
            catalog,
            campuses={
                campus_id: replace(
                    campus, oral=tuple(replace(o, shards=shards[(o.campus_id, o.subject)]) for o in campus.oral)
                )
                for campus_id, campus in catalog.campuses.items()
            },
        )
        if catalog.exam is not None:
            keep_seed(catalog.exam)  # R-ROOM-2: drawn before the catalog names the sitting
        else:
            CatalogPartItem(keys.CATALOG_PK, keys.EXAM_SK).delete()  # no sitting: no room plan
        write_all(put_requests(catalog_items.catalog_parts(catalog)))
        keep_seeds(catalog.openings.values())  # R-QUEUE-3: before any queue opens

    def write_roll(self, entries: Iterable[RollEntry], written: Written | None = None) -> int:
        return write_all(({"PutRequest": {"Item": codec.roll_attributes(e)}} for e in entries), written)

    def write_scores(self, records: Iterable[Cet4Record], written: Written | None = None) -> int:
        return write_all(({"PutRequest": {"Item": codec.cet4_attributes(r)}} for r in records), written)

    def prune_roll(self, keep: Container[str]) -> int:
        """R-OPS-3: each entry not kept goes in a transaction with the check that no registration
        is bound to its candidate: a student binding at that moment keeps it, or finds it gone."""
        pruned = 0
        pages = (
            connection()
            .client.get_paginator("scan")
            .paginate(
                TableName=TableItem.Meta.table_name,
                FilterExpression="#kind = :roll",
                ProjectionExpression="pk",
                ExpressionAttributeNames={"#kind": "kind"},
                ExpressionAttributeValues={":roll": {"S": "roll"}},
            )
        )
        for page in pages:
            for raw in page.get("Items", []):
                roll = raw["pk"]["S"]
                if keys.candidate_of_roll(roll) not in keep and _delete_unbound(roll):
                    pruned += 1
        return pruned

    def load_record(self, load_id: str) -> LoadRecord | None:
        try:
            item = LoadRecordItem.get(keys_ops.load_pk(load_id), keys_ops.LOAD_SK, consistent_read=True)
        except DoesNotExist:
            return None
        return LoadRecord(
            load_id,
            parse_iso(item.started_at),
            tuple(str(name) for name in item.files or ()),
            parse_iso(item.completed_at) if item.completed_at else None,
            {kind: int(count) for kind, count in json.loads(item.written or "{}").items()},
            int(item.pruned or 0),
        )

    def save_load_record(self, record: LoadRecord) -> None:
        LoadRecordItem(
            keys_ops.load_pk(record.load_id),
            keys_ops.LOAD_SK,
            files=list(record.files),
            started_at=iso(record.started_at),
            completed_at=iso(record.completed_at) if record.completed_at else None,
            written=json.dumps(record.written, sort_keys=True),
            pruned=record.pruned,
        ).save()

    def table_catalog(self) -> Catalog | None:
        """The catalog as the table holds it now (read strongly consistent); None before any load."""
        parts = list(CatalogPartItem.query(keys.CATALOG_PK, consistent_read=True))
        if not any(part.sk == keys.PROVINCE_SK for part in parts):
            return None
        return catalog_items.catalog_from_parts(parts)

    def settled_through(self) -> str | None:
        try:
            return ChangesSettledItem.get(keys_ops.CHANGES_SETTLED_PK, keys_ops.MARK_SK, consistent_read=True).through
        except DoesNotExist:
            return None

    def changes_after(self, through: str | None) -> ChangesRead:
        after = None if through is None else ChangeItem.sk > through
        whats, last = set(), None
        for item in ChangeItem.query(keys_ops.CHANGES_PK, after, consistent_read=True):
            if isinstance(item, ChangeItem):
                whats.add(item.what)
                last = item.sk
        return ChangesRead(frozenset(whats), last)

    def settle_changes(self, through: str | None, load_id: str, at: datetime) -> None:
        ChangesSettledItem(
            keys_ops.CHANGES_SETTLED_PK, keys_ops.MARK_SK, through=through, load_id=load_id, at=iso(at)
        ).save()

    def mark_identity(self, mark: IdentityMark) -> None:
        catalog_items.identity_mark_part(mark).save()
        CatalogPartItem(keys.CATALOG_PK, keys.IDENTITY_PENDING_SK).delete()  # a conversion, if any, is complete


def _delete_unbound(roll: str) -> bool:
    """The roll entry at pk `roll` goes, unless its candidate is bound."""
    binding = keys.candidate_pk(keys.candidate_of_roll(roll))

    def build(txn: Txn) -> None:
        txn.check("binding", BindingItem, binding, keys.BINDING_SK, BindingItem.pk.does_not_exist())
        txn.delete("roll", RollItem(roll, keys.ROLL_SK))

    try:
        run(connection(), build)
    except ConditionsFailed:
        return False  # bound: it stays
    return True


def save_data_key(key: WrappedDataKey, now: datetime) -> None:
    DataKeyItem(
        keys_ops.data_key_pk(key.key_id),
        keys_ops.DATAKEY_SK,
        key_id=key.key_id,
        wrapped=base64.b64encode(key.wrapped).decode(),
        wrapped_by=key.wrapped_by,
        created_at=iso(now),
    ).save()


def wrapped_data_key(key_id: str) -> tuple[bytes, str] | None:
    """For an Opener (chalicelib/protection/envelope.py): a data key's wrapped form by its id."""
    try:
        item = DataKeyItem.get(keys_ops.data_key_pk(key_id), keys_ops.DATAKEY_SK)
    except DoesNotExist:
        return None
    return base64.b64decode(item.wrapped), item.wrapped_by
