"""The province administrator's reads and changes (R-OPS-1, R-OPS-2, data-model patterns 45-49).

Every change is one transaction: the catalog parts it rewrites, each conditioned on being what was
read, and its change-log item. A seat capacity is re-split over the counter shards with a condition
on every shard's `taken`, so a grab in between never oversells (decision 0019); seats a raise frees
while students wait become pending seats in the same transaction, offered in list order (R-WAIT-2).
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable
from dataclasses import replace
from datetime import datetime
from typing import Any

from pynamodb.exceptions import DoesNotExist
from pynamodb.expressions.condition import Condition

from chalicelib.domain.administration import (
    PROVINCE_NOTICE,
    CapacityChanged,
    Change,
    Figures,
    SeatCount,
    notice_what,
    seats_what,
    window_state,
    window_what,
)
from chalicelib.domain.catalog import Catalog, Window
from chalicelib.domain.clock import iso, parse_iso
from chalicelib.domain.errors import Busy, CapacityBelowTaken, InvalidRequest, NotFound
from chalicelib.domain.seats import reshard, shard_count
from chalicelib.storage import catalog_items, keys, keys_ops
from chalicelib.storage.figures import read_figures
from chalicelib.storage.models import (
    CatalogPartItem,
    ChangeItem,
    PendingSeatItem,
    SeatCounterItem,
    TableItem,
    WaitlistHeadItem,
)
from chalicelib.storage.seats import set_shard
from chalicelib.storage.seats import taken_per_shard as _shards  # tests slip a grab in after this read
from chalicelib.storage.tables import connection
from chalicelib.storage.transactions import ConditionsFailed, Txn, run

CHANGE_ATTEMPTS = 5  # a change whose reads moved meanwhile is read and tried again
# A transaction holds at most 100 items: 16 shards, the campus, the head, the change and the seats a
# raise offers to students waiting; a bigger offer is asked for in steps.
MAX_OFFERED_PER_CHANGE = 75


class DynamoAdministration:
    def figures(self) -> Figures:
        return read_figures()

    def seat_counts(self, catalog: Catalog) -> dict[tuple[str, str], SeatCount]:
        """Every offering's shards summed, and its waiting list's head: one BatchGet (by 100 keys)."""
        wanted: list[tuple[str, str]] = []
        for campus in catalog.campuses.values():
            for offering in campus.oral:
                wanted += [(pk, keys.SEATS_SK) for pk in keys.counters_of(campus.id, offering.subject, offering.shards)]
                wanted.append((keys.waitlist_pk(campus.id, offering.subject), keys.HEAD_SK))
        capacity: dict[tuple[str, str], int] = {}
        taken: dict[tuple[str, str], int] = {}
        waiting: dict[tuple[str, str], int] = {}
        for item in TableItem.batch_get(wanted) if wanted else []:
            if isinstance(item, SeatCounterItem):
                key = (item.campus_id, item.subject)
                capacity[key] = capacity.get(key, 0) + int(item.capacity)
                taken[key] = taken.get(key, 0) + int(item.taken or 0)
            elif isinstance(item, WaitlistHeadItem):
                waiting[(item.campus_id, item.subject)] = int(item.waiting or 0)
        return {
            (campus.id, o.subject): SeatCount(
                capacity.get((campus.id, o.subject), 0),
                taken.get((campus.id, o.subject), 0),
                waiting.get((campus.id, o.subject), 0),
            )
            for campus in catalog.campuses.values()
            for o in campus.oral
        }

    def changes(self, limit: int) -> list[Change]:
        items = ChangeItem.query(keys_ops.CHANGES_PK, scan_index_forward=False, limit=limit)
        return [_change_from(item) for item in items if isinstance(item, ChangeItem)]

    def replace_window(self, window: Window, by: str, at: datetime) -> Change:
        """The school's windows become this one (R-OPS-2); the others it had are deleted."""
        school_id = window.school_id
        prefix = keys.window_parts_prefix(school_id)
        first_sk = keys.window_part_sk(school_id, 0)

        def attempt() -> tuple[Change, Callable[[Txn], None]]:
            found = list(
                CatalogPartItem.query(keys.CATALOG_PK, CatalogPartItem.sk.startswith(prefix), consistent_read=True)
            )
            before = tuple(_window_from(json.loads(part.body)) for part in found)
            body = json.dumps(
                {"school_id": school_id, "opens_at": iso(window.opens_at), "closes_at": iso(window.closes_at)},
                ensure_ascii=False,
            )
            change = Change(at, by, window_what(school_id), window_state(before, at), window_state((window,), at))

            def build(txn: Txn) -> None:
                first = next((part for part in found if part.sk == first_sk), None)
                txn.put("part:0", CatalogPartItem(keys.CATALOG_PK, first_sk, body=body), _unchanged(first))
                for part in found:
                    if part.sk != first_sk:
                        txn.delete(f"part:{part.sk}", part, CatalogPartItem.body == part.body)
                _log(txn, change)

            return change, build

        return _committed(attempt)

    def replace_notice(self, target: str, notice: str, by: str, at: datetime) -> Change:
        """The province's notice (`target` "province") or a school's."""
        sk = keys.PROVINCE_SK if target == PROVINCE_NOTICE else keys.school_part_sk(target)

        def attempt() -> tuple[Change, Callable[[Txn], None]]:
            part = _part(sk)
            body = json.loads(part.body)
            change = Change(at, by, notice_what(target), {"notice": body.get("notice", "")}, {"notice": notice})
            new_part = CatalogPartItem(
                keys.CATALOG_PK, sk, body=json.dumps({**body, "notice": notice}, ensure_ascii=False)
            )

            def build(txn: Txn) -> None:
                txn.put("part", new_part, CatalogPartItem.body == part.body)
                _log(txn, change)

            return change, build

        return _committed(attempt)

    def replace_capacity(
        self, campus_id: str, subject: str, capacity: int, seat_shard_size: int | None, by: str, at: datetime
    ) -> CapacityChanged:
        """A new capacity, never below the seats taken (409 CAPACITY_BELOW_TAKEN), re-split over the
        shards on the condition that no shard's `taken` passes its new capacity; the catalog's
        offering follows (capacity, shards). Free seats while students wait are offered to them."""
        outcome: dict[str, Any] = {}

        def attempt() -> tuple[Change, Callable[[Txn], None]]:
            part = _part(keys.campus_part_sk(campus_id))
            campus = catalog_items.campus_from_json(json.loads(part.body))
            offering = campus.offering(subject)
            if offering is None:
                raise NotFound("该校区没有这个口试科目。")
            held, old_capacity = _shards(campus_id, subject)
            waiting = _waiting(campus_id, subject)
            taken = sum(held)
            if capacity < taken:
                raise CapacityBelowTaken(taken)
            wanted = max(shard_count(capacity, seat_shard_size), offering.shards)
            capacities = reshard(capacity, wanted, held)
            held += [0] * (len(capacities) - len(held))
            offered = _offered(capacities, held, waiting)
            if sum(offered) > MAX_OFFERED_PER_CHANGE:
                raise InvalidRequest("capacity", f"有考生候补：每次最多为候补考生增加 {MAX_OFFERED_PER_CHANGE} 个考位")
            new_offering = replace(offering, capacity=capacity, shards=len(capacities))
            new_campus = replace(campus, oral=tuple(new_offering if o is offering else o for o in campus.oral))
            new_part = CatalogPartItem(
                keys.CATALOG_PK, part.sk, body=json.dumps(catalog_items.campus_to_json(new_campus), ensure_ascii=False)
            )
            change = Change(at, by, seats_what(campus_id, subject), {"capacity": old_capacity}, {"capacity": capacity})
            outcome.update(count=SeatCount(capacity, taken + sum(offered), waiting), offered=sum(offered))

            def build(txn: Txn) -> None:
                for n, (shard_capacity, add) in enumerate(zip(capacities, offered, strict=True)):
                    set_shard(txn, campus_id, subject, n, shard_capacity, add)
                    for _ in range(add):
                        _pend(txn, campus_id, subject, n, at)
                head = WaitlistHeadItem
                still = head.waiting == waiting
                txn.check("head", head, keys.waitlist_pk(campus_id, subject), keys.HEAD_SK, _absent_or(still, waiting))
                txn.put("part", new_part, CatalogPartItem.body == part.body)
                _log(txn, change)

            return change, build

        change = _committed(attempt)
        return CapacityChanged(change, outcome["count"], outcome["offered"])


