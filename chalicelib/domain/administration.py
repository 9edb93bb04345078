"""The province administrator (R-OPS-1, R-OPS-2): what the overview shows, what a change is, and
the checks a change passes before anything is written."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from chalicelib.domain.catalog import Catalog, Window
from chalicelib.domain.clock import iso
from chalicelib.domain.errors import InvalidRequest, InvalidWindow, NotFound

MAX_CAPACITY = 100_000
MAX_NOTICE = 2000
PROVINCE_NOTICE = "province"  # PUT /admin/notices/province: the province's own notice


@dataclass(frozen=True)
class SeatLine:
    """R-OPS-1, one campus + oral subject. `taken` sums the counter shards (decision 0019); it is
    the paid seats plus `live_holds`: the seats of unpaid holds (a hold past `pay_by` counts until
    its seat is reclaimed, within minutes) and the seats kept for the waiting list (decision 0020)."""

    campus_id: str
    subject: str
    capacity: int
    taken: int
    live_holds: int
    waiting: int
    campus_name: str  # from the catalog, as students see it
    school_id: str


@dataclass(frozen=True)
class SchoolWindow:
    """R-OPS-1: one registration window of a school as the catalog holds it now, for the page's
    window form to show before any change; `open_now` by the service's clock."""

    school_id: str
    school_name: str
    opens_at: datetime
    closes_at: datetime
    open_now: bool


@dataclass(frozen=True)
class OrderFigures:
    open: int = 0
    paid: int = 0
    closed: int = 0
    refunded: int = 0
    paid_amount: int = 0  # fen, the orders now paid


@dataclass(frozen=True)
class Overview:
    saved_per_hour: tuple[tuple[datetime, int], ...]  # registrations saved in each Beijing hour, still there
    seats: tuple[SeatLine, ...]
    orders: OrderFigures
    reviews_pending: tuple[tuple[str, int], ...]  # school id → pending CET6 reviews
    late_payments: int
    windows: tuple[SchoolWindow, ...]  # every school's windows, by school then opening

    @property
    def saved(self) -> int:
        return sum(count for _, count in self.saved_per_hour)


@dataclass(frozen=True)
class Figures:
    """The counters as kept (one query per figure shard, summed): see storage/figures.py."""

    saved_per_hour: dict[datetime, int] = field(default_factory=dict)
    orders: OrderFigures = OrderFigures()
    paid_seats: dict[tuple[str, str], int] = field(default_factory=dict)  # (campus, subject) → paid seats
    reviews_pending: dict[str, int] = field(default_factory=dict)
    late_payments: int = 0


@dataclass(frozen=True)
class SeatCount:
    """An offering's counter shards summed, and its waiting list's head, as stored."""

    capacity: int
    taken: int
    waiting: int


@dataclass(frozen=True)
class Change:
    """R-OPS-2: one change as the log keeps it; `by` is the administrator's login."""

    at: datetime
    by: str
    what: str  # "window/<school>", "seats/<campus>/<subject>", "notice/<school or province>"
    before: dict[str, Any] | None
    after: dict[str, Any]


@dataclass(frozen=True)
class CapacityChanged:
    change: Change
    count: SeatCount
    offered: int  # seats the raise put aside for students waiting (R-WAIT-2)


def window_what(school_id: str) -> str:
    return f"window/{school_id}"


def seats_what(campus_id: str, subject: str) -> str:
    return f"seats/{campus_id}/{subject}"


def notice_what(target: str) -> str:
    return f"notice/{target}"


def check_window(catalog: Catalog, school_id: str, opens_at: datetime, closes_at: datetime) -> Window:
    """A school's new registration window: a known school, closing after it opens."""
    if school_id not in catalog.schools:
        raise NotFound("没有这所学校。")
    if closes_at <= opens_at:
        raise InvalidWindow()
    return Window(school_id, opens_at, closes_at)


def check_capacity(catalog: Catalog, campus_id: str, subject: str, capacity: object) -> int:
    campus = catalog.campuses.get(campus_id)
    if campus is None:
        raise NotFound("没有这个校区。")
    if campus.offering(subject) is None:
        raise NotFound("该校区没有这个口试科目。")
    if not isinstance(capacity, int) or isinstance(capacity, bool) or not 0 <= capacity <= MAX_CAPACITY:
        raise InvalidRequest("capacity", f"应为 0 至 {MAX_CAPACITY} 的整数")
    return capacity


def check_notice(catalog: Catalog, target: str, notice: object) -> str:
    if target != PROVINCE_NOTICE and target not in catalog.schools:
        raise NotFound("没有这所学校。")
    if not isinstance(notice, str) or len(notice) > MAX_NOTICE:
        raise InvalidRequest("notice", f"应为 {MAX_NOTICE} 字以内的文字")
    return notice


def school_windows(catalog: Catalog, now: datetime) -> tuple[SchoolWindow, ...]:
    """Every window of every school in the catalog, by school id then opening; a school without a
    window has no line."""
    return tuple(
        SchoolWindow(school_id, school.name, w.opens_at, w.closes_at, w.is_open(now))
        for school_id, school in sorted(catalog.schools.items())
        for w in sorted(catalog.windows.get(school_id, ()), key=lambda w: (w.opens_at, w.closes_at))
    )


def window_state(windows: tuple[Window, ...], now: datetime) -> dict[str, Any]:
    """What a window change records: the school's windows and whether registration was open then
    (a change that closes it for students mid-flow is allowed, and shows as open_now true → false)."""
    return {
        "windows": [{"opens_at": iso(w.opens_at), "closes_at": iso(w.closes_at)} for w in windows],
        "open_now": any(w.is_open(now) for w in windows),
    }
