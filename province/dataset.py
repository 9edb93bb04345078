"""Read a province dataset (api.md, "Province dataset"), checking all of it before loading any.

A dataset loads whole or not at all: every problem is collected, each with the JSON path of
the value and the line of the file where that value (or the object missing it) begins.
"""

from __future__ import annotations

import bisect
import json
import re
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime
from enum import Enum
from pathlib import Path
from typing import TypeVar

from chalicelib.domain.accounts import Role
from chalicelib.domain.catalog import (
    Campus,
    Catalog,
    OralOffering,
    Province,
    School,
    Subject,
    SubjectKind,
    Window,
)
from chalicelib.domain.clock import SHANGHAI, parse_iso
from chalicelib.domain.identity import MILITARY_OFFICER, IdType
from chalicelib.domain.openings import Opening
from chalicelib.domain.province import ProvinceData, StaffMember
from chalicelib.domain.roll import RollRow, ScoreRow
from province.checks import (
    FIRST_CET_YEAR,
    LAST_CET_YEAR,
    MAX_CET_SCORE,
    MILITARY_PROBLEM,
    ROLES,
    id_number_problem,
    login_problem,
    role_problem,
    staff_school_problem,
    ticket_problem,
)

NO_PASSWORDS = "文件中不应有密码：工作人员用载入时发送的激活码自行设置密码（R-OPS-3）"
JsonObject = dict[str, object]
T = TypeVar("T")
E = TypeVar("E", bound=Enum)

ROOT = "$"
LEVELS = (4, 6)
_LAST_STEP = re.compile(r"(.*)(?:\.[^.\[\]]*|\[\d+\])")
_WHITESPACE = re.compile(r"[ \t\n\r]*")
_PLACEHOLDER_TIME = datetime(1970, 1, 1, tzinfo=SHANGHAI)
_KIND_NAMES = {SubjectKind.WRITTEN: "笔试", SubjectKind.ORAL: "口试"}


@dataclass(frozen=True)
class Problem:
    line: int
    field: str
    message: str

    def __str__(self) -> str:
        return f"line {self.line}: {self.field}: {self.message}"


class DatasetError(Exception):
    def __init__(self, problems: list[Problem]) -> None:
        self.problems = problems
        super().__init__("\n".join(str(problem) for problem in problems))


# What a catalog file may leave to the spreadsheets (api.md, "Added: province spreadsheets").
ROW_SECTIONS = ("roll", "cet4_scores", "staff")


def load_dataset(path: Path, *, catalog_file: bool = False) -> ProvinceData:
    """The dataset JSON; with `catalog_file`, its roll, score records and staff may be left out."""
    try:
        text = path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError as error:
        raise DatasetError([Problem(1, ROOT, f"文件不是 UTF-8 编码：{error.reason}")]) from None
    return parse_dataset(text, catalog_file=catalog_file)


def parse_dataset(text: str, *, catalog_file: bool = False) -> ProvinceData:
    root = _decode(text)
    if catalog_file:
        for section in ROW_SECTIONS:
            root.setdefault(section, [])
    reader = _Reader(_Lines(text))
    data = _province_data(reader, root)
    if reader.problems:
        raise DatasetError(sorted(reader.problems, key=lambda problem: problem.line))
    return data


def dataset_problems(text: str) -> list[Problem]:
    try:
        parse_dataset(text)
    except DatasetError as error:
        return error.problems
    return []


def _decode(text: str) -> JsonObject:
    try:
        root: object = json.loads(text)
    except json.JSONDecodeError as error:
        message = f"不是有效的 JSON：{error.msg}（第 {error.colno} 列）"
        raise DatasetError([Problem(error.lineno, ROOT, message)]) from None
    except RecursionError:
        raise DatasetError([Problem(1, ROOT, "JSON 嵌套层数过深")]) from None
    if not isinstance(root, dict):
        raise DatasetError([Problem(1, ROOT, "顶层应为 JSON 对象")])
    return root


def _child(path: str, step: str | int) -> str:
    if isinstance(step, int):
        return f"{path}[{step}]"
    return step if path == ROOT else f"{path}.{step}"


