"""The exam sitting of a dataset (R-ROOM-1..3, R-TICKET-1): the optional `exam` block, the ticket
fields of written subjects, the test site of campuses, and the cross checks between them.

With `exam` every written subject needs its `ticket_code`, `exam_minutes` and `exam_at`, and every
campus offering a written subject its `site_code`; without it those fields are optional, and still
checked when given.
"""

from __future__ import annotations

import re
from datetime import datetime

from chalicelib.domain.catalog import Catalog, RoomName, SubjectKind
from chalicelib.domain.clock import SHANGHAI
from chalicelib.domain.sitting import SITTING_NAMES, ExamSitting, SittingOfYear
from province.checks import FIRST_CET_YEAR, LAST_CET_YEAR, MAX_EXAM_MINUTES
from province.dataset.reader import PLACEHOLDER_TIME, ROOT, JsonObject, Known, Reader, Unique, child

EXAM = "exam"
TICKET_CODE = re.compile(r"\d")
SITE_CODE = re.compile(r"\d{6}")
ROOM_CODE = re.compile(r"\d{3}")
NEEDED = "缺少必填字段（数据集有 exam 时必填）"


def read_exam(reader: Reader, root: JsonObject, known: Known) -> ExamSitting | None:
    """R-ROOM-1: `exam` (optional): the year, the sitting (1 June, 2 December), `plan_at` before
    `tickets_open_at`."""
    if root.get(EXAM) is None:
        return None
    obj = reader.obj(root, ROOT, EXAM)
    if not isinstance(root[EXAM], dict):
        return None
    known.exam = True
    year = reader.integer(obj, EXAM, "year", low=FIRST_CET_YEAR, high=LAST_CET_YEAR)
    sitting = reader.typed(obj, EXAM, "sitting", int, "整数")
    if sitting is not None and sitting not in tuple(SittingOfYear):
        names = "，".join(f"{s.value}（{SITTING_NAMES[s]}）" for s in SittingOfYear)
        reader.fail(child(EXAM, "sitting"), f"考次应为 {names}，实际为 {sitting}")
    plan_at = reader.moment(obj, EXAM, "plan_at")
    tickets_open_at = reader.moment(obj, EXAM, "tickets_open_at")
    if plan_at and tickets_open_at and tickets_open_at <= plan_at:
        reader.fail(child(EXAM, "tickets_open_at"), "准考证开放打印时间应晚于考场编排时间 plan_at")
    return ExamSitting(
        year,
        SittingOfYear(sitting) if sitting in tuple(SittingOfYear) else SittingOfYear.JUNE,
        plan_at or PLACEHOLDER_TIME,
        tickets_open_at or PLACEHOLDER_TIME,
    )


def _code(reader: Reader, obj: JsonObject, path: str, key: str, shape: re.Pattern[str], what: str) -> str | None:
    """A code written as a string of digits (leading zeros count); None when absent or bad."""
    value = reader.typed(obj, path, key, str, "字符串")
    if value is None:
        return None
    if not shape.fullmatch(value):
        reader.fail(child(path, key), f"应为 {what}，实际为 {value!r}")
        return None
    return value


def subject_ticket(
    reader: Reader, known: Known, obj: JsonObject, path: str, kind: SubjectKind | None, codes: Unique
) -> tuple[str | None, int | None]:
    """R-TICKET-1, R-TICKET-2: a written subject's `ticket_code` (one digit, unique among written
    subjects) and `exam_minutes`; an oral subject has neither."""
    if kind is not SubjectKind.WRITTEN:
        for key in ("ticket_code", "exam_minutes"):
            if key in obj and kind is SubjectKind.ORAL:
                reader.fail(child(path, key), "只有笔试科目有此字段（口试不编排考场）")
        return None, None
    if known.exam and obj.get("exam_at") is None:
        reader.fail(child(path, "exam_at"), NEEDED)
    code = minutes = None
    if "ticket_code" in obj:
        code = _code(reader, obj, path, "ticket_code", TICKET_CODE, '1 位数字的字符串（如 "1"）')
        codes.see(reader, code or "", child(path, "ticket_code"))
    elif known.exam:
        reader.fail(child(path, "ticket_code"), NEEDED)
    if "exam_minutes" in obj:
        minutes = reader.integer(obj, path, "exam_minutes", low=1, high=MAX_EXAM_MINUTES)
    elif known.exam:
        reader.fail(child(path, "exam_minutes"), NEEDED)
    return code, minutes


def campus_site(
    reader: Reader, known: Known, obj: JsonObject, path: str, written: bool, sites: Unique
) -> tuple[str | None, tuple[RoomName, ...]]:
    """R-TICKET-1: a campus's `site_code` (6 digits, unique in the province; needed with `exam` where
    it offers a written subject) and its `rooms`' names (3-digit codes, unique per campus)."""
    site_code = None
    if "site_code" in obj:
        site_code = _code(reader, obj, path, "site_code", SITE_CODE, "6 位数字的考点代码")
        sites.see(reader, site_code or "", child(path, "site_code"))
    elif known.exam and written:
        reader.fail(child(path, "site_code"), "缺少必填字段（数据集有 exam 时，设笔试科目的校区必填）")
    if obj.get("rooms") is None:
        return site_code, ()
    rooms: list[RoomName] = []
    codes = Unique("考场号")
    for room_path, room_obj in reader.objects(obj, path, "rooms"):
        code = _code(reader, room_obj, room_path, "code", ROOM_CODE, '3 位数字的考场号（如 "001"）')
        if code == "000":
            reader.fail(child(room_path, "code"), "考场号从 001 开始")
        codes.see(reader, code or "", child(room_path, "code"))
        rooms.append(RoomName(code or "", reader.text(room_obj, room_path, "name")))
    return site_code, tuple(rooms)


def check_sitting(reader: Reader, exam: ExamSitting | None, catalog: Catalog) -> None:
    """R-ROOM-1: `plan_at` after every school's window closes; `tickets_open_at` before the first
    written exam; the written exams in the sitting's year (or early the next, when postponed)."""
    if exam is None:
        return
    if exam.plan_at != PLACEHOLDER_TIME:
        windows = [w for found in catalog.windows.values() for w in found if w.closes_at > exam.plan_at]
        if windows:
            last = max(windows, key=lambda w: w.closes_at)
            school = catalog.schools.get(last.school_id)
            named = f"{school.name}（{last.school_id}）" if school else last.school_id
            message = f"考场编排时间应在各校报名截止之后：{named} 的报名 {_shown(last.closes_at)} 才截止"
            reader.fail(child(EXAM, "plan_at"), message)
    exams = sorted(
        (s.exam_at, s.code) for s in catalog.subjects.values() if s.kind is SubjectKind.WRITTEN and s.exam_at
    )
    if not exams:
        return
    first_at, first = exams[0]
    if exam.tickets_open_at != PLACEHOLDER_TIME and exam.tickets_open_at >= first_at:
        message = f"准考证开放打印时间应早于第一场笔试：{first} 在 {_shown(first_at)}"
        reader.fail(child(EXAM, "tickets_open_at"), message)
    year = first_at.astimezone(SHANGHAI).year
    if exam.year in range(FIRST_CET_YEAR, LAST_CET_YEAR + 1) and year not in (exam.year, exam.year + 1):
        reader.fail(child(EXAM, "year"), f"与笔试时间不符：{first} 在 {year} 年考试，考次年份为 {exam.year}")


def _shown(moment: datetime) -> str:
    return f"{moment.astimezone(SHANGHAI):%Y-%m-%d %H:%M}（北京时间）"
