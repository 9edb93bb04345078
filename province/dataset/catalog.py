"""The catalog part of a dataset: the province, subjects, schools and campuses, windows, openings.

Each part is checked against what was declared before it (`Known`): the subjects an oral
offering or a campus names, the school of a window, the campuses of an opening.
"""

from __future__ import annotations

from collections import defaultdict

from chalicelib.domain.catalog import Campus, OralOffering, Province, School, Subject, SubjectKind, Window
from chalicelib.domain.waiting_room import Opening
from province.dataset.reader import LEVELS, PLACEHOLDER_TIME, ROOT, JsonObject, Known, Reader, Unique, child
from province.dataset.sitting import campus_site, subject_ticket

_KIND_NAMES = {SubjectKind.WRITTEN: "笔试", SubjectKind.ORAL: "口试"}


def read_province(reader: Reader, root: JsonObject) -> Province:
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


def read_subjects(reader: Reader, root: JsonObject, known: Known) -> dict[str, Subject]:
    subjects: dict[str, Subject] = {}
    codes, ticket_codes = Unique("科目代码"), Unique("准考证科目代码")
    for path, obj in reader.objects(root, ROOT, "subjects"):
        code = reader.text(obj, path, "code")
        kind = reader.choice(obj, path, "kind", SubjectKind)
        name = reader.text(obj, path, "name")
        level, fee = reader.level(obj, path), reader.integer(obj, path, "fee")
        exam_at = reader.optional_moment(obj, path, "exam_at")  # R-DATE-1: the exam schedule
        ticket_code, minutes = subject_ticket(reader, known, obj, path, kind, ticket_codes)  # R-TICKET-1
        subject = Subject(code, name, kind or SubjectKind.WRITTEN, level, fee, exam_at, ticket_code, minutes)
        codes.see(reader, code, child(path, "code"))
        if code and code not in known.subject_kinds:
            known.subject_kinds[code] = kind
            subjects[code] = subject
    for code, first_path in codes.first.items():
        _check_requirement(reader, known, subjects[code], first_path)
    return subjects


def _check_requirement(reader: Reader, known: Known, subject: Subject, path: str) -> None:
    """R-ORAL-4: an oral subject needs the English written subject of its level to exist."""
    needed = subject.requires
    oral = known.subject_kinds.get(subject.code) is SubjectKind.ORAL
    if oral and subject.level in LEVELS and needed and needed not in known.subject_kinds:
        reader.fail(path, f"口试科目 {subject.code} 需要笔试科目 {needed}，但 subjects 中没有定义")


def _refer_subject(reader: Reader, known: Known, path: str, code: str, kind: SubjectKind | None) -> None:
    if code not in known.subject_kinds:
        reader.fail(path, f"未定义的科目 {code!r}（subjects 中没有）")
        return
    declared = known.subject_kinds[code]
    if kind is not None and declared is not None and declared is not kind:
        reader.fail(path, f"科目 {code} 是{_KIND_NAMES[declared]}科目，此处应为{_KIND_NAMES[kind]}科目")


def subject_codes(
    reader: Reader, known: Known, obj: JsonObject, path: str, key: str, kind: SubjectKind | None
) -> tuple[str, ...]:
    codes = Unique("科目")
    for where, code in reader.strings(obj, path, key):
        _refer_subject(reader, known, where, code, kind)
        codes.see(reader, code, where)
    return tuple(codes.first)


def read_schools(reader: Reader, root: JsonObject, known: Known) -> tuple[dict[str, School], dict[str, Campus]]:
    schools: dict[str, School] = {}
    campuses: dict[str, Campus] = {}
    school_ids, campus_ids, sites = Unique("学校编号"), Unique("校区编号"), Unique("考点代码")
    for path, obj in reader.objects(root, ROOT, "schools"):
        school = School(
            id=reader.text(obj, path, "id"),
            name=reader.text(obj, path, "name"),
            notice=reader.text(obj, path, "notice", allow_empty=True),
            allow_external_oral=reader.flag(obj, path, "allow_external_oral"),
        )
        school_ids.see(reader, school.id, child(path, "id"))
        known.school_ids.add(school.id)
        schools.setdefault(school.id, school)
        for campus_path, campus_obj in reader.objects(obj, path, "campuses"):
            campus = _campus(reader, known, campus_path, campus_obj, school.id, sites)
            campus_ids.see(reader, campus.id, child(campus_path, "id"))
            known.campus_schools.setdefault(campus.id, school.id)
            campuses.setdefault(campus.id, campus)
    return schools, campuses