def _parent(path: str) -> str:
    match = _LAST_STEP.fullmatch(path)
    return match.group(1) if match and match.group(1) else ROOT


class _Lines:
    """The line on which each value of a well-formed JSON text begins, by JSON path."""

    def __init__(self, text: str) -> None:
        self._text = text
        self._line_starts = [0] + [match.end() for match in re.finditer("\n", text)]
        self._decoder = json.JSONDecoder()
        self._by_path: dict[str, int] = {}
        self._value(ROOT, 0)

    def line_of(self, path: str) -> int:
        while path not in self._by_path and path != ROOT:
            path = _parent(path)
        return self._by_path.get(path, 1)

    def _skip(self, pos: int) -> int:
        match = _WHITESPACE.match(self._text, pos)
        return match.end() if match else pos

    def _value(self, path: str, pos: int) -> int:
        pos = self._skip(pos)
        self._by_path[path] = bisect.bisect_right(self._line_starts, pos)
        opener = self._text[pos]
        if opener == "{":
            return self._members(path, pos + 1)
        if opener == "[":
            return self._items(path, pos + 1)
        return self._decoder.raw_decode(self._text, pos)[1]

    def _members(self, path: str, pos: int) -> int:
        pos = self._skip(pos)
        while self._text[pos] != "}":
            key, pos = self._decoder.raw_decode(self._text, self._skip(pos))
            pos = self._skip(self._value(_child(path, str(key)), self._skip(pos) + 1))
            pos += self._text[pos] == ","
        return pos + 1

    def _items(self, path: str, pos: int) -> int:
        pos = self._skip(pos)
        index = 0
        while self._text[pos] != "]":
            pos = self._skip(self._value(_child(path, index), pos))
            pos = self._skip(pos + (self._text[pos] == ","))
            index += 1
        return pos + 1


def _describe(value: object) -> str:
    if value is None:
        return "null"
    names = {bool: "布尔值", int: "整数", float: "小数", str: "字符串", list: "数组", dict: "对象"}
    return names.get(type(value), type(value).__name__)


