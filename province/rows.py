"""The rows of a province's spreadsheets (api.md, "Added: province spreadsheets"), checked
against its catalog: roll, CET4 score records, staff.

`check_sheet` is the first pass: it reads every row, keeps none (only a compact key per row to
find repeats), and reports each problem as `FILE:LINE: column: problem`. `read_sheet` is the
second pass, once every file is known good: the same rows again, as the loader writes them.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Generic, TypeVar

from chalicelib.domain.accounts import Role
from chalicelib.domain.catalog import Catalog
from chalicelib.domain.identity import IdType
from chalicelib.domain.province import StaffMember
from chalicelib.domain.roll import NO_ACCOMMODATION, Accommodation, RollRow, ScoreRow
from province.checks import (
    FIRST_CET_YEAR,
    LAST_CET_YEAR,
    MAX_CET_SCORE,
    MAX_EXAM_MINUTES,
    ROLES,
    id_number_problem,
    id_type_of,
    id_type_problem,
    login_problem,
    role_problem,
    staff_school_problem,
    ticket_problem,
)
from province.sheets import UnreadableSheet, read_rows

T = TypeVar("T")
Problems = list[tuple[str, str]]  # (column, problem)
_SUBJECT_SEPARATORS = re.compile(r"[;；、,，\s]+")
_YES, _NO = {"是", "y", "yes", "true", "1"}, {"否", "n", "no", "false", "0", ""}
MAX_SHOWN = 200  # problems printed; all are counted
SEPARATE_ROOM, EXTRA_MINUTES = "单独考场", "延长分钟"  # R-ROOM-3: the roll's optional columns


@dataclass(frozen=True)
class SheetKind(Generic[T]):
    name: str  # as the load's progress and record name it
    columns: tuple[str, ...]
    parse: Callable[[dict[str, str], Catalog, Problems], T]
    key_column: str  # the column that must not repeat
    key: Callable[[dict[str, str]], str]
    optional: tuple[str, ...] = ()  # columns a file may leave out ("" in every row then)


def _required(values: dict[str, str], column: str, problems: Problems) -> str:
    value = values[column]
    if not value:
        problems.append((column, "不能为空"))
    return value


def _whole(values: dict[str, str], column: str, low: int, high: int, problems: Problems) -> int:
    text = values[column]
    if not re.fullmatch(r"\d+", text):
        problems.append((column, f"应为整数，实际为 {text!r}" if text else "不能为空"))
        return low
    number = int(text)
    if not low <= number <= high:
        problems.append((column, f"应在 {low} 到 {high} 之间，实际为 {number}"))
    return number


def _roll(values: dict[str, str], catalog: Catalog, problems: Problems) -> RollRow:
    id_type = id_type_of(values["证件类型"])
    if id_type is None:
        problems.append(("证件类型", id_type_problem(values["证件类型"]) or "不能为空"))
    number = _required(values, "证件号码", problems)
    if id_type is not None and number and (problem := id_number_problem(id_type, number)):
        problems.append(("证件号码", problem))
    school_id = _required(values, "学校代码", problems)
    campus_id = _required(values, "校区代码", problems)
    if school_id and school_id not in catalog.schools:
        problems.append(("学校代码", f"未定义的学校 {school_id!r}（目录文件 schools 中没有）"))
    campus = catalog.campuses.get(campus_id)
    if campus_id and campus is None:
        problems.append(("校区代码", f"未定义的校区 {campus_id!r}（目录文件 schools[].campuses 中没有）"))
    elif campus is not None and school_id in catalog.schools and campus.school_id != school_id:
        problems.append(("校区代码", f"校区 {campus_id} 属于学校 {campus.school_id}，不属于 {school_id}"))
    subjects = tuple(code for code in _SUBJECT_SEPARATORS.split(values["资格科目"]) if code)
    unknown = [code for code in subjects if code not in catalog.subjects]
    if unknown:
        problems.append(("资格科目", f"未定义的科目 {'、'.join(unknown)}（目录文件 subjects 中没有）"))
    elif len(set(subjects)) != len(subjects):
        problems.append(("资格科目", "科目重复"))
    barred = _yes_or_no(values, "禁考六级", problems)
    return RollRow(
        id_type=id_type or IdType.RESIDENT_ID,
        id_number=number,
        name=_required(values, "姓名", problems),
        school_id=school_id,
        campus_id=campus_id,
        student_no=_required(values, "学号", problems),
        qualified_subjects=subjects,
        cet6_barred=barred,
        accommodation=_accommodation(values, problems),
    )


def _yes_or_no(values: dict[str, str], column: str, problems: Problems) -> bool:
    """是/否 (or y/n, yes/no, true/false, 1/0); an empty cell is 否."""
    text = values[column].lower()
    if text not in _YES | _NO:
        problems.append((column, f"应为 是 或 否，实际为 {values[column]!r}"))
    return text in _YES


def _accommodation(values: dict[str, str], problems: Problems) -> Accommodation:
    """R-ROOM-3: 单独考场 是/否 and 延长分钟 (a whole number of minutes), both optional columns."""
    separate = _yes_or_no(values, SEPARATE_ROOM, problems)
    text, extra = values[EXTRA_MINUTES], 0
    if text and not re.fullmatch(r"\d+", text):
        problems.append((EXTRA_MINUTES, f"应为不小于 0 的整数（分钟），实际为 {text!r}"))
    elif text:
        extra = _whole(values, EXTRA_MINUTES, 0, MAX_EXAM_MINUTES, problems)
    return Accommodation(separate, extra) if separate or extra else NO_ACCOMMODATION


def _score(values: dict[str, str], _catalog: Catalog, problems: Problems) -> ScoreRow:
    ticket = _required(values, "准考证号", problems)
    if ticket and (problem := ticket_problem(ticket)):
        problems.append(("准考证号", problem))
    return ScoreRow(
        ticket_number=ticket,
        id_number=_required(values, "证件号码", problems),
        name=_required(values, "姓名", problems),
        score=_whole(values, "总分", 0, MAX_CET_SCORE, problems),
        year=_whole(values, "年份", FIRST_CET_YEAR, LAST_CET_YEAR, problems),
    )


def _staff(values: dict[str, str], catalog: Catalog, problems: Problems) -> StaffMember:
    login = _required(values, "登录名", problems)
    if login and (problem := login_problem(login)):
        problems.append(("登录名", problem))
    role_text = values["角色"]
    if problem := role_problem(role_text):
        problems.append(("角色", problem))
    role = ROLES.get(role_text, Role.STAFF)
    school_id = values["学校代码"]
    if problem := staff_school_problem(role, school_id, set(catalog.schools)):
        problems.append(("学校代码", problem))
    return StaffMember(login, role, school_id or None)


ROLL: SheetKind[RollRow] = SheetKind(
    "roll",
    ("证件类型", "证件号码", "姓名", "学校代码", "校区代码", "学号", "资格科目", "禁考六级"),
    _roll,
    "证件号码",
    lambda values: f"{id_type_of(values['证件类型'])}#{values['证件号码']}",
    (SEPARATE_ROOM, EXTRA_MINUTES),
)
SCORES: SheetKind[ScoreRow] = SheetKind(
    "cet4_scores", ("准考证号", "证件号码", "姓名", "总分", "年份"), _score, "准考证号", lambda v: v["准考证号"]
)
STAFF: SheetKind[StaffMember] = SheetKind(
    "staff", ("登录名", "角色", "学校代码"), _staff, "登录名", lambda values: values["登录名"].lower()
)


@dataclass
class SheetCheck:
    """What the first pass found in one file."""

    path: Path
    rows: int = 0
    problems: int = 0
    shown: list[str] | None = None

    def fail(self, line: int, column: str, message: str) -> None:
        self.problems += 1
        if self.shown is None:
            self.shown = []
        if len(self.shown) < MAX_SHOWN:
            self.shown.append(f"{self.path}:{line}: {column}: {message}")


def _compact(key: str) -> int:
    return int.from_bytes(hashlib.blake2b(key.encode(), digest_size=8).digest(), "big")


def check_sheet(path: Path, kind: SheetKind[T], catalog: Catalog, shown_as: Path | None = None) -> SheetCheck:
    """The first pass: every row checked, none kept; repeats found by an 8-byte digest of the key
    (a repeat names the line where the key was first seen). Problems name `shown_as` if given
    (the XLSX a CSV was made from)."""
    found = SheetCheck(shown_as or path)
    first_line: dict[int, int] = {}
    try:
        for row in read_rows(path, kind.columns, kind.optional):
            found.rows += 1
            problems: Problems = []
            kind.parse(row.values, catalog, problems)
            for column, message in problems:
                found.fail(row.line, column, message)
            key = kind.key(row.values)
            if problems or not key:
                continue
            seen = first_line.setdefault(_compact(key), row.line)
            if seen != row.line:
                found.fail(row.line, kind.key_column, f"与第 {seen} 行重复")
    except UnreadableSheet as unreadable:
        problem = unreadable.problem
        found.fail(problem.line, problem.column or "文件", problem.message)
    return found


def read_sheet(path: Path, kind: SheetKind[T], catalog: Catalog) -> Iterator[T]:
    """The second pass, over a file the first pass found good."""
    for row in read_rows(path, kind.columns, kind.optional):
        problems: Problems = []
        parsed = kind.parse(row.values, catalog, problems)
        if problems:  # the file changed since it was checked
            column, message = problems[0]
            raise ValueError(f"{path}:{row.line}: {column}: {message}（文件在检查后被修改）")
        yield parsed
