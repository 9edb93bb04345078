"""Loading a province into its table, in an order that never leaves a sealed number without its
data key, nor a searchable table under a key it was not loaded with (decision 0013)."""

from __future__ import annotations

import base64
from datetime import datetime

from pynamodb.exceptions import DoesNotExist, PynamoDBException

from chalicelib.domain.accounts import Account
from chalicelib.domain.clock import iso
from chalicelib.domain.identity import IdentityMark, WrappedDataKey
from chalicelib.domain.province import ProtectedProvince
from chalicelib.services.ports import Conversion, Progress, Protection
from chalicelib.storage import codec
from chalicelib.storage.identity_conversion import convert_table
from chalicelib.storage.models import CatalogPartItem, DataKeyItem, SeatCounterItem, TableItem
from chalicelib.storage.queue import keep_seeds
from chalicelib.storage.repositories import DynamoAccounts, read_identity_mark

LOAD_CHUNK = 500
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
        groups: list[tuple[str, list[TableItem]]] = [
            ("catalog", list(codec.catalog_parts(data.catalog))),
            ("roll", [codec.roll_item(entry) for entry in data.roll]),
            ("cet4_scores", [codec.cet4_item(record) for record in data.cet4_scores]),
        ]
        for what, items in groups:
            for start in range(0, len(items), LOAD_CHUNK):
                with TableItem.batch_write() as batch:
                    for item in items[start : start + LOAD_CHUNK]:
                        batch.save(item)
                report(what, min(start + LOAD_CHUNK, len(items)), len(items))
        for campus in data.catalog.campuses.values():
            for offering in campus.oral:
                self._set_capacity(offering.campus_id, offering.subject, offering.capacity)
        keep_seeds(data.catalog.openings.values())  # R-QUEUE-3: before any queue opens
        accounts = DynamoAccounts()
        for account in staff:
            if accounts.by_login(account.login) is None:
                accounts.create(account)
        codec.identity_mark_part(data.identity).save()
        CatalogPartItem("CATALOG", PENDING).delete()  # a conversion, if any, is complete

    @staticmethod
    def _set_capacity(campus_id: str, subject: str, capacity: int) -> None:
        """A reload changes capacity but never forgets the seats already taken."""
        counter = SeatCounterItem(codec.seats_pk(campus_id, subject), "SEATS")
        counter.update(
            actions=[
                SeatCounterItem.kind.set(SeatCounterItem),
                SeatCounterItem.campus_id.set(campus_id),
                SeatCounterItem.subject.set(subject),
                SeatCounterItem.capacity.set(capacity),
                SeatCounterItem.taken.set(SeatCounterItem.taken | 0),
            ]
        )


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