class _Reader:
    """Reads typed fields off JSON objects; a bad field becomes a Problem and a placeholder."""

    def __init__(self, lines: _Lines) -> None:
        self._lines = lines
        self.problems: list[Problem] = []

    def fail(self, path: str, message: str) -> None:
        self.problems.append(Problem(self._lines.line_of(path), path, message))

    def typed(self, obj: JsonObject, path: str, key: str, kind: type[T], what: str) -> T | None:
        where = _child(path, key)
        if key not in obj:
            self.fail(where, "缺少必填字段")
            return None
        value = obj[key]
        if isinstance(value, kind) and (kind is bool or not isinstance(value, bool)):
            return value
        self.fail(where, f"应为{what}，实际为{_describe(value)}")
        return None

    def text(self, obj: JsonObject, path: str, key: str, *, allow_empty: bool = False) -> str:
        value = self.typed(obj, path, key, str, "字符串")
        if value is None or (not value.strip() and not allow_empty):
            if value is not None:
                self.fail(_child(path, key), "不能为空")
            return ""
        return value

    def integer(self, obj: JsonObject, path: str, key: str, *, low: int = 0, high: int | None = None) -> int:
        value = self.typed(obj, path, key, int, "整数")
        if value is None:
            return low
        if value < low or (high is not None and value > high):
            bounds = f"不能小于 {low}" if high is None else f"应在 {low} 到 {high} 之间"
            self.fail(_child(path, key), f"{bounds}，实际为 {value}")
        return value

    def level(self, obj: JsonObject, path: str) -> int:
        value = self.typed(obj, path, "level", int, "整数")
        if value is not None and value not in LEVELS:
            self.fail(_child(path, "level"), f"级别应为 4 或 6，实际为 {value}")
        return value or LEVELS[0]

    def flag(self, obj: JsonObject, path: str, key: str) -> bool:
        return self.typed(obj, path, key, bool, "布尔值（true/false）") or False

    def choice(self, obj: JsonObject, path: str, key: str, options: type[E]) -> E | None:
        value = self.text(obj, path, key)
        allowed = [option.value for option in options]
        if value and value not in allowed:
            self.fail(_child(path, key), f"未知取值 {value!r}，应为 {' / '.join(allowed)} 之一")
            return None
        return options(value) if value else None

    def moment(self, obj: JsonObject, path: str, key: str) -> datetime | None:
        value = self.text(obj, path, key)
        if not value:
            return None
        try:
            return parse_iso(value)
        except ValueError:
            example = "2024-01-01T00:00:00+08:00"
            self.fail(_child(path, key), f"应为带时区偏移的 ISO 8601 时间（如 {example}），实际为 {value!r}")
            return None

    def optional_moment(self, obj: JsonObject, path: str, key: str) -> datetime | None:
        """A time the dataset may leave out (absent or null); when given, it must be one."""
        return self.moment(obj, path, key) if obj.get(key) is not None else None

    def period(self, obj: JsonObject, path: str) -> tuple[datetime, datetime]:
        opens_at = self.moment(obj, path, "opens_at")
        closes_at = self.moment(obj, path, "closes_at")
        if opens_at and closes_at and opens_at >= closes_at:
            self.fail(_child(path, "closes_at"), "结束时间应晚于开始时间 opens_at")
        return opens_at or _PLACEHOLDER_TIME, closes_at or _PLACEHOLDER_TIME

    def obj(self, parent: JsonObject, path: str, key: str) -> JsonObject:
        return self.typed(parent, path, key, dict, "对象") or {}

    def objects(self, parent: JsonObject, path: str, key: str) -> list[tuple[str, JsonObject]]:
        found: list[tuple[str, JsonObject]] = []
        where = _child(path, key)
        for index, item in enumerate(self.typed(parent, path, key, list, "数组") or []):
            if isinstance(item, dict):
                found.append((_child(where, index), item))
            else:
                self.fail(_child(where, index), f"应为对象，实际为{_describe(item)}")
        return found

    def strings(self, parent: JsonObject, path: str, key: str) -> list[tuple[str, str]]:
        found: list[tuple[str, str]] = []
        where = _child(path, key)
        for index, item in enumerate(self.typed(parent, path, key, list, "数组") or []):
            if isinstance(item, str) and item.strip():
                found.append((_child(where, index), item))
            else:
                self.fail(_child(where, index), f"应为非空字符串，实际为{_describe(item)}")
        return found


@dataclass
class _Unique:
    """Remembers where each key was first seen, to report a repeat with both places."""

    what: str
    first: dict[str, str] = field(default_factory=dict)

    def see(self, reader: _Reader, key: str, path: str) -> None:
        if not key:
            return
        if key in self.first:
            reader.fail(path, f"{self.what} {key!r} 重复（已在 {self.first[key]} 出现）")
        else:
            self.first[key] = path


@dataclass
class _Known:
    """What has been declared so far, even if its other fields were bad (to avoid echoes)."""

    subject_kinds: dict[str, SubjectKind | None] = field(default_factory=dict)
    school_ids: set[str] = field(default_factory=set)
    campus_schools: dict[str, str] = field(default_factory=dict)


def _province_data(reader: _Reader, root: JsonObject) -> ProvinceData:
    known = _Known()
    province = _province(reader, root)
    subjects = _subjects(reader, root, known)
    schools, campuses = _schools(reader, root, known)
    catalog = Catalog(province, subjects, schools, campuses, _windows(reader, root, known))
    catalog.openings.update(_openings(reader, root, known))
    return ProvinceData(
        catalog=catalog,
        roll=_roll(reader, root, known),
        cet4_scores=_cet4_scores(reader, root),
        staff=_staff(reader, root, known),
    )


def _province(reader: _Reader, root: JsonObject) -> Province:
    path = "province"
    obj = reader.obj(root, ROOT, path)
    if not obj:
        return Province("", "", "")
    return Province(
        code=reader.text(obj, path, "code"),
        name=reader.text(obj, path, "name"),
        notice=reader.text(obj, path, "notice", allow_empty=True),
        # seats per counter shard (decision 0019); absent: the default
        seat_shard_size=reader.integer(obj, path, "seat_shard_size", low=1) if "seat_shard_size" in obj else None,
    )


