"""The people of a dataset, checked row by row: the roll, the CET4 score records, the staff."""

from __future__ import annotations

from collections.abc import Callable

from chalicelib.domain.accounts import Role
from chalicelib.domain.identity import MILITARY_OFFICER, IdType
from chalicelib.domain.province import StaffMember
from chalicelib.domain.roll import NO_ACCOMMODATION, Accommodation, RollRow, ScoreRow
from province.checks import (
    FIRST_CET_YEAR,
    LAST_CET_YEAR,
    MAX_CET_SCORE,
    MAX_EXAM_MINUTES,
    MILITARY_PROBLEM,
    ROLES,
    id_number_problem,
    login_problem,
    role_problem,
    staff_school_problem,
    ticket_problem,
)
from province.dataset.catalog import refer_school, subject_codes
from province.dataset.reader import ROOT, JsonObject, Known, Reader, Unique, child

ACCOMMODATION_FIELDS = ("separate_room", "extra_minutes")
NO_PASSWORDS = "文件中不应有密码：工作人员用载入时发送的激活码自行设置密码（R-OPS-3）"


def read_roll(reader: Reader, root: JsonObject, known: Known) -> tuple[RollRow, ...]:
    candidates = Unique("证件")
    roll: list[RollRow] = []
    for path, obj in reader.objects(root, ROOT, "roll"):
        entry = _roll_entry(reader, known, path, obj)
        if entry is not None:
            candidates.see(reader, f"{entry.id_type.value}#{entry.id_number}", child(path, "id_number"))
            roll.append(entry)
    return tuple(roll)


def _roll_entry(reader: Reader, known: Known, path: str, obj: JsonObject) -> RollRow | None:
    id_type = _id_type(reader, obj, path)
    id_number = reader.text(obj, path, "id_number")
    if id_type is not None and id_number:
        _check_id_number(reader, child(path, "id_number"), id_type, id_number)
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
        qualified_subjects=subject_codes(reader, known, obj, path, "qualified_subjects", None),
        cet6_barred=reader.flag(obj, path, "cet6_barred"),
        accommodation=_accommodation(reader, obj, path),
    )
    return entry if id_type is not None and id_number else None


def _accommodation(reader: Reader, obj: JsonObject, path: str) -> Accommodation:
    """R-ROOM-3 (optional): `{"separate_room": true, "extra_minutes": 40}`, either part optional."""
    if obj.get("accommodation") is None:
        return NO_ACCOMMODATION
    found = reader.obj(obj, path, "accommodation")
    where = child(path, "accommodation")
    for key in found:
        if key not in ACCOMMODATION_FIELDS:
            reader.fail(child(where, key), f"未知字段，应为 {' 或 '.join(ACCOMMODATION_FIELDS)}")
    return Accommodation(
        separate_room=reader.flag(found, where, "separate_room") if "separate_room" in found else False,
        extra_minutes=(
            reader.integer(found, where, "extra_minutes", high=MAX_EXAM_MINUTES) if "extra_minutes" in found else 0
        ),
    )


def _id_type(reader: Reader, obj: JsonObject, path: str) -> IdType | None:
    value = reader.text(obj, path, "id_type")
    if value == MILITARY_OFFICER:
        reader.fail(child(path, "id_type"), MILITARY_PROBLEM)
        return None
    return reader.choice(obj, path, "id_type", IdType) if value else None


def _check_id_number(reader: Reader, path: str, id_type: IdType, number: str) -> None:
    """R-QUAL-4: the GB 11643 check digit for resident IDs, the shape for the others."""
    if problem := id_number_problem(id_type, number):
        reader.fail(path, problem)


def _refer_campus(reader: Reader, known: Known, path: str, school_id: str, campus_id: str) -> None:
    refer_school(reader, known, child(path, "school_id"), school_id)
    if not campus_id:
        return
    owner = known.campus_schools.get(campus_id)
    if owner is None:
        reader.fail(child(path, "campus_id"), f"未定义的校区 {campus_id!r}（schools[].campuses 中没有）")
    elif school_id in known.school_ids and owner != school_id:
        reader.fail(child(path, "campus_id"), f"校区 {campus_id} 属于学校 {owner}，不属于 {school_id}")


def checked_text(reader: Reader, obj: JsonObject, path: str, key: str, problem_of: Callable[[str], str | None]) -> str:
    """A text field, and the problem `problem_of` finds in it when it is not empty."""
    value = reader.text(obj, path, key)
    if value and (problem := problem_of(value)):
        reader.fail(child(path, key), problem)
    return value


def read_cet4_scores(reader: Reader, root: JsonObject) -> tuple[ScoreRow, ...]:
    tickets = Unique("准考证号")
    records: list[ScoreRow] = []
    for path, obj in reader.objects(root, ROOT, "cet4_scores"):
        ticket = checked_text(reader, obj, path, "ticket_number", ticket_problem)
        tickets.see(reader, ticket, child(path, "ticket_number"))
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


def read_staff(reader: Reader, root: JsonObject, known: Known) -> tuple[StaffMember, ...]:
    """R-OPS-3: staff without passwords; a province administrator (`"role": "province"`) without
    a school."""
    logins = Unique("登录名")
    staff: list[StaffMember] = []
    for path, obj in reader.objects(root, ROOT, "staff"):
        login = checked_text(reader, obj, path, "login", login_problem)
        if "password" in obj:
            reader.fail(child(path, "password"), NO_PASSWORDS)
        role_text = reader.text(obj, path, "role") if "role" in obj else "school"
        if problem := role_problem(role_text):
            reader.fail(child(path, "role"), problem)
        role = ROLES.get(role_text.strip(), Role.STAFF)
        school_id = str(obj.get("school_id") or "")
        if problem := staff_school_problem(role, school_id, known.school_ids):
            reader.fail(child(path, "school_id"), problem)
        logins.see(reader, login.strip().lower(), child(path, "login"))
        staff.append(StaffMember(login, role, school_id or None))
    return tuple(staff)