def _committed(attempt: Callable[[], tuple[Change, Callable[[Txn], None]]]) -> Change:
    """Read, build, commit; read again when something read changed before the commit."""
    for _ in range(CHANGE_ATTEMPTS):
        change, build = attempt()
        try:
            run(connection(), build)
        except ConditionsFailed:
            continue
        return change
    raise Busy("该项目正被同时修改，请稍后再试。")


def _part(sk: str) -> CatalogPartItem:
    try:
        return CatalogPartItem.get(keys.CATALOG_PK, sk, consistent_read=True)
    except DoesNotExist:
        raise NotFound("没有这项目录数据。") from None


def _unchanged(part: CatalogPartItem | None) -> Condition:
    same: Condition = CatalogPartItem.pk.does_not_exist() if part is None else CatalogPartItem.body == part.body
    return same


def _absent_or(condition: Condition, value: int) -> Condition:
    """`condition`, or, when the value read was 0, the item may also be absent."""
    either: Condition = (WaitlistHeadItem.pk.does_not_exist() | condition) if value == 0 else condition
    return either


def _waiting(campus_id: str, subject: str) -> int:
    try:
        head = WaitlistHeadItem.get(keys.waitlist_pk(campus_id, subject), keys.HEAD_SK, consistent_read=True)
    except DoesNotExist:
        return 0
    return int(head.waiting or 0)