def _subjects(reader: _Reader, root: JsonObject, known: _Known) -> dict[str, Subject]:
    subjects: dict[str, Subject] = {}
    codes = _Unique("科目代码")
    for path, obj in reader.objects(root, ROOT, "subjects"):
        code = reader.text(obj, path, "code")
        kind = reader.choice(obj, path, "kind", SubjectKind)
        name = reader.text(obj, path, "name")
        level, fee = reader.level(obj, path), reader.integer(obj, path, "fee")
        exam_at = reader.optional_moment(obj, path, "exam_at")  # R-DATE-1: the exam schedule
        subject = Subject(code, name, kind or SubjectKind.WRITTEN, level, fee, exam_at)
        codes.see(reader, code, _child(path, "code"))
        if code and code not in known.subject_kinds:
            known.subject_kinds[code] = kind
            subjects[code] = subject
    for code, first_path in codes.first.items():
        _check_requirement(reader, known, subjects[code], first_path)
    return subjects


def _check_requirement(reader: _Reader, known: _Known, subject: Subject, path: str) -> None:
    """R-ORAL-4: an oral subject needs the English written subject of its level to exist."""
    needed = subject.requires
    oral = known.subject_kinds.get(subject.code) is SubjectKind.ORAL
    if oral and subject.level in LEVELS and needed and needed not in known.subject_kinds:
        reader.fail(path, f"口试科目 {subject.code} 需要笔试科目 {needed}，但 subjects 中没有定义")


def _refer_subject(reader: _Reader, known: _Known, path: str, code: str, kind: SubjectKind | None) -> None:
    if code not in known.subject_kinds:
        reader.fail(path, f"未定义的科目 {code!r}（subjects 中没有）")
        return
    declared = known.subject_kinds[code]
    if kind is not None and declared is not None and declared is not kind:
        reader.fail(path, f"科目 {code} 是{_KIND_NAMES[declared]}科目，此处应为{_KIND_NAMES[kind]}科目")


def _subject_codes(
    reader: _Reader, known: _Known, obj: JsonObject, path: str, key: str, kind: SubjectKind | None
) -> tuple[str, ...]:
    codes = _Unique("科目")
    for where, code in reader.strings(obj, path, key):
        _refer_subject(reader, known, where, code, kind)
        codes.see(reader, code, where)
    return tuple(codes.first)


def _schools(reader: _Reader, root: JsonObject, known: _Known) -> tuple[dict[str, School], dict[str, Campus]]:
    schools: dict[str, School] = {}
    campuses: dict[str, Campus] = {}
    school_ids, campus_ids = _Unique("学校编号"), _Unique("校区编号")
    for path, obj in reader.objects(root, ROOT, "schools"):
        school = School(
            id=reader.text(obj, path, "id"),
            name=reader.text(obj, path, "name"),
            notice=reader.text(obj, path, "notice", allow_empty=True),
            allow_external_oral=reader.flag(obj, path, "allow_external_oral"),
        )
        school_ids.see(reader, school.id, _child(path, "id"))
        known.school_ids.add(school.id)
        schools.setdefault(school.id, school)
        for campus_path, campus_obj in reader.objects(obj, path, "campuses"):
            campus = _campus(reader, known, campus_path, campus_obj, school.id)
            campus_ids.see(reader, campus.id, _child(campus_path, "id"))
            known.campus_schools.setdefault(campus.id, school.id)
            campuses.setdefault(campus.id, campus)
    return schools, campuses


def _campus(reader: _Reader, known: _Known, path: str, obj: JsonObject, school_id: str) -> Campus:
    campus_id = reader.text(obj, path, "id")
    offered = _Unique("口试科目")
    oral: list[OralOffering] = []
    for oral_path, oral_obj in reader.objects(obj, path, "oral"):
        offering = _oral_offering(reader, known, oral_path, oral_obj, campus_id)
        offered.see(reader, offering.subject, _child(oral_path, "subject"))
        oral.append(offering)
    return Campus(
        id=campus_id,
        name=reader.text(obj, path, "name"),
        school_id=school_id,
        written_subjects=_subject_codes(reader, known, obj, path, "written_subjects", SubjectKind.WRITTEN),
        oral=tuple(oral),
    )


