"""A reload of the province's catalog file over the administrator's changes (R-OPS-2, R-OPS-3).

A target the administrator changed (a school's windows, an oral capacity, a notice; named as the
change log names it) keeps the table's value unless the load lets the file win; either way every
target whose two values differ is told, never passed over in silence (decision 0023)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import datetime

from chalicelib.domain.catalog import Catalog, Window
from chalicelib.domain.clock import SHANGHAI

NOTICE_SHOWN = 40  # characters of a notice shown in a line


@dataclass(frozen=True)
class Differing:
    """A changed target whose value in the table is not the file's, both as shown to a person."""

    what: str  # as the change log names it: window/<school>, seats/<campus>/<subject>, notice/<target>
    target: str  # e.g. "NJU-GL 英语四级口试 容量"
    table: str
    file: str


@dataclass(frozen=True)
class ChangesRead:
    """The targets the change log names after a point, and its sort key of the newest entry read."""

    whats: frozenset[str]
    through: str | None  # None: no entry after the point


@dataclass(frozen=True)
class Reloaded:
    catalog: Catalog  # what the load writes
    differing: tuple[Differing, ...]  # kept from the table, or (file_wins) overridden by the file
    file_wins: bool


def reload_catalog(file: Catalog, table: Catalog | None, changed: Iterable[str], file_wins: bool) -> Reloaded:
    """The catalog to write: the file's, but for each target in `changed` the table's value, unless
    `file_wins`. A target the file or the table no longer holds is left to the file (the loader
    only puts, so what the file dropped stays in the table as it is)."""
    if table is None:
        return Reloaded(file, (), file_wins)
    merged, differing = file, []
    for what in sorted(set(changed)):
        kept = _keep(merged, table, what)
        if kept is None:
            continue
        catalog, found = kept
        differing.append(found)
        if not file_wins:
            merged = catalog
    return Reloaded(merged, tuple(differing), file_wins)


def _keep(file: Catalog, table: Catalog, what: str) -> tuple[Catalog, Differing] | None:
    kind, _, rest = what.partition("/")
    if kind == "window":
        return _keep_windows(file, table, what, rest)
    if kind == "seats":
        campus_id, _, subject = rest.partition("/")
        return _keep_capacity(file, table, what, campus_id, subject)
    if kind == "notice":
        return _keep_notice(file, table, what, rest)
    return None


def _keep_windows(file: Catalog, table: Catalog, what: str, school_id: str) -> tuple[Catalog, Differing] | None:
    if school_id not in file.schools or school_id not in table.windows:
        return None
    held, given = table.windows[school_id], file.windows.get(school_id, ())
    if _ordered(held) == _ordered(given):
        return None
    # The table's windows only (after a change, one): none of the file's others is written back.
    catalog = replace(file, windows={**file.windows, school_id: held})
    return catalog, Differing(what, f"{_school(file, school_id)} 报名时间", _windows(held), _windows(given))


def _keep_capacity(
    file: Catalog, table: Catalog, what: str, campus_id: str, subject: str
) -> tuple[Catalog, Differing] | None:
    campus, held_campus = file.campuses.get(campus_id), table.campuses.get(campus_id)
    given = campus.offering(subject) if campus else None
    held = held_campus.offering(subject) if held_campus else None
    if campus is None or given is None or held is None or held.capacity == given.capacity:
        return None
    kept = replace(given, capacity=held.capacity)  # set_seats re-splits the kept capacity
    campus = replace(campus, oral=tuple(kept if o is given else o for o in campus.oral))
    catalog = replace(file, campuses={**file.campuses, campus_id: campus})
    name = file.subjects[subject].name if subject in file.subjects else subject
    return catalog, Differing(what, f"{campus_id} {name} 容量", str(held.capacity), str(given.capacity))


def _keep_notice(file: Catalog, table: Catalog, what: str, target: str) -> tuple[Catalog, Differing] | None:
    if target == "province":
        held, given = table.province.notice, file.province.notice
        if held == given:
            return None
        catalog = replace(file, province=replace(file.province, notice=held))
        return catalog, Differing(what, f"{file.province.name} 公告", _notice(held), _notice(given))
    school, held_school = file.schools.get(target), table.schools.get(target)
    if school is None or held_school is None or held_school.notice == school.notice:
        return None
    catalog = replace(file, schools={**file.schools, target: replace(school, notice=held_school.notice)})
    return catalog, Differing(
        what, f"{_school(file, target)} 公告", _notice(held_school.notice), _notice(school.notice)
    )


def _school(catalog: Catalog, school_id: str) -> str:
    return f"{catalog.schools[school_id].name}（{school_id}）"


def _ordered(windows: tuple[Window, ...]) -> list[tuple[datetime, datetime]]:
    return sorted((w.opens_at, w.closes_at) for w in windows)


def _windows(windows: tuple[Window, ...]) -> str:
    def shown(window: Window) -> str:
        opens, closes = window.opens_at.astimezone(SHANGHAI), window.closes_at.astimezone(SHANGHAI)
        return f"{opens:%Y-%m-%d %H:%M} 至 {closes:%Y-%m-%d %H:%M}"

    return "，".join(shown(w) for w in sorted(windows, key=lambda w: w.opens_at)) or "无"


def _notice(notice: str) -> str:
    cut = notice if len(notice) <= NOTICE_SHOWN else notice[:NOTICE_SHOWN] + "……"
    return f"「{cut}」"
