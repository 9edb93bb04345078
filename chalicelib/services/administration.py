"""The province administrator (R-OPS-1, R-OPS-2): the overview from kept counters, never a scan,
and changes of windows, oral capacities and notices while registration runs, each recorded."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from chalicelib.domain import administration as adm
from chalicelib.domain.accounts import Account, Role
from chalicelib.domain.catalog import Catalog, Window
from chalicelib.domain.clock import Clock
from chalicelib.domain.errors import Forbidden
from chalicelib.logs import logger
from chalicelib.services.registration_ports import CatalogStore

CHANGES_SHOWN = 200


class AdministrationStore(Protocol):
    def figures(self) -> adm.Figures:
        """Every counter of the overview, summed over its shards."""

    def seat_counts(self, catalog: Catalog) -> dict[tuple[str, str], adm.SeatCount]:
        """Per (campus, oral subject): capacity and taken (shards summed), students waiting."""

    def changes(self, limit: int) -> list[adm.Change]:
        """The newest `limit` changes, newest first."""

    def replace_window(self, window: Window, by: str, at: datetime) -> adm.Change: ...

    def replace_notice(self, target: str, notice: str, by: str, at: datetime) -> adm.Change: ...

    def replace_capacity(
        self, campus_id: str, subject: str, capacity: int, seat_shard_size: int | None, by: str, at: datetime
    ) -> adm.CapacityChanged:
        """CapacityBelowTaken when `capacity` is below the seats taken."""


@dataclass(frozen=True)
class AdministrationContext:
    catalogs: CatalogStore
    store: AdministrationStore
    clock: Clock
    forget_catalog: Callable[[], None]  # this Lambda reads the catalog again after a change


def require_province(account: Account) -> None:
    if account.role is not Role.PROVINCE:
        raise Forbidden("该功能仅限省级管理员使用。")


def overview(ctx: AdministrationContext, admin: Account) -> adm.Overview:
    """R-OPS-1: one read of the counters (16 queries) and one BatchGet of the seat shards and the
    waiting lists' heads; nothing grows with the number of students."""
    require_province(admin)
    catalog = ctx.catalogs.catalog()
    figures = ctx.store.figures()
    counts = ctx.store.seat_counts(catalog)
    seats = tuple(_seat_line(catalog, key, count, figures) for key, count in sorted(counts.items()))
    schools = sorted(set(catalog.schools) | set(figures.reviews_pending))
    return adm.Overview(
        saved_per_hour=tuple(sorted(figures.saved_per_hour.items())),
        seats=seats,
        orders=figures.orders,
        reviews_pending=tuple((school, figures.reviews_pending.get(school, 0)) for school in schools),
        late_payments=figures.late_payments,
        windows=adm.school_windows(catalog, ctx.clock.now()),
    )


def _seat_line(catalog: Catalog, key: tuple[str, str], count: adm.SeatCount, figures: adm.Figures) -> adm.SeatLine:
    campus_id, subject = key
    paid = figures.paid_seats.get(key, 0)
    live_holds = max(0, count.taken - paid)
    campus = catalog.campuses[campus_id]  # the lines are the catalog's offerings
    return adm.SeatLine(
        campus_id, subject, count.capacity, count.taken, live_holds, count.waiting, campus.name, campus.school_id
    )


def change_window(
    ctx: AdministrationContext, admin: Account, school_id: str, opens_at: datetime, closes_at: datetime
) -> Window:
    """R-OPS-2: the school's registration window. Closing it while students are mid-flow is
    allowed; the change log shows it (`open_now` true before, false after)."""
    require_province(admin)
    window = adm.check_window(ctx.catalogs.catalog(), school_id, opens_at, closes_at)
    _recorded(ctx, ctx.store.replace_window(window, admin.login, ctx.clock.now()))
    return window


def change_capacity(
    ctx: AdministrationContext, admin: Account, campus_id: str, subject: str, capacity: object
) -> adm.SeatLine:
    """R-OPS-2: an oral capacity, never below the seats taken; R-WAIT-2: seats it frees while
    students wait are offered to them in list order (pending seats, as a seat that came back)."""
    require_province(admin)
    catalog = ctx.catalogs.catalog()
    wanted = adm.check_capacity(catalog, campus_id, subject, capacity)
    size = catalog.province.seat_shard_size
    changed = ctx.store.replace_capacity(campus_id, subject, wanted, size, admin.login, ctx.clock.now())
    _recorded(ctx, changed.change)
    return _seat_line(catalog, (campus_id, subject), changed.count, ctx.store.figures())


def change_notice(ctx: AdministrationContext, admin: Account, target: str, notice: object) -> str:
    """R-OPS-2: the province's notice (`target` "province") or a school's."""
    require_province(admin)
    text = adm.check_notice(ctx.catalogs.catalog(), target, notice)
    _recorded(ctx, ctx.store.replace_notice(target, text, admin.login, ctx.clock.now()))
    return text


def changes(ctx: AdministrationContext, admin: Account) -> list[adm.Change]:
    require_province(admin)
    return ctx.store.changes(CHANGES_SHOWN)


def _recorded(ctx: AdministrationContext, change: adm.Change) -> None:
    ctx.forget_catalog()
    logger().info("province change", extra={"what": change.what})  # who made it is in the log item only