def _oral_offering(reader: _Reader, known: _Known, path: str, obj: JsonObject, campus_id: str) -> OralOffering:
    subject = reader.text(obj, path, "subject")
    if subject:
        _refer_subject(reader, known, _child(path, "subject"), subject, SubjectKind.ORAL)
    opens_at, closes_at = reader.period(obj, path)
    capacity = reader.integer(obj, path, "capacity")
    return OralOffering(campus_id, subject, capacity, opens_at, closes_at)


def _refer_school(reader: _Reader, known: _Known, path: str, school_id: str) -> None:
    if school_id and school_id not in known.school_ids:
        reader.fail(path, f"未定义的学校 {school_id!r}（schools 中没有）")


def _windows(reader: _Reader, root: JsonObject, known: _Known) -> dict[str, tuple[Window, ...]]:
    windows: defaultdict[str, list[Window]] = defaultdict(list)
    for path, obj in reader.objects(root, ROOT, "windows"):
        school_id = reader.text(obj, path, "school_id")
        _refer_school(reader, known, _child(path, "school_id"), school_id)
        opens_at, closes_at = reader.period(obj, path)
        windows[school_id].append(Window(school_id, opens_at, closes_at))
    return {school_id: tuple(found) for school_id, found in windows.items()}


def _roll(reader: _Reader, root: JsonObject, known: _Known) -> tuple[RollRow, ...]:
    candidates = _Unique("证件")
    roll: list[RollRow] = []
    for path, obj in reader.objects(root, ROOT, "roll"):
        entry = _roll_entry(reader, known, path, obj)
        if entry is not None:
            candidates.see(reader, f"{entry.id_type.value}#{entry.id_number}", _child(path, "id_number"))
            roll.append(entry)
    return tuple(roll)


def _roll_entry(reader: _Reader, known: _Known, path: str, obj: JsonObject) -> RollRow | None:
    id_type = _id_type(reader, obj, path)
    id_number = reader.text(obj, path, "id_number")
    if id_type is not None and id_number:
        _check_id_number(reader, _child(path, "id_number"), id_type, id_number)
    school_id = reader.text(obj, path, "school_id")
    campus_id = reader.text(obj, path, "campus_id")
    _refer_campus(reader, known, path, school_id, campus_id)
    entry = RollRow(
        id_type=id_type or IdType.RESIDENT_ID,
        id_number=id_number,
        name=reader.text(obj, path, "name"),
        school_id=school_id,
        campus_id=campus_id,
        student_no=reader.text(obj, path, "student_no"),
        qualified_subjects=_subject_codes(reader, known, obj, path, "qualified_subjects", None),
        cet6_barred=reader.flag(obj, path, "cet6_barred"),
    )
    return entry if id_type is not None and id_number else None


def _id_type(reader: _Reader, obj: JsonObject, path: str) -> IdType | None:
    value = reader.text(obj, path, "id_type")
    if value == MILITARY_OFFICER:
        reader.fail(_child(path, "id_type"), MILITARY_PROBLEM)
        return None
    return reader.choice(obj, path, "id_type", IdType) if value else None


def _check_id_number(reader: _Reader, path: str, id_type: IdType, number: str) -> None:
    """R-QUAL-4: the GB 11643 check digit for resident IDs, the shape for the others."""
    if problem := id_number_problem(id_type, number):
        reader.fail(path, problem)


def _refer_campus(reader: _Reader, known: _Known, path: str, school_id: str, campus_id: str) -> None:
    _refer_school(reader, known, _child(path, "school_id"), school_id)
    if not campus_id:
        return
    owner = known.campus_schools.get(campus_id)
    if owner is None:
        reader.fail(_child(path, "campus_id"), f"未定义的校区 {campus_id!r}（schools[].campuses 中没有）")
    elif school_id in known.school_ids and owner != school_id:
        reader.fail(_child(path, "campus_id"), f"校区 {campus_id} 属于学校 {owner}，不属于 {school_id}")


