"""A reload of the province's catalog file over the administrator's changes (R-OPS-2, R-OPS-3).

A target the administrator changed (a school's windows, an oral capacity, a notice; named as the
change log names it) keeps the table's value unless the load lets the file win; either way every
target whose two values differ is told, never passed over in silence (decision 0023). Once the
exam sitting's `plan_at` has passed, a reload that changes what the room plan rests on is refused
(R-ROOM-1, R-ROOM-2); so is a load that first declares an opening after its queue opened (R-QUEUE-3)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import datetime

from chalicelib.domain.catalog import Catalog, Window
from chalicelib.domain.clock import SHANGHAI
from chalicelib.domain.sitting import ExamSitting

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


class SittingFixed(Exception):
    """R-ROOM-1, R-ROOM-2: a load the exam sitting refuses, before anything is written."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        super().__init__("\n".join(problems))


def check_sitting(file: Catalog, table: Catalog | None, now: datetime) -> None:
    """R-ROOM-2: a sitting's seed is drawn, and its digest published, at the load that first
    declares it, before its `plan_at`: no load sets a `plan_at` that has already passed. Once the
    table's `plan_at` has passed, what the plan and the ticket numbers rest on stays as it is:
    the sitting, `plan_at`, the written subjects' ticket codes and the campuses' site codes
    (`tickets_open_at`, exam minutes and room names may still change)."""
    held = table.exam if table else None
    exam = file.exam
    problems: list[str] = []
    if table is not None and held is not None and held.planned(now):
        problems = _fixed(file, table, held)
    elif (
        exam is not None
        and exam.planned(now)
        and (held is None or (held.key, held.plan_at) != (exam.key, exam.plan_at))
    ):
        problems.append(
            f"考场编排时间 plan_at（{_moment(exam.plan_at)}）已过：考场编排的随机种子须在此之前抽取并公布摘要"
            "（R-ROOM-2），不能载入 plan_at 已过的考次，也不能把 plan_at 改到已过的时间"
        )
    if problems:
        raise SittingFixed(problems)


class QueueOpened(Exception):
    """R-QUEUE-3: a load that first declares an opening after its queue opened, refused before
    anything is written."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        super().__init__("\n".join(problems))


def check_openings(file: Catalog, table: Catalog | None, now: datetime) -> None:
    """R-QUEUE-3: an opening's seed is drawn, and its digest published, at the load that first
    declares it, before its queue opens: an opening the table does not hold yet is refused once
    its `queue_opens_at` has come. One the table holds keeps the seed it drew (a reload draws none)."""
    held = table.openings if table is not None else {}
    problems = [
        f"排队场次 {opening.id}（{opening.name}）的排队已于 {_moment(opening.queue_opens_at)} 开始："
        "排队顺序的随机种子须在排队开始前抽取并公布摘要（R-QUEUE-3），排队开始后不能再首次载入该场次"
        for opening_id, opening in sorted(file.openings.items())
        if opening_id not in held and now >= opening.queue_opens_at
    ]
    if problems:
        raise QueueOpened(problems)


def _fixed(file: Catalog, table: Catalog, held: ExamSitting) -> list[str]:
    since = f"{held.name}考次的考场编排时间 {_moment(held.plan_at)} 已过"
    exam = file.exam
    if exam is None:
        return [f"{since}：目录文件不能去掉 exam"]
    problems = []
    if (exam.year, exam.sitting, exam.plan_at) != (held.year, held.sitting, held.plan_at):
        problems.append(
            f"{since}：exam 的 year、sitting 与 plan_at 不能再改动（文件中为 {exam.name}，{_moment(exam.plan_at)}）"
        )
    for code, subject in sorted(file.subjects.items()):
        before = table.subjects.get(code)
        if before is not None and before.ticket_code is not None and subject.ticket_code != before.ticket_code:
            given = subject.ticket_code or "（无）"
            problems.append(f"{since}：科目 {code} 的 ticket_code 已是 {before.ticket_code}，不能改为 {given}")
    for campus_id, campus in sorted(file.campuses.items()):
        before_campus = table.campuses.get(campus_id)
        held_site = before_campus.site_code if before_campus else None
        if held_site is not None and campus.site_code != held_site:
            problems.append(
                f"{since}：校区 {campus_id} 的 site_code 已是 {held_site}，不能改为 {campus.site_code or '（无）'}"
            )
    return problems


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


def _moment(moment: datetime) -> str:
    return f"{moment.astimezone(SHANGHAI):%Y-%m-%d %H:%M}"


def _windows(windows: tuple[Window, ...]) -> str:
    def shown(window: Window) -> str:
        opens, closes = window.opens_at.astimezone(SHANGHAI), window.closes_at.astimezone(SHANGHAI)
        return f"{opens:%Y-%m-%d %H:%M} 至 {closes:%Y-%m-%d %H:%M}"

    return "，".join(shown(w) for w in sorted(windows, key=lambda w: w.opens_at)) or "无"


def _notice(notice: str) -> str:
    cut = notice if len(notice) <= NOTICE_SHOWN else notice[:NOTICE_SHOWN] + "……"
    return f"「{cut}」"