def _offered(capacities: list[int], held: list[int], waiting: int) -> list[int]:
    """R-WAIT-2: while students wait no seat is free for a grab: each free seat, up to one per
    student waiting, becomes a pending seat (shard by shard)."""
    offered = []
    left = waiting
    for capacity, taken in zip(capacities, held, strict=True):
        take = max(0, min(left, capacity - taken))
        offered.append(take)
        left -= take
    return offered


def _pend(txn: Txn, campus_id: str, subject: str, n: int, at: datetime) -> None:
    offer_id = f"raise-{uuid.uuid4().hex}"
    seat = PendingSeatItem(
        keys.pending_seat_pk(offer_id),
        keys.PENDING_SK,
        gsi1pk=keys.PENDING_SEATS,
        gsi1sk=keys.pending_order_sk(at, offer_id),
        campus_id=campus_id,
        subject=subject,
        counter=keys.seats_pk(campus_id, subject, n),
        released_at=iso(at),
    )
    txn.put(f"pending:{offer_id}", seat, PendingSeatItem.pk.does_not_exist())


def _log(txn: Txn, change: Change) -> None:
    item = ChangeItem(
        keys_ops.CHANGES_PK,
        keys_ops.change_sk(change.at, uuid.uuid4().hex[:8]),
        at=iso(change.at),
        by=change.by,
        what=change.what,
        before=json.dumps(change.before, ensure_ascii=False) if change.before is not None else None,
        after=json.dumps(change.after, ensure_ascii=False),
    )
    txn.put("change", item, ChangeItem.pk.does_not_exist())


def _change_from(item: ChangeItem) -> Change:
    before = json.loads(item.before) if item.before else None
    return Change(parse_iso(item.at), item.by, item.what, before, json.loads(item.after))


def _window_from(body: dict[str, Any]) -> Window:
    return Window(body["school_id"], parse_iso(body["opens_at"]), parse_iso(body["closes_at"]))