def _campus(reader: Reader, known: Known, path: str, obj: JsonObject, school_id: str, sites: Unique) -> Campus:
    campus_id = reader.text(obj, path, "id")
    offered = Unique("口试科目")
    oral: list[OralOffering] = []
    for oral_path, oral_obj in reader.objects(obj, path, "oral"):
        offering = _oral_offering(reader, known, oral_path, oral_obj, campus_id)
        offered.see(reader, offering.subject, child(oral_path, "subject"))
        oral.append(offering)
    written = subject_codes(reader, known, obj, path, "written_subjects", SubjectKind.WRITTEN)
    site_code, rooms = campus_site(reader, known, obj, path, bool(written), sites)
    return Campus(
        id=campus_id,
        name=reader.text(obj, path, "name"),
        school_id=school_id,
        written_subjects=written,
        oral=tuple(oral),
        site_code=site_code,
        rooms=rooms,
    )


def _oral_offering(reader: Reader, known: Known, path: str, obj: JsonObject, campus_id: str) -> OralOffering:
    subject = reader.text(obj, path, "subject")
    if subject:
        _refer_subject(reader, known, child(path, "subject"), subject, SubjectKind.ORAL)
    opens_at, closes_at = reader.period(obj, path)
    capacity = reader.integer(obj, path, "capacity")
    return OralOffering(campus_id, subject, capacity, opens_at, closes_at)


def refer_school(reader: Reader, known: Known, path: str, school_id: str) -> None:
    if school_id and school_id not in known.school_ids:
        reader.fail(path, f"未定义的学校 {school_id!r}（schools 中没有）")


def read_windows(reader: Reader, root: JsonObject, known: Known) -> dict[str, tuple[Window, ...]]:
    windows: defaultdict[str, list[Window]] = defaultdict(list)
    for path, obj in reader.objects(root, ROOT, "windows"):
        school_id = reader.text(obj, path, "school_id")
        refer_school(reader, known, child(path, "school_id"), school_id)
        opens_at, closes_at = reader.period(obj, path)
        windows[school_id].append(Window(school_id, opens_at, closes_at))
    return {school_id: tuple(found) for school_id, found in windows.items()}


def read_openings(reader: Reader, root: JsonObject, known: Known) -> dict[str, Opening]:
    """R-QUEUE-1 (optional): queue_opens_at < opens_at < closes_at, known campuses, positive rates."""
    if "openings" not in root:
        return {}
    openings: dict[str, Opening] = {}
    ids = Unique("排队场次编号")
    for path, obj in reader.objects(root, ROOT, "openings"):
        opening_id = reader.text(obj, path, "id")
        ids.see(reader, opening_id, child(path, "id"))
        queue_opens_at = reader.moment(obj, path, "queue_opens_at")
        opens_at, closes_at = reader.period(obj, path)
        if queue_opens_at and obj.get("opens_at") and queue_opens_at >= opens_at:
            reader.fail(child(path, "queue_opens_at"), "排队开始时间应早于开放时间 opens_at")
        campuses = Unique("校区")
        for where, campus_id in reader.strings(obj, path, "campuses"):
            if campus_id not in known.campus_schools:
                reader.fail(where, f"未定义的校区 {campus_id!r}（schools[].campuses 中没有）")
            campuses.see(reader, campus_id, where)
        if "campuses" in obj and not campuses.first:
            reader.fail(child(path, "campuses"), "至少列出一个校区")
        opening = Opening(
            id=opening_id,
            name=reader.text(obj, path, "name"),
            queue_opens_at=queue_opens_at or PLACEHOLDER_TIME,
            opens_at=opens_at,
            closes_at=closes_at,
            campuses=tuple(campuses.first),
            admit_per_minute=reader.integer(obj, path, "admit_per_minute", low=1),
            pass_minutes=reader.integer(obj, path, "pass_minutes", low=1),
        )
        openings.setdefault(opening_id, opening)
    return openings