def _cet4_scores(reader: _Reader, root: JsonObject) -> tuple[ScoreRow, ...]:
    tickets = _Unique("准考证号")
    records: list[ScoreRow] = []
    for path, obj in reader.objects(root, ROOT, "cet4_scores"):
        ticket = reader.text(obj, path, "ticket_number")
        if ticket and (problem := ticket_problem(ticket)):
            reader.fail(_child(path, "ticket_number"), problem)
        tickets.see(reader, ticket, _child(path, "ticket_number"))
        records.append(
            ScoreRow(
                ticket_number=ticket,
                id_number=reader.text(obj, path, "id_number"),
                name=reader.text(obj, path, "name"),
                score=reader.integer(obj, path, "score", high=MAX_CET_SCORE),
                year=reader.integer(obj, path, "year", low=FIRST_CET_YEAR, high=LAST_CET_YEAR),
            )
        )
    return tuple(records)


def _staff(reader: _Reader, root: JsonObject, known: _Known) -> tuple[StaffMember, ...]:
    """R-OPS-3: staff without passwords; a province administrator (`"role": "province"`) without
    a school."""
    logins = _Unique("登录名")
    staff: list[StaffMember] = []
    for path, obj in reader.objects(root, ROOT, "staff"):
        login = reader.text(obj, path, "login")
        if login and (problem := login_problem(login)):
            reader.fail(_child(path, "login"), problem)
        if "password" in obj:
            reader.fail(_child(path, "password"), NO_PASSWORDS)
        role_text = reader.text(obj, path, "role") if "role" in obj else "school"
        if problem := role_problem(role_text):
            reader.fail(_child(path, "role"), problem)
        role = ROLES.get(role_text.strip(), Role.STAFF)
        school_id = str(obj.get("school_id") or "")
        if problem := staff_school_problem(role, school_id, known.school_ids):
            reader.fail(_child(path, "school_id"), problem)
        logins.see(reader, login.strip().lower(), _child(path, "login"))
        staff.append(StaffMember(login, role, school_id or None))
    return tuple(staff)


def _openings(reader: _Reader, root: JsonObject, known: _Known) -> dict[str, Opening]:
    """R-QUEUE-1 (optional): queue_opens_at < opens_at < closes_at, known campuses, positive rates."""
    if "openings" not in root:
        return {}
    openings: dict[str, Opening] = {}
    ids = _Unique("排队场次编号")
    for path, obj in reader.objects(root, ROOT, "openings"):
        opening_id = reader.text(obj, path, "id")
        ids.see(reader, opening_id, _child(path, "id"))
        queue_opens_at = reader.moment(obj, path, "queue_opens_at")
        opens_at, closes_at = reader.period(obj, path)
        if queue_opens_at and obj.get("opens_at") and queue_opens_at >= opens_at:
            reader.fail(_child(path, "queue_opens_at"), "排队开始时间应早于开放时间 opens_at")
        campuses = _Unique("校区")
        for where, campus_id in reader.strings(obj, path, "campuses"):
            if campus_id not in known.campus_schools:
                reader.fail(where, f"未定义的校区 {campus_id!r}（schools[].campuses 中没有）")
            campuses.see(reader, campus_id, where)
        if "campuses" in obj and not campuses.first:
            reader.fail(_child(path, "campuses"), "至少列出一个校区")
        opening = Opening(
            id=opening_id,
            name=reader.text(obj, path, "name"),
            queue_opens_at=queue_opens_at or _PLACEHOLDER_TIME,
            opens_at=opens_at,
            closes_at=closes_at,
            campuses=tuple(campuses.first),
            admit_per_minute=reader.integer(obj, path, "admit_per_minute", low=1),
            pass_minutes=reader.integer(obj, path, "pass_minutes", low=1),
        )
        openings.setdefault(opening_id, opening)
    return openings
