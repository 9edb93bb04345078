"""The catalog and the identity mark the table's digests were made with, read as the services see
them: cached 30 s per Lambda (never for the identity mark)."""

from __future__ import annotations

import json
import threading
import time

from pynamodb.exceptions import DoesNotExist

from chalicelib.domain.catalog import Catalog
from chalicelib.domain.identity import IdentityMark
from chalicelib.domain.seats import SeatGrab
from chalicelib.domain.sitting import ExamSitting
from chalicelib.storage import catalog_items, keys, sitting
from chalicelib.storage.models import (
    CatalogPartItem,
    SeatCounterItem,
)

CATALOG_CACHE_SECONDS = 30.0


class DynamoCatalog:
    """The catalog, cached 30 s per Lambda. When it goes stale one thread reads it again while the
    others go on with the old copy: no herd of reloads at the opening minute."""

    def __init__(self) -> None:
        self._cached: tuple[float, Catalog] | None = None
        self._refreshing = threading.Lock()

    def catalog(self) -> Catalog:
        cached = self._cached
        if cached and time.monotonic() - cached[0] < CATALOG_CACHE_SECONDS:
            return cached[1]
        if cached is not None:
            if not self._refreshing.acquire(blocking=False):
                return cached[1]  # another thread is reading it again
        else:
            self._refreshing.acquire()  # nothing to serve yet: wait for the first read
        try:
            again = self._cached
            if again and again is not cached and time.monotonic() - again[0] < CATALOG_CACHE_SECONDS:
                return again[1]  # read meanwhile by the thread this one waited for
            catalog = catalog_items.catalog_from_parts(list(CatalogPartItem.query(keys.CATALOG_PK)))
            self._cached = (time.monotonic(), catalog)
            return catalog
        finally:
            self._refreshing.release()

    def forget(self) -> None:
        """Read the catalog again at the next request: this Lambda just changed it (R-OPS-2); the
        others read it again within the cache's 30 s."""
        self._cached = None

    def sitting(self, with_seed: bool = False) -> ExamSitting | None:
        """R-ROOM-2: the catalog's sitting, its seed's digest read now (the seed only if asked)."""
        exam = self.catalog().exam
        return sitting.with_seed(exam, with_seed) if exam is not None else None

    def identity_mark(self) -> IdentityMark | None:
        mark = read_identity_mark()
        if self._cached and self._cached[1].identity != mark:
            self._cached = None  # the province was reloaded under another key: read it all again
        return mark

    def seats_taken(self, seats: list[SeatGrab]) -> dict[SeatGrab, int]:
        """Seats taken, every shard summed (one BatchGet of all the shards); a campus whose
        counters do not exist is absent from the answer."""
        catalog = self.catalog()
        wanted: dict[tuple[str, str], SeatGrab] = {}
        for seat in seats:
            campus = catalog.campuses.get(seat.campus_id)
            offering = campus.offering(seat.subject) if campus else None
            for shard in range(offering.shards if offering else 1):
                wanted[(keys.seats_pk(seat.campus_id, seat.subject, shard), keys.SEATS_SK)] = seat
        taken: dict[SeatGrab, int] = {}
        for item in SeatCounterItem.batch_get(list(wanted)) if wanted else []:
            seat = wanted[(item.pk, item.sk)]
            taken[seat] = taken.get(seat, 0) + int(item.taken)
        return taken


def read_identity_mark(sk: str = keys.IDENTITY_SK) -> IdentityMark | None:
    try:
        part = CatalogPartItem.get(keys.CATALOG_PK, sk, consistent_read=True)
    except DoesNotExist:
        return None
    return catalog_items.identity_mark_from(json.loads(part.body))
